import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  CoreV1Api,
  type KubeConfig,
  NetworkingV1Api,
  type V1Ingress,
  type V1IngressBackend,
} from '@kubernetes/client-node';
import type {
  TrafficRoute,
  TrafficRouter,
} from '@internal/backstage-plugin-sentinel-node';
import type { RetryOptions } from '../../kubernetes/retry';
import { ROLLOUT_ID_ANNOTATION } from '@internal/backstage-plugin-sentinel-node';
import {
  CanaryServices,
  checkCluster,
  checkWeight,
  DEFAULT_RETRY,
  hasStatus,
  isSentinels,
  resolveName,
  retryConflicts,
  sameJson,
  sentinelLabels,
  sentinelSelector,
  type TrafficRouterOptions,
} from './canaryService';
import { withRetry } from '../../kubernetes/retry';

export const NGINX_CANARY_ANNOTATION = 'nginx.ingress.kubernetes.io/canary';
export const NGINX_CANARY_WEIGHT_ANNOTATION =
  'nginx.ingress.kubernetes.io/canary-weight';
const NGINX_PREFIX = 'nginx.ingress.kubernetes.io/';
/** The ingress class of Ingresses older than `spec.ingressClassName`. */
const INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

export interface NginxIngressRouterOptions extends TrafficRouterOptions {
  /**
   * The stable Ingress: a name, or a function of the route. By default the one Ingress in the
   * namespace (not itself a canary) with a backend that is the stable Service.
   */
  ingress?: string | ((route: TrafficRoute) => string | undefined);
}

/** Whether an Ingress sends any request to the Service. Pure. */
export function ingressRoutesTo(ingress: V1Ingress, service: string): boolean {
  return (
    ingress.spec?.defaultBackend?.service?.name === service ||
    (ingress.spec?.rules ?? []).some(rule =>
      (rule.http?.paths ?? []).some(
        path => path.backend?.service?.name === service,
      ),
    )
  );
}

/** Whether an Ingress is an NGINX canary (beside a stable one), not a stable Ingress. Pure. */
export function isNginxCanary(ingress: V1Ingress): boolean {
  return ingress.metadata?.annotations?.[NGINX_CANARY_ANNOTATION] === 'true';
}

/** The canary Ingress beside the stable Ingress `stable`, for the candidate `candidate`. */
export function canaryIngressName(stable: string, candidate: string): string {
  return `${stable}-${candidate}`;
}

/**
 * The canary Ingress: the stable Ingress's hosts, paths and TLS, but only the paths that go to
 * the stable Service, sent to the canary Service (named like the candidate, same port), with
 * NGINX's canary annotations sending it `weight` % of their requests. Other paths are left
 * out: NGINX allows one canary per host and path, and another workload's rollout may need it.
 * Pure.
 */
export function canaryIngress(
  stableIngress: V1Ingress,
  options: { route: TrafficRoute; service: string; weight: number },
): V1Ingress {
  const { route, service, weight } = options;
  // Plain JSON: no undefined fields or class prototypes from client-node.
  const stable: V1Ingress = JSON.parse(JSON.stringify(stableIngress));
  const toCanary = (backend: V1IngressBackend | undefined) =>
    backend?.service?.name === service
      ? { service: { name: route.candidate, port: backend.service.port } }
      : undefined;
  const annotations = Object.fromEntries(
    Object.entries(stable.metadata?.annotations ?? {}).filter(
      ([key]) =>
        key === INGRESS_CLASS_ANNOTATION ||
        (key.startsWith(NGINX_PREFIX) &&
          !key.startsWith(`${NGINX_PREFIX}canary`)),
    ),
  );
  const rules = (stable.spec?.rules ?? []).flatMap(rule => {
    const paths = (rule.http?.paths ?? []).flatMap(path => {
      const backend = toCanary(path.backend);
      return backend ? [{ ...path, backend }] : [];
    });
    return paths.length ? [{ ...rule, http: { paths } }] : [];
  });
  const defaultBackend = toCanary(stable.spec?.defaultBackend);
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: canaryIngressName(stable.metadata?.name ?? '', route.candidate),
      namespace: route.namespace,
      labels: { ...stable.metadata?.labels, ...sentinelLabels(route) },
      annotations: {
        ...annotations,
        [ROLLOUT_ID_ANNOTATION]: route.rolloutId,
        [NGINX_CANARY_ANNOTATION]: 'true',
        [NGINX_CANARY_WEIGHT_ANNOTATION]: String(weight),
      },
    },
    spec: {
      ...(stable.spec?.ingressClassName && {
        ingressClassName: stable.spec.ingressClassName,
      }),
      ...(defaultBackend && { defaultBackend }),
      ...(stable.spec?.tls && { tls: stable.spec.tls }),
      ...(rules.length > 0 && { rules }),
    },
  };
}

/**
 * Splits traffic with the NGINX Ingress controller's canary annotations: beside the stable
 * Ingress, a canary Ingress with `nginx.ingress.kubernetes.io/canary: "true"` and
 * `canary-weight: "<weight>"` sends that share of its requests to a canary Service that
 * selects only the candidate's pods. The stable Ingress and Service are never changed.
 */
export class NginxIngressRouter implements TrafficRouter {
  readonly name = 'nginx';
  readonly #networking: NetworkingV1Api;
  readonly #services: CanaryServices;
  readonly #retry: RetryOptions;
  readonly #options: NginxIngressRouterOptions;

  constructor(
    readonly cluster: string,
    kubeConfig: KubeConfig,
    options: NginxIngressRouterOptions = {},
  ) {
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#networking = kubeConfig.makeApiClient(NetworkingV1Api);
    this.#services = new CanaryServices(
      kubeConfig.makeApiClient(CoreV1Api),
      this.#retry,
    );
    this.#options = options;
  }

  async setWeight(route: TrafficRoute, weight: number): Promise<void> {
    checkCluster(this, route);
    checkWeight(weight);
    const service = resolveName(this.#options.service, route) ?? route.workload;
    const stable = await this.#stableIngress(route, service);
    // The Service first, so that the canary Ingress never points at nothing.
    await this.#services.ensure(route, service);
    await this.#ensureCanary(
      route,
      canaryIngress(stable, { route, service, weight }),
    );
  }

  async reset(route: TrafficRoute): Promise<void> {
    checkCluster(this, route);
    const namespace = route.namespace;
    // Found by label, not by name: the stable Ingress may have changed or gone since.
    const canaries = await withRetry(
      () =>
        this.#networking.listNamespacedIngress({
          namespace,
          labelSelector: sentinelSelector(route),
        }),
      this.#retry,
    );
    for (const ingress of canaries.items) {
      try {
        await withRetry(
          () =>
            this.#networking.deleteNamespacedIngress({
              name: ingress.metadata?.name ?? '',
              namespace,
              body: { preconditions: { uid: ingress.metadata?.uid } },
            }),
          this.#retry,
        );
      } catch (error) {
        if (!hasStatus(error, 404)) throw error;
      }
    }
    await this.#services.remove(route);
  }

  async #stableIngress(route: TrafficRoute, service: string) {
    const namespace = route.namespace;
    const name = resolveName(this.#options.ingress, route);
    if (name) {
      let ingress: V1Ingress;
      try {
        ingress = await withRetry(
          () => this.#networking.readNamespacedIngress({ name, namespace }),
          this.#retry,
        );
      } catch (error) {
        if (hasStatus(error, 404)) {
          throw new NotFoundError(`no Ingress ${name} in ${namespace}`);
        }
        throw error;
      }
      if (!ingressRoutesTo(ingress, service)) {
        throw new InputError(
          `Ingress ${name} in ${namespace} does not route to Service ${service}`,
        );
      }
      return ingress;
    }
    const all = await withRetry(
      () => this.#networking.listNamespacedIngress({ namespace }),
      this.#retry,
    );
    const found = all.items.filter(
      ingress => !isNginxCanary(ingress) && ingressRoutesTo(ingress, service),
    );
    if (found.length === 0) {
      throw new NotFoundError(
        `no Ingress in ${namespace} routes to Service ${service}`,
      );
    }
    if (found.length > 1) {
      throw new InputError(
        `Ingresses ${found
          .map(i => i.metadata?.name)
          .join(
            ', ',
          )} in ${namespace} all route to Service ${service}; name the one to use in the nginx router's options`,
      );
    }
    return found[0];
  }

  async #ensureCanary(route: TrafficRoute, desired: V1Ingress) {
    const namespace = route.namespace;
    const name = desired.metadata?.name ?? '';
    const what = `Ingress ${name} in ${namespace}`;
    await retryConflicts(what, async () => {
      let current: V1Ingress | undefined;
      try {
        current = await withRetry(
          () => this.#networking.readNamespacedIngress({ name, namespace }),
          this.#retry,
        );
      } catch (error) {
        if (!hasStatus(error, 404)) throw error;
      }
      if (!current) {
        await withRetry(
          () =>
            this.#networking.createNamespacedIngress({
              namespace,
              body: desired,
            }),
          this.#retry,
        );
        return;
      }
      if (!isSentinels(current.metadata, route)) {
        throw new ConflictError(
          `${what} exists and is not Sentinel's; refusing to take it over`,
        );
      }
      const existing = current;
      const labels = {
        ...existing.metadata?.labels,
        ...desired.metadata?.labels,
      };
      if (
        sameJson(existing.spec, desired.spec) &&
        sameJson(
          existing.metadata?.annotations,
          desired.metadata?.annotations,
        ) &&
        sameJson(existing.metadata?.labels, labels)
      ) {
        return;
      }
      await withRetry(
        () =>
          this.#networking.replaceNamespacedIngress({
            name,
            namespace,
            body: {
              ...existing,
              metadata: {
                ...existing.metadata,
                labels,
                annotations: desired.metadata?.annotations,
              },
              spec: desired.spec,
            },
          }),
        this.#retry,
      );
    });
  }
}
