import { roundTo } from '../messages';
import { quantity } from '../indexes/memo';
import type { RuleChecker, RuleOf, Scratch } from './types';

/** Relative slack for comparing ratios of decimal quantities computed in floating point. */
const RATIO_EPSILON = 1e-9;

type ResourceName = 'cpu' | 'memory';
type ResourceSide = 'requests' | 'limits';
const RESOURCES: ResourceName[] = ['cpu', 'memory'];
const SIDES: ResourceSide[] = ['requests', 'limits'];
const SIDE_NOUN: Record<ResourceSide, string> = {
  requests: 'request',
  limits: 'limit',
};

interface ResourceLimits {
  min?: number;
  max?: number;
  minText?: string;
  maxText?: string;
  /** Set when the rule's own bound is not a quantity. */
  invalid?: string;
}

type Containers = Record<
  string,
  | {
      requests?: Partial<Record<ResourceName, string>>;
      limits?: Partial<Record<ResourceName, string>>;
    }
  | undefined
>;

/** Each rule's bounds, parsed once per evaluation. */
const limitsByRule: Scratch<
  Map<RuleOf<'resource_bounds'>, Record<ResourceName, ResourceLimits>>
> = { create: () => new Map() };

function parseLimits(range?: { min?: string; max?: string }): ResourceLimits {
  const result: ResourceLimits = {};
  for (const bound of ['min', 'max'] as const) {
    const text = range?.[bound];
    if (text === undefined) {
      continue;
    }
    const value = quantity(text);
    if (!Number.isFinite(value)) {
      result.invalid = `${bound} "${text}" is not a Kubernetes quantity`;
    } else {
      result[bound] = value;
      result[`${bound}Text`] = text;
    }
  }
  return result;
}

/**
 * Bounds on the cpu and memory requests and limits a `set_resources` asks for, and on their
 * ratio to the current ones.
 */
export const resourceBounds: RuleChecker<'resource_bounds'> = (
  rule,
  facts,
  evaluation,
  findings,
) => {
  if (facts.decision.verb !== 'set_resources') {
    return;
  }
  const containers = facts.decision.params.containers as Containers | undefined;
  if (!containers || typeof containers !== 'object') {
    return;
  }
  const parsed = evaluation.scratch(limitsByRule);
  let limits = parsed.get(rule);
  if (!limits) {
    limits = { cpu: parseLimits(rule.cpu), memory: parseLimits(rule.memory) };
    parsed.set(rule, limits);
  }
  const state = evaluation.context.workloads[facts.workload];
  let unknownState = false;
  for (const [name, resources] of Object.entries(containers)) {
    for (const side of SIDES) {
      for (const resource of RESOURCES) {
        const text = resources?.[side]?.[resource];
        if (text === undefined) {
          continue;
        }
        const what = `Container ${name}: ${resource} ${SIDE_NOUN[side]} ${text}`;
        const value = quantity(text);
        if (!Number.isFinite(value)) {
          findings.push({
            outcome: 'deny',
            rule: rule.id,
            message: `${what} is not a Kubernetes quantity, so rule ${rule.id} cannot check it. Use e.g. 250m or 512Mi.`,
          });
          continue;
        }
        const bounds = limits[resource];
        if (bounds.invalid) {
          findings.push({
            outcome: 'deny',
            rule: rule.id,
            message: `Rule ${rule.id} cannot be checked: its ${resource} ${bounds.invalid}. A Sentinel admin must fix the policy.`,
          });
        }
        if (bounds.min !== undefined && value < bounds.min) {
          findings.push({
            outcome: 'deny',
            rule: rule.id,
            message: `${what} is below the minimum ${bounds.minText} of rule ${rule.id}. Ask for at least ${bounds.minText}.`,
          });
        }
        if (bounds.max !== undefined && value > bounds.max) {
          findings.push({
            outcome: 'deny',
            rule: rule.id,
            message: `${what} is above the maximum ${bounds.maxText} of rule ${rule.id}. Ask for at most ${bounds.maxText}.`,
          });
        }
        if (rule.maxChangeRatio === undefined) {
          continue;
        }
        if (!state) {
          unknownState = true;
          continue;
        }
        const container = state.containers.find(c => c.name === name);
        if (!container) {
          findings.push({
            outcome: 'require_approval',
            rule: rule.id,
            message: `Container ${name} is not in the current state of ${facts.workload}, so rule ${rule.id} cannot check that its ${resource} ${SIDE_NOUN[side]} changes by at most ${rule.maxChangeRatio}×. A person must check and approve it.`,
          });
          continue;
        }
        const currentText = container.resources?.[side]?.[resource];
        const current =
          currentText === undefined ? Number.NaN : quantity(currentText);
        // Nothing set now (or zero): there is no ratio to limit; min and max still apply.
        if (!Number.isFinite(current) || current <= 0) {
          continue;
        }
        const ratio = Math.max(value / current, current / value);
        if (ratio > rule.maxChangeRatio * (1 + RATIO_EPSILON)) {
          findings.push({
            outcome: 'deny',
            rule: rule.id,
            message: `${what} changes the current ${currentText} by a factor of ${roundTo(
              ratio,
              2,
            )}; rule ${rule.id} allows at most ${
              rule.maxChangeRatio
            }× (up or down) per change. Change it in smaller steps.`,
          });
        }
      }
    }
  }
  if (unknownState) {
    findings.push({
      outcome: 'require_approval',
      rule: rule.id,
      message: `The current resources of ${facts.workload} are unknown, so rule ${rule.id} cannot check that they change by at most ${rule.maxChangeRatio}×. A person must check and approve it.`,
    });
  }
};
