/** What the engine's parts pass each other: a decision's resolved facts and findings on it. */
import {
  stringifyWorkloadRef,
  type Verdict,
  type VerdictReason,
} from '@internal/backstage-plugin-sentinel-common';
import type { PolicyDecisionInput, PolicyPlanInput } from '../PolicyEngine';
import type { PolicyContext } from '../types';
import type { ScopeFacts } from './scope';

export type Outcome = Verdict['outcome'];

/** One reason for a verdict, with the outcome it argues for. */
export interface Finding extends VerdictReason {
  outcome: Outcome;
}

/** What the rules look at of one decision, resolved once. */
export interface DecisionFacts extends ScopeFacts {
  index: number;
  decision: PolicyDecisionInput;
  /** `cluster/namespace`. */
  namespaceKey: string;
  /** `cluster/namespace/Kind/name`. */
  workload: string;
  entityRef: string | null;
  labels: Record<string, string> | undefined;
}

/** The facts of every decision of the plan, in plan order. */
export function decisionFacts(
  plan: PolicyPlanInput,
  context: PolicyContext,
): DecisionFacts[] {
  return plan.decisions.map((decision, index) => {
    const { target } = decision;
    const entityRef = decision.entityRef ?? null;
    return {
      index,
      decision,
      cluster: target.cluster,
      namespace: target.namespace,
      namespaceKey: `${target.cluster}/${target.namespace}`,
      workload: stringifyWorkloadRef({
        cluster: target.cluster,
        namespace: target.namespace,
        kind: target.kind,
        name: target.name,
      }),
      entityRef,
      labels: entityRef === null ? undefined : context.entityLabels[entityRef],
    };
  });
}
