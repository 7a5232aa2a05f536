import type { LoggerService } from '@backstage/backend-plugin-api';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import type { SignalsService } from '@backstage/plugin-signals-node';
import { toError } from '@backstage/errors';
import {
  isTerminalPlanStatus,
  SENTINEL_CHANGES_CHANNEL,
  type SentinelChangeMessage,
} from '@internal/backstage-plugin-sentinel-common';
import type { PlanChange, PlanStore } from '../plans/store/PlanStore';
import type { RolloutChange } from '../rollouts/store/RolloutStore';
import {
  approvalNotice,
  planEndNotice,
  rolloutEndNotice,
  rolloutHoldNotice,
  type Notice,
} from './notices';

export interface ChangeEventsOptions {
  /** Reads what a notification says (a plan's decisions and verdicts). */
  plans: Pick<PlanStore, 'getPlan' | 'getStoredDecisions'>;
  signals: SignalsService;
  notifications: NotificationService;
  logger: LoggerService;
}

/** What a plan's signals and notifications need to know beyond the change, fixed at birth. */
interface PlanFacts {
  entityRefs: string[];
  /** Whether a decision is a rollback (its success is news for the owners). */
  rollback: boolean;
}

/** Plans whose facts are kept; a plan stepped here once is usually stepped here again. */
const MAX_KNOWN_PLANS = 5_000;

/**
 * Turns what the stores committed into a signal on `sentinel:changes` for every change (open
 * pages refetch) and a notification to the owners of the entities concerned when a plan needs
 * their approval, or a plan or rollout was rolled back or failed. Called after the commit by
 * the replica that wrote the change, so each change is told once; never waits for, nor fails,
 * the writer: errors are logged.
 */
export class ChangeEvents {
  readonly #o: ChangeEventsOptions;
  readonly #facts = new Map<string, PlanFacts>();

  constructor(options: ChangeEventsOptions) {
    this.#o = options;
  }

  planChanged(change: PlanChange): void {
    const { planId, status } = change;
    this.#detach(`signal plan ${planId} going ${status}`, async () => {
      const facts = await this.#factsOf(change);
      // A status entered (not an approval recorded) that the owners should hear of.
      const notify =
        change.transitions.length > 0 &&
        (status === 'pending_approval' ||
          status === 'rolled_back' ||
          status === 'failed' ||
          (status === 'succeeded' && facts.rollback));
      if (notify) {
        this.#detach(`notify the owners of plan ${planId} (${status})`, () =>
          this.#notifyPlan(change),
        );
      }
      await this.#publish({
        kind: 'plan',
        id: planId,
        entityRefs: facts.entityRefs,
        status,
      });
    });
  }

  rolloutChanged(change: RolloutChange): void {
    const { rollout, from } = change;
    if (from !== rollout.phase) {
      this.#detach(
        `notify the owners of rollout ${rollout.id} (${rollout.phase})`,
        () =>
          this.#send(rolloutEndNotice(rollout) ?? rolloutHoldNotice(rollout)),
      );
    }
    this.#detach(`signal rollout ${rollout.id} (${rollout.phase})`, () =>
      this.#publish({
        kind: 'rollout',
        id: rollout.id,
        planId: rollout.planId,
        entityRefs: rollout.entityRef ? [rollout.entityRef] : [],
        phase: rollout.phase,
      }),
    );
  }

  async #notifyPlan(change: PlanChange): Promise<void> {
    const plan = await this.#o.plans.getPlan(change.planId);
    // A person may have acted already (approved it a moment ago): nothing to ask then.
    if (!plan || plan.status !== change.status) return;
    await this.#send(
      plan.status === 'pending_approval'
        ? approvalNotice(plan)
        : planEndNotice(plan),
    );
  }

  async #factsOf(change: PlanChange): Promise<PlanFacts> {
    const known = this.#facts.get(change.planId);
    // A finished plan changes no more: forget it.
    if (isTerminalPlanStatus(change.status)) this.#facts.delete(change.planId);
    if (known) return known;
    const decisions =
      change.decisions ??
      (await this.#o.plans.getStoredDecisions(change.planId));
    const facts: PlanFacts = {
      entityRefs: [
        ...new Set(decisions.flatMap(d => (d.entityRef ? [d.entityRef] : []))),
      ],
      rollback: decisions.some(d => d.verb === 'rollback'),
    };
    if (!isTerminalPlanStatus(change.status)) {
      if (this.#facts.size >= MAX_KNOWN_PLANS) {
        this.#facts.delete(this.#facts.keys().next().value!);
      }
      this.#facts.set(change.planId, facts);
    }
    return facts;
  }

  #publish(message: SentinelChangeMessage): Promise<void> {
    return this.#o.signals.publish({
      // Everyone with the portal open hears of every change: the message holds only ids and
      // entity refs, and a page that shows the plan or rollout refetches it through the API,
      // which checks what this reader may see.
      recipients: { type: 'broadcast' },
      channel: SENTINEL_CHANGES_CHANNEL,
      message,
    });
  }

  async #send(notice: Notice | undefined): Promise<void> {
    if (notice) await this.#o.notifications.send(notice);
  }

  /** Runs `work` apart from the caller; a failure is logged, never thrown. */
  #detach(what: string, work: () => Promise<unknown>): void {
    Promise.resolve()
      .then(work)
      .catch(error =>
        this.#o.logger.warn(`Sentinel could not ${what}`, toError(error)),
      );
  }
}
