import { parseEntityRef } from '@backstage/catalog-model';
import type { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import {
  parseWorkloadRef,
  sentinelTabPath,
  type Plan,
  type PlanDecision,
} from '@internal/backstage-plugin-sentinel-common';
import { createHash } from 'node:crypto';
import type { CatalogWorkloads } from '../inventory/WorkloadCatalogIndex';
import type { FreezeOccurrence } from '../policy/engine/freezeOccurrences';
import { scopeMatches } from '../policy/engine/scope';
import type { Rollout } from '../rollouts/types';

/**
 * The notifications Sentinel sends to the owners of catalog entities, as Backstage's
 * notification service takes them. Pure: what to say, to whom, and under which scope (a
 * notification sent again with the same scope updates the one the user has).
 */
export type Notice = NotificationSendOptions;

/** Topics, so that users can mute each kind in their notification settings. */
export const NOTICE_TOPICS = {
  approval: 'sentinel-approval',
  rollback: 'sentinel-rollback',
  freeze: 'sentinel-freeze',
  rollout: 'sentinel-rollout',
} as const;

type DecisionFacts = Pick<PlanDecision, 'verb' | 'target' | 'params'>;

/** The notifications backend stores a title in 255 characters. */
const MAX_TITLE = 255;

function title(text: string): string {
  return text.length <= MAX_TITLE ? text : `${text.slice(0, MAX_TITLE - 1)}…`;
}

/** The text as a sentence: with a full stop unless it ends with one (or is empty). */
function sentence(text: string): string {
  const trimmed = text.trim();
  return !trimmed || /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** `scale shop/cart to 5`: a decision in a few words. */
export function describeDecision(d: DecisionFacts): string {
  const workload = `${d.target.namespace}/${d.target.name}`;
  switch (d.verb) {
    case 'scale':
      return `scale ${workload} to ${String(d.params.replicas)}`;
    case 'set_resources':
      return `set the resources of ${workload}`;
    case 'restart':
      return `restart ${workload}`;
    case 'rollout': {
      const containers = (d.params.containers ?? {}) as Record<
        string,
        { image?: string }
      >;
      const images = Object.values(containers)
        .map(c => c.image)
        .filter(Boolean);
      return `roll out ${
        images.length ? images.join(', ') : 'new images'
      } to ${workload}`;
    }
    default:
      return `roll back ${workload}`;
  }
}

/** A plan in a few words: its first decision, and how many more it has. */
function describePlan(plan: Pick<Plan, 'decisions'>): string {
  const [first, ...more] = plan.decisions;
  if (!first) return 'an empty plan';
  return more.length
    ? `${describeDecision(first)} and ${more.length} more change(s)`
    : describeDecision(first);
}

function entityRefsOf(plan: Pick<Plan, 'decisions'>): string[] {
  return [
    ...new Set(plan.decisions.flatMap(d => (d.entityRef ? [d.entityRef] : []))),
  ];
}

/**
 * A plan waits for approval: its entities' owners are asked, with the policy's reasons and a
 * link to the Sentinel tab where they approve. Undefined when no catalog entity manages its
 * workloads (nobody to ask).
 */
export function approvalNotice(plan: Plan): Notice | undefined {
  const entityRefs = entityRefsOf(plan);
  if (!entityRefs.length) return undefined;
  const reasons = plan.decisions
    .filter(d => d.verdict?.outcome === 'require_approval')
    .flatMap(d => d.verdict!.reasons.map(r => r.message));
  const approvers =
    plan.approvalsRequired > 1
      ? ` It needs ${plan.approvalsRequired} distinct approvers.`
      : '';
  return {
    recipients: { type: 'entity', entityRef: entityRefs },
    payload: {
      title: title(`Approval needed: ${describePlan(plan)}`),
      description: `${plan.source} (${plan.submittedBy}) asks to ${describePlan(
        plan,
      )}. ${sentence(
        reasons.map(sentence).join(' ') || plan.statusReason || '',
      )}${approvers}`.trim(),
      link: sentinelTabPath(entityRefs[0]),
      severity: 'high',
      topic: NOTICE_TOPICS.approval,
      scope: `sentinel-approval:${plan.id}`,
    },
  };
}

/**
 * A plan ended rolled back or failed, or a rollback (a `rollback` decision, e.g. a person's
 * from the Sentinel tab) succeeded: the owners are told what happened to their workloads.
 * `failed` is critical (something may be half done and needs a person). Undefined for any
 * other plan, or one no catalog entity manages.
 */
export function planEndNotice(plan: Plan): Notice | undefined {
  const entityRefs = entityRefsOf(plan);
  if (!entityRefs.length) return undefined;
  const reason = plan.statusReason ?? '';
  let heading: string;
  let description: string;
  if (plan.status === 'failed') {
    heading = `Failed: ${describePlan(plan)}`;
    description = `${sentence(
      reason,
    )} A person needs to look at the workload.`.trim();
  } else if (plan.status === 'rolled_back') {
    heading = `Rolled back: ${describePlan(plan)}`;
    description = sentence(reason);
  } else if (
    plan.status === 'succeeded' &&
    plan.decisions.some(d => d.verb === 'rollback')
  ) {
    const rationale = plan.decisions.find(d => d.rationale)?.rationale;
    const workloads = plan.decisions
      .map(d => `${d.target.namespace}/${d.target.name}`)
      .join(', ');
    heading = `Rolled back: ${workloads}`;
    description = sentence(
      `${plan.submittedBy} rolled back ${workloads}${
        rationale ? `: ${rationale}` : ''
      }`,
    );
  } else {
    return undefined;
  }
  return {
    recipients: { type: 'entity', entityRef: entityRefs },
    payload: {
      title: title(heading),
      description,
      link: sentinelTabPath(entityRefs[0]),
      severity: plan.status === 'failed' ? 'critical' : 'high',
      topic: NOTICE_TOPICS.rollback,
      // One notification per plan: its rollout's abort and its end update the same one.
      scope: `sentinel-rollback:${plan.id}`,
    },
  };
}

/**
 * A canary or blue/green rollout aborted (the stable workload is back) or failed (even the
 * abort could not be completed: critical). Undefined in any other phase, or without an entity.
 */
export function rolloutEndNotice(rollout: Rollout): Notice | undefined {
  if (!rollout.entityRef) return undefined;
  if (rollout.phase !== 'aborted' && rollout.phase !== 'failed') {
    return undefined;
  }
  const workload = `${rollout.target.namespace}/${rollout.target.name}`;
  const failed = rollout.phase === 'failed';
  return {
    recipients: { type: 'entity', entityRef: [rollout.entityRef] },
    payload: {
      title: title(
        `${rollout.strategy === 'canary' ? 'Canary' : 'Blue/green'} ${
          failed ? 'rollout failed' : 'rollout aborted'
        }: ${workload}`,
      ),
      description: `${sentence(rollout.phaseReason)} ${
        failed
          ? `The abort could not be completed: a person needs to look at ${workload}.`
          : `${workload} runs its previous version again.`
      }`.trim(),
      link: sentinelTabPath(rollout.entityRef),
      severity: failed ? 'critical' : 'high',
      topic: NOTICE_TOPICS.rollback,
      scope: `sentinel-rollback:${rollout.planId}`,
    },
  };
}

/**
 * A rollout stopped for a person: a failed or inconclusive analysis under a manual or freeze
 * rollback policy, or a step's manual gate. Undefined in any other phase or stage (a person's
 * own pause included), or without an entity.
 */
export function rolloutHoldNotice(rollout: Rollout): Notice | undefined {
  if (!rollout.entityRef || rollout.phase !== 'paused') return undefined;
  if (rollout.stage !== 'hold' && rollout.stage !== 'gate') return undefined;
  const workload = `${rollout.target.namespace}/${rollout.target.name}`;
  const kind = rollout.strategy === 'canary' ? 'Canary' : 'Blue/green';
  const gate = rollout.stage === 'gate';
  return {
    recipients: { type: 'entity', entityRef: [rollout.entityRef] },
    payload: {
      title: title(
        gate
          ? `${kind} of ${workload} waits at a manual gate`
          : `${kind} of ${workload} paused: a person decides`,
      ),
      description: `${sentence(
        rollout.phaseReason,
      )} Resume, promote or abort it on the Sentinel tab.`,
      link: sentinelTabPath(rollout.entityRef),
      severity: gate ? 'normal' : 'high',
      topic: NOTICE_TOPICS.rollout,
      scope: `sentinel-rollout:${rollout.id}`,
    },
  };
}

/** A notice to send once: `key` is what the sent-notice log remembers, until `expiresAt`. */
export interface OnceNotice {
  key: string;
  expiresAt: Date;
  notice: Notice;
}

function entityName(entityRef: string): string {
  const { namespace, name } = parseEntityRef(entityRef);
  return namespace === 'default' ? name : `${namespace}/${name}`;
}

/**
 * Who to tell that these freeze intervals started: the catalog entities whose workloads each
 * covers (its scope: cluster, namespace, entity, labels), grouped by their owners, so that a
 * team is told once per interval about all of its services, with a link to one of them. The
 * key (also the notification's scope) names the window, the interval's start and the owners.
 */
export function freezeStartNotices(
  occurrences: readonly FreezeOccurrence[],
  catalog: CatalogWorkloads,
): OnceNotice[] {
  const notices: OnceNotice[] = [];
  for (const o of occurrences) {
    const covered = new Set<string>();
    for (const [workload, entityRef] of catalog.owners) {
      const parsed = parseWorkloadRef(workload);
      if ('error' in parsed) continue;
      const { cluster, namespace } = parsed.ref;
      if (
        scopeMatches(o.scope, {
          cluster,
          namespace,
          entityRef,
          labels: catalog.labels.get(entityRef),
        })
      ) {
        covered.add(entityRef);
      }
    }
    const byOwners = new Map<string, string[]>();
    for (const entityRef of [...covered].sort()) {
      const owners = [...(catalog.entityOwners?.get(entityRef) ?? [])]
        .sort()
        .join(',');
      byOwners.set(owners, [...(byOwners.get(owners) ?? []), entityRef]);
    }
    for (const [owners, entityRefs] of byOwners) {
      const names = entityRefs.slice(0, 10).map(entityName).join(', ');
      const more =
        entityRefs.length > 10 ? ` and ${entityRefs.length - 10} more` : '';
      const key = `sentinel-freeze:${
        o.windowId
      }:${o.start.toISOString()}:${createHash('sha256')
        .update(owners)
        .digest('hex')
        .slice(0, 16)}`;
      notices.push({
        key,
        expiresAt: o.end,
        notice: {
          recipients: { type: 'entity', entityRef: entityRefs },
          payload: {
            title: title(`Freeze started: ${o.name}`),
            description: `${sentence(
              o.reason,
            )} Until ${o.end.toISOString()} Sentinel applies no changes to ${names}${more}${
              o.allowRollback
                ? ' (rollbacks stay allowed)'
                : ', not even rollbacks'
            }.`,
            link: sentinelTabPath(entityRefs[0]),
            severity: 'normal',
            topic: NOTICE_TOPICS.freeze,
            scope: key,
          },
        },
      });
    }
  }
  return notices;
}
