import { InputError } from '@backstage/errors';
import type { PlanTarget } from '@internal/backstage-plugin-sentinel-common';
import { iso } from '../../database/time';
import type { Rollout, StoredAnalysis } from '../types';

/** Rows of the rollout tables and how they map to the domain. Pure. */

export interface RolloutRow {
  id: string;
  plan_id: string;
  decision_index: number;
  cluster: string;
  namespace: string;
  kind: string;
  name: string;
  entity_ref: string | null;
  strategy: string;
  rollback_policy: string;
  phase: string;
  phase_reason: string;
  stage: string;
  stable: string;
  candidate: string;
  steps: string;
  analysis: string;
  current_step: number;
  weight: number;
  intervals: string;
  health: string | null;
  attempts: number;
  stage_started_at: Date | string | number;
  phase_deadline_at: Date | string | number | null;
  next_check_at: Date | string | number | null;
  woken_at: Date | string | number | null;
  lease_owner: string | null;
  lease_expires_at: Date | string | number | null;
  started_at: Date | string | number;
  updated_at: Date | string | number;
  ended_at: Date | string | number | null;
}

const date = (v: Date | string | number) => new Date(iso(v));
const dateOrNull = (v: Date | string | number | null) =>
  v === null ? null : date(v);
/** PostgreSQL's json_agg returns parsed JSON; text columns come back as strings. */
const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

export function rolloutFromRow(row: RolloutRow): Rollout {
  const target: PlanTarget = {
    cluster: row.cluster,
    namespace: row.namespace,
    kind: row.kind as PlanTarget['kind'],
    name: row.name,
  };
  return {
    id: row.id,
    planId: row.plan_id,
    decisionIndex: Number(row.decision_index),
    target,
    entityRef: row.entity_ref,
    strategy: row.strategy as Rollout['strategy'],
    rollbackPolicy: row.rollback_policy as Rollout['rollbackPolicy'],
    phase: row.phase as Rollout['phase'],
    phaseReason: row.phase_reason,
    stage: row.stage as Rollout['stage'],
    stable: json(row.stable),
    candidate: json(row.candidate),
    steps: json(row.steps),
    analysis: json(row.analysis),
    currentStep: Number(row.current_step),
    weight: Number(row.weight),
    intervals: json(row.intervals),
    health: row.health === null ? null : json(row.health),
    attempts: Number(row.attempts),
    stageStartedAt: date(row.stage_started_at),
    phaseDeadlineAt: dateOrNull(row.phase_deadline_at),
    nextCheckAt: dateOrNull(row.next_check_at),
    startedAt: date(row.started_at),
    updatedAt: date(row.updated_at),
    endedAt: dateOrNull(row.ended_at),
    leaseOwner: row.lease_owner,
  };
}

/** The columns a controller's step or a person's action may change. */
export type RolloutPatch = Partial<
  Pick<
    Rollout,
    | 'phase'
    | 'phaseReason'
    | 'stage'
    | 'candidate'
    | 'currentStep'
    | 'weight'
    | 'intervals'
    | 'health'
    | 'attempts'
    | 'stageStartedAt'
    | 'phaseDeadlineAt'
    | 'endedAt'
  >
>;

export function patchColumns(patch: RolloutPatch): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  const set = (column: string, value: unknown) => {
    if (value !== undefined) columns[column] = value;
  };
  set('phase', patch.phase);
  set('phase_reason', patch.phaseReason);
  set('stage', patch.stage);
  set('candidate', patch.candidate && JSON.stringify(patch.candidate));
  set('current_step', patch.currentStep);
  set('weight', patch.weight);
  set('intervals', patch.intervals && JSON.stringify(patch.intervals));
  if (patch.health !== undefined) {
    columns.health =
      patch.health === null ? null : JSON.stringify(patch.health);
  }
  set('attempts', patch.attempts);
  set('stage_started_at', patch.stageStartedAt);
  set('phase_deadline_at', patch.phaseDeadlineAt);
  set('ended_at', patch.endedAt);
  return columns;
}

export interface AnalysisRow {
  step: number;
  at: Date | string | number;
  score: number;
  verdict: string;
  reason: string;
  checks: string;
}

export function analysisFromRow(row: AnalysisRow): StoredAnalysis {
  return {
    step: Number(row.step),
    at: date(row.at),
    score: Number(row.score),
    verdict: row.verdict as StoredAnalysis['verdict'],
    reason: row.reason,
    checks: json(row.checks),
  };
}

export function encodeRolloutCursor(rollout: Rollout): string {
  return Buffer.from(
    JSON.stringify([rollout.startedAt.toISOString(), rollout.id]),
  ).toString('base64url');
}

export function decodeRolloutCursor(cursor: string): {
  startedAt: Date;
  id: string;
} {
  try {
    const [startedAt, id] = JSON.parse(
      Buffer.from(cursor, 'base64url').toString('utf8'),
    );
    const at = new Date(startedAt);
    if (typeof id !== 'string' || Number.isNaN(at.getTime())) {
      throw new Error('bad cursor');
    }
    return { startedAt: at, id };
  } catch {
    throw new InputError('cursor: not a cursor this API returned');
  }
}
