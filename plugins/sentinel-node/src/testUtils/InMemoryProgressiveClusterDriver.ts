import { NotFoundError } from '@backstage/errors';
import {
  stringifyWorkloadRef,
  type WorkloadRef,
} from '@internal/backstage-plugin-sentinel-common';
import type {
  CandidateOperations,
  CandidateSpec,
  KubernetesSignals,
  ProgressiveClusterDriver,
  RolloutStatus,
  ServiceSelector,
  WorkloadState,
} from '@internal/backstage-plugin-sentinel-node';
import { POD_TEMPLATE_HASH_LABEL, RolloutRefusal } from '../candidates';
import { InMemoryClusterDriver } from './InMemoryClusterDriver';

const HEALTHY: KubernetesSignals = {
  readyRatio: 1,
  restarts: 0,
  oomKilled: false,
  crashLoopBackOff: false,
  progressDeadlineExceeded: false,
};

/** A pod-template-hash of a workload's template (its images), as Kubernetes labels pods. */
function templateHash(state: WorkloadState): string {
  const text = state.containers.map(c => `${c.name}=${c.image}`).join(',');
  let hash = 0;
  for (const char of text) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash.toString(16);
}

/**
 * An InMemoryClusterDriver that also runs canary and blue/green rollouts: candidates are
 * workloads beside the stable one, every workload has rolled out and is healthy unless a test
 * says otherwise (`setHealth`, `setRolloutStatus`), and Services are selectors held in memory
 * (`putService`). For tests of modules and of the rollout controller without a cluster.
 *
 * @public
 */
export class InMemoryProgressiveClusterDriver
  extends InMemoryClusterDriver
  implements ProgressiveClusterDriver
{
  readonly #candidates = new Set<string>();
  readonly #health = new Map<string, KubernetesSignals>();
  readonly #rollouts = new Map<string, RolloutStatus>();
  readonly #services = new Map<string, ServiceSelector>();

  /** Canary and blue/green operations on the workloads in memory. */
  readonly candidates: CandidateOperations = {
    ensureCandidate: async (stable: WorkloadRef, spec: CandidateSpec) => {
      const ref = { ...stable, name: spec.name };
      const key = stringifyWorkloadRef(ref);
      const existing = await this.getWorkload(ref);
      if (existing && !this.#candidates.has(key)) {
        throw new RolloutRefusal(`${key} exists and is not Sentinel's`);
      }
      const base = existing ?? (await this.getWorkload(stable));
      if (!base) {
        throw new NotFoundError(
          `workload ${stringifyWorkloadRef(stable)} does not exist`,
        );
      }
      this.#candidates.add(key);
      this.put({
        ref,
        replicas: spec.replicas,
        containers: base.containers.map(c => ({
          ...c,
          image: spec.containers[c.name]?.image ?? c.image,
        })),
      });
    },
    removeCandidate: async (ref: WorkloadRef) => {
      const key = stringifyWorkloadRef(ref);
      if (this.#candidates.delete(key)) this.remove(ref);
    },
    healthSignals: async (ref: WorkloadRef) => {
      if (!(await this.getWorkload(ref))) return undefined;
      const signals = this.#health.get(stringifyWorkloadRef(ref)) ?? HEALTHY;
      return { ...signals, restartCount: signals.restarts };
    },
    podTemplateHash: async (ref: WorkloadRef) => {
      const state = await this.getWorkload(ref);
      return state && templateHash(state);
    },
    findService: async (ref: WorkloadRef) => {
      const service = this.#services.get(`${ref.namespace}/${ref.name}`);
      if (!service) return undefined;
      const { [POD_TEMPLATE_HASH_LABEL]: _pin, ...selector } = service.selector;
      return { name: service.name, selector };
    },
    setServiceSelector: async (namespace: string, service: ServiceSelector) => {
      for (const [key, existing] of this.#services) {
        if (key.startsWith(`${namespace}/`) && existing.name === service.name) {
          this.#services.set(key, structuredClone(service));
        }
      }
    },
  };

  /** How the workload's latest change rolls out: complete unless `setRolloutStatus` said otherwise. */
  async rolloutStatus(ref: WorkloadRef): Promise<RolloutStatus> {
    const key = stringifyWorkloadRef(ref);
    if (!(await this.getWorkload(ref))) {
      throw new NotFoundError(`workload ${key} does not exist`);
    }
    return this.#rollouts.get(key) ?? { state: 'complete' };
  }

  /** What Kubernetes says of a workload's pods from now on (healthy by default). */
  setHealth(ref: WorkloadRef, signals: Partial<KubernetesSignals>): void {
    this.#health.set(stringifyWorkloadRef(ref), { ...HEALTHY, ...signals });
  }

  /** How a workload's latest change rolls out from now on (complete by default). */
  setRolloutStatus(ref: WorkloadRef, status: RolloutStatus): void {
    this.#rollouts.set(stringifyWorkloadRef(ref), status);
  }

  /** A Service in front of a workload's pods, as `findService` finds it. */
  putService(workload: WorkloadRef, service: ServiceSelector): void {
    this.#services.set(
      `${workload.namespace}/${workload.name}`,
      structuredClone(service),
    );
  }

  /** The Service in front of a workload's pods as it is now, with any pin to one version. */
  service(workload: WorkloadRef): ServiceSelector | undefined {
    const service = this.#services.get(
      `${workload.namespace}/${workload.name}`,
    );
    return service && structuredClone(service);
  }
}
