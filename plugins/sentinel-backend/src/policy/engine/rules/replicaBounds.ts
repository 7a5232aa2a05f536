import { plural, roundTo } from '../messages';
import type { RuleChecker } from './types';

/** Bounds on the replicas a `scale` asks for, and on the step from the current count. */
export const replicaBounds: RuleChecker<'replica_bounds'> = (
  rule,
  facts,
  evaluation,
  findings,
) => {
  if (facts.decision.verb !== 'scale') {
    return;
  }
  const replicas = facts.decision.params.replicas;
  if (typeof replicas !== 'number' || !Number.isFinite(replicas)) {
    findings.push({
      outcome: 'deny',
      rule: rule.id,
      message: `The scale decision gives no replica count, so rule ${rule.id} cannot check it. Resubmit it with params.replicas.`,
    });
    return;
  }
  if (rule.min !== undefined && replicas < rule.min) {
    findings.push({
      outcome: 'deny',
      rule: rule.id,
      message: `Asks for ${plural(replicas, 'replica')}; rule ${
        rule.id
      } allows at least ${rule.min}. Ask for ${rule.min} or more.`,
    });
  }
  if (rule.max !== undefined && replicas > rule.max) {
    findings.push({
      outcome: 'deny',
      rule: rule.id,
      message: `Asks for ${plural(replicas, 'replica')}; rule ${
        rule.id
      } allows at most ${rule.max}. Ask for ${rule.max} or fewer.`,
    });
  }
  if (rule.maxStep === undefined && rule.maxStepPercent === undefined) {
    return;
  }
  const current = evaluation.context.workloads[facts.workload]?.replicas;
  if (typeof current !== 'number' || !Number.isFinite(current)) {
    const limits = [
      rule.maxStep !== undefined ? `${rule.maxStep} replicas` : undefined,
      rule.maxStepPercent !== undefined ? `${rule.maxStepPercent}%` : undefined,
    ]
      .filter(Boolean)
      .join(' and ');
    findings.push({
      outcome: 'require_approval',
      rule: rule.id,
      message: `The current replica count of ${facts.workload} is unknown, so rule ${rule.id} cannot check that the step to ${replicas} is at most ${limits}. A person must check and approve it.`,
    });
    return;
  }
  const step = Math.abs(replicas - current);
  if (rule.maxStep !== undefined && step > rule.maxStep) {
    findings.push({
      outcome: 'deny',
      rule: rule.id,
      message: `Changes replicas by ${step} (from ${current} to ${replicas}); rule ${rule.id} allows at most ${rule.maxStep} per change. Scale in steps of at most ${rule.maxStep}.`,
    });
  }
  // With no replicas now, a percentage means nothing: only maxStep applies.
  if (
    rule.maxStepPercent !== undefined &&
    current > 0 &&
    step * 100 > rule.maxStepPercent * current
  ) {
    const allowed = Math.floor((rule.maxStepPercent * current) / 100);
    findings.push({
      outcome: 'deny',
      rule: rule.id,
      message: `Changes replicas by ${roundTo(
        (step * 100) / current,
        1,
      )}% (from ${current} to ${replicas}); rule ${rule.id} allows at most ${
        rule.maxStepPercent
      }% per change, i.e. ${plural(
        allowed,
        'replica',
      )} from ${current}. Scale in smaller steps.`,
    });
  }
};
