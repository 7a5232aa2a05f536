import type { RolloutStep } from './types';

/**
 * How many candidate replicas give it `weight` % of the traffic beside `stable` replicas
 * that stay at full count (traffic follows the replica ratio): at least one. Pure.
 */
export function candidateReplicas(stable: number, weight: number): number {
  if (weight >= 100) return Math.max(1, stable);
  const share = Math.max(0, weight) / 100;
  return Math.max(1, Math.round((stable * share) / (1 - share)));
}

/** The share of traffic the candidate actually takes with these replica counts (0-100). */
export function effectiveWeight(stable: number, candidate: number): number {
  const total = stable + candidate;
  return total === 0 ? 0 : Math.round((candidate / total) * 100);
}

/** Whether `index` is the last step, or one that sends all traffic to the candidate. */
export function isFinalStep(steps: RolloutStep[], index: number): boolean {
  return index >= steps.length - 1 || steps[index].weight >= 100;
}

/** The steps as written, checked: weights rising from 1 to 100. */
export function checkSteps(steps: RolloutStep[]): string | undefined {
  if (steps.length === 0) return 'at least one step is needed';
  for (const [i, step] of steps.entries()) {
    if (
      !Number.isInteger(step.weight) ||
      step.weight < 1 ||
      step.weight > 100
    ) {
      return `step ${i}: weight must be an integer from 1 to 100`;
    }
    if (i > 0 && step.weight <= steps[i - 1].weight) {
      return `step ${i}: weights must rise (${steps[i - 1].weight} then ${
        step.weight
      })`;
    }
    if (step.pauseSeconds !== undefined && !(step.pauseSeconds >= 0)) {
      return `step ${i}: pauseSeconds must be 0 or more`;
    }
  }
  return undefined;
}
