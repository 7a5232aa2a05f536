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
import type { ClusterDriver } from '@internal/backstage-plugin-sentinel-node';
import { randomUUID } from 'node:crypto';
import type { PolicyStore, PolicyVersion } from '../database/PolicyStore';
import type {
  CatalogWorkloads,
  WorkloadOwnership,
} from '../pipeline/WorkloadCatalogIndex';
import type { ChangeLedger } from './ChangeLedger';
import { compileFreezeCalendar, evaluatePolicy, freezeStatus } from './engine';
import type { PolicyEngine, PolicyPlanInput } from './PolicyEngine';
import type { FreezeCalendar, PolicyContext, PolicyEvaluation } from './types';

export interface PolicyServiceOptions {
  store: PolicyStore;
  ledger: ChangeLedger;
  clusterDrivers: ReadonlyMap<string, ClusterDriver>;
  ownership: WorkloadOwnership;
  logger: LoggerService;
  /** How long a replica trusts its copy of the policy and freeze windows. */
  cacheMs?: number;
}

/** Break-glass overrides last at most this long. */
export const MAX_OVERRIDE_MINUTES = 240;

/**
 * The policy engine as the pipeline and the API see it: keeps the versioned policy document
 * and the freeze calendar, gathers the facts the pure engine needs, and lets it decide.
 */
export class PolicyService implements PolicyEngine {
  readonly #o: PolicyServiceOptions;
  #policy?: { at: number; value: Promise<PolicyVersion> };
  #calendar?: { at: number; value: Promise<FreezeCalendar> };

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

  current(): Promise<PolicyVersion> {
    if (!this.#policy || Date.now() - this.#policy.at > this.#cacheMs) {
      const value = this.#o.store.currentPolicy().then(
        v =>
          v ?? {
            version: 0,
            document: { rules: [], exceptions: [] },
            changedBy: 'nobody',
            changedAt: new Date(0).toISOString(),
          },
      );
      this.#policy = { at: Date.now(), value };
      value.catch(() => (this.#policy = undefined));
    }
    return this.#policy.value;
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
    this.#policy = undefined;
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
    this.#calendar = undefined;
    return window;
  }

  async deleteFreezeWindow(id: string): Promise<void> {
    if (!(await this.#o.store.deleteFreezeWindow(id))) {
      throw new NotFoundError(`freeze window ${id} does not exist`);
    }
    this.#calendar = undefined;
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
    this.#overrides = undefined;
    return override;
  }

  async freezeStatus(
    query: { cluster?: string; namespace?: string; entityRef?: string },
    now: Date,
  ) {
    const [calendar, overrides] = await Promise.all([
      this.#freezeCalendar(),
      this.#o.store.activeOverrides(now),
    ]);
    return freezeStatus(calendar, overrides, query, now);
  }

  /** The pipeline's entry point (PolicyEngine). */
  async evaluate(plan: PolicyPlanInput, now: Date): Promise<Verdict[]> {
    const evaluation = await this.evaluatePlan(plan, now);
    return evaluation.decisions
      .sort((a, b) => a.index - b.index)
      .map(d => d.verdict);
  }

  /** A full evaluation, for the pipeline and for dry runs (nothing is stored). */
  async evaluatePlan(
    plan: PolicyPlanInput,
    now: Date,
  ): Promise<PolicyEvaluation> {
    const policy = (await this.current()).document;
    const context = await this.#context(plan, policy, now);
    return evaluatePolicy(plan, policy, context, now);
  }

  async #context(
    plan: PolicyPlanInput,
    policy: PolicyDocument,
    now: Date,
  ): Promise<PolicyContext> {
    const windowMinutes = Math.max(
      0,
      ...policy.rules.map(r =>
        r.kind === 'rate_limit' || r.kind === 'blast_radius'
          ? r.windowMinutes
          : 0,
      ),
    );
    const [freezeCalendar, overrides, catalog, recentChanges, workloads] =
      await Promise.all([
        this.#freezeCalendar(),
        this.#activeOverrides(now),
        this.#o.ownership.snapshot(),
        windowMinutes > 0
          ? this.#o.ledger.since(
              new Date(now.getTime() - windowMinutes * 60_000),
            )
          : Promise.resolve([]),
        this.#workloads(plan),
      ]);
    const entityLabels: Record<string, Record<string, string>> = {};
    for (const d of plan.decisions) {
      if (d.entityRef)
        entityLabels[d.entityRef] = catalog.labels.get(d.entityRef) ?? {};
    }
    return {
      freezeCalendar,
      overrides,
      workloads,
      entityLabels,
      recentChanges,
      managedWorkloads: this.#managedList(catalog),
    };
  }

  async #workloads(plan: PolicyPlanInput): Promise<PolicyContext['workloads']> {
    const entries = await Promise.all(
      plan.decisions.map(async d => {
        const state = await this.#o.clusterDrivers
          .get(d.target.cluster)
          ?.getWorkload(d.target);
        return [
          stringifyWorkloadRef(d.target),
          state && { replicas: state.replicas, containers: state.containers },
        ] as const;
      }),
    );
    return Object.fromEntries(entries);
  }

  // Overrides change rarely and expire on their own (the engine checks expiry against `now`):
  // read them at most once a second per replica.
  #overrides?: { at: number; value: Promise<FreezeOverride[]> };
  #activeOverrides(now: Date): Promise<FreezeOverride[]> {
    if (!this.#overrides || Date.now() - this.#overrides.at > 1_000) {
      const value = this.#o.store.activeOverrides(now);
      this.#overrides = { at: Date.now(), value };
      value.catch(() => (this.#overrides = undefined));
    }
    return this.#overrides.value;
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

  #freezeCalendar(): Promise<FreezeCalendar> {
    if (!this.#calendar || Date.now() - this.#calendar.at > this.#cacheMs) {
      const value = this.#o.store
        .listFreezeWindows()
        .then(compileFreezeCalendar);
      this.#calendar = { at: Date.now(), value };
      value.catch(() => (this.#calendar = undefined));
    }
    return this.#calendar.value;
  }

  get #cacheMs() {
    return this.#o.cacheMs ?? 5_000;
  }
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
