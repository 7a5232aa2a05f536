import type { WorkloadState } from '@internal/backstage-plugin-sentinel-node';
import type { Rollout, RolloutEvent, StoredAnalysis } from './types';

/** A rollout as the API shows it (the Rollout schema of the OpenAPI document). Pure. */
export function rolloutView(
  r: Rollout,
  detail?: { timeline: RolloutEvent[]; analyses: StoredAnalysis[] },
) {
  const candidateImages = Object.values(r.candidate.containers).map(
    c => c.image,
  );
  return {
    id: r.id,
    planId: r.planId,
    decisionIndex: r.decisionIndex,
    target: r.target,
    entityRef: r.entityRef,
    strategy: r.strategy,
    rollbackPolicy: r.rollbackPolicy,
    phase: r.phase,
    phaseReason: r.phaseReason,
    stable: {
      image: firstImage(r.stable),
      containers: r.stable.containers.map(c => ({
        name: c.name,
        image: c.image,
      })),
      replicas: r.stable.replicas,
    },
    candidate: {
      workload: r.candidate.workload,
      image: candidateImages[0] ?? null,
      containers: Object.entries(r.candidate.containers).map(([name, c]) => ({
        name,
        image: c.image,
      })),
      replicas: r.candidate.replicas,
    },
    steps: r.steps,
    currentStep: r.currentStep,
    weight: r.weight,
    health: r.health,
    deadline: r.phaseDeadlineAt?.toISOString() ?? null,
    startedAt: r.startedAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    endedAt: r.endedAt?.toISOString() ?? null,
    ...(detail && {
      timeline: detail.timeline.map(e => ({
        at: e.at.toISOString(),
        phase: e.phase,
        actor: e.actor,
        message: e.message,
      })),
      analyses: detail.analyses.map(a => ({
        step: a.step,
        at: a.at.toISOString(),
        score: a.score,
        verdict: a.verdict,
        reason: a.reason,
        metrics: a.checks,
      })),
    }),
  };
}

function firstImage(state: WorkloadState): string | null {
  return state.containers[0]?.image ?? null;
}
