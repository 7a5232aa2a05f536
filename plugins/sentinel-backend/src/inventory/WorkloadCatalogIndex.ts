import type { AuthService } from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import {
  parseEntityRef,
  RELATION_OWNED_BY,
  stringifyEntityRef,
  type Entity,
} from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  parseWorkloadsAnnotation,
  SENTINEL_CANARY_ANALYSIS_ANNOTATION,
  SENTINEL_CANARY_STEPS_ANNOTATION,
  SENTINEL_ROLLBACK_POLICY_ANNOTATION,
  SENTINEL_ROLLOUT_STRATEGY_ANNOTATION,
  SENTINEL_TRAFFIC_ROUTER_ANNOTATION,
  SENTINEL_WORKLOADS_ANNOTATION,
  stringifyWorkloadRef,
  type WorkloadRef,
} from '@internal/backstage-plugin-sentinel-common';

/** What the catalog says about managed workloads. */
export interface CatalogWorkloads {
  /** The entity that manages each workload, by `cluster/namespace/Kind/name`. */
  owners: Map<string, string>;
  /** The owners of each managing entity (its ownedBy relations), by entity ref. */
  entityOwners?: Map<string, string[]>;
  /** The labels of each managing entity, by entity ref. */
  labels: Map<string, Record<string, string>>;
  /** The `sentinel.io/rollback-policy` annotation of each managing entity that has one. */
  rollbackPolicies?: Map<string, string>;
  /** The `sentinel.io/canary-steps` annotation of each managing entity that has one. */
  canarySteps?: Map<string, string>;
  /** The `sentinel.io/canary-analysis` annotation of each managing entity that has one. */
  canaryAnalysis?: Map<string, string>;
  /** The `sentinel.io/rollout-strategy` annotation of each managing entity that has one. */
  rolloutStrategies?: Map<string, string>;
  /** The `sentinel.io/traffic-router` annotation of each managing entity that has one. */
  trafficRouters?: Map<string, string>;
}

/** Which catalog entity manages which workload, from the `sentinel.io/workloads` annotation. */
export interface WorkloadOwnership {
  entityRefFor(target: WorkloadRef): Promise<string | undefined>;
  snapshot(): Promise<CatalogWorkloads>;
}

/**
 * Reads the workloads annotation of every catalog entity that has one, and keeps the result
 * for a short while so a burst of submissions costs one catalog query.
 */
export class CatalogWorkloadIndex implements WorkloadOwnership {
  #cache?: { at: number; value: Promise<CatalogWorkloads> };

  constructor(
    private readonly catalog: CatalogService,
    private readonly auth: AuthService,
    private readonly ttlMs = 15_000,
  ) {}

  async entityRefFor(target: WorkloadRef): Promise<string | undefined> {
    const key = stringifyWorkloadRef(target);
    const found = (await this.snapshot()).owners.get(key);
    // A service annotated a moment ago must not be refused for a whole TTL: on a miss, look
    // again unless the catalog was just read.
    if (found || !this.#cache || Date.now() - this.#cache.at < 1_000) {
      return found;
    }
    this.#cache = undefined;
    return (await this.snapshot()).owners.get(key);
  }

  /**
   * The catalog's workloads. Once read, a stale copy is served while a fresh one loads in the
   * background, so no request waits for the catalog after the first.
   */
  snapshot(): Promise<CatalogWorkloads> {
    const now = Date.now();
    if (!this.#cache) {
      const value = this.#load();
      this.#cache = { at: now, value };
      // A failed load must not be cached.
      value.catch(() => {
        if (this.#cache?.value === value) this.#cache = undefined;
      });
    } else if (now - this.#cache.at > this.ttlMs && !this.#refreshing) {
      const cache = this.#cache;
      this.#refreshing = this.#load()
        .then(fresh => {
          if (this.#cache === cache) {
            this.#cache = { at: Date.now(), value: Promise.resolve(fresh) };
          }
        })
        .catch(() => {
          // Keep serving the last good copy; the next request tries again.
          cache.at = Date.now() - this.ttlMs + 1_000;
        })
        .finally(() => {
          this.#refreshing = undefined;
        });
    }
    return this.#cache.value;
  }

  #refreshing?: Promise<void>;

  async #load(): Promise<CatalogWorkloads> {
    const { items } = await this.catalog.getEntities(
      {
        filter: {
          [`metadata.annotations.${SENTINEL_WORKLOADS_ANNOTATION}`]:
            CATALOG_FILTER_EXISTS,
        },
        fields: [
          'kind',
          'metadata.name',
          'metadata.namespace',
          'metadata.annotations',
          'metadata.labels',
          'spec.owner',
          'relations',
        ],
      },
      { credentials: await this.auth.getOwnServiceCredentials() },
    );
    const owners = new Map<string, string>();
    const labels = new Map<string, Record<string, string>>();
    const entityOwners = new Map<string, string[]>();
    const rollbackPolicies = new Map<string, string>();
    const canarySteps = new Map<string, string>();
    const canaryAnalysis = new Map<string, string>();
    const rolloutStrategies = new Map<string, string>();
    const trafficRouters = new Map<string, string>();
    for (const entity of items) {
      const ref = stringifyEntityRef(entity);
      labels.set(ref, entity.metadata.labels ?? {});
      entityOwners.set(ref, ownersOf(entity));
      const policy =
        entity.metadata.annotations?.[SENTINEL_ROLLBACK_POLICY_ANNOTATION];
      if (policy) rollbackPolicies.set(ref, policy.trim());
      const steps =
        entity.metadata.annotations?.[SENTINEL_CANARY_STEPS_ANNOTATION];
      if (steps) canarySteps.set(ref, steps);
      const analysis =
        entity.metadata.annotations?.[SENTINEL_CANARY_ANALYSIS_ANNOTATION];
      if (analysis) canaryAnalysis.set(ref, analysis);
      const strategy =
        entity.metadata.annotations?.[SENTINEL_ROLLOUT_STRATEGY_ANNOTATION];
      if (strategy) rolloutStrategies.set(ref, strategy);
      const router =
        entity.metadata.annotations?.[SENTINEL_TRAFFIC_ROUTER_ANNOTATION];
      if (router) trafficRouters.set(ref, router);
      const { refs } = parseWorkloadsAnnotation(
        entity.metadata.annotations?.[SENTINEL_WORKLOADS_ANNOTATION],
      );
      for (const workload of refs) {
        owners.set(stringifyWorkloadRef(workload), ref);
      }
    }
    return {
      owners,
      labels,
      entityOwners,
      rollbackPolicies,
      canarySteps,
      canaryAnalysis,
      rolloutStrategies,
      trafficRouters,
    };
  }
}

/** The entity's owners: its ownedBy relations, or `spec.owner` before the catalog relates it. */
function ownersOf(entity: Entity): string[] {
  const related = (entity.relations ?? [])
    .filter(r => r.type === RELATION_OWNED_BY)
    .map(r => r.targetRef);
  if (related.length) return related;
  const owner = entity.spec?.owner;
  if (typeof owner !== 'string' || !owner) return [];
  try {
    return [
      stringifyEntityRef(
        parseEntityRef(owner, {
          defaultKind: 'group',
          defaultNamespace: entity.metadata.namespace ?? 'default',
        }),
      ),
    ];
  } catch {
    return [];
  }
}
