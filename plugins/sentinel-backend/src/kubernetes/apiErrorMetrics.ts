import { metrics, type Counter } from '@opentelemetry/api';
import { ApiException } from '@kubernetes/client-node';

let errors: Counter | undefined;

/** The label of a failed call: the API server's HTTP status, or `network` when none came. */
export function apiErrorCode(error: unknown): string {
  return error instanceof ApiException ? String(error.code) : 'network';
}

/** Counts every failed Kubernetes API call of `cluster`, retried ones included, by code. */
export function kubernetesApiErrors(cluster: string): (error: unknown) => void {
  errors ??= metrics
    .getMeter('sentinel')
    .createCounter('sentinel_kubernetes_api_errors_total', {
      description:
        'Failed Kubernetes API calls (each attempt), by cluster and HTTP status or network',
    });
  const counter = errors;
  return error => counter.add(1, { cluster, code: apiErrorCode(error) });
}
