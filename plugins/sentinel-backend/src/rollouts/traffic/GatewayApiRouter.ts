import { InputError, NotFoundError } from '@backstage/errors';
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
} from '@kubernetes/client-node';
import type {
  TrafficRoute,
  TrafficRouter,
} from '@internal/backstage-plugin-sentinel-node';
import type { RetryOptions } from '../../kubernetes/retry';
import {
  CanaryServices,
  checkCluster,
  checkWeight,
  DEFAULT_RETRY,
  hasStatus,
  resolveName,
  retryConflicts,
  sameJson,
  type TrafficRouterOptions,
} from './canaryService';
import { withRetry } from '../../kubernetes/retry';

/**
 * On an HTTPRoute Sentinel splits, the weights its backendRefs to stable Services had before:
 * JSON `{ "<service>": { "<rule index>/<backendRef index>": <weight> | null } }` (null: no
 * weight), so that a reset puts them back exactly.
 */
export const STABLE_WEIGHTS_ANNOTATION = 'sentinel.io/stable-weights';

const HTTP_ROUTES = {
  group: 'gateway.networking.k8s.io',
  version: 'v1',
  plural: 'httproutes',
};

/** A backendRef of an HTTPRoute rule; fields Sentinel does not read are kept as they are. */
export interface HTTPBackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
  [field: string]: unknown;
}

/** The parts of a gateway.networking.k8s.io/v1 HTTPRoute that Sentinel reads and writes. */
export interface HTTPRoute {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  spec?: {
    rules?: Array<{ backendRefs?: HTTPBackendRef[]; [field: string]: unknown }>;
    [field: string]: unknown;
  };
  [field: string]: unknown;
}

export interface GatewayApiRouterOptions extends TrafficRouterOptions {
  /**
   * The HTTPRoute: a name, or a function of the route. By default the one HTTPRoute in the
   * namespace with a backendRef to the stable Service.
   */
  httpRoute?: string | ((route: TrafficRoute) => string | undefined);
}

/** Whether a backendRef is the Service `service` in `namespace` (the route's). Pure. */
export function isServiceRef(
  ref: HTTPBackendRef,
  service: string,
  namespace: string | undefined,
): boolean {
  return (
    ref.name === service &&
    (ref.group ?? '') === '' &&
    (ref.kind ?? 'Service') === 'Service' &&
    (ref.namespace ?? namespace) === namespace
  );
}

/** Whether any rule of an HTTPRoute has a backendRef to the Service. Pure. */
export function httpRouteRoutesTo(route: HTTPRoute, service: string): boolean {
  return (route.spec?.rules ?? []).some(rule =>
    (rule.backendRefs ?? []).some(ref =>
      isServiceRef(ref, service, route.metadata.namespace),
    ),
  );
}

type StableWeights = Record<string, Record<string, number | null>>;

function stableWeights(route: HTTPRoute): StableWeights {
  const value = route.metadata.annotations?.[STABLE_WEIGHTS_ANNOTATION];
  if (value === undefined) return {};
  try {
    return JSON.parse(value);
  } catch {
    throw new InputError(
      `HTTPRoute ${route.metadata.name} in ${route.metadata.namespace}: its ${STABLE_WEIGHTS_ANNOTATION} annotation is not JSON`,
    );
  }
}

/**
 * The HTTPRoute with `weight` % of every rule that goes to the Service `service` sent to
 * `canary`: the stable backendRef gets weight 100 - `weight`, and a copy of it (same port,
 * filters) named `canary`, appended to the rule, gets `weight`. The first call records the
 * stable backendRefs' weights in an annotation, for `restoredRoute`. Other backendRefs keep
 * their weights (Gateway API weights are relative, so they then share the rule with both).
 * Pure.
 */
export function weightedRoute(
  route: HTTPRoute,
  options: { service: string; canary: string; weight: number },
): HTTPRoute {
  const { service, canary, weight } = options;
  const next: HTTPRoute = structuredClone(route);
  const namespace = next.metadata.namespace;
  const saved = stableWeights(next);
  const record = saved[service] ?? {};
  (next.spec?.rules ?? []).forEach((rule, i) => {
    const refs = rule.backendRefs ?? [];
    const stable = refs.flatMap((ref, j) =>
      isServiceRef(ref, service, namespace) ? [{ ref, j }] : [],
    );
    for (const { ref, j } of stable) {
      if (!saved[service]) record[`${i}/${j}`] = ref.weight ?? null;
      ref.weight = 100 - weight;
      const existing = refs.find(
        r => isServiceRef(r, canary, namespace) && r.port === ref.port,
      );
      if (existing) {
        existing.weight = weight;
      } else {
        refs.push({ ...structuredClone(ref), name: canary, weight });
      }
    }
  });
  next.metadata.annotations = {
    ...next.metadata.annotations,
    [STABLE_WEIGHTS_ANNOTATION]: JSON.stringify({
      ...saved,
      [service]: record,
    }),
  };
  return next;
}

/**
 * The HTTPRoute as it was before `weightedRoute`: the backendRefs to `canary` removed, the
 * stable backendRefs' weights as recorded, the record removed. Pure.
 */
export function restoredRoute(
  route: HTTPRoute,
  options: { service: string; canary: string },
): HTTPRoute {
  const { service, canary } = options;
  const next: HTTPRoute = structuredClone(route);
  const namespace = next.metadata.namespace;
  const saved = stableWeights(next);
  const rules = next.spec?.rules ?? [];
  for (const [key, weight] of Object.entries(saved[service] ?? {})) {
    const [i, j] = key.split('/').map(Number);
    const ref = rules[i]?.backendRefs?.[j];
    if (!ref || !isServiceRef(ref, service, namespace)) continue;
    if (weight === null) {
      delete ref.weight;
    } else {
      ref.weight = weight;
    }
  }
  for (const rule of rules) {
    if (rule.backendRefs) {
      rule.backendRefs = rule.backendRefs.filter(
        ref => !isServiceRef(ref, canary, namespace),
      );
    }
  }
  delete saved[service];
  const annotations = { ...next.metadata.annotations };
  if (Object.keys(saved).length > 0) {
    annotations[STABLE_WEIGHTS_ANNOTATION] = JSON.stringify(saved);
  } else {
    delete annotations[STABLE_WEIGHTS_ANNOTATION];
  }
  if (Object.keys(annotations).length > 0) {
    next.metadata.annotations = annotations;
  } else {
    delete next.metadata.annotations;
  }
  return next;
}

function notRouting(name: string, namespace: string, service: string) {
  return new InputError(
    `HTTPRoute ${name} in ${namespace} does not route to Service ${service}`,
  );
}

/**
 * Splits traffic with Gateway API backendRef weights: the rules of the stable HTTPRoute that
 * go to the stable Service get a second backendRef, a canary Service that selects only the
 * candidate's pods, with weight `weight` beside the stable Service's 100 - `weight`. A reset
 * puts the HTTPRoute back as it was.
 */
export class GatewayApiRouter implements TrafficRouter {
  readonly name = 'gateway-api';
  readonly #custom: CustomObjectsApi;
  readonly #services: CanaryServices;
  readonly #retry: RetryOptions;
  readonly #options: GatewayApiRouterOptions;

  constructor(
    readonly cluster: string,
    kubeConfig: KubeConfig,
    options: GatewayApiRouterOptions = {},
  ) {
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.#services = new CanaryServices(
      kubeConfig.makeApiClient(CoreV1Api),
      this.#retry,
    );
    this.#options = options;
  }

  async setWeight(route: TrafficRoute, weight: number): Promise<void> {
    checkCluster(this, route);
    checkWeight(weight);
    const service = this.#service(route);
    const name = await this.#stableRoute(route, service);
    // The Service first, so that the backendRef never points at nothing.
    await this.#services.ensure(route, service);
    await this.#update(route.namespace, name, current => {
      if (!httpRouteRoutesTo(current, service)) {
        throw notRouting(name, route.namespace, service);
      }
      return weightedRoute(current, {
        service,
        canary: route.candidate,
        weight,
      });
    });
  }

  async reset(route: TrafficRoute): Promise<void> {
    checkCluster(this, route);
    const service = this.#service(route);
    const namespace = route.namespace;
    const named = resolveName(this.#options.httpRoute, route);
    const names = named
      ? [named]
      : (await this.#list(namespace))
          .filter(
            r =>
              httpRouteRoutesTo(r, route.candidate) ||
              // A substring test, not a parse: another route's broken record must not fail this reset.
              r.metadata.annotations?.[STABLE_WEIGHTS_ANNOTATION]?.includes(
                JSON.stringify(service),
              ),
          )
          .map(r => r.metadata.name ?? '');
    for (const name of names) {
      await this.#update(
        namespace,
        name,
        current => restoredRoute(current, { service, canary: route.candidate }),
        true,
      );
    }
    await this.#services.remove(route);
  }

  #service(route: TrafficRoute): string {
    return resolveName(this.#options.service, route) ?? route.workload;
  }

  async #list(namespace: string): Promise<HTTPRoute[]> {
    const list = await withRetry(
      () =>
        this.#custom.listNamespacedCustomObject({ ...HTTP_ROUTES, namespace }),
      this.#retry,
    );
    return list.items ?? [];
  }

  /** The name of the HTTPRoute to split. */
  async #stableRoute(route: TrafficRoute, service: string): Promise<string> {
    const namespace = route.namespace;
    const named = resolveName(this.#options.httpRoute, route);
    if (named) {
      let current: HTTPRoute;
      try {
        current = await withRetry(
          () =>
            this.#custom.getNamespacedCustomObject({
              ...HTTP_ROUTES,
              namespace,
              name: named,
            }),
          this.#retry,
        );
      } catch (error) {
        if (hasStatus(error, 404)) {
          throw new NotFoundError(`no HTTPRoute ${named} in ${namespace}`);
        }
        throw error;
      }
      if (!httpRouteRoutesTo(current, service)) {
        throw notRouting(named, namespace, service);
      }
      return named;
    }
    const found = (await this.#list(namespace)).filter(r =>
      httpRouteRoutesTo(r, service),
    );
    if (found.length === 0) {
      throw new NotFoundError(
        `no HTTPRoute in ${namespace} routes to Service ${service}`,
      );
    }
    if (found.length > 1) {
      throw new InputError(
        `HTTPRoutes ${found
          .map(r => r.metadata.name)
          .join(
            ', ',
          )} in ${namespace} all route to Service ${service}; name the one to use in the gateway-api router's options`,
      );
    }
    return found[0].metadata.name ?? '';
  }

  /**
   * Writes `change(current)` over the HTTPRoute unless it is already so, with its
   * resourceVersion as precondition; on a conflict reads it again. An HTTPRoute that does not
   * exist is an error unless `missingIsFine`.
   */
  async #update(
    namespace: string,
    name: string,
    change: (current: HTTPRoute) => HTTPRoute,
    missingIsFine = false,
  ): Promise<void> {
    const what = `HTTPRoute ${name} in ${namespace}`;
    await retryConflicts(what, async () => {
      let current: HTTPRoute;
      try {
        current = await withRetry(
          () =>
            this.#custom.getNamespacedCustomObject({
              ...HTTP_ROUTES,
              namespace,
              name,
            }),
          this.#retry,
        );
      } catch (error) {
        if (!hasStatus(error, 404)) throw error;
        if (missingIsFine) return;
        throw new NotFoundError(`no HTTPRoute ${name} in ${namespace}`);
      }
      const desired = change(current);
      if (sameJson(desired, current)) return;
      await withRetry(
        () =>
          this.#custom.replaceNamespacedCustomObject({
            ...HTTP_ROUTES,
            namespace,
            name,
            body: desired,
          }),
        this.#retry,
      );
    });
  }
}
