import { ConflictError, InputError } from '@backstage/errors';
import {
  parseCanaryStepsAnnotation,
  SENTINEL_CANARY_STEPS_ANNOTATION,
} from '@internal/backstage-plugin-sentinel-common';
import type { WorkloadState } from '@internal/backstage-plugin-sentinel-node';
import { randomUUID } from 'node:crypto';
import type { StoredDecision } from '../database/PlanStore';
import type { RolloutSettings } from './rolloutConfig';
import { canAbort } from './rolloutPhases';
import type { RolloutStore } from './RolloutStore';
import {
  ROLLBACK_POLICIES,
  type RollbackPolicy,
  type Rollout,
  type RolloutStep,
  type RolloutStrategy,
} from './types';
import type { WorkloadOwnership } from '../pipeline/WorkloadCatalogIndex';

/** Where a decision's rollout stands, as its plan sees it. */
export type RolloutOutcome =
  | { state: 'running'; rollout: Rollout }
  | { state: 'succeeded' | 'aborted' | 'failed'; rollout: Rollout };

/** The strategy of a `rollout` decision that runs as a progressive rollout, if it does. */
export function progressiveStrategy(
  decision: Pick<StoredDecision, 'verb' | 'params'>,
): RolloutStrategy | undefined {
  const strategy = decision.params.strategy;
  return decision.verb === 'rollout' &&
    (strategy === 'canary' || strategy === 'bluegreen')
    ? strategy
    : undefined;
}

/**
 * What a plan's decision does with a progressive rollout: start it (once, whatever replica
 * asks), read how it ended, abort it. The rollout itself is the RolloutController's.
 */
export class ProgressiveRollouts {
  constructor(
    private readonly store: RolloutStore,
    private readonly settings: RolloutSettings,
    /** Called with a new rollout's id: step it now rather than at the next poll. */
    private readonly onStarted?: (id: string) => void,
    /** The catalog: an entity's `sentinel.io/rollback-policy` overrides the default. */
    private readonly ownership?: WorkloadOwnership,
  ) {}

  /**
   * The entity's own canary steps (`sentinel.io/canary-steps`), else the configured ones. An
   * annotation that does not parse fails the decision, naming what to fix: its author meant
   * other steps than the default.
   */
  async #canarySteps(entityRef: string | null): Promise<RolloutStep[]> {
    if (!entityRef || !this.ownership) return this.settings.steps;
    const { canarySteps } = await this.ownership.snapshot();
    const value = canarySteps?.get(entityRef);
    if (value === undefined) return this.settings.steps;
    const parsed = parseCanaryStepsAnnotation(value);
    if ('error' in parsed) {
      throw new InputError(
        `${SENTINEL_CANARY_STEPS_ANNOTATION} of ${entityRef}: ${parsed.error}`,
      );
    }
    return parsed.steps;
  }

  /** The entity's rollback policy if it names a valid one, else the configured default. */
  async #rollbackPolicy(entityRef: string | null): Promise<RollbackPolicy> {
    if (!entityRef || !this.ownership) return this.settings.rollbackPolicy;
    const { rollbackPolicies } = await this.ownership.snapshot();
    const named = rollbackPolicies?.get(entityRef);
    return ROLLBACK_POLICIES.includes(named as RollbackPolicy)
      ? (named as RollbackPolicy)
      : this.settings.rollbackPolicy;
  }

  async start(
    planId: string,
    decision: StoredDecision,
    stable: WorkloadState,
    at: Date,
  ): Promise<Rollout> {
    const strategy = progressiveStrategy(decision)!;
    const containers = decision.params.containers as Record<
      string,
      { image: string }
    >;
    const rollout = await this.store.create(
      {
        id: randomUUID(),
        planId,
        decisionIndex: decision.index,
        target: decision.target,
        entityRef: decision.entityRef,
        strategy,
        rollbackPolicy: await this.#rollbackPolicy(decision.entityRef),
        stable,
        candidate: {
          workload: `${decision.target.name}-${
            strategy === 'canary' ? 'canary' : 'green'
          }`,
          containers,
          replicas: 0,
          ...(strategy === 'bluegreen' && {
            rollbackWindowSeconds: this.settings.rollbackWindowSeconds,
          }),
          ...(strategy === 'canary' &&
            this.settings.trafficRouter && {
              router: this.settings.trafficRouter,
            }),
        },
        steps:
          strategy === 'canary'
            ? await this.#canarySteps(decision.entityRef)
            : [{ weight: 100 }],
        analysis: this.settings.analysis,
      },
      at,
    );
    this.onStarted?.(rollout.id);
    return rollout;
  }

  async outcome(
    planId: string,
    index: number,
  ): Promise<RolloutOutcome | undefined> {
    const rollout = await this.store.getByDecision(planId, index);
    if (!rollout) return undefined;
    switch (rollout.phase) {
      case 'succeeded':
        return { state: 'succeeded', rollout };
      case 'aborted':
        return { state: 'aborted', rollout };
      case 'failed':
        return { state: 'failed', rollout };
      default:
        return { state: 'running', rollout };
    }
  }

  /**
   * Records an abort of the decision's rollout (the controller carries it out, on any
   * replica, retrying while the cluster is down). False when it had ended already.
   */
  async abort(
    planId: string,
    index: number,
    reason: string,
    actor = 'sentinel',
  ): Promise<boolean> {
    const rollout = await this.store.getByDecision(planId, index);
    if (!rollout || !canAbort(rollout.phase) || rollout.phase === 'aborting') {
      return false;
    }
    try {
      await this.store.act(rollout.id, {
        to: 'aborting',
        from: ['pending', 'progressing', 'paused', 'promoting'],
        actor,
        message: `aborting: ${reason}`,
        patch: { stage: 'undo', attempts: 0, phaseDeadlineAt: null },
        at: new Date(),
      });
    } catch (error) {
      // It ended meanwhile (promoted, say): the caller looks at how it ended.
      if (error instanceof ConflictError) return false;
      throw error;
    }
    this.onStarted?.(rollout.id);
    return true;
  }
}
