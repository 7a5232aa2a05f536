import {
  stringifyWorkloadRef,
  type ApiWorkload,
  type WorkloadRef,
} from '@internal/backstage-plugin-sentinel-common';

/** One workload as the picker offers it: its reference, and what a person recognizes it by. */
export interface WorkloadOption {
  /** `cluster/namespace/Kind/name`: the value a template gets. */
  ref: string;
  /** Live state: replicas ready / desired, images, and who manages it. */
  detail: string;
  managedBy: string | null;
}

/** The inventory's workloads as picker options, in the inventory's order. Pure. */
export function workloadOptions(workloads: ApiWorkload[]): WorkloadOption[] {
  return workloads.map(w => ({
    ref: stringifyWorkloadRef(w as WorkloadRef),
    detail: `${w.replicas.ready}/${w.replicas.desired} ready · ${w.containers
      .map(c => c.image)
      .join(', ')} · ${
      w.entityRef ? `managed by ${w.entityRef}` : 'not under Sentinel yet'
    }`,
    managedBy: w.entityRef,
  }));
}
