import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  ApiException,
  type CoreV1Api,
  type V1ObjectMeta,
  type V1Service,
  type V1ServicePort,
} from '@kubernetes/client-node';
import type { TrafficRoute } from '@internal/backstage-plugin-sentinel-node';
import { isDeepStrictEqual } from 'node:util';
import { withRetry, type RetryOptions } from '../../kubernetes/retry';
import {
  CANDIDATE_LABEL,
  MANAGED_BY_LABEL,
  ROLLOUT_ID_ANNOTATION,
} from '@internal/backstage-plugin-sentinel-node';

/** Pins a Service to one version of a workload (blue/green's switch); never copied. */
const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** Writes that race another writer are re-read and retried this many times. */
const CONFLICT_ATTEMPTS = 5;

/** What every traffic router takes besides its own options. */
export interface TrafficRouterOptions {
  /**
   * The stable Service: a name, or a function of the route. By default the Service named like
   * the stable workload.
   */
  service?: string | ((route: TrafficRoute) => string | undefined);
  /** Retries of failed Kubernetes calls (429, 5xx, dropped connections). */
  retry?: Partial<RetryOptions>;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 4, baseDelayMs: 200 };

/** A name option, given as is or as a function of the route. */
export function resolveName(
  option: string | ((route: TrafficRoute) => string | undefined) | undefined,
  route: TrafficRoute,
): string | undefined {
  return typeof option === 'function' ? option(route) : option;
}

/** Refuses a weight that is not a whole percentage. Pure. */
export function checkWeight(weight: number): void {
  if (!Number.isInteger(weight) || weight < 0 || weight > 100) {
    throw new InputError(
      `a traffic weight is a whole percentage from 0 to 100, not ${weight}`,
    );
  }
}

/** Refuses a route of another cluster than the router's. Pure. */
export function checkCluster(
  router: { name: string; cluster: string },
  route: TrafficRoute,
): void {
  if (route.cluster !== router.cluster) {
    throw new InputError(
      `the ${router.name} traffic router of cluster ${router.cluster} cannot route traffic in cluster ${route.cluster}`,
    );
  }
}

/** The labels of everything a router creates for a candidate. */
export function sentinelLabels(route: TrafficRoute): Record<string, string> {
  return {
    [MANAGED_BY_LABEL]: 'sentinel',
    [CANDIDATE_LABEL]: route.candidate,
  };
}

/** The label selector of everything a router created for a candidate. */
export function sentinelSelector(route: TrafficRoute): string {
  return Object.entries(sentinelLabels(route))
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

/** Whether an object is one a router created for this candidate. Pure. */
export function isSentinels(
  metadata: V1ObjectMeta | undefined,
  route: TrafficRoute,
): boolean {
  return Object.entries(sentinelLabels(route)).every(
    ([key, value]) => metadata?.labels?.[key] === value,
  );
}

/**
 * Whether two API objects (or parts) hold the same JSON. client-node's typed objects carry
 * every absent field as undefined, and class prototypes; JSON leaves both out.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(canonical(a), canonical(b));
}

function canonical(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(JSON.stringify(value));
}

/** What of a Service port the canary copies: never a nodePort, which is unique per cluster. */
export function servicePorts(service: V1Service): V1ServicePort[] {
  return (service.spec?.ports ?? []).map(port =>
    JSON.parse(
      JSON.stringify({
        name: port.name,
        protocol: port.protocol,
        appProtocol: port.appProtocol,
        port: port.port,
        targetPort: port.targetPort,
      }),
    ),
  );
}

/**
 * The canary Service: the stable Service's ports, its selector (without a pin to one
 * pod-template-hash) plus `sentinel.io/candidate: <candidate>`, which only the candidate's
 * pods carry. Always a ClusterIP Service, whatever the stable one is. Pure.
 */
export function canaryService(
  stable: V1Service,
  route: TrafficRoute,
): V1Service {
  const name = stable.metadata?.name;
  const selector = Object.fromEntries(
    Object.entries(stable.spec?.selector ?? {}).filter(
      ([key]) => key !== POD_TEMPLATE_HASH_LABEL,
    ),
  );
  if (Object.keys(selector).length === 0) {
    throw new InputError(
      `Service ${name} in ${route.namespace} has no selector, so Sentinel cannot derive one for ${route.candidate} from it`,
    );
  }
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: route.candidate,
      namespace: route.namespace,
      labels: { ...stable.metadata?.labels, ...sentinelLabels(route) },
      annotations: { [ROLLOUT_ID_ANNOTATION]: route.rolloutId },
    },
    spec: {
      type: 'ClusterIP',
      selector: { ...selector, [CANDIDATE_LABEL]: route.candidate },
      ports: servicePorts(stable),
    },
  };
}

/** Whether an existing canary Service already is as `desired` has it. Pure. */
export function isUpToDate(current: V1Service, desired: V1Service): boolean {
  return (
    sameJson(current.spec?.selector, desired.spec?.selector) &&
    sameJson(servicePorts(current), servicePorts(desired)) &&
    Object.entries(desired.metadata?.labels ?? {}).every(
      ([key, value]) => current.metadata?.labels?.[key] === value,
    ) &&
    Object.entries(desired.metadata?.annotations ?? {}).every(
      ([key, value]) => current.metadata?.annotations?.[key] === value,
    )
  );
}

/**
 * `current` with the selector, ports, labels and annotations of `desired`; everything the API
 * server set (clusterIP, resourceVersion) kept, so that it can be written back. Pure.
 */
export function updatedService(
  current: V1Service,
  desired: V1Service,
): V1Service {
  return {
    ...current,
    metadata: {
      ...current.metadata,
      labels: { ...current.metadata?.labels, ...desired.metadata?.labels },
      annotations: {
        ...current.metadata?.annotations,
        ...desired.metadata?.annotations,
      },
    },
    spec: {
      ...current.spec,
      selector: desired.spec?.selector,
      ports: desired.spec?.ports,
    },
  };
}

/** Whether a Kubernetes call failed with this HTTP status. */
export function hasStatus(error: unknown, code: number): boolean {
  return error instanceof ApiException && error.code === code;
}

/**
 * Reads and writes `fn`'s object again until its write does not race another writer, at most
 * a few times.
 */
export async function retryConflicts(
  what: string,
  fn: () => Promise<void>,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await fn();
      return;
    } catch (error) {
      if (!hasStatus(error, 409)) throw error;
      if (attempt >= CONFLICT_ATTEMPTS) {
        throw new ConflictError(
          `${what} kept changing while Sentinel wrote it; try again`,
        );
      }
    }
  }
}

/** The canary Service that both routers send the candidate's share of traffic to. */
export class CanaryServices {
  readonly #core: CoreV1Api;
  readonly #retry: RetryOptions;

  constructor(core: CoreV1Api, retry: RetryOptions) {
    this.#core = core;
    this.#retry = retry;
  }

  /** Creates the canary Service from the stable one, or brings it up to date. */
  async ensure(route: TrafficRoute, stableService: string): Promise<void> {
    const namespace = route.namespace;
    const stable = await this.#read(namespace, stableService);
    if (!stable) {
      throw new NotFoundError(
        `no Service ${stableService} in ${namespace} to copy for ${route.candidate}`,
      );
    }
    const desired = canaryService(stable, route);
    const what = `Service ${route.candidate} in ${namespace}`;
    await retryConflicts(what, async () => {
      const current = await this.#read(namespace, route.candidate);
      if (!current) {
        await withRetry(
          () =>
            this.#core.createNamespacedService({ namespace, body: desired }),
          this.#retry,
        );
        return;
      }
      if (!isSentinels(current.metadata, route)) {
        throw new ConflictError(
          `${what} exists and is not Sentinel's; refusing to take it over`,
        );
      }
      if (isUpToDate(current, desired)) return;
      await withRetry(
        () =>
          this.#core.replaceNamespacedService({
            name: route.candidate,
            namespace,
            body: updatedService(current, desired),
          }),
        this.#retry,
      );
    });
  }

  /** Deletes the canary Service when it is Sentinel's; one already gone is fine. */
  async remove(route: TrafficRoute): Promise<void> {
    const namespace = route.namespace;
    const current = await this.#read(namespace, route.candidate);
    if (!current || !isSentinels(current.metadata, route)) return;
    try {
      await withRetry(
        () =>
          this.#core.deleteNamespacedService({
            name: route.candidate,
            namespace,
            body: { preconditions: { uid: current.metadata?.uid } },
          }),
        this.#retry,
      );
    } catch (error) {
      if (!hasStatus(error, 404)) throw error;
    }
  }

  async #read(namespace: string, name: string): Promise<V1Service | undefined> {
    try {
      return await withRetry(
        () => this.#core.readNamespacedService({ name, namespace }),
        this.#retry,
      );
    } catch (error) {
      if (hasStatus(error, 404)) return undefined;
      throw error;
    }
  }
}
