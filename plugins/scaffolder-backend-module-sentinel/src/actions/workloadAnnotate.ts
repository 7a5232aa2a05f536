import {
  resolveSafeChildPath,
  type BackstageCredentials,
} from '@backstage/backend-plugin-api';
import { InputError, NotFoundError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  parseWorkloadRef,
  ROLLOUT_STRATEGIES,
  SENTINEL_ROLLBACK_POLICY_ANNOTATION,
  SENTINEL_ROLLOUT_STRATEGY_ANNOTATION,
  SENTINEL_WORKLOADS_ANNOTATION,
  stringifyWorkloadRef,
  type SentinelApi,
  type WorkloadRef,
} from '@internal/backstage-plugin-sentinel-common';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stringify } from 'yaml';
import {
  calling,
  sentinelAs,
  type SentinelCallerDeps,
} from '../sentinelCaller';
import { annotateCatalogInfo, unifiedDiff } from './catalogInfo';
import { workloadAnnotateExamples } from './workloadAnnotate.examples';

/** The workload references as refs, each checked; duplicates refused. */
export function parseWorkloadList(workloads: string[]): WorkloadRef[] {
  const refs = workloads.map((text, index) => {
    const parsed = parseWorkloadRef(text.trim());
    if ('error' in parsed) {
      throw new InputError(`workloads[${index}]: ${parsed.error}`);
    }
    return parsed.ref;
  });
  const keys = refs.map(stringifyWorkloadRef);
  const twice = keys.find((k, i) => keys.indexOf(k) !== i);
  if (twice) throw new InputError(`workloads: ${twice} is listed twice`);
  return refs;
}

/**
 * Every workload must exist in Sentinel's inventory (as the cluster reports it) and be
 * managed by no other catalog entity.
 */
export async function checkInventory(
  sentinel: Pick<SentinelApi, 'listWorkloads'>,
  refs: WorkloadRef[],
  entityRef: string | undefined,
): Promise<void> {
  const places = [...new Set(refs.map(r => `${r.cluster}/${r.namespace}`))];
  const known = new Map<string, string | null>();
  for (const place of places) {
    const [cluster, namespace] = place.split('/');
    const { items } = await calling(`listing workloads in ${place}`, () =>
      sentinel.listWorkloads({
        cluster,
        namespace,
        include: 'unmanaged',
        limit: 500,
      }),
    );
    for (const w of items) {
      known.set(stringifyWorkloadRef(w as WorkloadRef), w.entityRef);
    }
  }
  const problems = refs.flatMap(ref => {
    const key = stringifyWorkloadRef(ref);
    if (!known.has(key)) {
      return [
        `${key} is not in Sentinel's inventory (no such workload in cluster ${ref.cluster}, or the cluster is not configured)`,
      ];
    }
    const owner = known.get(key);
    if (owner && entityRef && owner !== entityRef) {
      return [`${key} is already managed by ${owner}`];
    }
    return [];
  });
  if (problems.length > 0) throw new InputError(problems.join('; '));
}

/** The entity as a catalog-info.yaml would declare it: without what the catalog adds. */
async function catalogInfoOf(
  catalog: CatalogService,
  entityRef: string,
  credentials: BackstageCredentials,
): Promise<string> {
  const entity = await catalog.getEntityByRef(entityRef, { credentials });
  if (!entity) throw new NotFoundError(`${entityRef} is not in the catalog`);
  const { uid: _uid, etag: _etag, ...metadata } = entity.metadata;
  const annotations = Object.fromEntries(
    Object.entries(metadata.annotations ?? {}).filter(
      ([k]) =>
        !k.startsWith('backstage.io/managed-by-') &&
        k !== 'backstage.io/view-url' &&
        k !== 'backstage.io/edit-url' &&
        k !== 'backstage.io/source-location',
    ),
  );
  return stringify({
    apiVersion: entity.apiVersion,
    kind: entity.kind,
    metadata: {
      ...metadata,
      annotations: Object.keys(annotations).length ? annotations : undefined,
    },
    spec: entity.spec,
  });
}

/**
 * `sentinel:workload:annotate`: puts a service's workloads under Sentinel by writing the
 * `sentinel.io/workloads` annotation (and optionally its rollout strategy and rollback policy)
 * into a catalog-info.yaml in the workspace, after checking that each workload exists.
 *
 * @public
 */
export function createWorkloadAnnotateAction(
  deps: SentinelCallerDeps & { catalog: CatalogService },
) {
  return createTemplateAction({
    id: 'sentinel:workload:annotate',
    description:
      "Adds or updates Sentinel's annotations (sentinel.io/workloads, rollout-strategy, rollback-policy) in a catalog-info.yaml in the workspace, checking each workload against Sentinel's inventory",
    examples: workloadAnnotateExamples,
    schema: {
      input: {
        entityRef: z =>
          z
            .string({
              description:
                'The service; its catalog-info.yaml is fetched from the catalog when the workspace has none',
            })
            .optional(),
        workloads: z =>
          z
            .array(z.string({ description: 'cluster/namespace/Kind/name' }))
            .min(1, 'at least one workload is needed'),
        strategy: z =>
          z
            .enum(ROLLOUT_STRATEGIES, {
              description: 'How rollouts go when a decision does not say',
            })
            .optional(),
        rollbackPolicy: z =>
          z
            .enum(['auto', 'manual', 'freeze'], {
              description: 'What a failed analysis does',
            })
            .optional(),
        filePath: z =>
          z
            .string({ description: 'Relative to the workspace' })
            .default('catalog-info.yaml'),
        checkInventory: z =>
          z
            .boolean({
              description: "Check each workload in Sentinel's inventory",
            })
            .default(true),
      },
      output: {
        filePath: z => z.string(),
        annotations: z => z.record(z.string(), z.string()),
        diff: z => z.string({ description: 'A unified diff of the file' }),
      },
    },
    async handler(ctx) {
      const { entityRef, strategy, rollbackPolicy } = ctx.input;
      const filePath = ctx.input.filePath ?? 'catalog-info.yaml';
      const refs = parseWorkloadList(ctx.input.workloads);
      const credentials = await ctx.getInitiatorCredentials();
      if (ctx.input.checkInventory !== false) {
        await checkInventory(
          await sentinelAs(deps, credentials),
          refs,
          entityRef,
        );
      }
      const path = resolveSafeChildPath(ctx.workspacePath, filePath);
      let before = '';
      if (existsSync(path)) {
        before = await readFile(path, 'utf8');
      } else if (entityRef) {
        before = await catalogInfoOf(deps.catalog, entityRef, credentials);
      } else {
        throw new InputError(
          `${filePath} is not in the workspace; fetch it first or give entityRef`,
        );
      }
      const annotations: Record<string, string> = {
        [SENTINEL_WORKLOADS_ANNOTATION]: refs
          .map(stringifyWorkloadRef)
          .join(', '),
        ...(strategy && { [SENTINEL_ROLLOUT_STRATEGY_ANNOTATION]: strategy }),
        ...(rollbackPolicy && {
          [SENTINEL_ROLLBACK_POLICY_ANNOTATION]: rollbackPolicy,
        }),
      };
      const after = annotateCatalogInfo(before, annotations, entityRef);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, after, 'utf8');
      const diff = unifiedDiff(filePath, before, after);
      ctx.logger.info(`Annotated ${filePath}:\n${diff}`);
      ctx.output('filePath', filePath);
      ctx.output('annotations', annotations);
      ctx.output('diff', diff);
    },
  });
}
