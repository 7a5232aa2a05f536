import type { AuthService } from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { stringifyEntityRef } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  parseWorkloadsAnnotation,
  SENTINEL_WORKLOADS_ANNOTATION,
  stringifyWorkloadRef,
  type WorkloadRef,
} from '@internal/backstage-plugin-sentinel-common';

/** Which catalog entity manages which workload, from the `sentinel.io/workloads` annotation. */
export interface WorkloadOwnership {
  entityRefFor(target: WorkloadRef): Promise<string | undefined>;
}

/**
 * Reads the workloads annotation of every catalog entity that has one, and keeps the map for
 * a short while so a burst of submissions costs one catalog query.
 */
export class CatalogWorkloadIndex implements WorkloadOwnership {
  #cache?: { at: number; map: Promise<Map<string, string>> };

  constructor(
    private readonly catalog: CatalogService,
    private readonly auth: AuthService,
    private readonly ttlMs = 15_000,
  ) {}

  async entityRefFor(target: WorkloadRef): Promise<string | undefined> {
    const key = stringifyWorkloadRef(target);
    const found = (await this.#map()).get(key);
    // A service annotated a moment ago must not be refused for a whole TTL: on a miss, look
    // again unless the map was just read.
    if (found || !this.#cache || Date.now() - this.#cache.at < 1_000) {
      return found;
    }
    this.#cache = undefined;
    return (await this.#map()).get(key);
  }

  #map(): Promise<Map<string, string>> {
    const now = Date.now();
    if (!this.#cache || now - this.#cache.at > this.ttlMs) {
      const map = this.#load();
      this.#cache = { at: now, map };
      // A failed load must not be cached.
      map.catch(() => {
        if (this.#cache?.map === map) this.#cache = undefined;
      });
    }
    return this.#cache.map;
  }

  async #load(): Promise<Map<string, string>> {
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
        ],
      },
      { credentials: await this.auth.getOwnServiceCredentials() },
    );
    const map = new Map<string, string>();
    for (const entity of items) {
      const { refs } = parseWorkloadsAnnotation(
        entity.metadata.annotations?.[SENTINEL_WORKLOADS_ANNOTATION],
      );
      for (const ref of refs) {
        map.set(stringifyWorkloadRef(ref), stringifyEntityRef(entity));
      }
    }
    return map;
  }
}
