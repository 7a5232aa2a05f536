import { MANAGED_BY_LABEL } from '@internal/backstage-plugin-sentinel-node';
import type { LoggerService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import {
  AppsV1Api,
  type Informer,
  type KubeConfig,
  makeInformer,
  type V1Deployment,
  type V1StatefulSet,
} from '@kubernetes/client-node';
import type { WorkloadRef } from '@internal/backstage-plugin-sentinel-common';
import type {
  RolloutStatus,
  WorkloadState,
} from '@internal/backstage-plugin-sentinel-node';
import type { WorkloadOwnership } from './WorkloadCatalogIndex';
import { rolloutStatusOf, toState } from '../kubernetes/workloadState';

/** One workload as GET /v1/workloads returns it (the OpenAPI document's Workload). */
export interface InventoryWorkload {
  cluster: string;
  namespace: string;
  kind: 'Deployment' | 'StatefulSet';
  name: string;
  entityRef: string | null;
  replicas: { desired: number; ready: number };
  containers: {
    name: string;
    image: string;
    resources: {
      requests?: Record<string, string>;
      limits?: Record<string, string>;
    };
  }[];
  /** The health score of the rollout in flight, if one runs. */
  health: { score: number; verdict: string } | null;
  lastPlanId: string | null;
  /** The canary or blue/green rollout in flight on it. */
  rollout: { id: string; phase: string; weight: number } | null;
}

type Workload = V1Deployment | V1StatefulSet;
type Cache = {
  list(): Workload[];
  get(name: string, namespace?: string): Workload | undefined;
};

/** A workload changed in a cluster: what the watch said, with its rollout as it stands. */
export interface WorkloadEvent {
  ref: WorkloadRef;
  rollout: RolloutStatus | undefined;
}

/** One informer of the inventory: a kind of workload in a cluster. */
interface CacheEntry {
  cluster: string;
  kind: InventoryWorkload['kind'];
  cache: Cache & { start(): Promise<void>; stop(): Promise<void> };
  /** Its list succeeded and its watch has not failed since: reads may trust it. */
  synced: boolean;
  /** An error came since it was last started. */
  failed: boolean;
  restart?: ReturnType<typeof setTimeout>;
}

/**
 * Every Deployment and StatefulSet of every configured cluster, kept by list+watch informers
 * (resourceVersion, re-list after 410 Gone), so reading workloads never calls an API server and
 * an out-of-band change (`kubectl scale`) shows as soon as its watch event arrives.
 */
export class WorkloadInventory {
  readonly #caches: CacheEntry[] = [];
  #stopped = false;
  readonly #listeners = new Set<(event: WorkloadEvent) => void>();

  constructor(
    clusters: { name: string; kubeConfig: KubeConfig }[],
    private readonly ownership: WorkloadOwnership,
    private readonly logger: LoggerService,
  ) {
    for (const { name, kubeConfig } of clusters) {
      const apps = kubeConfig.makeApiClient(AppsV1Api);
      const deployments = makeInformer<V1Deployment>(
        kubeConfig,
        '/apis/apps/v1/deployments',
        () => apps.listDeploymentForAllNamespaces(),
      );
      const statefulSets = makeInformer<V1StatefulSet>(
        kubeConfig,
        '/apis/apps/v1/statefulsets',
        () => apps.listStatefulSetForAllNamespaces(),
      );
      for (const [kind, informer] of [
        ['Deployment', deployments],
        ['StatefulSet', statefulSets],
      ] as const) {
        const events = informer as Informer<Workload>;
        events.on('add', object => this.#emit(name, kind, object, false));
        events.on('update', object => this.#emit(name, kind, object, false));
        events.on('delete', object => this.#emit(name, kind, object, true));
        const entry: CacheEntry = {
          cluster: name,
          kind,
          cache: informer as any,
          synced: false,
          failed: false,
        };
        informer.on('error', (error: unknown) => {
          // Until a list succeeds again the cache may be stale: readers ask the API server.
          entry.failed = true;
          entry.synced = false;
          if (this.#stopped) return;
          this.logger.warn(
            `Workload inventory of ${name} (${kind}) lost its watch; re-listing`,
            error instanceof Error ? error : undefined,
          );
          // The informer stops on an error; start again after a pause (re-lists).
          clearTimeout(entry.restart);
          entry.restart = setTimeout(() => void this.#startCache(entry), 2_000);
          entry.restart.unref?.();
        });
        this.#caches.push(entry);
      }
    }
  }

  async start(): Promise<void> {
    this.#stopped = false;
    await Promise.all(this.#caches.map(c => this.#startCache(c)));
  }

  /** Lists and watches; synced only when the list succeeded (a refused one emits an error). */
  async #startCache(entry: CacheEntry): Promise<void> {
    if (this.#stopped) return;
    entry.failed = false;
    await entry.cache.start().catch(() => {
      entry.failed = true;
    });
    entry.synced = !entry.failed && !this.#stopped;
  }

  /** Whether this inventory lists the workloads of `cluster` (it is configured and synced). */
  covers(cluster: string): boolean {
    const caches = this.#caches.filter(c => c.cluster === cluster);
    return caches.length > 0 && caches.every(c => c.synced);
  }

  /**
   * A workload as the last watch event showed it, without asking the API server; undefined
   * when the inventory has no entry for it (not synced yet, or no such workload).
   */
  state(ref: WorkloadRef): WorkloadState | undefined {
    const object = this.#object(ref);
    return object && toState(ref, object);
  }

  /** How the workload's latest change is rolling out, as the last watch event showed it. */
  rolloutStatus(ref: WorkloadRef): RolloutStatus | undefined {
    const object = this.#object(ref);
    return object && rolloutStatusOf(ref, object);
  }

  /** Calls `listener` for every watch event; returns how to stop. */
  onChange(listener: (event: WorkloadEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #object(ref: WorkloadRef): Workload | undefined {
    const entry = this.#caches.find(
      c => c.cluster === ref.cluster && c.kind === ref.kind && c.synced,
    );
    return entry?.cache.get(ref.name, ref.namespace);
  }

  #emit(
    cluster: string,
    kind: InventoryWorkload['kind'],
    object: Workload,
    deleted: boolean,
  ) {
    if (this.#listeners.size === 0) return;
    const ref = {
      cluster,
      namespace: object.metadata?.namespace ?? '',
      kind,
      name: object.metadata?.name ?? '',
    };
    const event = {
      ref,
      rollout: deleted ? undefined : rolloutStatusOf(ref, object),
    };
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.warn(
          'A workload inventory listener failed',
          error instanceof Error ? error : undefined,
        );
      }
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const c of this.#caches) clearTimeout(c.restart);
    await Promise.all(this.#caches.map(c => c.cache.stop()));
  }

  /** Workloads sorted by cluster/namespace/Kind/name, filtered, a page at a time. */
  async list(
    filter: { entityRef?: string; cluster?: string; namespace?: string },
    page: { limit: number; cursor?: string },
    visible: (item: InventoryWorkload) => boolean = () => true,
  ): Promise<{ items: InventoryWorkload[]; nextCursor: string | null }> {
    const after =
      page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    const { owners } = await this.ownership.snapshot();
    const all: InventoryWorkload[] = [];
    for (const { cluster, kind, cache } of this.#caches) {
      if (filter.cluster && filter.cluster !== cluster) continue;
      for (const object of cache.list()) {
        // A rollout's candidate belongs to its rollout, not to the list of workloads.
        if (object.metadata?.labels?.[MANAGED_BY_LABEL] === 'sentinel')
          continue;
        const namespace = object.metadata?.namespace ?? '';
        if (filter.namespace && filter.namespace !== namespace) continue;
        const name = object.metadata?.name ?? '';
        const entityRef =
          owners.get(`${cluster}/${namespace}/${kind}/${name}`) ?? null;
        if (filter.entityRef && filter.entityRef !== entityRef) continue;
        const item = toItem(cluster, kind, object, entityRef);
        if (visible(item)) all.push(item);
      }
    }
    const key = (w: InventoryWorkload) =>
      `${w.cluster}/${w.namespace}/${w.kind}/${w.name}`;
    // Code-unit order, the same the cursor compares with (keys are unique).
    all.sort((a, b) => (key(a) < key(b) ? -1 : 1));
    const start = after === undefined ? 0 : all.findIndex(w => key(w) > after);
    const items = start < 0 ? [] : all.slice(start, start + page.limit);
    const more = start >= 0 && start + page.limit < all.length;
    return {
      items,
      nextCursor: more
        ? Buffer.from(key(items[items.length - 1])).toString('base64url')
        : null,
    };
  }
}

function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (key.split('/').length !== 4) {
    throw new InputError('cursor: not a cursor this API returned');
  }
  return key;
}

function toItem(
  cluster: string,
  kind: InventoryWorkload['kind'],
  object: Workload,
  entityRef: string | null,
): InventoryWorkload {
  return {
    cluster,
    namespace: object.metadata?.namespace ?? '',
    kind,
    name: object.metadata?.name ?? '',
    entityRef,
    replicas: {
      desired: object.spec?.replicas ?? 1,
      ready: object.status?.readyReplicas ?? 0,
    },
    containers: (object.spec?.template?.spec?.containers ?? []).map(c => ({
      name: c.name,
      image: c.image ?? '',
      resources: {
        ...(c.resources?.requests && { requests: { ...c.resources.requests } }),
        ...(c.resources?.limits && { limits: { ...c.resources.limits } }),
      },
    })),
    health: null,
    lastPlanId: null,
    rollout: null,
  };
}
