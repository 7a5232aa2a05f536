import { ConflictError, NotFoundError } from '@backstage/errors';
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import {
  stringifyWorkloadRef,
  type WorkloadRef,
} from '@internal/backstage-plugin-sentinel-common';
import { kubernetesApiErrors } from './apiErrorMetrics';
import { withRetry, type RetryOptions } from './retry';
import type { Workload } from './workloadState';

/**
 * The Kubernetes API calls both the driver and its candidate operations make: reads and
 * patches of Deployments and StatefulSets, retried where a second try may pass, with a 409
 * or 422 turned into a ConflictError and a 404 into a NotFoundError.
 */
export class WorkloadApi {
  readonly apps: AppsV1Api;
  readonly core: CoreV1Api;
  readonly #retry: RetryOptions;
  readonly #failed: (error: unknown) => void;

  constructor(
    kubeConfig: KubeConfig,
    retry: Partial<RetryOptions> = {},
    cluster = 'unknown',
  ) {
    this.apps = kubeConfig.makeApiClient(AppsV1Api);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.#retry = { attempts: 4, baseDelayMs: 200, ...retry };
    this.#failed = kubernetesApiErrors(cluster);
  }

  async read(ref: WorkloadRef): Promise<Workload> {
    const params = { name: ref.name, namespace: ref.namespace };
    return this.withRetry<Workload>(() =>
      ref.kind === 'StatefulSet'
        ? this.apps.readNamespacedStatefulSet(params)
        : this.apps.readNamespacedDeployment(params),
    );
  }

  async patch(
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
          ? this.apps.patchNamespacedStatefulSetScale(params, options)
          : this.apps.patchNamespacedStatefulSet(params, options);
      }
      return subresource
        ? this.apps.patchNamespacedDeploymentScale(params, options)
        : this.apps.patchNamespacedDeployment(params, options);
    };
    try {
      return (await this.withRetry(call)) as Workload;
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

  withRetry<T>(call: () => Promise<T>): Promise<T> {
    return withRetry(call, this.#retry, this.#failed);
  }
}
