// Benchmark of the pure policy engine: one 10-decision plan against a 200-rule policy and a
// calendar of 50 freeze windows (one-off and recurring, several time zones), on one core.
// Prints evaluations per second and per-plan latency p50/p99/max in microseconds.
//
// Targets: p99 under 1 ms per plan, at least 5,000 plans/s.
//
//   yarn bench:policy
//   BENCH_SECONDS=10 yarn bench:policy
import {
  freezeWindowInputSchema,
  policyDocumentSchema,
  type FreezeOverride,
  type FreezeWindow,
  type PolicyDocument,
  type PolicyScope,
  type Verb,
} from '@internal/backstage-plugin-sentinel-common';
import os from 'node:os';
import { compileFreezeCalendar, evaluatePolicy } from '../src/policy/engine';
import type {
  PolicyDecisionInput,
  PolicyPlanInput,
} from '../src/policy/PolicyEngine';
import type { PolicyContext, RecentChange } from '../src/policy/types';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WARMUP_SECONDS = 1;
/** Simulated time advances this much per evaluation, so the freeze calendar's cache moves. */
const STEP_MS = 250;

// A deterministic pseudo-random sequence, so every run measures the same inputs.
let seed = 42;
function random(): number {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}
function pick<T>(items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

// A Friday before the Berlin DST change; the weekend freezes start during the run.
const START = new Date('2026-03-27T13:00:00Z');
const CLUSTERS = ['prod-eu', 'prod-us', 'staging'];
const NAMESPACES = [
  'shop',
  'payments',
  'search',
  'identity',
  'media',
  'ads',
  'mail',
  'data',
  'ml',
  'infra',
];
const TEAMS = ['checkout', 'discovery', 'platform', 'growth', 'core'];
const TIERS = ['critical', 'standard', 'low'];
const ZONES = [
  'Europe/Berlin',
  'America/New_York',
  'Asia/Tokyo',
  'Australia/Sydney',
  'UTC',
];

// ---------------------------------------------------------------------------
// The fleet: 3 clusters x 10 namespaces x 20 workloads
// ---------------------------------------------------------------------------

const managedWorkloads: string[] = [];
const entityOf = new Map<string, string>();
const entityLabels: Record<string, Record<string, string>> = {};
for (const cluster of CLUSTERS) {
  for (const namespace of NAMESPACES) {
    for (let i = 0; i < 20; i++) {
      const name = `${namespace}-svc-${i}`;
      const workload = `${cluster}/${namespace}/Deployment/${name}`;
      managedWorkloads.push(workload);
      const entityRef = `component:default/${name}`;
      entityOf.set(workload, entityRef);
      entityLabels[entityRef] = {
        tier: TIERS[i % TIERS.length],
        team: TEAMS[i % TEAMS.length],
      };
    }
  }
}

// ---------------------------------------------------------------------------
// The plan: 10 decisions of every verb
// ---------------------------------------------------------------------------

const VERB_CYCLE: Verb[] = [
  'scale',
  'set_resources',
  'scale',
  'restart',
  'rollout',
  'scale',
  'set_resources',
  'rollback',
  'scale',
  'restart',
];
const decisions: PolicyDecisionInput[] = VERB_CYCLE.map((verb, i) => {
  const cluster = CLUSTERS[i % 2];
  const namespace = NAMESPACES[i % 4];
  const name = `${namespace}-svc-${i}`;
  const params: Record<Verb, Record<string, unknown>> = {
    scale: { replicas: 6 + (i % 3) },
    set_resources: {
      containers: {
        app: {
          requests: { cpu: '750m', memory: '768Mi' },
          limits: { cpu: '1500m', memory: '1536Mi' },
        },
      },
    },
    rollout: {
      containers: { app: { image: 'registry.example.com/app:2.0.0' } },
    },
    restart: {},
    rollback: {},
  };
  return {
    verb,
    target: { cluster, namespace, kind: 'Deployment', name },
    params: params[verb],
    confidence: 0.65 + (i % 4) * 0.1,
    entityRef: `component:default/${name}`,
  };
});
const plan: PolicyPlanInput = {
  source: 'inframind',
  mode: 'enforce',
  decisions,
};

// ---------------------------------------------------------------------------
// The policy: 200 rules of every kind and scope, and 20 exceptions
// ---------------------------------------------------------------------------

function randomScope(): Record<string, unknown> | undefined {
  const r = random();
  if (r < 0.15) return undefined;
  if (r < 0.35) return { cluster: pick(CLUSTERS) };
  if (r < 0.6) return { namespace: pick(NAMESPACES) };
  if (r < 0.75) return { cluster: pick(CLUSTERS), namespace: pick(NAMESPACES) };
  if (r < 0.88) return { labels: { tier: pick(TIERS) } };
  const workload = pick(managedWorkloads);
  return { entityRef: entityOf.get(workload) };
}

const KINDS = [
  'replica_bounds',
  'replica_bounds',
  'resource_bounds',
  'resource_bounds',
  'rate_limit',
  'rate_limit',
  'blast_radius',
  'allowed_verbs',
  'confidence',
  'require_approval',
  'plan_size',
] as const;

const rules: unknown[] = [];
for (let i = 0; rules.length < 200; i++) {
  const kind = KINDS[i % KINDS.length];
  const id = `${kind.replace('_', '-')}-${i}`;
  const scope = randomScope();
  switch (kind) {
    case 'replica_bounds':
      rules.push({
        id,
        kind,
        scope,
        min: 1,
        max: 30 + Math.floor(random() * 70),
        maxStep: 5 + Math.floor(random() * 10),
        maxStepPercent: 50 + Math.floor(random() * 100),
      });
      break;
    case 'resource_bounds':
      rules.push({
        id,
        kind,
        scope,
        cpu: { min: '50m', max: `${2 + Math.floor(random() * 6)}` },
        memory: { min: '64Mi', max: `${4 + Math.floor(random() * 12)}Gi` },
        maxChangeRatio: 2 + Math.floor(random() * 3),
      });
      break;
    case 'rate_limit':
      rules.push({
        id,
        kind,
        scope,
        ...pick([
          { per: 'workload', max: 3 + Math.floor(random() * 4) },
          { per: 'namespace', max: 20 + Math.floor(random() * 40) },
          { per: 'global', max: 1000 + Math.floor(random() * 1000) },
        ] as const),
        windowMinutes: pick([15, 60, 240, 1440]),
      });
      break;
    case 'blast_radius':
      rules.push({
        id,
        kind,
        scope,
        per: pick(['namespace', 'cluster'] as const),
        maxPercent: 40 + Math.floor(random() * 50),
        windowMinutes: pick([60, 240]),
      });
      break;
    case 'allowed_verbs':
      rules.push({
        id,
        kind,
        scope,
        verbs: ['scale', 'set_resources', 'restart', 'rollout', 'rollback'],
      });
      break;
    case 'confidence':
      rules.push({ id, kind, scope, minimum: pick([0.5, 0.6, 0.7]) });
      break;
    case 'require_approval':
      rules.push({
        id,
        kind,
        scope: scope ?? { cluster: 'staging' },
        verbs: ['rollout'],
        reason: 'Rollouts here are reviewed by the owning team.',
      });
      break;
    case 'plan_size':
      rules.push({ id, kind, scope, max: 20 + Math.floor(random() * 30) });
      break;
    default:
      throw new Error(`unknown kind ${kind}`);
  }
}
const ruleIds = rules.map(r => (r as { id: string }).id);
const exceptions = Array.from({ length: 20 }, (_, i) => ({
  id: `exception-${i}`,
  scope: { entityRef: pick(decisions).entityRef! },
  rules: [pick(ruleIds), pick(ruleIds)].filter(
    (id, n, all) => all.indexOf(id) === n,
  ),
  ticket: `OPS-${1000 + i}`,
  // Half already expired, half live during the run.
  expiresAt: new Date(
    START.getTime() + (i % 2 ? 1 : -1) * 86_400_000,
  ).toISOString(),
}));
const policy: PolicyDocument = policyDocumentSchema.parse({
  rules,
  exceptions,
});

// ---------------------------------------------------------------------------
// The freeze calendar: 20 one-off and 30 recurring windows
// ---------------------------------------------------------------------------

const CRONS = [
  '0 16 * * 5', // Friday afternoon into the weekend
  '30 2 * * *', // nightly, inside the DST gap in Europe
  '0 22 * * 1-5', // overnight on weekdays
  '0 9 1 * *', // first of the month
  '0 12 * * 3', // Wednesday lunch
  '0 8,20 * * *', // twice a day
];
const windows: FreezeWindow[] = [];
for (let i = 0; i < 50; i++) {
  const recurringWindow = i >= 20;
  // One-off windows: mostly past or future; two are active now, narrowly scoped.
  const offsetDays = i === 3 || i === 7 ? -1 : (i % 2 ? 2 : -5) - i;
  const narrowScopes: PolicyScope[] = [
    { cluster: pick(CLUSTERS), namespace: pick(NAMESPACES) },
    { cluster: 'staging' },
    { namespace: pick(NAMESPACES), labels: { tier: 'critical' } },
    { entityRef: entityOf.get(pick(managedWorkloads)) },
  ];
  let scope: PolicyScope = i % 10 === 0 ? {} : pick(narrowScopes);
  if (i === 3) scope = { namespace: 'ml' };
  if (i === 7) scope = { entityRef: 'component:default/search-svc-2' };
  const input = freezeWindowInputSchema.parse({
    name: `freeze ${i}`,
    reason: recurringWindow ? 'Regular change freeze' : 'Planned event',
    scope,
    ...(recurringWindow
      ? {
          recurrence: {
            cron: CRONS[i % CRONS.length],
            durationMinutes: pick([30, 60, 240, 600, 3840]),
            timezone: ZONES[i % ZONES.length],
          },
        }
      : {
          start: new Date(
            START.getTime() + offsetDays * 86_400_000,
          ).toISOString(),
          end: new Date(
            START.getTime() + (offsetDays + 2) * 86_400_000,
          ).toISOString(),
        }),
    allowRollback: i % 3 !== 0,
  });
  windows.push({
    ...input,
    id: `window-${i}`,
    createdBy: 'admin',
    createdAt: '2026-01-01T00:00:00Z',
  });
}

const overrides: FreezeOverride[] = [
  {
    id: 'glass-1',
    scope: { namespace: 'payments' },
    reason: 'payment outage fix',
    createdBy: 'alice',
    createdAt: START.toISOString(),
    expiresAt: new Date(START.getTime() + 3 * 3_600_000).toISOString(),
  },
];

// ---------------------------------------------------------------------------
// Context: current state of the targets and a day of recent changes
// ---------------------------------------------------------------------------

const workloads: PolicyContext['workloads'] = {};
for (const d of decisions.slice(0, 9)) {
  const { cluster, namespace, kind, name } = d.target;
  workloads[`${cluster}/${namespace}/${kind}/${name}`] = {
    replicas: 6,
    containers: [
      {
        name: 'app',
        image: 'registry.example.com/app:1.0.0',
        resources: {
          requests: { cpu: '500m', memory: '512Mi' },
          limits: { cpu: '1', memory: '1Gi' },
        },
      },
    ],
  };
}
const recentChanges: RecentChange[] = Array.from({ length: 400 }, () => ({
  at: new Date(
    START.getTime() - Math.floor(random() * 86_400_000),
  ).toISOString(),
  workload: pick(managedWorkloads),
}));

// ---------------------------------------------------------------------------
// Run
// ---------------------------------------------------------------------------

const compileStarted = process.hrtime.bigint();
const freezeCalendar = compileFreezeCalendar(windows);
const compileMicros = Number(process.hrtime.bigint() - compileStarted) / 1000;

const context: PolicyContext = {
  freezeCalendar,
  overrides,
  workloads,
  entityLabels,
  recentChanges,
  managedWorkloads,
};

/** A context with fresh copies of its arrays, as a caller that rebuilds them every time. */
function freshContext(): PolicyContext {
  return {
    ...context,
    overrides: [...overrides],
    workloads: { ...workloads },
    entityLabels: { ...entityLabels },
    recentChanges: [...recentChanges],
    managedWorkloads: [...managedWorkloads],
  };
}

let step = 0;
function nextNow(): Date {
  const now = new Date(START.getTime() + step * STEP_MS);
  step += 1;
  return now;
}

const firstStarted = process.hrtime.bigint();
const first = evaluatePolicy(plan, policy, freshContext(), nextNow());
const firstMicros = Number(process.hrtime.bigint() - firstStarted) / 1000;

interface Run {
  samples: number[];
  seconds: number;
  outcomes: Record<string, number>;
  from: Date;
  to: Date;
}

/** Evaluates for `seconds`, one plan at a time; `contextFor` is called outside the timing. */
function measure(seconds: number, contextFor: () => PolicyContext): Run {
  const samples: number[] = [];
  const outcomes: Record<string, number> = {};
  const from = new Date(START.getTime() + step * STEP_MS);
  let elapsed = 0n;
  const until = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() < until) {
    const input = contextFor();
    const now = nextNow();
    const before = process.hrtime.bigint();
    const result = evaluatePolicy(plan, policy, input, now);
    const took = process.hrtime.bigint() - before;
    elapsed += took;
    samples.push(Number(took) / 1000);
    outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
  }
  samples.sort((a, b) => a - b);
  return {
    samples,
    seconds: Number(elapsed) / 1e9,
    outcomes,
    from,
    to: new Date(START.getTime() + step * STEP_MS),
  };
}

function summary(run: Run) {
  const { samples } = run;
  const at = (p: number) =>
    samples[
      Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))
    ];
  return {
    perSecond: samples.length / run.seconds,
    p50: at(50),
    p99: at(99),
    max: samples[samples.length - 1],
  };
}

measure(WARMUP_SECONDS, () => context);
const shared = measure(SECONDS, () => context);
const fresh = measure(Math.max(1, SECONDS / 2), freshContext);

const cpus = os.cpus();
const us = (micros: number) => `${micros.toFixed(1)} µs`;
const line = (label: string, run: Run) => {
  const s = summary(run);
  return `  ${label}${run.samples.length} plans in ${run.seconds.toFixed(
    2,
  )} s of evaluation = ${Math.round(s.perSecond)} plans/s; p50 ${us(
    s.p50,
  )}, p99 ${us(s.p99)}, max ${us(s.max)}`;
};
console.log('Sentinel policy engine benchmark (one core, one plan at a time)');
console.log(`  date:        ${new Date().toISOString()}`);
console.log(
  `  machine:     ${cpus[0]?.model ?? 'unknown cpu'} (${
    cpus.length
  } cores), ${os.type()} ${os.release()}, Node ${process.version}`,
);
console.log(
  `  input:       ${plan.decisions.length} decisions, ${policy.rules.length} rules, ${policy.exceptions.length} exceptions, ${windows.length} freeze windows, ${recentChanges.length} recent changes, ${managedWorkloads.length} managed workloads`,
);
console.log(
  `  simulated:   ${shared.from.toISOString()} .. ${fresh.to.toISOString()} (now advances ${STEP_MS} ms per plan)`,
);
console.log(`  compile:     ${us(compileMicros)} for 50 windows, once`);
console.log(
  `  first plan:  ${us(firstMicros)} (cold), outcome ${first.outcome}`,
);
console.log(line('shared:      ', shared));
console.log(
  `               (the caller reuses its context arrays; outcomes ${Object.entries(
    shared.outcomes,
  )
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')})`,
);
console.log(line('fresh:       ', fresh));
console.log('               (new context arrays for every plan)');
if (process.env.BENCH_DEBUG) {
  for (const d of first.decisions) {
    console.log(
      `  decision ${d.index}: ${d.verdict.outcome}\n    ${d.verdict.reasons
        .map(r => `${r.rule}: ${r.message}`)
        .join('\n    ')}`,
    );
  }
}
const main = summary(shared);
const ok = main.p99 < 1000 && main.perSecond >= 5000;
console.log(
  `  targets:     p99 < 1000 µs and >= 5000 plans/s: ${ok ? 'met' : 'MISSED'}`,
);
process.exitCode = ok ? 0 : 1;
