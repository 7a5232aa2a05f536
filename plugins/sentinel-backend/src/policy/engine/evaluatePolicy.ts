/**
 * The pure policy engine: (plan, policy document, context, now) → a verdict per decision.
 *
 * No I/O and no clock: everything comes in through the arguments, and the same arguments
 * always give the same verdicts.
 *
 * Speed (see bench/policy.ts): what the decisions of one evaluation share is computed once
 * per evaluation and lazily (active freeze windows and overrides, live exceptions, counts of
 * recent changes per window and group). What depends only on an input array is memoised on
 * that array (weakly, so it goes with it): the rules bucketed by scope, the recent changes
 * parsed and sorted, the managed workloads per namespace and cluster. A caller that passes
 * the same arrays again (the policy document it caches, a snapshot of the inventory) skips
 * that work; arrays must be replaced rather than changed in place, although the engine does
 * notice rules changed in place and changes appended.
 */
import {
  parseQuantity,
  stringifyWorkloadRef,
  type FreezeOverride,
  type FreezeWindow,
  type PolicyDocument,
  type PolicyException,
  type PolicyRule,
  type PolicyScope,
  type Verdict,
  type VerdictReason,
} from '@internal/backstage-plugin-sentinel-common';
import type { PolicyDecisionInput, PolicyPlanInput } from '../PolicyEngine';
import type {
  EvaluatePolicy,
  PolicyContext,
  PolicyEvaluation,
  RecentChange,
} from '../types';

type Outcome = Verdict['outcome'];
type RuleOf<K extends PolicyRule['kind']> = Extract<PolicyRule, { kind: K }>;

const MINUTE_MS = 60_000;
/** The schema's default window of rate_limit and blast_radius rules. */
const DEFAULT_WINDOW_MINUTES = 60;
/** Relative slack for comparing ratios of decimal quantities computed in floating point. */
const RATIO_EPSILON = 1e-9;

const SEVERITY: Record<Outcome, number> = {
  deny: 0,
  require_approval: 1,
  allow: 2,
};

interface Finding extends VerdictReason {
  outcome: Outcome;
}

/** What the rules look at of one decision, resolved once. */
interface DecisionFacts {
  index: number;
  decision: PolicyDecisionInput;
  cluster: string;
  namespace: string;
  /** `cluster/namespace`. */
  namespaceKey: string;
  /** `cluster/namespace/Kind/name`. */
  workload: string;
  entityRef: string | null;
  labels: Record<string, string> | undefined;
}

/**
 * A recent change, its time as a canonical UTC ISO string (compared as strings: cheaper than
 * parsing hundreds of dates per evaluation), its cluster and namespace located, not copied.
 */
interface ParsedChange {
  at: string;
  workload: string;
  /** The length of the cluster name. */
  clusterLength: number;
  /** The length of `cluster/namespace`. */
  namespaceEnd: number;
}

interface ResourceLimits {
  min?: number;
  max?: number;
  minText?: string;
  maxText?: string;
  /** Set when the rule's own bound is not a quantity. */
  invalid?: string;
}

type ResourceName = 'cpu' | 'memory';
type ResourceSide = 'requests' | 'limits';
const RESOURCES: ResourceName[] = ['cpu', 'memory'];
const SIDES: ResourceSide[] = ['requests', 'limits'];
const SIDE_NOUN: Record<ResourceSide, string> = {
  requests: 'request',
  limits: 'limit',
};

function bySeverity(a: Finding, b: Finding): number {
  return SEVERITY[a.outcome] - SEVERITY[b.outcome];
}

/** Whether the cluster, namespace and entityRef of a scope match (labels aside). */
function placeMatches(
  scope: PolicyScope | undefined,
  facts: Pick<DecisionFacts, 'cluster' | 'namespace' | 'entityRef'>,
): boolean {
  return (
    !scope ||
    ((scope.cluster === undefined || scope.cluster === facts.cluster) &&
      (scope.namespace === undefined || scope.namespace === facts.namespace) &&
      (scope.entityRef === undefined || scope.entityRef === facts.entityRef))
  );
}

/** Whether the decision's entity carries every label of the scope. */
function labelsMatch(
  scope: PolicyScope | undefined,
  facts: DecisionFacts,
): boolean {
  const wanted = scope?.labels;
  if (!wanted) {
    return true;
  }
  const labels = facts.labels;
  for (const key in wanted) {
    if (
      Object.prototype.hasOwnProperty.call(wanted, key) &&
      (labels === undefined ||
        !Object.prototype.hasOwnProperty.call(labels, key) ||
        labels[key] !== wanted[key])
    ) {
      return false;
    }
  }
  return true;
}

function scopeMatches(
  scope: PolicyScope | undefined,
  facts: DecisionFacts,
): boolean {
  return placeMatches(scope, facts) && labelsMatch(scope, facts);
}

/** Ends free text written by a person with a full stop, unless it has one. */
function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

function roundTo(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/**
 * An ISO 8601 instant in the canonical UTC form toISOString writes
 * (`2026-01-14T12:00:00.000Z`, as the change ledger stores them), in which string order is
 * time order. Other forms are converted; undefined if `text` is not a date-time.
 */
function canonicalInstant(text: string): string | undefined {
  if (
    text.length === 24 &&
    text.charCodeAt(4) === 45 && // -
    text.charCodeAt(7) === 45 &&
    text.charCodeAt(10) === 84 && // T
    text.charCodeAt(13) === 58 && // :
    text.charCodeAt(16) === 58 &&
    text.charCodeAt(19) === 46 && // .
    text.charCodeAt(23) === 90 // Z
  ) {
    return text;
  }
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

function byTime(a: ParsedChange, b: ParsedChange): number {
  if (a.at === b.at) return 0;
  return a.at < b.at ? -1 : 1;
}

function inCluster(change: ParsedChange, cluster: string): boolean {
  return (
    change.clusterLength === cluster.length &&
    change.workload.startsWith(cluster)
  );
}

function inNamespace(change: ParsedChange, namespace: string): boolean {
  return (
    change.namespaceEnd - change.clusterLength - 1 === namespace.length &&
    change.workload.startsWith(namespace, change.clusterLength + 1)
  );
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) {
    list.push(value);
  } else {
    map.set(key, [value]);
  }
}

/** A memo of a pure function of strings, forgotten wholesale when it grows too large. */
function memo<T>(fn: (text: string) => T, size = 4096): (text: string) => T {
  const cache = new Map<string, T>();
  return text => {
    let value = cache.get(text);
    if (value === undefined && !cache.has(text)) {
      value = fn(text);
      if (cache.size >= size) cache.clear();
      cache.set(text, value);
    }
    return value as T;
  };
}

const quantity = memo(parseQuantity);
const instant = memo(Date.parse);

/** The changes in one `cluster/namespace`, in time order; computed once per index. */
function changesIn(index: ChangeIndex, namespaceKey: string): ParsedChange[] {
  let changes = index.byNamespace.get(namespaceKey);
  if (!changes) {
    changes = [];
    const length = namespaceKey.length;
    for (const change of index.all) {
      if (
        change.namespaceEnd === length &&
        change.workload.startsWith(namespaceKey)
      ) {
        changes.push(change);
      }
    }
    index.byNamespace.set(namespaceKey, changes);
  }
  return changes;
}

/** Recent changes parsed and sorted by time, in total and by `cluster/namespace`. */
interface ChangeIndex {
  all: ParsedChange[];
  /** By `cluster/namespace`, filled in as namespaces are asked for. */
  byNamespace: Map<string, ParsedChange[]>;
}

function indexChanges(changes: readonly RecentChange[]): ChangeIndex {
  const all: ParsedChange[] = [];
  for (const { at: text, workload } of changes) {
    const at = canonicalInstant(text);
    const clusterLength = workload.indexOf('/');
    const namespaceEnd =
      clusterLength < 0 ? -1 : workload.indexOf('/', clusterLength + 1);
    if (at === undefined || namespaceEnd < 0) {
      continue;
    }
    all.push({
      at,
      workload,
      clusterLength,
      namespaceEnd,
    });
  }
  // Ledgers return changes in time order, so this is usually one pass.
  let sorted = true;
  for (let i = 1; i < all.length && sorted; i++) {
    sorted = all[i - 1].at <= all[i].at;
  }
  if (!sorted) {
    all.sort(byTime);
  }
  return { all, byNamespace: new Map() };
}

/**
 * Indexes derived from the context's arrays, kept while the caller passes the very same
 * array again (same length, and for changes the same first and last entry): a caller that
 * reuses its snapshot of the inventory or of the recent changes between evaluations saves
 * re-reading it. The engine never changes them; a caller must not change such an array in
 * place either (replace it instead).
 */
const changeIndexes = new WeakMap<
  readonly RecentChange[],
  {
    length: number;
    first?: RecentChange;
    last?: RecentChange;
    index: ChangeIndex;
  }
>();
const managedIndexes = new WeakMap<
  readonly string[],
  { length: number; groups: Map<string, Set<string>> }
>();

/** The managed workloads of a cluster or of a `cluster/namespace`. */
function managedIn(managed: readonly string[], group: string): Set<string> {
  let index = managedIndexes.get(managed);
  if (!index || index.length !== managed.length) {
    index = { length: managed.length, groups: new Map() };
    managedIndexes.set(managed, index);
  }
  let workloads = index.groups.get(group);
  if (!workloads) {
    workloads = new Set();
    const length = group.length;
    for (const workload of managed) {
      // `group/` prefix; the cheap '/' test first.
      if (workload.charCodeAt(length) === 47 && workload.startsWith(group)) {
        workloads.add(workload);
      }
    }
    index.groups.set(group, workloads);
  }
  return workloads;
}

/** The index of the first change after `since` in changes sorted by time. */
function firstAfter(changes: ParsedChange[], since: string): number {
  let low = 0;
  let high = changes.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (changes[mid].at > since) {
      high = mid;
    } else {
      low = mid + 1;
    }
  }
  return low;
}

/**
 * The rules bucketed by the most selective field of their scope, so a decision only looks at
 * the rules that can apply to it. Each rule is in exactly one bucket; buckets keep document
 * order.
 */
interface RuleIndex {
  /** What each rule was bucketed by, to notice a rule changed in place. */
  indexed: {
    rule: PolicyRule;
    cluster?: string;
    namespace?: string;
    entityRef?: string;
  }[];
  /**
   * The rules whose cluster, namespace and entityRef match a decision's (labels are checked
   * per decision), by `cluster`, `namespace` and `entityRef`, once computed.
   */
  candidates: Map<string, Int32Array>;
  /** No cluster, namespace or entityRef in the scope (labels, if any, checked per decision). */
  unscoped: number[];
  byCluster: Map<string, number[]>;
  byNamespace: Map<string, number[]>;
  byEntity: Map<string, number[]>;
}

const ruleIndexes = new WeakMap<readonly PolicyRule[], RuleIndex>();

/** Whether an index still describes `rules` exactly (a few comparisons per rule). */
function stillValid(index: RuleIndex, rules: readonly PolicyRule[]): boolean {
  if (index.indexed.length !== rules.length) {
    return false;
  }
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i];
    const was = index.indexed[i];
    if (
      was.rule !== rule ||
      was.cluster !== rule.scope?.cluster ||
      was.namespace !== rule.scope?.namespace ||
      was.entityRef !== rule.scope?.entityRef
    ) {
      return false;
    }
  }
  return true;
}

function indexRules(rules: readonly PolicyRule[]): RuleIndex {
  const cached = ruleIndexes.get(rules);
  if (cached && stillValid(cached, rules)) {
    return cached;
  }
  const index: RuleIndex = {
    indexed: rules.map(rule => ({
      rule,
      cluster: rule.scope?.cluster,
      namespace: rule.scope?.namespace,
      entityRef: rule.scope?.entityRef,
    })),
    candidates: new Map(),
    unscoped: [],
    byCluster: new Map(),
    byNamespace: new Map(),
    byEntity: new Map(),
  };
  rules.forEach((rule, i) => {
    const scope = rule.scope;
    if (scope?.cluster !== undefined) {
      pushTo(index.byCluster, scope.cluster, i);
    } else if (scope?.namespace !== undefined) {
      pushTo(index.byNamespace, scope.namespace, i);
    } else if (scope?.entityRef !== undefined) {
      pushTo(index.byEntity, scope.entityRef, i);
    } else {
      index.unscoped.push(i);
    }
  });
  ruleIndexes.set(rules, index);
  return index;
}

/**
 * Indexes of the rules whose cluster, namespace and entityRef match the decision, in
 * document order; their labels remain to be checked.
 */
function candidateRules(index: RuleIndex, facts: DecisionFacts): Int32Array {
  const key = `${facts.cluster}\n${facts.namespace}\n${facts.entityRef ?? ''}`;
  let candidates = index.candidates.get(key);
  if (!candidates) {
    candidates = mergeBuckets(index, facts).filter(i =>
      placeMatches(index.indexed[i], facts),
    );
    if (index.candidates.size >= 4096) index.candidates.clear();
    index.candidates.set(key, candidates);
  }
  return candidates;
}

function mergeBuckets(index: RuleIndex, facts: DecisionFacts): Int32Array {
  const buckets = [
    index.unscoped,
    index.byCluster.get(facts.cluster),
    index.byNamespace.get(facts.namespace),
    facts.entityRef === null ? undefined : index.byEntity.get(facts.entityRef),
  ];
  let total = 0;
  let nonEmpty = 0;
  for (const bucket of buckets) {
    if (bucket && bucket.length > 0) {
      total += bucket.length;
      nonEmpty += 1;
    }
  }
  const candidates = new Int32Array(total);
  let k = 0;
  for (const bucket of buckets) {
    for (const i of bucket ?? []) {
      candidates[k++] = i;
    }
  }
  return nonEmpty > 1 ? candidates.sort() : candidates;
}

/** Everything one evaluation shares between its decisions. */
class Evaluation {
  private readonly nowMs: number;
  private readonly facts: DecisionFacts[];
  private readonly rules: PolicyRule[];
  private readonly ruleIndex: RuleIndex;
  private readonly resourceLimits = new Map<
    RuleOf<'resource_bounds'>,
    Record<ResourceName, ResourceLimits>
  >();
  /** Exceptions not expired at now, with the reason they give. */
  private readonly exceptions: {
    exception: PolicyException;
    reason: Finding;
  }[];
  private readonly activeFreezes: { window: FreezeWindow; end: number }[];
  private readonly activeOverrides: FreezeOverride[];
  private changes?: ChangeIndex;
  /** Change times in a window, ascending, by workload, namespace or rule, then window. */
  private readonly timesCache = new Map<unknown, Map<number, string[]>>();
  /** Workloads changed recently, by group, then window. */
  private readonly changedCache = new Map<
    string,
    Map<
      number,
      {
        workloads: Set<string>;
        unmanaged: number;
        /** [changed, total] up to and including each decision, by index. */
        upTo: Map<number, [changed: number, total: number]>;
      }
    >
  >();
  private readonly isoCache = new Map<number, string>();
  /** The ISO instant `windowMs` before now, by window. */
  private readonly sinceCache = new Map<number, string>();
  private nowIso?: string;

  constructor(
    private readonly plan: PolicyPlanInput,
    policy: PolicyDocument,
    private readonly context: PolicyContext,
    now: Date,
  ) {
    this.nowMs = now.getTime();
    this.rules = policy.rules;
    this.ruleIndex = indexRules(policy.rules);
    this.facts = plan.decisions.map((decision, index) => {
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
        labels:
          entityRef === null ? undefined : context.entityLabels[entityRef],
      };
    });

    // An exception expiring exactly now has expired.
    this.exceptions = [];
    for (const exception of policy.exceptions ?? []) {
      if (this.nowMs < instant(exception.expiresAt)) {
        const why = exception.reason ? `: ${exception.reason}` : '';
        this.exceptions.push({
          exception,
          reason: {
            outcome: 'allow',
            rule: exception.id,
            message: `${
              exception.rules.length === 1 ? 'Rule' : 'Rules'
            } ${exception.rules.join(
              ', ',
            )} waived for this decision by exception ${exception.id} (ticket ${
              exception.ticket
            }${why}) until ${exception.expiresAt}.`,
          },
        });
      }
    }

    // Freeze windows active now, resolved once for all decisions.
    this.activeFreezes = [];
    const calendar = context.freezeCalendar;
    for (const window of calendar.windows) {
      const interval = calendar.activeAt(window, now);
      if (interval) {
        this.activeFreezes.push({ window, end: interval.end.getTime() });
      }
    }
    this.activeOverrides =
      this.activeFreezes.length === 0
        ? []
        : context.overrides.filter(
            override =>
              instant(override.createdAt) <= this.nowMs &&
              this.nowMs < instant(override.expiresAt),
          );
  }

  run(): PolicyEvaluation {
    let outcome: Outcome = 'allow';
    const decisions = this.facts.map(facts => {
      const verdict = this.decide(facts);
      if (SEVERITY[verdict.outcome] < SEVERITY[outcome]) {
        outcome = verdict.outcome;
      }
      return { index: facts.index, verdict };
    });
    return { outcome, decisions };
  }

  private decide(facts: DecisionFacts): Verdict {
    const findings: Finding[] = [];
    let waived: Set<string> | undefined;

    for (const { exception, reason } of this.exceptions) {
      if (!scopeMatches(exception.scope, facts)) {
        continue;
      }
      waived ??= new Set();
      for (const id of exception.rules) {
        waived.add(id);
      }
      findings.push(reason);
    }

    const rules = this.rules;
    for (const i of candidateRules(this.ruleIndex, facts)) {
      const rule = rules[i];
      if (waived?.has(rule.id) || !labelsMatch(rule.scope, facts)) {
        continue;
      }
      this.applyRule(rule, facts, findings);
    }

    this.applyFreezes(facts, findings);

    let outcome: Outcome = 'allow';
    for (const finding of findings) {
      if (SEVERITY[finding.outcome] < SEVERITY[outcome]) {
        outcome = finding.outcome;
      }
    }
    if (findings.length === 0) {
      return {
        outcome,
        reasons: [{ rule: 'policy', message: 'Allowed: no rule objects.' }],
      };
    }
    // Blocking reasons first; otherwise in the order rules were checked (stable sort).
    if (findings.length > 1) {
      findings.sort(bySeverity);
    }
    return {
      outcome,
      reasons: findings.map(({ rule, message }) => ({ rule, message })),
    };
  }

  private applyRule(
    rule: PolicyRule,
    facts: DecisionFacts,
    findings: Finding[],
  ): void {
    const verb = facts.decision.verb;
    // A rollback restores a state that was allowed once, so that rollback always works: only
    // allowed_verbs, a require_approval naming `rollback`, and freeze windows that forbid
    // rollbacks (applyFreezes) can hold it.
    if (
      verb === 'rollback' &&
      rule.kind !== 'allowed_verbs' &&
      !(rule.kind === 'require_approval' && rule.verbs?.includes('rollback'))
    ) {
      return;
    }
    switch (rule.kind) {
      case 'allowed_verbs':
        if (!rule.verbs.includes(verb)) {
          findings.push({
            outcome: 'deny',
            rule: rule.id,
            message: `Verb ${verb} is not allowed here; rule ${
              rule.id
            } allows only ${rule.verbs.join(
              ', ',
            )}. Use one of those, or ask a Sentinel admin to change the rule.`,
          });
        }
        return;
      case 'replica_bounds':
        if (verb === 'scale') {
          this.replicaBounds(rule, facts, findings);
        }
        return;
      case 'resource_bounds':
        if (verb === 'set_resources') {
          this.resourceBounds(rule, facts, findings);
        }
        return;
      case 'rate_limit':
        this.rateLimit(rule, facts, findings);
        return;
      case 'blast_radius':
        this.blastRadius(rule, facts, findings);
        return;
      case 'plan_size': {
        const size = this.plan.decisions.length;
        if (size > rule.max) {
          findings.push({
            outcome: 'deny',
            rule: rule.id,
            message: `The plan has ${size} decisions; rule ${rule.id} allows at most ${rule.max} per plan. Split it into plans of at most ${rule.max} decisions.`,
          });
        }
        return;
      }
      case 'confidence': {
        const confidence = facts.decision.confidence;
        if (typeof confidence !== 'number' || Number.isNaN(confidence)) {
          findings.push({
            outcome: 'require_approval',
            rule: rule.id,
            message: `The optimizer gave no confidence; rule ${rule.id} lets decisions through without a person's approval only at confidence ${rule.minimum} or more. Approve or reject it.`,
          });
        } else if (confidence < rule.minimum) {
          findings.push({
            outcome: 'require_approval',
            rule: rule.id,
            message: `Confidence ${confidence} is below ${rule.minimum}, the minimum of rule ${rule.id} for changes without a person's approval. Approve or reject it.`,
          });
        }
        return;
      }
      case 'require_approval':
        if (!rule.verbs || rule.verbs.includes(verb)) {
          findings.push({
            outcome: 'require_approval',
            rule: rule.id,
            message: `Needs a person's approval (rule ${rule.id}): ${sentence(
              rule.reason,
            )}`,
          });
        }
        return;
      default:
        // A rule kind this engine does not know (a newer document): say so rather than
        // silently allowing.
        findings.push({
          outcome: 'require_approval',
          rule: (rule as { id: string }).id,
          message: `Rule ${
            (rule as { id: string }).id
          } is of a kind this Sentinel does not know (${
            (rule as { kind: string }).kind
          }); a person must approve the decision.`,
        });
    }
  }

  private replicaBounds(
    rule: RuleOf<'replica_bounds'>,
    facts: DecisionFacts,
    findings: Finding[],
  ): void {
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
    const current = this.context.workloads[facts.workload]?.replicas;
    if (typeof current !== 'number' || !Number.isFinite(current)) {
      const limits = [
        rule.maxStep !== undefined ? `${rule.maxStep} replicas` : undefined,
        rule.maxStepPercent !== undefined
          ? `${rule.maxStepPercent}%`
          : undefined,
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
  }

  private limitsOf(
    rule: RuleOf<'resource_bounds'>,
  ): Record<ResourceName, ResourceLimits> {
    let limits = this.resourceLimits.get(rule);
    if (!limits) {
      const parse = (range?: { min?: string; max?: string }) => {
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
      };
      limits = { cpu: parse(rule.cpu), memory: parse(rule.memory) };
      this.resourceLimits.set(rule, limits);
    }
    return limits;
  }

  private resourceBounds(
    rule: RuleOf<'resource_bounds'>,
    facts: DecisionFacts,
    findings: Finding[],
  ): void {
    const containers = facts.decision.params.containers as
      | Record<
          string,
          | {
              requests?: Partial<Record<ResourceName, string>>;
              limits?: Partial<Record<ResourceName, string>>;
            }
          | undefined
        >
      | undefined;
    if (!containers || typeof containers !== 'object') {
      return;
    }
    const limits = this.limitsOf(rule);
    const state = this.context.workloads[facts.workload];
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
  }

  private iso(ms: number): string {
    let text = this.isoCache.get(ms);
    if (text === undefined) {
      text = new Date(ms).toISOString();
      this.isoCache.set(ms, text);
    }
    return text;
  }

  private recent(): ChangeIndex {
    if (!this.changes) {
      const changes = this.context.recentChanges;
      const cached = changeIndexes.get(changes);
      if (
        cached &&
        cached.length === changes.length &&
        cached.first === changes[0] &&
        cached.last === changes[changes.length - 1]
      ) {
        this.changes = cached.index;
      } else {
        this.changes = indexChanges(changes);
        changeIndexes.set(changes, {
          length: changes.length,
          first: changes[0],
          last: changes[changes.length - 1],
          index: this.changes,
        });
      }
    }
    return this.changes;
  }

  /**
   * The range [from, to) of changes (sorted by time) in (now - windowMs, now].
   */
  private windowOf(
    changes: ParsedChange[],
    windowMs: number,
  ): [from: number, to: number] {
    let since = this.sinceCache.get(windowMs);
    if (since === undefined) {
      since = this.iso(this.nowMs - windowMs);
      this.sinceCache.set(windowMs, since);
    }
    this.nowIso ??= this.iso(this.nowMs);
    return [firstAfter(changes, since), firstAfter(changes, this.nowIso)];
  }

  /**
   * Times of the changes in (now - windowMs, now], ascending, optionally only those of one
   * workload, cluster and/or namespace; cached under `cacheKey`.
   */
  private timesWithin(
    cacheKey: unknown,
    /** A `cluster/namespace` to look in; all changes if undefined. */
    namespaceKey: string | undefined,
    windowMs: number,
    workload?: string,
    cluster?: string,
    namespace?: string,
  ): string[] {
    let byWindow = this.timesCache.get(cacheKey);
    if (!byWindow) {
      byWindow = new Map();
      this.timesCache.set(cacheKey, byWindow);
    }
    let times = byWindow.get(windowMs);
    if (!times) {
      times = [];
      const index = this.recent();
      const changes =
        namespaceKey === undefined ? index.all : changesIn(index, namespaceKey);
      const [from, to] = this.windowOf(changes, windowMs);
      for (let i = from; i < to; i++) {
        const change = changes[i];
        if (
          (workload === undefined || change.workload === workload) &&
          (cluster === undefined || inCluster(change, cluster)) &&
          (namespace === undefined || inNamespace(change, namespace))
        ) {
          times.push(change.at);
        }
      }
      byWindow.set(windowMs, times);
    }
    return times;
  }

  private rateLimit(
    rule: RuleOf<'rate_limit'>,
    facts: DecisionFacts,
    findings: Finding[],
  ): void {
    const windowMinutes = rule.windowMinutes ?? DEFAULT_WINDOW_MINUTES;
    const windowMs = windowMinutes * MINUTE_MS;
    let times: string[];
    let earlier = 0;
    let where: string;
    if (rule.per === 'workload') {
      const workload = facts.workload;
      times = this.timesWithin(
        workload,
        facts.namespaceKey,
        windowMs,
        workload,
      );
      for (let j = 0; j < facts.index; j++) {
        if (this.facts[j].workload === workload) earlier += 1;
      }
      where = `to ${workload}`;
    } else if (rule.per === 'namespace') {
      times = this.timesWithin(
        facts.namespaceKey,
        facts.namespaceKey,
        windowMs,
      );
      for (let j = 0; j < facts.index; j++) {
        if (this.facts[j].namespaceKey === facts.namespaceKey) earlier += 1;
      }
      where = `in namespace ${facts.namespace} of cluster ${facts.cluster}`;
    } else {
      // Recent changes carry no entity, so only the cluster and namespace of the rule's scope
      // narrow them; entityRef and labels cannot, and such changes count (the safe side).
      times = this.timesWithin(
        rule,
        undefined,
        windowMs,
        undefined,
        rule.scope?.cluster,
        rule.scope?.namespace,
      );
      for (let j = 0; j < facts.index; j++) {
        if (scopeMatches(rule.scope, this.facts[j])) earlier += 1;
      }
      where = rule.scope ? `in the scope of rule ${rule.id}` : 'in total';
    }
    const count = times.length + earlier;
    if (count + 1 <= rule.max) {
      return;
    }
    const mustLeave = count + 1 - rule.max;
    const advice =
      mustLeave <= times.length
        ? `Resubmit at or after ${this.iso(
            Date.parse(times[mustLeave - 1]) + windowMs,
          )}, when enough of them are older than ${windowMinutes} minutes.`
        : `This plan alone has ${
            earlier + 1
          } such changes; split it into smaller plans.`;
    findings.push({
      outcome: 'deny',
      rule: rule.id,
      message: `This would be change ${count + 1} ${where} within ${plural(
        windowMinutes,
        'minute',
      )} (${times.length} applied, ${earlier} earlier in this plan); rule ${
        rule.id
      } allows at most ${rule.max}. ${advice}`,
    });
  }

  private blastRadius(
    rule: RuleOf<'blast_radius'>,
    facts: DecisionFacts,
    findings: Finding[],
  ): void {
    const windowMinutes = rule.windowMinutes ?? DEFAULT_WINDOW_MINUTES;
    const windowMs = windowMinutes * MINUTE_MS;
    const perNamespace = rule.per === 'namespace';
    const group = perNamespace ? facts.namespaceKey : facts.cluster;
    const managed = managedIn(this.context.managedWorkloads, group);
    let byWindow = this.changedCache.get(group);
    if (!byWindow) {
      byWindow = new Map();
      this.changedCache.set(group, byWindow);
    }
    let recent = byWindow.get(windowMs);
    if (!recent) {
      const changes = this.recent();
      const workloads = new Set<string>();
      const pool = perNamespace ? changesIn(changes, group) : changes.all;
      const [from, to] = this.windowOf(pool, windowMs);
      for (let i = from; i < to; i++) {
        if (perNamespace || inCluster(pool[i], group)) {
          workloads.add(pool[i].workload);
        }
      }
      // Workloads changed but not (or no longer) managed still count as workloads there.
      let unmanagedRecently = 0;
      for (const workload of workloads) {
        if (!managed.has(workload)) unmanagedRecently += 1;
      }
      recent = { workloads, unmanaged: unmanagedRecently, upTo: new Map() };
      byWindow.set(windowMs, recent);
    }
    let counts = recent.upTo.get(facts.index);
    if (!counts) {
      // This plan's targets there, up to and including this decision.
      const recentlyChanged = recent.workloads;
      let unmanaged = recent.unmanaged;
      let changedNow = recentlyChanged.size;
      const added: string[] = [];
      for (let j = 0; j <= facts.index; j++) {
        const other = this.facts[j];
        if (
          (perNamespace ? other.namespaceKey : other.cluster) === group &&
          !recentlyChanged.has(other.workload) &&
          !added.includes(other.workload)
        ) {
          added.push(other.workload);
          changedNow += 1;
          if (!managed.has(other.workload)) unmanaged += 1;
        }
      }
      counts = [changedNow, managed.size + unmanaged];
      recent.upTo.set(facts.index, counts);
    }
    const [changed, total] = counts;
    // One workload may always change: otherwise a namespace of one or two workloads could never
    // change at all (like a rolling update's maxUnavailable, rounded but never to zero).
    const allowed = Math.max(1, Math.floor((rule.maxPercent * total) / 100));
    if (changed <= allowed) {
      return;
    }
    const where = perNamespace
      ? `namespace ${facts.namespace} of cluster ${facts.cluster}`
      : `cluster ${facts.cluster}`;
    findings.push({
      outcome: 'deny',
      rule: rule.id,
      message: `This would make ${changed} of the ${plural(
        total,
        'managed workload',
      )} in ${where} changed within ${plural(
        windowMinutes,
        'minute',
      )} (${roundTo((changed * 100) / total, 1)}%); rule ${
        rule.id
      } allows at most ${
        rule.maxPercent
      }% (${allowed}). Spread the changes over time or split the plan.`,
    });
  }

  private applyFreezes(facts: DecisionFacts, findings: Finding[]): void {
    for (const { window, end } of this.activeFreezes) {
      if (!scopeMatches(window.scope, facts)) {
        continue;
      }
      const rule = `freeze:${window.id}`;
      const until = this.iso(end);
      if (
        facts.decision.verb === 'rollback' &&
        window.allowRollback !== false
      ) {
        findings.push({
          outcome: 'allow',
          rule,
          message: `Rollback allowed during change freeze "${window.name}" (until ${until}): the window lets rollbacks through.`,
        });
        continue;
      }
      const override = this.activeOverrides.find(o =>
        scopeMatches(o.scope, facts),
      );
      if (override) {
        findings.push({
          outcome: 'allow',
          rule,
          message: `Change freeze "${window.name}" (until ${until}) is lifted by break-glass override ${override.id}: ${override.createdBy} broke the glass ("${override.reason}"), valid until ${override.expiresAt}.`,
        });
        continue;
      }
      const rollbackNote =
        facts.decision.verb === 'rollback'
          ? ' This window does not let rollbacks through either.'
          : '';
      findings.push({
        outcome: 'deny',
        rule,
        message: `Change freeze "${
          window.name
        }" is in effect until ${until}: ${sentence(
          window.reason,
        )}${rollbackNote} Resubmit after it ends, or ask an admin for a break-glass override.`,
      });
    }
  }
}

/** The pure engine: (plan, policy, context, now) → verdicts. No I/O, no clock. */
export const evaluatePolicy: EvaluatePolicy = (plan, policy, context, now) =>
  new Evaluation(plan, policy, context, now).run();
