import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1Scale,
  type V1StatefulSet,
} from '@kubernetes/client-node';
import {
  stringifyWorkloadRef,
  type WorkloadRef,
} from '@internal/backstage-plugin-sentinel-common';
import {
  matchesSnapshot,
  type RestoreOptions,
  type RolloutStatus,
  type WorkloadChange,
  type WorkloadState,
  type WriteOptions,
} from '@internal/backstage-plugin-sentinel-node';
import { kubernetesSignals } from '../health/kubernetesSignals';
import {
  CANDIDATE_LABEL,
  MANAGED_BY_LABEL,
  POD_TEMPLATE_HASH_LABEL,
  RolloutRefusal,
  type CandidateDriver,
  type CandidateSpec,
  type ServiceSelector,
} from '../rollouts/CandidateDriver';
import {
  candidateDeployment,
  newestReadyHash,
  podSelector,
  selects,
} from './candidateWorkload';

/** The pod template annotation `kubectl rollout restart` sets. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';

type Workload = V1Deployment | V1StatefulSet;

export interface RetryOptions {
  /** Attempts per call, the first included. */
  attempts: number;
  /** Delay before the second attempt; doubles each time (a 429's Retry-After wins). */
  baseDelayMs: number;
}

/** JSON Patch path segment escaping (RFC 6901). */
const pointer = (segment: string) =>
  segment.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Reads and changes Deployments and StatefulSets of one cluster through the Kubernetes API,
 * never blindly: every write carries the resourceVersion Sentinel decided on, and a 409
 * becomes a ConflictError so the caller re-reads and re-checks.
 */
export class KubernetesClusterDriver implements CandidateDriver {
  readonly #apps: AppsV1Api;
  readonly #core: CoreV1Api;
  readonly #retry: RetryOptions;

  constructor(
    readonly cluster: string,
    kubeConfig: KubeConfig,
    options: { retry?: Partial<RetryOptions> } = {},
  ) {
    this.#apps = kubeConfig.makeApiClient(AppsV1Api);
    this.#core = kubeConfig.makeApiClient(CoreV1Api);
    this.#retry = { attempts: 4, baseDelayMs: 200, ...options.retry };
  }

  async getWorkload(ref: WorkloadRef): Promise<WorkloadState | undefined> {
    try {
      return toState(ref, await this.#read(ref));
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
      const scale = (await this.#patch(
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
      return toState(ref, await this.#read(ref));
    }
    return toState(
      ref,
      await this.#patch(
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
    const current = await this.#read(ref);
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
    return toState(ref, await this.#patch(ref, ops, PatchStrategy.JsonPatch));
  }

  async rolloutStatus(ref: WorkloadRef): Promise<RolloutStatus> {
    return rolloutStatusOf(ref, await this.#read(ref));
  }

  async ensureCandidate(stable: WorkloadRef, spec: CandidateSpec) {
    if (stable.kind !== 'Deployment') {
      throw new InputError(
        `${stringifyWorkloadRef(
          stable,
        )}: progressive rollouts take Deployments only`,
      );
    }
    const namespace = stable.namespace;
    const candidate = { ...stable, name: spec.name };
    const existing = await this.getWorkload(candidate);
    if (existing) {
      await this.#assertOurs(candidate);
      const containers = (await this.#read(candidate)).spec?.template?.spec
        ?.containers;
      const images = Object.entries(spec.containers).map(([name, c]) => ({
        name,
        image: c.image,
      }));
      const same =
        existing.replicas === spec.replicas &&
        images.every(i =>
          containers?.some(c => c.name === i.name && c.image === i.image),
        );
      if (same) return;
      await this.#patch(
        candidate,
        {
          spec: {
            replicas: spec.replicas,
            template: { spec: { containers: images } },
          },
        },
        PatchStrategy.StrategicMergePatch,
      );
      return;
    }
    const body = candidateDeployment(
      (await this.#read(stable)) as V1Deployment,
      spec,
    );
    try {
      await this.#withRetry(() =>
        this.#apps.createNamespacedDeployment({ namespace, body }),
      );
    } catch (error) {
      // Created by a step that died before it could say so: set it as this step wants it.
      if (error instanceof ApiException && error.code === 409) {
        await this.ensureCandidate(stable, spec);
        return;
      }
      throw error;
    }
  }

  async removeCandidate(ref: WorkloadRef): Promise<void> {
    try {
      // Never someone else's Deployment that happens to have the candidate's name.
      const labels = (await this.#read(ref)).metadata?.labels;
      if (labels?.[MANAGED_BY_LABEL] !== 'sentinel') return;
      await this.#withRetry(() =>
        this.#apps.deleteNamespacedDeployment({
          name: ref.name,
          namespace: ref.namespace,
        }),
      );
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return;
      throw error;
    }
  }

  /** Refuses to take over a Deployment that is not Sentinel's. */
  async #assertOurs(ref: WorkloadRef): Promise<void> {
    const labels = (await this.#read(ref)).metadata?.labels;
    if (labels?.[MANAGED_BY_LABEL] !== 'sentinel') {
      throw new RolloutRefusal(
        `${stringifyWorkloadRef(
          ref,
        )} exists and is not Sentinel's (no ${MANAGED_BY_LABEL}=sentinel label): not taking it over as the candidate`,
      );
    }
  }

  async healthSignals(ref: WorkloadRef, restartsBefore = 0) {
    let workload: V1Deployment;
    try {
      workload = (await this.#read(ref)) as V1Deployment;
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) {
        return undefined;
      }
      throw error;
    }
    const pods = await this.#withRetry(() =>
      this.#core.listNamespacedPod({
        namespace: ref.namespace,
        labelSelector: podSelector(workload),
      }),
    );
    return kubernetesSignals(workload, pods.items, restartsBefore);
  }

  async podTemplateHash(ref: WorkloadRef): Promise<string | undefined> {
    const workload = (await this.#read(ref)) as V1Deployment;
    // A stable workload's selector also matches its candidates' pods: leave those out.
    const isCandidate =
      workload.spec?.selector?.matchLabels?.[CANDIDATE_LABEL] !== undefined;
    const pods = await this.#withRetry(() =>
      this.#core.listNamespacedPod({
        namespace: ref.namespace,
        labelSelector: [
          podSelector(workload),
          ...(isCandidate ? [] : [`!${CANDIDATE_LABEL}`]),
        ]
          .filter(Boolean)
          .join(','),
      }),
    );
    return newestReadyHash(pods.items);
  }

  async findService(ref: WorkloadRef): Promise<ServiceSelector | undefined> {
    const workload = await this.#read(ref);
    const labels = workload.spec?.template?.metadata?.labels ?? {};
    const services = await this.#withRetry(() =>
      this.#core.listNamespacedService({ namespace: ref.namespace }),
    );
    const service = services.items.find(s => selects(s, labels));
    if (!service) return undefined;
    // As it was before any rollout pinned it to one version.
    const { [POD_TEMPLATE_HASH_LABEL]: _pin, ...selector } =
      service.spec!.selector ?? {};
    return { name: service.metadata!.name!, selector };
  }

  async setServiceSelector(
    namespace: string,
    service: ServiceSelector,
  ): Promise<void> {
    await this.#withRetry(() =>
      this.#core.patchNamespacedService(
        {
          name: service.name,
          namespace,
          body: [
            { op: 'replace', path: '/spec/selector', value: service.selector },
          ],
        },
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      ),
    );
  }

  async #read(ref: WorkloadRef): Promise<Workload> {
    const params = { name: ref.name, namespace: ref.namespace };
    return this.#withRetry<Workload>(() =>
      ref.kind === 'StatefulSet'
        ? this.#apps.readNamespacedStatefulSet(params)
        : this.#apps.readNamespacedDeployment(params),
    );
  }

  async #patch(
    ref: WorkloadRef,
    body: object,
    strategy: PatchStrategy,
    subresource?: 'scale',
  ): Promise<Workload> {
    const params = { name: ref.name, namespace: ref.namespace, body };
    const options = setHeaderOptions('Content-Type', strategy);
    const call = (): Promise<unknown> => {
      if (ref.kind === 'StatefulSet') {
        return subresource
          ? this.#apps.patchNamespacedStatefulSetScale(params, options)
          : this.#apps.patchNamespacedStatefulSet(params, options);
      }
      return subresource
        ? this.#apps.patchNamespacedDeploymentScale(params, options)
        : this.#apps.patchNamespacedDeployment(params, options);
    };
    try {
      return (await this.#withRetry(call)) as Workload;
    } catch (error) {
      if (error instanceof ApiException) {
        if (error.code === 409 || error.code === 422) {
          // 409: stale resourceVersion; 422 from a failed JSON Patch `test` op: same meaning.
          throw new ConflictError(
            `${stringifyWorkloadRef(ref)} changed since it was read`,
          );
        }
        if (error.code === 404) {
          throw new NotFoundError(
            `${stringifyWorkloadRef(ref)} does not exist`,
          );
        }
      }
      throw error;
    }
  }

  async #withRetry<T>(call: () => Promise<T>): Promise<T> {
    return withRetry(call, this.#retry);
  }
}

/** Retries what may pass on a second try (429, 5xx, timeouts), with backoff and a budget. */
export async function withRetry<T>(
  call: () => Promise<T>,
  retry: RetryOptions,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const delay = retryDelay(error, attempt, retry);
      if (delay === undefined) throw error;
      await new Promise(resolve => setTimeout(resolve, delay));
    }
  }
}

/** How long to wait before retrying, or undefined when the error is final. */
export function retryDelay(
  error: unknown,
  attempt: number,
  retry: RetryOptions,
): number | undefined {
  if (attempt >= retry.attempts) return undefined;
  const backoff = retry.baseDelayMs * 2 ** (attempt - 1);
  if (error instanceof ApiException) {
    if (error.code === 429) {
      const header = Number(
        (error.headers as Record<string, string> | undefined)?.['retry-after'],
      );
      return Number.isFinite(header) && header > 0 ? header * 1000 : backoff;
    }
    return error.code >= 500 ? backoff : undefined;
  }
  const code = (error as { code?: string })?.code;
  return code &&
    [
      'ECONNRESET',
      'ECONNREFUSED',
      'ETIMEDOUT',
      'EPIPE',
      'UND_ERR_SOCKET',
    ].includes(code)
    ? backoff
    : undefined;
}

/** As `kubectl rollout status` judges it. Pure. */
export function rolloutStatusOf(
  ref: WorkloadRef,
  workload: Workload,
): RolloutStatus {
  const desired = workload.spec?.replicas ?? 1;
  const status = workload.status;
  const observed =
    (status?.observedGeneration ?? 0) >= (workload.metadata?.generation ?? 0);
  if (ref.kind === 'Deployment') {
    const progressing = (workload as V1Deployment).status?.conditions?.find(
      c => c.type === 'Progressing',
    );
    if (progressing?.reason === 'ProgressDeadlineExceeded') {
      return {
        state: 'failed',
        reason: `progress deadline exceeded${
          progressing.message ? `: ${progressing.message}` : ''
        }`,
      };
    }
    const s = (workload as V1Deployment).status;
    const done =
      observed &&
      (s?.updatedReplicas ?? 0) === desired &&
      (s?.availableReplicas ?? 0) === desired &&
      (s?.replicas ?? 0) === desired;
    return { state: done ? 'complete' : 'progressing' };
  }
  const s = (workload as V1StatefulSet).status;
  const done =
    observed &&
    (s?.readyReplicas ?? 0) === desired &&
    (s?.updatedReplicas ?? desired) === desired &&
    (!s?.updateRevision || s.updateRevision === s.currentRevision);
  return { state: done ? 'complete' : 'progressing' };
}

function templatePatch(change: Exclude<WorkloadChange, { verb: 'scale' }>) {
  switch (change.verb) {
    case 'restart':
      return {
        metadata: { annotations: { [RESTARTED_AT_ANNOTATION]: change.at } },
      };
    case 'rollout':
      return {
        spec: {
          containers: Object.entries(change.containers).map(([name, c]) => ({
            name,
            image: c.image,
          })),
        },
      };
    case 'set_resources':
      return {
        spec: {
          containers: Object.entries(change.containers).map(([name, r]) => ({
            name,
            resources: r,
          })),
        },
      };
    default:
      throw new Error(`unknown verb ${(change as { verb: string }).verb}`);
  }
}

/** What Sentinel reads of a Deployment or StatefulSet object. */
export function toState(ref: WorkloadRef, workload: Workload): WorkloadState {
  const template = workload.spec?.template;
  const restartedAt =
    template?.metadata?.annotations?.[RESTARTED_AT_ANNOTATION];
  return {
    ref,
    resourceVersion: workload.metadata?.resourceVersion ?? '',
    replicas: workload.spec?.replicas ?? 1,
    containers: (template?.spec?.containers ?? []).map(c => ({
      name: c.name,
      image: c.image ?? '',
      resources: {
        ...(c.resources?.requests && { requests: { ...c.resources.requests } }),
        ...(c.resources?.limits && { limits: { ...c.resources.limits } }),
      } as WorkloadState['containers'][number]['resources'],
    })),
    ...(restartedAt !== undefined && { restartedAt }),
  };
}
