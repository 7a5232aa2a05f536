import type { LoggerService } from '@backstage/backend-plugin-api';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  freezeWindowInputSchema,
  policyDocumentSchema,
  stringifyWorkloadRef,
  type FreezeOverride,
  type FreezeWindow,
  type FreezeWindowInput,
  type PolicyDocument,
  type PolicyScope,
  type Verdict,
} from '@internal/backstage-plugin-sentinel-common';
import type { WorkloadState } from '@internal/backstage-plugin-sentinel-node';
import { randomUUID } from 'node:crypto';
import type { PolicyMetrics } from './policyMetrics';
import type { PolicyStore, PolicyVersion } from './PolicyStore';
import type {
  CatalogWorkloads,
  WorkloadOwnership,
} from '../inventory/WorkloadCatalogIndex';
import type { WorkloadReader } from '../inventory/WorkloadReader';
import type { ChangeLedger } from './ChangeLedger';
import {
  compileFreezeCalendar,
  evaluatePolicy,
  freezeOccurrences,
  freezeStatus,
} from './engine';
import type { PolicyEngine, PolicyPlanInput } from './PolicyEngine';
import type { FreezeCalendar, PolicyContext, PolicyEvaluation } from './types';

export interface PolicyServiceOptions {
  store: PolicyStore;
  ledger: ChangeLedger;
  /** Current workload state (the inventory first; an API server only when it has no entry). */
  workloads: WorkloadReader;
  ownership: WorkloadOwnership;
  logger: LoggerService;
  /**
   * How long a replica trusts its copy of the policy, freeze windows and overrides before it
   * reads the revision again (one cheap query; a change elsewhere shows within this time). The
   * gate at the moment of apply always checks the revision inside its transaction.
   */
  revisionCheckMs?: number;
  /**
   * Called after this replica changed the policy, a freeze window or an override: plans held
   * at the moment of apply may be let through now (a window deleted, glass broken).
   */
  onChange?: () => void;
  /** Counts the pipeline's verdicts (not dry runs). */
  metrics?: PolicyMetrics;
}

/** Break-glass overrides last at most this long. */
export const MAX_OVERRIDE_MINUTES = 240;

/** Policy, freeze windows and overrides at one revision, compiled for the engine. */
export interface PolicyState {
  revision: number;
  policy: PolicyVersion;
  calendar: FreezeCalendar;
  /** Overrides not expired when read; the engine checks each against `now`. */
  overrides: FreezeOverride[];
}

const EMPTY_POLICY: PolicyVersion = {
  version: 0,
  document: { rules: [], exceptions: [] },
  changedBy: 'nobody',
  changedAt: new Date(0).toISOString(),
};

/**
 * The policy engine as the pipeline and the API see it: keeps the versioned policy document,
 * the freeze calendar and the overrides (cached per revision), gathers the facts the pure
 * engine needs, and lets it decide.
 */
export class PolicyService implements PolicyEngine {
  readonly #o: PolicyServiceOptions;
  #state?: { checkedAt: number; value: Promise<PolicyState> };

  constructor(options: PolicyServiceOptions) {
    this.#o = options;
  }

  /**
   * On first start, stores the configured policy as version 1 and the configured freeze
   * windows; afterwards the database is the source of truth and admins change it via the API.
   */
  async seed(
    policy: unknown,
    freezeWindows: unknown[],
    now: Date,
  ): Promise<void> {
    if (await this.#o.store.currentPolicy()) return;
    const parsed = policyDocumentSchema.safeParse(policy ?? { rules: [] });
    if (!parsed.success) {
      throw new Error(
        `sentinel.policy is not a valid policy document: ${formatIssues(
          parsed.error.issues,
        )}`,
      );
    }
    for (const [index, input] of freezeWindows.entries()) {
      await this.addFreezeWindow(input, 'sentinel (app-config)', now).catch(
        error => {
          throw new Error(`sentinel.freezeWindows[${index}]: ${error.message}`);
        },
      );
    }
    await this.#o.store.savePolicy(parsed.data, 'sentinel (app-config)', now);
    this.#o.logger.info(
      'Sentinel seeded its policy from app-config (version 1)',
    );
  }

  /**
   * The policy in force. `latest`: as of the latest revision, whichever replica changed it
   * (one query more): what a person reads, who may have saved on another replica a moment
   * ago. Without it, as of the revision this replica checked within `revisionCheckMs`.
   */
  async current(options: { latest?: boolean } = {}): Promise<PolicyVersion> {
    return (await (options.latest ? this.#latest() : this.state())).policy;
  }

  /** The state as of the latest revision, compiled again only when it changed. */
  async #latest(): Promise<PolicyState> {
    return this.state({ revision: await this.#o.store.revision() });
  }

  /**
   * Policy, calendar and overrides as of the latest revision this replica has seen (checked
   * at most every `revisionCheckMs`), or exactly `revision` when given (the gate's).
   */
  state(options: { revision?: number } = {}): Promise<PolicyState> {
    const cached = this.#state;
    const fresh =
      cached && Date.now() - cached.checkedAt <= this.#revisionCheckMs;
    if (cached && fresh && options.revision === undefined) return cached.value;
    const value = (async () => {
      const previous = await cached?.value.catch(() => undefined);
      const revision = options.revision ?? (await this.#o.store.revision());
      if (previous && previous.revision === revision) return previous;
      const [policy, windows, overrides] = await Promise.all([
        this.#o.store.currentPolicy(),
        this.#o.store.listFreezeWindows(),
        this.#o.store.activeOverrides(new Date()),
      ]);
      return {
        revision,
        policy: policy ?? EMPTY_POLICY,
        calendar: compileFreezeCalendar(windows),
        overrides,
      };
    })();
    this.#state = { checkedAt: Date.now(), value };
    value.catch(() => {
      if (this.#state?.value === value) this.#state = undefined;
    });
    return value;
  }

  /** Forget the cached state: this replica just changed it. */
  #invalidate() {
    this.#state = undefined;
    this.#o.onChange?.();
  }

  history(limit: number) {
    return this.#o.store.policyHistory(limit);
  }

  /** Replaces the whole document; `version` in the body must be the one the admin read. */
  async replace(
    body: unknown,
    actor: string,
    now: Date,
  ): Promise<PolicyVersion> {
    const parsed = policyDocumentSchema.safeParse(body);
    if (!parsed.success) {
      throw new InputError(
        `Invalid policy: ${formatIssues(parsed.error.issues)}`,
      );
    }
    const saved = await this.#o.store.savePolicy(
      parsed.data,
      actor,
      now,
      parsed.data.version,
    );
    this.#invalidate();
    return saved;
  }

  listFreezeWindows(): Promise<FreezeWindow[]> {
    return this.#o.store.listFreezeWindows();
  }

  async addFreezeWindow(
    body: unknown,
    actor: string,
    now: Date,
  ): Promise<FreezeWindow> {
    const parsed = freezeWindowInputSchema.safeParse(body);
    if (!parsed.success) {
      throw new InputError(
        `Invalid freeze window: ${formatIssues(parsed.error.issues)}`,
      );
    }
    const window: FreezeWindow = {
      ...(parsed.data as FreezeWindowInput),
      id: randomUUID(),
      createdBy: actor,
      createdAt: now.toISOString(),
    };
    // An unknown time zone or a cron that never fires is an InvalidFreezeWindowError (400).
    compileFreezeCalendar([window]);
    await this.#o.store.addFreezeWindow(window);
    this.#invalidate();
    return window;
  }

  async deleteFreezeWindow(
    id: string,
    actor: string,
    now: Date,
  ): Promise<void> {
    if (!(await this.#o.store.deleteFreezeWindow(id, actor, now))) {
      throw new NotFoundError(`freeze window ${id} does not exist`);
    }
    this.#invalidate();
  }

  /** Break glass: freezes in scope stop applying until the override expires. */
  async breakGlass(
    input: { scope: PolicyScope; reason: string; durationMinutes: number },
    actor: string,
    now: Date,
  ): Promise<FreezeOverride> {
    const override: FreezeOverride = {
      id: randomUUID(),
      scope: input.scope,
      reason: input.reason,
      createdBy: actor,
      createdAt: now.toISOString(),
      expiresAt: new Date(
        now.getTime() + input.durationMinutes * 60_000,
      ).toISOString(),
    };
    await this.#o.store.addOverride(override);
    this.#invalidate();
    return override;
  }

  /**
   * Every freeze interval overlapping [from, to), recurrences resolved: a calendar. As of the
   * latest revision (a person reads it, maybe right after adding a window on another replica).
   */
  async freezeCalendar(from: Date, to: Date) {
    const { calendar } = await this.#latest();
    return freezeOccurrences(calendar, from, to);
  }

  /** Break-glass overrides that have not expired, newest first. */
  async activeOverrides(now: Date): Promise<FreezeOverride[]> {
    const overrides = await this.#o.store.activeOverrides(now);
    return overrides.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  async freezeStatus(
    query: { cluster?: string; namespace?: string; entityRef?: string },
    now: Date,
  ) {
    // As of the latest revision, as the calendar.
    const { calendar, overrides } = await this.#latest();
    return freezeStatus(calendar, overrides, query, now);
  }

  /** The pipeline's entry point (PolicyEngine). */
  async evaluate(plan: PolicyPlanInput, now: Date): Promise<Verdict[]> {
    const state = await this.state();
    const evaluation = await this.evaluatePlan(plan, now, undefined, state);
    this.#o.metrics?.judged('receipt', evaluation, state.policy.document.rules);
    return evaluation.decisions
      .sort((a, b) => a.index - b.index)
      .map(d => d.verdict);
  }

  /**
   * A draft policy document, validated as a save would be (400 naming each field, under
   * `policy.`), for a dry run against the live state before the admin saves it.
   */
  parseDraft(body: unknown): PolicyDocument {
    const parsed = policyDocumentSchema.safeParse(body);
    if (!parsed.success) {
      throw new InputError(
        `Invalid policy: ${formatIssues(
          parsed.error.issues.map(i => ({ ...i, path: ['policy', ...i.path] })),
        )}`,
      );
    }
    return parsed.data;
  }

  /**
   * A full evaluation, for the pipeline and for dry runs (nothing is stored); `draft` replaces
   * the document in force, with the same ledger, freezes and workloads.
   */
  async evaluatePlan(
    plan: PolicyPlanInput,
    now: Date,
    draft?: PolicyDocument,
    current?: PolicyState,
  ): Promise<PolicyEvaluation> {
    const state = current ?? (await this.state());
    const document = draft ?? state.policy.document;
    const windowMinutes = longestWindow(document);
    const [context, recentChanges] = await Promise.all([
      this.context(plan, state),
      windowMinutes > 0
        ? this.#o.ledger.since(new Date(now.getTime() - windowMinutes * 60_000))
        : Promise.resolve([]),
    ]);
    return evaluatePolicy(plan, document, { ...context, recentChanges }, now);
  }

  /**
   * What the engine needs beyond the ledger: the freeze calendar and overrides of `state`,
   * the current state of every target (from the inventory), the entities' labels and every
   * managed workload. `known` supplies states already read (the gate's fresh read).
   */
  async context(
    plan: PolicyPlanInput,
    state: PolicyState,
    known: Record<string, WorkloadState> = {},
  ): Promise<Omit<PolicyContext, 'recentChanges'>> {
    const [catalog, workloads] = await Promise.all([
      this.#o.ownership.snapshot(),
      this.#workloads(plan, known),
    ]);
    const entityLabels: Record<string, Record<string, string>> = {};
    for (const d of plan.decisions) {
      if (d.entityRef)
        entityLabels[d.entityRef] = catalog.labels.get(d.entityRef) ?? {};
    }
    return {
      freezeCalendar: state.calendar,
      overrides: state.overrides,
      workloads,
      entityLabels,
      managedWorkloads: this.#managedList(catalog),
    };
  }

  async #workloads(
    plan: PolicyPlanInput,
    known: Record<string, WorkloadState>,
  ): Promise<PolicyContext['workloads']> {
    const entries = await Promise.all(
      plan.decisions.map(async d => {
        const key = stringifyWorkloadRef(d.target);
        const state = known[key] ?? (await this.#o.workloads.read(d.target));
        return [
          key,
          state && { replicas: state.replicas, containers: state.containers },
        ] as const;
      }),
    );
    return Object.fromEntries(entries);
  }

  // One array per catalog snapshot: the engine keeps its indexes keyed by the array.
  readonly #managed = new WeakMap<CatalogWorkloads, string[]>();
  #managedList(catalog: CatalogWorkloads): string[] {
    let list = this.#managed.get(catalog);
    if (!list) {
      list = [...catalog.owners.keys()];
      this.#managed.set(catalog, list);
    }
    return list;
  }

  get #revisionCheckMs() {
    return this.#o.revisionCheckMs ?? 1_000;
  }
}

/** The longest window any counting rule of the document looks back over, in minutes. */
export function longestWindow(policy: PolicyDocument): number {
  return Math.max(
    0,
    ...policy.rules.map(r =>
      r.kind === 'rate_limit' || r.kind === 'blast_radius'
        ? r.windowMinutes ?? 60
        : 0,
    ),
  );
}

function formatIssues(
  issues: { path: PropertyKey[]; message: string }[],
): string {
  return issues
    .map(i => {
      const path = i.path
        .map((p, n) =>
          typeof p === 'number' ? `[${p}]` : `${n ? '.' : ''}${String(p)}`,
        )
        .join('');
      return `${path || '(body)'}: ${i.message}`;
    })
    .join('; ');
}
