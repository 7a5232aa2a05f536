import type { LoggerService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import {
  AppsV1Api,
  type KubeConfig,
  makeInformer,
  type V1Deployment,
  type V1StatefulSet,
} from '@kubernetes/client-node';
import type { WorkloadOwnership } from '../pipeline/WorkloadCatalogIndex';

/** One workload as GET /v1/workloads returns it (API-CONTRACT.md). */
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
  health: { score: number } | null;
  lastPlanId: string | null;
}

type Workload = V1Deployment | V1StatefulSet;
type Cache = { list(): Workload[] };

/**
 * Every Deployment and StatefulSet of every configured cluster, kept by list+watch informers
 * (resourceVersion, re-list after 410 Gone), so reading workloads never calls an API server and
 * an out-of-band change (`kubectl scale`) shows as soon as its watch event arrives.
 */
export class WorkloadInventory {
  readonly #caches: {
    cluster: string;
    kind: InventoryWorkload['kind'];
    cache: Cache & { start(): Promise<void>; stop(): Promise<void> };
  }[] = [];

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
        informer.on('error', (error: unknown) => {
          this.logger.warn(
            `Workload inventory of ${name} (${kind}): ${error}; re-listing`,
          );
          // The informer stops on an error; start again after a pause (re-lists).
          setTimeout(() => informer.start().catch(() => {}), 2_000).unref?.();
        });
        this.#caches.push({ cluster: name, kind, cache: informer as any });
      }
    }
  }

  async start(): Promise<void> {
    await Promise.all(this.#caches.map(c => c.cache.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.#caches.map(c => c.cache.stop()));
  }

  /** Workloads sorted by cluster/namespace/Kind/name, filtered, a page at a time. */
  async list(
    filter: { entityRef?: string; cluster?: string; namespace?: string },
    page: { limit: number; cursor?: string },
  ): Promise<{ items: InventoryWorkload[]; nextCursor: string | null }> {
    const after =
      page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    const { owners } = await this.ownership.snapshot();
    const all: InventoryWorkload[] = [];
    for (const { cluster, kind, cache } of this.#caches) {
      if (filter.cluster && filter.cluster !== cluster) continue;
      for (const object of cache.list()) {
        const namespace = object.metadata?.namespace ?? '';
        if (filter.namespace && filter.namespace !== namespace) continue;
        const name = object.metadata?.name ?? '';
        const entityRef =
          owners.get(`${cluster}/${namespace}/${kind}/${name}`) ?? null;
        if (filter.entityRef && filter.entityRef !== entityRef) continue;
        all.push(toItem(cluster, kind, object, entityRef));
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
  };
}
