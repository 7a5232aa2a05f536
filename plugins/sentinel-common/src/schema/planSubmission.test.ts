/* eslint jest/expect-expect: ["warn", { "assertFunctionNames": ["expect", "expectValid", "expectIssues"] }] */
import { Verb, VERBS } from '../plans';
import {
  parseQuantity,
  planSubmissionSchema,
  rolloutParamsSchema,
  scaleParamsSchema,
  validatePlanSubmission,
} from './planSubmission';

const TARGET = {
  cluster: 'demo',
  namespace: 'shop',
  kind: 'Deployment',
  name: 'cart',
};
const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
const UUID = '3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60';
const VERBS_MESSAGE =
  'must be one of: scale, set_resources, restart, rollout, rollback';

function decision(
  verb: string,
  params: unknown,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { verb, target: TARGET, params, ...extra };
}

function plan(
  decisions: unknown[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { source: 'InfraMind', decisions, ...extra };
}

/** A plan with one decision with the given verb and params. */
function planOf(verb: string, params: unknown): Record<string, unknown> {
  return plan([decision(verb, params)]);
}

/** `count` decisions on distinct workloads. */
function manyDecisions(count: number): unknown[] {
  return Array.from({ length: count }, (_, i) =>
    decision('restart', {}, { target: { ...TARGET, name: `cart-${i}` } }),
  );
}

function resources(containers: unknown): Record<string, unknown> {
  return planOf('set_resources', { containers });
}

function image(ref: unknown): Record<string, unknown> {
  return planOf('rollout', { containers: { app: { image: ref } } });
}

/** The issues of a body that must be refused. */
function issuesOf(body: unknown) {
  const result = validatePlanSubmission(body);
  if (result.ok) {
    throw new Error(`expected the body to be refused: ${JSON.stringify(body)}`);
  }
  return result.issues;
}

/** Asserts the exact list of issue paths, and that each message contains the given text. */
function expectIssues(body: unknown, expected: [string, string][]) {
  expect(issuesOf(body)).toEqual(
    expected.map(([path, message]) => ({
      path,
      message: expect.stringContaining(message),
    })),
  );
}

function expectValid(body: unknown) {
  const result = validatePlanSubmission(body);
  expect(result.ok ? [] : result.issues).toEqual([]);
  expect(result.ok).toBe(true);
}

describe('parseQuantity', () => {
  it.each<[string, number]>([
    ['100m', 0.1],
    ['250m', 0.25],
    ['0.5', 0.5],
    ['.5', 0.5],
    ['1', 1],
    ['2k', 2000],
    ['1e3', 1000],
    ['1.5E2', 150],
    ['1e-3', 0.001],
    ['1.5G', 1.5e9],
    ['1E', 1e18],
    ['1Ki', 1024],
    ['512Mi', 512 * 1024 ** 2],
    ['1Gi', 1024 ** 3],
    ['2Ti', 2 * 1024 ** 4],
    ['-1', -1],
  ])('parses %s as %d', (quantity, expected) => {
    expect(parseQuantity(quantity)).toBe(expected);
  });

  it.each(['1.5.3', 'abc', '10MB', '', '1K', '1 Gi', ' 1', '1e', 'Mi', '1mi'])(
    'returns NaN for %j',
    quantity => {
      expect(parseQuantity(quantity)).toBeNaN();
    },
  );

  it('parses decimal suffixes exactly, so equal quantities compare equal', () => {
    expect(parseQuantity('100m')).toBe(parseQuantity('0.1'));
    expect(parseQuantity('300m')).toBe(parseQuantity('0.3'));
    expect(parseQuantity('1G')).toBe(parseQuantity('1000M'));
  });
});

describe('validatePlanSubmission: accepted bodies', () => {
  const id = (i: number) => ({ ...TARGET, name: `w-${i}` });
  it.each<[string, unknown]>([
    [
      'the contract example',
      {
        source: 'InfraMind',
        mode: 'enforce',
        decisions: [
          {
            verb: 'scale',
            target: TARGET,
            params: { replicas: 4 },
            rationale: 'p95 CPU 85% for 30 min',
            confidence: 0.92,
          },
        ],
      },
    ],
    ['shadow mode', plan([decision('restart', {})], { mode: 'shadow' })],
    ['scale to 0 replicas', planOf('scale', { replicas: 0 })],
    ['scale to 10000 replicas', planOf('scale', { replicas: 10000 })],
    [
      'set_resources with requests only',
      resources({ app: { requests: { cpu: '250m' } } }),
    ],
    [
      'set_resources with limits only, on two containers',
      resources({
        app: { limits: { memory: '1Gi' } },
        sidecar: { limits: { cpu: '1' } },
      }),
    ],
    [
      'set_resources with requests equal to limits written differently',
      resources({
        app: {
          requests: { cpu: '1000m', memory: '1024Mi' },
          limits: { cpu: '1', memory: '1Gi' },
        },
      }),
    ],
    [
      'set_resources with requests below limits',
      resources({
        app: {
          requests: { cpu: '100m', memory: '512Mi' },
          limits: { cpu: '0.5', memory: '1G' },
        },
      }),
    ],
    [
      'set_resources with a request for cpu and a limit for memory only',
      resources({
        app: { requests: { cpu: '4' }, limits: { memory: '1Mi' } },
      }),
    ],
    ['restart with empty params', planOf('restart', {})],
    ['restart without params', plan([{ verb: 'restart', target: TARGET }])],
    [
      'rollout with a strategy',
      planOf('rollout', {
        containers: { app: { image: 'shop/cart:1.2.3' } },
        strategy: 'canary',
      }),
    ],
    ['rollback to the previous plan', planOf('rollback', {})],
    ['rollback to a given plan', planOf('rollback', { toPlanId: UUID })],
    ['exactly 50 decisions', plan(manyDecisions(50))],
    ['a 1-character source', { ...planOf('restart', {}), source: 'x' }],
    [
      'a 100-character source',
      { ...planOf('restart', {}), source: `A${'b. _-'.repeat(19)}bcde` },
    ],
    [
      'a 2000-character rationale',
      plan([decision('restart', {}, { rationale: 'r'.repeat(2000) })]),
    ],
    ['confidence 0', plan([decision('restart', {}, { confidence: 0 })])],
    ['confidence 1', plan([decision('restart', {}, { confidence: 1 })])],
    [
      'a StatefulSet with a dotted 253-character name',
      plan([
        decision(
          'restart',
          {},
          {
            target: {
              ...TARGET,
              kind: 'StatefulSet',
              name: `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(
                63,
              )}.${'d'.repeat(61)}`,
            },
          },
        ),
      ]),
    ],
    [
      'a 63-character namespace and no cluster',
      plan([
        decision(
          'restart',
          {},
          { target: { namespace: `a${'-'.repeat(61)}z`, name: 'cart' } },
        ),
      ]),
    ],
    [
      'the same name in another kind, namespace or cluster',
      plan([
        decision('restart', {}, { target: id(1) }),
        decision('restart', {}, { target: { ...id(1), kind: 'StatefulSet' } }),
        decision('restart', {}, { target: { ...id(1), namespace: 'other' } }),
        decision('restart', {}, { target: { ...id(1), cluster: 'other' } }),
      ]),
    ],
  ])('accepts %s', (_, body) => {
    expectValid(body);
  });

  const minimalParams: Record<Verb, unknown> = {
    scale: { replicas: 1 },
    set_resources: { containers: { app: { requests: { cpu: '1' } } } },
    restart: {},
    rollout: { containers: { app: { image: 'app:1' } } },
    rollback: {},
  };
  it.each(VERBS)('accepts the verb %s', verb => {
    expectValid(planOf(verb, minimalParams[verb]));
  });
});

describe('validatePlanSubmission: defaults', () => {
  it('applies mode, kind, strategy and empty params defaults', () => {
    const result = validatePlanSubmission({
      source: 'InfraMind',
      decisions: [
        {
          verb: 'rollout',
          target: { namespace: 'shop', name: 'cart' },
          params: { containers: { app: { image: 'shop/cart:1.2.3' } } },
        },
        { verb: 'restart', target: { namespace: 'shop', name: 'cart-db' } },
      ],
    });
    expect(result).toEqual({
      ok: true,
      value: {
        source: 'InfraMind',
        mode: 'enforce',
        decisions: [
          {
            verb: 'rollout',
            target: { namespace: 'shop', kind: 'Deployment', name: 'cart' },
            params: {
              containers: { app: { image: 'shop/cart:1.2.3' } },
            },
          },
          {
            verb: 'restart',
            target: { namespace: 'shop', kind: 'Deployment', name: 'cart-db' },
            params: {},
          },
        ],
      },
    });
  });

  it('keeps explicit values instead of defaults', () => {
    const result = validatePlanSubmission(
      plan(
        [
          decision(
            'rollout',
            {
              containers: { app: { image: 'app:2' } },
              strategy: 'bluegreen',
            },
            { target: { ...TARGET, kind: 'StatefulSet' } },
          ),
        ],
        { mode: 'shadow' },
      ),
    );
    expect(result.ok && result.value.mode).toBe('shadow');
    const first = result.ok ? result.value.decisions[0] : undefined;
    expect(first?.target.kind).toBe('StatefulSet');
    expect(first?.verb === 'rollout' && first.params.strategy).toBe(
      'bluegreen',
    );
  });

  it('is the same as parsing with planSubmissionSchema', () => {
    const body = planOf('scale', { replicas: 3 });
    const result = validatePlanSubmission(body);
    expect(result).toEqual({
      ok: true,
      value: planSubmissionSchema.parse(body),
    });
  });
});

describe('validatePlanSubmission: refused bodies', () => {
  it.each<[string, unknown, [string, string][]]>([
    // The body itself
    ['null', null, [['(body)', 'must be a JSON object']]],
    ['an array', [], [['(body)', 'must be a JSON object']]],
    ['a string', 'plan', [['(body)', 'must be a JSON object']]],
    ['undefined', undefined, [['(body)', 'must be a JSON object']]],
    [
      'an empty object',
      {},
      [
        ['source', 'is required'],
        ['decisions', 'is required'],
      ],
    ],
    [
      'an unknown top-level key',
      { ...planOf('restart', {}), dryRun: true },
      [['dryRun', 'is not a known field; allowed: source, mode, decisions']],
    ],
    // source
    [
      'an empty source',
      { ...planOf('restart', {}), source: '' },
      [['source', 'must be 1 to 100 characters']],
    ],
    [
      'a 101-character source',
      { ...planOf('restart', {}), source: 'a'.repeat(101) },
      [['source', 'must be 1 to 100 characters']],
    ],
    [
      'a source starting with a space',
      { ...planOf('restart', {}), source: ' InfraMind' },
      [['source', 'starting with a letter or digit']],
    ],
    [
      'a source with a slash',
      { ...planOf('restart', {}), source: 'infra/mind' },
      [['source', 'must be 1 to 100 characters']],
    ],
    [
      'a source that is not a string',
      { ...planOf('restart', {}), source: 7 },
      [['source', 'must be 1 to 100 characters']],
    ],
    // mode
    [
      'an unknown mode',
      { ...planOf('restart', {}), mode: 'dry-run' },
      [['mode', 'must be one of: enforce, shadow']],
    ],
    // decisions
    [
      'no decisions',
      plan([]),
      [['decisions', 'must contain at least one decision']],
    ],
    [
      '51 decisions',
      plan(manyDecisions(51)),
      [['decisions', 'must contain at most 50 decisions']],
    ],
    [
      'decisions that are not a list',
      plan({} as unknown[]),
      [['decisions', 'must be a list of 1 to 50 decisions']],
    ],
    [
      'a decision that is not an object',
      plan([decision('restart', {}), 'restart']),
      [['decisions[1]', 'must be an object']],
    ],
    // verb
    [
      'an unknown verb',
      plan([
        decision('restart', {}),
        decision('delete', {}, { target: { ...TARGET, name: 'other' } }),
      ]),
      [['decisions[1].verb', VERBS_MESSAGE]],
    ],
    [
      'a missing verb',
      plan([{ target: TARGET, params: {} }]),
      [['decisions[0].verb', `is required; ${VERBS_MESSAGE}`]],
    ],
    // decision keys
    [
      'an unknown decision key',
      plan([decision('restart', {}, { reason: 'typo of rationale' })]),
      [
        [
          'decisions[0].reason',
          'is not a known field; allowed: verb, target, params, rationale, confidence',
        ],
      ],
    ],
    [
      'a 2001-character rationale',
      plan([decision('restart', {}, { rationale: 'r'.repeat(2001) })]),
      [['decisions[0].rationale', 'must be at most 2000 characters']],
    ],
    [
      'a rationale that is not a string',
      plan([decision('restart', {}, { rationale: ['a'] })]),
      [['decisions[0].rationale', 'must be a string']],
    ],
    [
      'confidence 1.0001',
      plan([decision('restart', {}, { confidence: 1.0001 })]),
      [['decisions[0].confidence', 'must be a number between 0 and 1']],
    ],
    [
      'confidence -0.1',
      plan([decision('restart', {}, { confidence: -0.1 })]),
      [['decisions[0].confidence', 'must be a number between 0 and 1']],
    ],
    [
      'confidence as a string',
      plan([decision('restart', {}, { confidence: '0.9' })]),
      [['decisions[0].confidence', 'must be a number between 0 and 1']],
    ],
    // target
    [
      'a missing target',
      plan([{ verb: 'restart', params: {} }]),
      [['decisions[0].target', 'is required']],
    ],
    [
      'a target missing namespace and name',
      plan([decision('restart', {}, { target: { cluster: 'demo' } })]),
      [
        ['decisions[0].target.namespace', 'is required'],
        ['decisions[0].target.name', 'is required'],
      ],
    ],
    [
      'an unknown target key',
      plan([decision('restart', {}, { target: { ...TARGET, zone: 'eu' } })]),
      [['decisions[0].target.zone', 'is not a known field']],
    ],
    [
      'an uppercase cluster',
      plan([
        decision('restart', {}, { target: { ...TARGET, cluster: 'Demo' } }),
      ]),
      [['decisions[0].target.cluster', 'must be a DNS-1123 label']],
    ],
    [
      'a 64-character namespace',
      plan([
        decision(
          'restart',
          {},
          { target: { ...TARGET, namespace: 'a'.repeat(64) } },
        ),
      ]),
      [['decisions[0].target.namespace', 'must be a DNS-1123 label']],
    ],
    [
      'a namespace ending with a dash',
      plan([
        decision('restart', {}, { target: { ...TARGET, namespace: 'shop-' } }),
      ]),
      [['decisions[0].target.namespace', 'must be a DNS-1123 label']],
    ],
    [
      'an unsupported kind',
      plan([
        decision('restart', {}, { target: { ...TARGET, kind: 'DaemonSet' } }),
      ]),
      [['decisions[0].target.kind', 'must be one of: Deployment, StatefulSet']],
    ],
    [
      'an uppercase workload name',
      plan([decision('restart', {}, { target: { ...TARGET, name: 'Cart' } })]),
      [['decisions[0].target.name', 'must be a DNS-1123 subdomain']],
    ],
    [
      'a 254-character workload name',
      plan([
        decision(
          'restart',
          {},
          {
            target: {
              ...TARGET,
              name: `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(
                63,
              )}.${'d'.repeat(62)}`,
            },
          },
        ),
      ]),
      [['decisions[0].target.name', 'must be a DNS-1123 subdomain']],
    ],
    [
      'a workload name with an empty label',
      plan([decision('restart', {}, { target: { ...TARGET, name: 'a..b' } })]),
      [['decisions[0].target.name', 'must be a DNS-1123 subdomain']],
    ],
    // scale
    [
      'scale to -1 replicas',
      planOf('scale', { replicas: -1 }),
      [['decisions[0].params.replicas', 'must be an integer >= 0']],
    ],
    [
      'scale to 10001 replicas',
      planOf('scale', { replicas: 10001 }),
      [
        [
          'decisions[0].params.replicas',
          'must be an integer >= 0 and <= 10000',
        ],
      ],
    ],
    [
      'scale to 1.5 replicas',
      planOf('scale', { replicas: 1.5 }),
      [['decisions[0].params.replicas', 'must be an integer >= 0']],
    ],
    [
      'scale to "4" replicas',
      planOf('scale', { replicas: '4' }),
      [['decisions[0].params.replicas', 'must be an integer >= 0']],
    ],
    [
      'scale without replicas',
      planOf('scale', {}),
      [['decisions[0].params.replicas', 'is required']],
    ],
    [
      'scale without params',
      plan([{ verb: 'scale', target: TARGET }]),
      [['decisions[0].params', 'is required']],
    ],
    [
      'scale with an unknown param',
      planOf('scale', { replicas: 2, min: 1 }),
      [['decisions[0].params.min', 'is not a known field; allowed: replicas']],
    ],
    // set_resources
    [
      'set_resources without containers',
      planOf('set_resources', {}),
      [['decisions[0].params.containers', 'is required']],
    ],
    [
      'set_resources with no container',
      resources({}),
      [['decisions[0].params.containers', 'must name at least one container']],
    ],
    [
      'set_resources with a container setting nothing',
      resources({ app: {} }),
      [
        [
          'decisions[0].params.containers.app',
          'must set requests or limits (or both)',
        ],
      ],
    ],
    [
      'set_resources with empty requests',
      resources({ app: { requests: {} } }),
      [
        [
          'decisions[0].params.containers.app.requests',
          'must set cpu or memory (or both)',
        ],
      ],
    ],
    [
      'set_resources with an unknown resource',
      resources({ app: { limits: { cpu: '1', gpu: '1' } } }),
      [
        [
          'decisions[0].params.containers.app.limits.gpu',
          'is not a known field; allowed: cpu, memory',
        ],
      ],
    ],
    [
      'set_resources with an invalid container name',
      resources({ 'My App': { limits: { cpu: '1' } } }),
      [
        [
          'decisions[0].params.containers["My App"]',
          'is not a valid container name',
        ],
      ],
    ],
    [
      'set_resources with a cpu request above its limit',
      resources({
        app: { requests: { cpu: '1001m' }, limits: { cpu: '1' } },
      }),
      [
        [
          'decisions[0].params.containers.app.requests.cpu',
          'must not exceed the cpu limit (1)',
        ],
      ],
    ],
    [
      'set_resources with a memory request above its limit',
      resources({
        app: {
          requests: { cpu: '1', memory: '2Gi' },
          limits: { cpu: '2', memory: '2G' },
        },
      }),
      [
        [
          'decisions[0].params.containers.app.requests.memory',
          'must not exceed the memory limit (2G)',
        ],
      ],
    ],
    [
      'set_resources with a quantity that is a number',
      resources({ app: { requests: { cpu: 1 } } }),
      [
        [
          'decisions[0].params.containers.app.requests.cpu',
          'must be a non-negative Kubernetes quantity',
        ],
      ],
    ],
    // restart
    [
      'restart with a param',
      planOf('restart', { force: true }),
      [['decisions[0].params.force', 'is not a known field']],
    ],
    // rollout
    [
      'rollout without containers',
      planOf('rollout', { strategy: 'canary' }),
      [['decisions[0].params.containers', 'is required']],
    ],
    [
      'rollout without an image',
      planOf('rollout', { containers: { app: {} } }),
      [['decisions[0].params.containers.app.image', 'is required']],
    ],
    [
      'rollout with an unknown strategy',
      planOf('rollout', {
        containers: { app: { image: 'app:1' } },
        strategy: 'yolo',
      }),
      [
        [
          'decisions[0].params.strategy',
          'must be one of: direct, canary, bluegreen',
        ],
      ],
    ],
    [
      'rollout with an unknown container key',
      planOf('rollout', { containers: { app: { image: 'app:1', tag: '2' } } }),
      [['decisions[0].params.containers.app.tag', 'is not a known field']],
    ],
    // rollback
    [
      'rollback to a plan id that is not a UUID',
      planOf('rollback', { toPlanId: 'plan-42' }),
      [['decisions[0].params.toPlanId', 'must be a UUID']],
    ],
    [
      'rollback with an unknown param',
      planOf('rollback', { toRevision: 3 }),
      [['decisions[0].params.toRevision', 'allowed: toPlanId']],
    ],
    // a verb with the params of another
    [
      'scale with the params of set_resources',
      planOf('scale', { containers: { app: { limits: { cpu: '1' } } } }),
      [
        ['decisions[0].params.replicas', 'is required'],
        ['decisions[0].params.containers', 'is not a known field'],
      ],
    ],
    // several problems at once
    [
      'problems in several places',
      {
        source: '',
        decisions: [
          decision('scale', { replicas: -1 }),
          decision('restart', {}, { target: { ...TARGET, name: 'x_y' } }),
        ],
        extra: 1,
      },
      [
        ['source', 'must be 1 to 100 characters'],
        ['decisions[0].params.replicas', 'must be an integer >= 0'],
        ['decisions[1].target.name', 'must be a DNS-1123 subdomain'],
        ['extra', 'is not a known field'],
      ],
    ],
  ])('refuses %s', (_, body, expected) => {
    expectIssues(body, expected);
  });
});

describe('validatePlanSubmission: quantities', () => {
  it.each(['100m', '0.5', '1', '1Gi', '512Mi', '1e3', '2k', '0', '1.5G'])(
    'accepts %j',
    quantity => {
      expectValid(resources({ app: { requests: { cpu: quantity } } }));
    },
  );

  it.each(['1.5.3', 'abc', '-1', '10MB', '', '1K', '1 Gi', '1e400'])(
    'refuses %j',
    quantity => {
      expectIssues(resources({ app: { requests: { memory: quantity } } }), [
        [
          'decisions[0].params.containers.app.requests.memory',
          'must be a non-negative Kubernetes quantity',
        ],
      ]);
    },
  );
});

describe('validatePlanSubmission: image references', () => {
  it.each([
    'shop/cart:1.2.3',
    'registry.example.com:5000/team/app:v1',
    `app@${DIGEST}`,
    `app:1.2@${DIGEST}`,
    'ghcr.io/a/b:1-broken',
    'localhost:5000/app:latest',
    'a__b/c-d.e:_x',
    `app:${'t'.repeat(128)}`,
    `${'a'.repeat(508)}:1.0`,
  ])('accepts %s', ref => {
    expectValid(image(ref));
  });

  it.each<[string, string]>([
    ['shop/cart', 'must pin a :tag or an @sha256 digest'],
    ['registry.example.com:5000/team/app', 'must pin a :tag or an @sha256'],
    ['Shop/Cart:1', 'must be an image reference'],
    [':1', 'must be an image reference'],
    ['a//b:1', 'must be an image reference'],
    ['app:', 'must be an image reference'],
    ['app:-1', 'must be an image reference'],
    [`app:${'t'.repeat(129)}`, 'must be an image reference'],
    ['app@sha256:abc', 'must be an image reference'],
    [`app@md5:${'0'.repeat(32)}`, 'must be an image reference'],
    ['app:1 ', 'must be an image reference'],
    [`${'a'.repeat(509)}:1.0`, 'must be at most 512 characters'],
  ])('refuses %s', (ref, message) => {
    expectIssues(image(ref), [
      ['decisions[0].params.containers.app.image', message],
    ]);
  });
});

describe('validatePlanSubmission: duplicate targets', () => {
  const restartOf = (target: Record<string, unknown>) =>
    decision('restart', {}, { target });

  it.each<[string, unknown[], [string, string][]]>([
    [
      'the same target twice',
      [restartOf(TARGET), decision('scale', { replicas: 2 })],
      [['decisions[1].target', 'duplicates the target of decisions[0]']],
    ],
    [
      'the same target, once with the default kind',
      [
        restartOf({ cluster: 'demo', namespace: 'shop', name: 'cart' }),
        restartOf({ ...TARGET, name: 'other' }),
        restartOf({ ...TARGET, kind: 'Deployment' }),
      ],
      [
        [
          'decisions[2].target',
          'duplicates the target of decisions[0] (demo/shop/Deployment/cart)',
        ],
      ],
    ],
    [
      'the same target, once without a cluster',
      [restartOf(TARGET), restartOf({ namespace: 'shop', name: 'cart' })],
      [['decisions[1].target', 'duplicates the target of decisions[0]']],
    ],
    [
      'the same target three times',
      [restartOf(TARGET), restartOf(TARGET), restartOf(TARGET)],
      [
        ['decisions[1].target', 'decisions[0]'],
        ['decisions[2].target', 'decisions[0]'],
      ],
    ],
    [
      'a duplicate next to an invalid decision',
      [
        restartOf(TARGET),
        decision('delete', {}, { target: { ...TARGET, name: 'other' } }),
        restartOf(TARGET),
      ],
      [
        ['decisions[1].verb', VERBS_MESSAGE],
        ['decisions[2].target', 'duplicates the target of decisions[0]'],
      ],
    ],
  ])('refuses %s', (_, decisions, expected) => {
    expectIssues(plan(decisions), expected);
  });
});

describe('per-verb params schemas', () => {
  it('can be used on their own', () => {
    expect(scaleParamsSchema.safeParse({ replicas: 3 }).success).toBe(true);
    expect(scaleParamsSchema.safeParse({ replicas: -3 }).success).toBe(false);
    expect(
      rolloutParamsSchema.parse({ containers: { app: { image: 'app:1' } } }),
    ).toEqual({ containers: { app: { image: 'app:1' } } });
  });
});
