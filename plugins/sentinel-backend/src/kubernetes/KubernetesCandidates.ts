import { InputError } from '@backstage/errors';
import {
  ApiException,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
} from '@kubernetes/client-node';
import {
  stringifyWorkloadRef,
  type WorkloadRef,
} from '@internal/backstage-plugin-sentinel-common';
import {
  CANDIDATE_LABEL,
  MANAGED_BY_LABEL,
  POD_TEMPLATE_HASH_LABEL,
  RolloutRefusal,
  type CandidateOperations,
  type CandidateSpec,
  type ServiceSelector,
} from '@internal/backstage-plugin-sentinel-node';
import {
  candidateDeployment,
  newestReadyHash,
  podSelector,
  selects,
} from './candidateWorkload';
import { kubernetesSignals } from './kubernetesSignals';
import { toState } from './workloadState';
import type { WorkloadApi } from './WorkloadApi';

/**
 * Canary and blue/green on Kubernetes: the candidate Deployment beside the stable one, its
 * pods' health, and the Service selector blue/green switches.
 */
export class KubernetesCandidates implements CandidateOperations {
  readonly #api: WorkloadApi;

  constructor(api: WorkloadApi) {
    this.#api = api;
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
    const existing = await this.#exists(candidate);
    if (existing) {
      await this.#assertOurs(candidate);
      const containers = (await this.#api.read(candidate)).spec?.template?.spec
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
      await this.#api.patch(
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
      (await this.#api.read(stable)) as V1Deployment,
      spec,
    );
    try {
      await this.#api.withRetry(() =>
        this.#api.apps.createNamespacedDeployment({ namespace, body }),
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
      const labels = (await this.#api.read(ref)).metadata?.labels;
      if (labels?.[MANAGED_BY_LABEL] !== 'sentinel') return;
      await this.#api.withRetry(() =>
        this.#api.apps.deleteNamespacedDeployment({
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
    const labels = (await this.#api.read(ref)).metadata?.labels;
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
      workload = (await this.#api.read(ref)) as V1Deployment;
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) {
        return undefined;
      }
      throw error;
    }
    const pods = await this.#api.withRetry(() =>
      this.#api.core.listNamespacedPod({
        namespace: ref.namespace,
        labelSelector: podSelector(workload),
      }),
    );
    return kubernetesSignals(workload, pods.items, restartsBefore);
  }

  async podTemplateHash(ref: WorkloadRef): Promise<string | undefined> {
    const workload = (await this.#api.read(ref)) as V1Deployment;
    // A stable workload's selector also matches its candidates' pods: leave those out.
    const isCandidate =
      workload.spec?.selector?.matchLabels?.[CANDIDATE_LABEL] !== undefined;
    const pods = await this.#api.withRetry(() =>
      this.#api.core.listNamespacedPod({
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
    const workload = await this.#api.read(ref);
    const labels = workload.spec?.template?.metadata?.labels ?? {};
    const services = await this.#api.withRetry(() =>
      this.#api.core.listNamespacedService({ namespace: ref.namespace }),
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
    await this.#api.withRetry(() =>
      this.#api.core.patchNamespacedService(
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

  /** The candidate as it is now, or undefined when there is none. */
  async #exists(ref: WorkloadRef) {
    try {
      return toState(ref, await this.#api.read(ref));
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw error;
    }
  }
}
