import type { V1Deployment, V1Pod, V1Service } from '@kubernetes/client-node';
import {
  CANDIDATE_LABEL,
  POD_TEMPLATE_HASH_LABEL,
  MANAGED_BY_LABEL,
  ROLLOUT_ID_ANNOTATION,
  type CandidateSpec,
} from '@internal/backstage-plugin-sentinel-node';

/**
 * The candidate Deployment of a progressive rollout, built from the stable one. Pure.
 *
 * Its pods keep the stable pod labels, so the Service that selects the stable pods sends the
 * candidate its share of traffic by replica count; its selector adds `sentinel.io/candidate`
 * so that neither Deployment adopts the other's pods.
 */
export function candidateDeployment(
  stable: V1Deployment,
  spec: CandidateSpec,
): V1Deployment {
  const template = structuredClone(stable.spec?.template ?? {});
  const marker = { [CANDIDATE_LABEL]: spec.name };
  template.metadata = {
    ...template.metadata,
    labels: { ...template.metadata?.labels, ...marker },
  };
  const containers = template.spec?.containers ?? [];
  for (const container of containers) {
    const image = spec.containers[container.name]?.image;
    if (image) container.image = image;
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: spec.name,
      namespace: stable.metadata?.namespace,
      labels: {
        ...stable.metadata?.labels,
        ...marker,
        [MANAGED_BY_LABEL]: 'sentinel',
      },
      annotations: { [ROLLOUT_ID_ANNOTATION]: spec.rolloutId },
    },
    spec: {
      ...structuredClone(stable.spec ?? { selector: {}, template: {} }),
      replicas: spec.replicas,
      selector: {
        ...stable.spec?.selector,
        matchLabels: { ...stable.spec?.selector?.matchLabels, ...marker },
      },
      template,
    },
  };
}

/** The label selector of a workload's pods, as the pods list takes it. */
export function podSelector(workload: V1Deployment): string {
  return Object.entries(workload.spec?.selector?.matchLabels ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

/**
 * Whether a Service sends traffic to pods labelled `labels`: its selector, less a pin to one
 * pod-template-hash (blue/green's), is a non-empty subset of them.
 */
export function selects(
  service: V1Service,
  labels: Record<string, string>,
): boolean {
  const entries = Object.entries(service.spec?.selector ?? {}).filter(
    ([key]) => key !== POD_TEMPLATE_HASH_LABEL,
  );
  return (
    entries.length > 0 && entries.every(([key, value]) => labels[key] === value)
  );
}

/** The pod-template-hash of the newest ready pods: the version a workload serves. */
export function newestReadyHash(pods: V1Pod[]): string | undefined {
  const ready = pods
    .filter(p =>
      p.status?.conditions?.some(
        c => c.type === 'Ready' && c.status === 'True',
      ),
    )
    .filter(p => p.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL])
    .sort(
      (a, b) =>
        new Date(b.metadata?.creationTimestamp ?? 0).getTime() -
        new Date(a.metadata?.creationTimestamp ?? 0).getTime(),
    );
  return ready[0]?.metadata?.labels?.[POD_TEMPLATE_HASH_LABEL];
}
