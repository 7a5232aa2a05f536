import {
  stringifyWorkloadRef,
  type WorkloadRef,
} from '@internal/backstage-plugin-sentinel-common';
import {
  matchesSnapshot,
  POD_TEMPLATE_HASH_LABEL,
  RolloutRefusal,
  type ProgressiveClusterDriver,
  type TrafficRouter,
  type WorkloadState,
} from '@internal/backstage-plugin-sentinel-node';
import type { PrometheusClient } from '../analysis/PrometheusClient';
import type { RolloutPatch } from '../store/rolloutRows';
import type { Rollout, StoredAnalysis } from '../types';

/** What the controller's steps are tuned by. */
export interface ControllerSettings {
  /** How long a person's pause (or a pause for a person) may last before the rollout aborts. */
  maxPauseMs: number;
  /** How often to look at a candidate's pods where no watch event wakes the rollout. */
  recheckMs: number;
  prometheus?: PrometheusClient;
  /** Traffic routers by cluster and name (`<cluster>/<name>`, `*` for every cluster). */
  trafficRouters?: ReadonlyMap<string, TrafficRouter>;
}

/**
 * One step of one rollout: the cluster it acts on, the moment it began, and the settings. As
 * Argo Rollouts' rolloutContext, every part of a step (canary, blue/green, analysis, traffic)
 * takes it.
 */
export interface StepContext {
  driver: ProgressiveClusterDriver;
  now: Date;
  settings: ControllerSettings;
}

/** The end of a step: what it persists, and when the rollout is due again. */
export interface StepResult {
  patch: RolloutPatch;
  events?: string[];
  analysis?: Omit<StoredAnalysis, 'at'>;
  next: Date | null;
}

/** No Service sends traffic to the workload's pods. */
export class NoServiceError extends RolloutRefusal {
  name = 'NoServiceError';
}

export const seconds = (s: number) => s * 1000;

/** Nothing to do until `next`. */
export const waitUntil = (next: Date | null): StepResult => ({
  patch: {},
  next,
});

/**
 * Whether a workload still has the template it had at the rollout's start (images, resources,
 * restartedAt): its replica count may change meanwhile (an autoscaler) without being drift.
 */
export function sameTemplate(
  current: WorkloadState,
  stable: WorkloadState,
): boolean {
  return matchesSnapshot({ ...current, replicas: stable.replicas }, stable);
}

/** Whether a workload runs the candidate's images: a promotion of this rollout began. */
export function showsCandidate(current: WorkloadState, r: Rollout): boolean {
  return current.containers.every(
    c => (r.candidate.containers[c.name]?.image ?? c.image) === c.image,
  );
}

/** The next look: at the deadline, or sooner where watch events may not come. */
export function soonest(ctx: StepContext, deadline: Date | null): Date {
  const recheck = ctx.now.getTime() + ctx.settings.recheckMs;
  return new Date(deadline ? Math.min(recheck, deadline.getTime()) : recheck);
}

/**
 * When a step's analysis must have reached a verdict: time for a run of passes and one of
 * inconclusive intervals, three times over (flapping verdicts never reach either).
 */
export function analysisDeadline(r: Rollout, now: Date): Date {
  const { intervalSeconds, passAfter, inconclusiveAfter } = r.analysis;
  return new Date(
    now.getTime() +
      seconds(intervalSeconds * (passAfter + inconclusiveAfter) * 3),
  );
}

export function candidateRef(r: Rollout): WorkloadRef {
  return { ...r.target, name: r.candidate.workload };
}

export function stepName(r: Rollout, index = r.currentStep): string {
  return `step ${index + 1} of ${r.steps.length} (${r.steps[index].weight} %)`;
}

/** A Service selector that selects only the pods of one version. */
export function pinned(
  selector: Record<string, string>,
  hash: string,
): Record<string, string> {
  return { ...selector, [POD_TEMPLATE_HASH_LABEL]: hash };
}

export function describe(ref: WorkloadRef): string {
  return stringifyWorkloadRef(ref);
}

export function images(r: Rollout): string {
  return Object.values(r.candidate.containers)
    .map(c => c.image)
    .join(', ');
}
