import { ConflictError } from '@backstage/errors';
import type { PolicyDocument } from '@internal/backstage-plugin-sentinel-common';
import type { WorkloadState } from '@internal/backstage-plugin-sentinel-node';
import { randomUUID } from 'node:crypto';
import type { RolloutSettings } from './rolloutConfig';
import { abortAction } from './actions';
import { canAbort } from './rolloutPhases';
import type { RolloutStore } from './store/RolloutStore';
import { rolloutSettingsFor } from './rolloutSettingsFor';
import type { Rollout, RolloutDecision, RolloutStrategy } from './types';
import type { WorkloadOwnership } from '../inventory/WorkloadCatalogIndex';

/** Where a decision's rollout stands, as its plan sees it. */
export type RolloutOutcome =
  | { state: 'running'; rollout: Rollout }
  | { state: 'succeeded' | 'aborted' | 'failed'; rollout: Rollout };

/** The strategy of a `rollout` decision that runs as a progressive rollout, if it does. */
export function progressiveStrategy(
  decision: Pick<RolloutDecision, 'verb' | 'params'>,
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
export interface ProgressiveRolloutsOptions {
  store: RolloutStore;
  settings: RolloutSettings;
  /** Called with a new rollout's id: step it now rather than at the next poll. */
  onStarted?: (id: string) => void;
  /** The catalog: the managing entity's labels and its Sentinel annotations. */
  ownership?: WorkloadOwnership;
  /** The policy document: its `rollouts` entries per scope. */
  policies?: { current(): Promise<{ document: PolicyDocument }> };
}

/**
 * What a plan's decision does with a progressive rollout: start it (once, whatever replica
 * asks) with the settings for its workload, read how it ended, abort it. The rollout itself
 * is the RolloutController's.
 */
export class ProgressiveRollouts {
  readonly #o: ProgressiveRolloutsOptions;

  constructor(options: ProgressiveRolloutsOptions) {
    this.#o = options;
  }

  /** Defaults, then the policy's entries for the workload, then the service's annotations. */
  async #settingsFor(decision: RolloutDecision) {
    const { settings, ownership, policies } = this.#o;
    const [catalog, policy] = await Promise.all([
      ownership?.snapshot(),
      policies?.current(),
    ]);
    const entityRef = decision.entityRef;
    return rolloutSettingsFor(
      settings,
      policy?.document.rollouts,
      {
        cluster: decision.target.cluster,
        namespace: decision.target.namespace,
        entityRef,
        labels: (entityRef && catalog?.labels.get(entityRef)) || undefined,
      },
      entityRef
        ? {
            canarySteps: catalog?.canarySteps?.get(entityRef),
            canaryAnalysis: catalog?.canaryAnalysis?.get(entityRef),
            rollbackPolicy: catalog?.rollbackPolicies?.get(entityRef),
            trafficRouter: catalog?.trafficRouters?.get(entityRef),
          }
        : {},
    );
  }

  async start(
    planId: string,
    decision: RolloutDecision,
    stable: WorkloadState,
    at: Date,
  ): Promise<Rollout> {
    const { settings } = this.#o;
    const strategy = progressiveStrategy(decision)!;
    const containers = decision.params.containers as Record<
      string,
      { image: string }
    >;
    const workload = await this.#settingsFor(decision);
    const rollout = await this.#o.store.create(
      {
        id: randomUUID(),
        planId,
        decisionIndex: decision.index,
        target: decision.target,
        entityRef: decision.entityRef,
        strategy,
        rollbackPolicy: workload.rollbackPolicy,
        stable,
        candidate: {
          workload: `${decision.target.name}-${
            strategy === 'canary' ? 'canary' : 'green'
          }`,
          containers,
          replicas: 0,
          ...(strategy === 'bluegreen' && {
            rollbackWindowSeconds: settings.rollbackWindowSeconds,
          }),
          ...(strategy === 'canary' &&
            workload.trafficRouter && { router: workload.trafficRouter }),
        },
        steps: strategy === 'canary' ? workload.steps : [{ weight: 100 }],
        analysis: workload.analysis,
      },
      at,
    );
    this.#o.onStarted?.(rollout.id);
    return rollout;
  }

  async outcome(
    planId: string,
    index: number,
  ): Promise<RolloutOutcome | undefined> {
    const rollout = await this.#o.store.getByDecision(planId, index);
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
    const rollout = await this.#o.store.getByDecision(planId, index);
    if (!rollout || !canAbort(rollout.phase) || rollout.phase === 'aborting') {
      return false;
    }
    try {
      await this.#o.store.act(
        rollout.id,
        abortAction(actor, reason, new Date()),
      );
    } catch (error) {
      // It ended meanwhile (promoted, say): the caller looks at how it ended.
      if (error instanceof ConflictError) return false;
      throw error;
    }
    this.#o.onStarted?.(rollout.id);
    return true;
  }
}
