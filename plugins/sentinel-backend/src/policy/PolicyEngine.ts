import type {
  PlanMode,
  PlanTarget,
  Verb,
  Verdict,
} from '@internal/backstage-plugin-sentinel-common';

/** What the policy engine sees of one decision. */
export interface PolicyDecisionInput {
  verb: Verb;
  target: PlanTarget;
  params: Record<string, unknown>;
  confidence?: number;
  entityRef: string | null;
}

/** What the policy engine sees of a plan. */
export interface PolicyPlanInput {
  source: string;
  mode: PlanMode;
  decisions: PolicyDecisionInput[];
}

/**
 * Decides every decision of a plan at `now`. The real one (PolicyService) gathers what the
 * pure engine (engine/evaluatePolicy) needs, then lets it decide.
 */
export interface PolicyEngine {
  evaluate(plan: PolicyPlanInput, now: Date): Promise<Verdict[]>;
}

/** Allows everything, saying so; stands in until the policy engine is configured. */
export class PassThroughPolicyEngine implements PolicyEngine {
  async evaluate(plan: PolicyPlanInput): Promise<Verdict[]> {
    return plan.decisions.map(() => ({
      outcome: 'allow',
      reasons: [
        {
          rule: 'pass-through',
          message: 'No policy is configured yet, so every decision is allowed.',
        },
      ],
    }));
  }
}
