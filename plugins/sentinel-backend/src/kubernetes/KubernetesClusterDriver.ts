import { ConflictError } from '@backstage/errors';
import {
  ApiException,
  type KubeConfig,
  PatchStrategy,
  type V1Scale,
} from '@kubernetes/client-node';
import {
  stringifyWorkloadRef,
  type WorkloadRef,
} from '@internal/backstage-plugin-sentinel-common';
import {
  matchesSnapshot,
  type ProgressiveClusterDriver,
  type RestoreOptions,
  type RolloutStatus,
  type WorkloadChange,
  type WorkloadState,
  type WriteOptions,
} from '@internal/backstage-plugin-sentinel-node';
import { KubernetesCandidates } from './KubernetesCandidates';
import type { RetryOptions } from './retry';
import { WorkloadApi } from './WorkloadApi';
import {
  RESTARTED_AT_ANNOTATION,
  rolloutStatusOf,
  templatePatch,
  toState,
} from './workloadState';

/** JSON Patch path segment escaping (RFC 6901). */
const pointer = (segment: string) =>
  segment.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Reads and changes Deployments and StatefulSets of one cluster through the Kubernetes API,
 * never blindly: every write carries the resourceVersion Sentinel decided on, and a 409
 * becomes a ConflictError so the caller re-reads and re-checks.
 */
export class KubernetesClusterDriver implements ProgressiveClusterDriver {
  readonly #api: WorkloadApi;
  /** Canary and blue/green: the candidate Deployment, its health, the Service switch. */
  readonly candidates: KubernetesCandidates;

  constructor(
    readonly cluster: string,
    kubeConfig: KubeConfig,
    options: { retry?: Partial<RetryOptions> } = {},
  ) {
    this.#api = new WorkloadApi(kubeConfig, options.retry, cluster);
    this.candidates = new KubernetesCandidates(this.#api);
  }

  async getWorkload(ref: WorkloadRef): Promise<WorkloadState | undefined> {
    try {
      return toState(ref, await this.#api.read(ref));
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) {
        return undefined;
      }
      throw error;
    }
  }

  async apply(
    ref: WorkloadRef,
    change: WorkloadChange,
    options: WriteOptions,
  ): Promise<WorkloadState> {
    const precondition = { resourceVersion: options.expectedResourceVersion };
    if (change.verb === 'scale') {
      // Through the scale subresource, as kubectl scale and autoscalers do.
      const scale = (await this.#api.patch(
        ref,
        { metadata: precondition, spec: { replicas: change.replicas } },
        PatchStrategy.MergePatch,
        'scale',
      )) as V1Scale;
      const resourceVersion = scale.metadata?.resourceVersion;
      // The precondition held, so the workload was exactly `current` before: no second read.
      if (options.current && resourceVersion) {
        return {
          ...options.current,
          replicas: change.replicas,
          resourceVersion,
        };
      }
      return toState(ref, await this.#api.read(ref));
    }
    return toState(
      ref,
      await this.#api.patch(
        ref,
        { metadata: precondition, spec: { template: templatePatch(change) } },
        PatchStrategy.StrategicMergePatch,
      ),
    );
  }

  async restore(
    snapshot: WorkloadState,
    options: RestoreOptions,
  ): Promise<WorkloadState> {
    const ref = snapshot.ref;
    const current = await this.#api.read(ref);
    const version = current.metadata?.resourceVersion;
    if (
      !options.force &&
      !matchesSnapshot(toState(ref, current), options.expected)
    ) {
      throw new ConflictError(
        `${stringifyWorkloadRef(
          ref,
        )} changed since Sentinel's change; refusing to overwrite it without force`,
      );
    }
    // A JSON Patch restores exactly: values added since the snapshot are removed, not merged.
    const ops: object[] = [
      { op: 'test', path: '/metadata/resourceVersion', value: version },
      { op: 'replace', path: '/spec/replicas', value: snapshot.replicas },
    ];
    const containers = current.spec?.template?.spec?.containers ?? [];
    for (const saved of snapshot.containers) {
      const index = containers.findIndex(c => c.name === saved.name);
      if (index < 0) {
        throw new ConflictError(
          `${stringifyWorkloadRef(ref)} no longer has container ${
            saved.name
          }; cannot restore it`,
        );
      }
      const base = `/spec/template/spec/containers/${index}`;
      ops.push({ op: 'replace', path: `${base}/image`, value: saved.image });
      ops.push({
        op: containers[index].resources ? 'replace' : 'add',
        path: `${base}/resources`,
        value: saved.resources,
      });
    }
    const annotations = current.spec?.template?.metadata?.annotations;
    const restartedPath = `/spec/template/metadata/annotations/${pointer(
      RESTARTED_AT_ANNOTATION,
    )}`;
    if (snapshot.restartedAt !== undefined) {
      if (!current.spec?.template?.metadata) {
        ops.push({ op: 'add', path: '/spec/template/metadata', value: {} });
      }
      if (!annotations) {
        ops.push({
          op: 'add',
          path: '/spec/template/metadata/annotations',
          value: {},
        });
      }
      ops.push({ op: 'add', path: restartedPath, value: snapshot.restartedAt });
    } else if (annotations?.[RESTARTED_AT_ANNOTATION] !== undefined) {
      ops.push({ op: 'remove', path: restartedPath });
    }
    return toState(
      ref,
      await this.#api.patch(ref, ops, PatchStrategy.JsonPatch),
    );
  }

  async rolloutStatus(ref: WorkloadRef): Promise<RolloutStatus> {
    return rolloutStatusOf(ref, await this.#api.read(ref));
  }
}
