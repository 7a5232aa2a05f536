import {
  stringifyWorkloadRef,
  type Verdict,
} from '@internal/backstage-plugin-sentinel-common';
import type { WorkloadState } from '@internal/backstage-plugin-sentinel-node';
import type { PlanWork, StepWrite } from '../store/PlanStore';
import type { GateStore } from './GateStore';
import { evaluatePolicy } from '../../policy/engine';
import type { PolicyPlanInput } from '../../policy/PolicyEngine';
import type { PolicyService, PolicyState } from '../../policy/PolicyService';
import type { PolicyMetrics } from '../../policy/policyMetrics';
import type {
  FreezeCalendar,
  PolicyEvaluation,
  RecentChange,
} from '../../policy/types';
import { gateScope } from './gateScope';
import { inFlightHold, judgeAtApply, type Judgement } from './judgeAtApply';

export interface ApplyGateOptions {
  store: GateStore;
  /** Without a policy service every decision is allowed (tests of the controller alone). */
  policies?: PolicyService;
  /** How long a plan may be held at the moment of apply, in all, before it is refused. */
  maxHoldMs: number;
  /** When to look again at a plan waiting for another change to the same workload. */
  inFlightRecheckMs: number;
  metrics?: PolicyMetrics;
}

const ALLOW: Verdict = {
  outcome: 'allow',
  reasons: [{ rule: 'policy', message: 'No policy is configured.' }],
};

const NO_FREEZES: FreezeCalendar = {
  windows: [],
  activeAt: () => undefined,
  nextAfter: () => undefined,
};

export interface AdmitOptions {
  plan: PlanWork;
  index: number;
  owner: string;
  /** The workload as just read: what bounds are checked against. */
  current: WorkloadState;
  now: Date;
  /** Persisted in the gate's transaction when the decision is admitted (its reservation). */
  write: StepWrite;
}

/**
 * The gate's answer: admitted (its write persisted, waking `woken`, plans held on workloads
 * whose change this step ended), held, refused or sent to a person; or the lease was lost.
 */
export type GateOutcome =
  | Exclude<Judgement, { kind: 'admit' }>
  | { kind: 'admit'; woken: string[] }
  | { kind: 'lease_lost' };

/** How many times the gate re-runs when the policy changed under it. */
const MAX_ATTEMPTS = 3;

/**
 * Guardrails at the moment of apply. Right before a change is written to a cluster, its
 * decision is evaluated again against the current policy, freeze windows, overrides and
 * change ledger, and its ledger entry is reserved in the same transaction, under a lock per
 * scope its limits count in (GateStore.admit). No number of concurrent plans on any number of
 * replicas can therefore pass a rate limit or blast radius, and a freeze that began after a
 * plan was approved holds it.
 */
export class ApplyGate {
  constructor(private readonly o: ApplyGateOptions) {}

  async admit(options: AdmitOptions): Promise<GateOutcome> {
    let state = await this.o.policies?.state();
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#attempt(options, state);
      if (outcome.kind !== 'stale') return outcome;
      if (attempt >= MAX_ATTEMPTS) {
        throw new Error(
          'the policy kept changing while Sentinel checked a decision; trying again shortly',
        );
      }
      // The policy changed since this replica read it: judge again by the new one.
      state = await this.o.policies?.state({ revision: outcome.revision });
    }
  }

  async #attempt(
    options: AdmitOptions,
    state: PolicyState | undefined,
  ): Promise<GateOutcome | { kind: 'stale'; revision: number }> {
    const { plan, index, current, now } = options;
    const input = policyInput(plan);
    const decision = plan.decisions[index];
    const workload = stringifyWorkloadRef(decision.target);
    const context =
      this.o.policies && state
        ? await this.o.policies.context(input, state, { [workload]: current })
        : undefined;
    const scope =
      state && context
        ? gateScope(
            state.policy.document.rules,
            {
              target: decision.target,
              entityRef: decision.entityRef,
              labels: decision.entityRef
                ? context.entityLabels[decision.entityRef]
                : undefined,
            },
            now,
          )
        : { lockKeys: [], ledger: undefined };
    // The evaluation that judged, with the freezes in force: what the metrics count.
    let judged: PolicyEvaluation | undefined;
    const evaluate = (
      calendar: FreezeCalendar,
      recentChanges: RecentChange[],
    ): Verdict => {
      if (!state || !context) return ALLOW;
      const evaluation = evaluatePolicy(
        input,
        state.policy.document,
        { ...context, freezeCalendar: calendar, recentChanges },
        now,
      );
      const mine = evaluation.decisions.find(d => d.index === index)!;
      if (calendar !== NO_FREEZES) {
        judged = { ...evaluation, decisions: [mine] };
      }
      return mine.verdict;
    };
    const limits = {
      heldSince: plan.heldSince,
      now,
      maxHoldMs: this.o.maxHoldMs,
    };
    const result = await this.o.store.admit<{
      admit: boolean;
      judgement: Judgement;
    }>({
      planId: plan.id,
      owner: options.owner,
      target: decision.target,
      lockKeys: scope.lockKeys,
      ledger: scope.ledger,
      revision: state?.revision,
      write: options.write,
      decide: facts => {
        const judgement = judgeAtApply({
          verdict: evaluate(state?.calendar ?? NO_FREEZES, facts.recentChanges),
          verdictWithoutFreezes: () =>
            evaluate(NO_FREEZES, facts.recentChanges),
          freezeEnds: rules =>
            state ? freezeEnd(state, rules, now) : undefined,
          approvedByPerson: plan.approvedBy !== null,
          ...limits,
        });
        return { admit: judgement.kind === 'admit', judgement };
      },
    });
    switch (result.outcome) {
      case 'judged': {
        if (judged && state) {
          this.o.metrics?.judged('apply', judged, state.policy.document.rules);
        }
        const judgement = result.verdict.judgement;
        return judgement.kind === 'admit'
          ? { kind: 'admit', woken: result.woken }
          : judgement;
      }
      case 'in_flight':
        return inFlightHold(
          limits,
          result.planId === undefined ? undefined : { planId: result.planId },
          this.o.inFlightRecheckMs,
        );
      case 'stale':
        return { kind: 'stale', revision: result.revision };
      default:
        return { kind: 'lease_lost' };
    }
  }
}

/** The plan as the policy engine sees it. */
export function policyInput(plan: PlanWork): PolicyPlanInput {
  return {
    source: plan.source,
    mode: plan.mode,
    decisions: plan.decisions.map(d => ({
      verb: d.verb,
      target: d.target,
      params: d.params,
      confidence: d.confidence ?? undefined,
      entityRef: d.entityRef,
    })),
  };
}

/** The named freeze windows in effect at `now`, and the earliest end among them. */
function freezeEnd(
  state: PolicyState,
  rules: string[],
  now: Date,
): { until: Date; names: string[] } | undefined {
  let until: Date | undefined;
  const names: string[] = [];
  for (const rule of rules) {
    const window = state.calendar.windows.find(w => `freeze:${w.id}` === rule);
    const end = window && state.calendar.activeAt(window, now)?.end;
    if (!window || !end) continue;
    names.push(window.name);
    if (!until || end < until) until = end;
  }
  return until && { until, names };
}
