import { eventually } from '../../replicas/__testUtils__/backendProcess';

/**
 * The policy the scenario plays against: one rule of every kind, each scoped so that exactly
 * the decision meant to meet it does, and a change freeze on namespace production that is in
 * effect now.
 */
export function scenarioPolicy(now: Date) {
  return {
    policy: {
      rules: [
        {
          id: 'allowed-verbs',
          kind: 'allowed_verbs',
          verbs: ['scale', 'set_resources', 'rollout', 'rollback'],
        },
        { id: 'replica-bounds', kind: 'replica_bounds', min: 1, max: 20 },
        {
          id: 'resource-bounds',
          kind: 'resource_bounds',
          cpu: { max: '4' },
        },
        {
          id: 'cart-rate',
          kind: 'rate_limit',
          scope: { entityRef: 'component:default/cart' },
          per: 'workload',
          max: 1,
          windowMinutes: 60,
        },
        {
          id: 'payments-blast-radius',
          kind: 'blast_radius',
          scope: { namespace: 'payments' },
          per: 'namespace',
          maxPercent: 50,
          windowMinutes: 60,
        },
        { id: 'plan-size', kind: 'plan_size', max: 2 },
        { id: 'low-confidence', kind: 'confidence', minimum: 0.7 },
      ],
    },
    freezeWindows: [
      {
        name: 'Release freeze',
        reason: 'The release is being cut.',
        scope: { namespace: 'production' },
        start: new Date(now.getTime() - 3_600_000).toISOString(),
        end: new Date(now.getTime() + 86_400_000).toISOString(),
      },
    ],
  };
}

const target = (namespace: string, name: string, kind = 'Deployment') => ({
  cluster: 'demo',
  namespace,
  kind,
  name,
});
const scale = (
  namespace: string,
  name: string,
  replicas: number,
  confidence = 0.9,
  kind = 'Deployment',
) => ({
  verb: 'scale',
  target: target(namespace, name, kind),
  params: { replicas },
  confidence,
});
const canary = (namespace: string, name: string, image: string) => ({
  verb: 'rollout',
  target: target(namespace, name),
  params: { containers: { app: { image } }, strategy: 'canary' },
  confidence: 0.95,
});
const plan = (...decisions: object[]) => ({ source: 'InfraMind', decisions });

/** A plan's status, as the optimizer reads it. */
interface PlanView {
  id: string;
  status: string;
  statusReason: string | null;
}

/** Plays the scenario of the real-series test against one backend; returns what became of it. */
export class Scenario {
  readonly plans = new Map<string, PlanView>();

  constructor(
    private readonly baseUrl: string,
    private readonly optimizer: Record<string, string>,
    private readonly person: Record<string, string>,
  ) {}

  async #call(
    headers: Record<string, string>,
    method: string,
    path: string,
    body?: object,
  ) {
    const res = await fetch(`${this.baseUrl}/api/sentinel${path}`, {
      method,
      headers: { ...headers, 'Content-Type': 'application/json' },
      body: body && JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) {
      throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    }
    return JSON.parse(text);
  }

  async submit(name: string, body: object): Promise<string> {
    const created = await this.#call(
      this.optimizer,
      'POST',
      '/v1/action-plans',
      body,
    );
    this.plans.set(name, created);
    return created.id;
  }

  /** Waits until plan `name` is in one of `statuses`; fails saying where it is otherwise. */
  async settle(
    name: string,
    statuses: string[],
    timeoutMs = 240_000,
  ): Promise<PlanView> {
    const id = this.plans.get(name)!.id;
    let last: PlanView | undefined;
    const view = await eventually(
      async () => {
        last = await this.#call(
          this.optimizer,
          'GET',
          `/v1/action-plans/${id}`,
        );
        return statuses.includes(last!.status) && last;
      },
      `plan "${name}" is ${statuses.join(' or ')}`,
      timeoutMs,
    ).catch(error => {
      throw new Error(
        `${error.message}; it is ${last?.status} (${last?.statusReason})`,
      );
    });
    this.plans.set(name, view);
    return view;
  }

  /**
   * The scenario: plans applied at once and after a person's approval, one denied by each
   * rule kind and one by the freeze, a rate limit reached, a plan rejected by a person, a
   * canary promoted and one whose analysis failed aborted by a person, and a person's
   * rollback.
   */
  async play(): Promise<void> {
    // Too many decisions: each is denied (and, before any change, by nothing else).
    await this.submit(
      'plan-size',
      plan(
        scale('shop', 'cart', 4),
        scale('shop', 'checkout', 3),
        scale('payments', 'payments-api', 4),
      ),
    );
    await this.settle('plan-size', ['rejected']);

    // Applied at once, and so the first and only change cart's rate limit allows.
    await this.submit('applied', plan(scale('shop', 'cart', 4)));
    await this.settle('applied', ['succeeded']);

    // One denied by each rule kind, and one by the freeze: rejected when they arrive.
    const denied = {
      'rate-limit': plan(scale('shop', 'cart', 5)),
      freeze: plan(scale('production', 'orders', 5)),
      'replica-bounds': plan(scale('payments', 'payments-api', 50)),
      'resource-bounds': plan({
        verb: 'set_resources',
        target: target('payments', 'payments-api'),
        params: { containers: { app: { requests: { cpu: '16' } } } },
        confidence: 0.9,
      }),
      'allowed-verbs': plan({
        verb: 'restart',
        target: target('payments', 'payments-api'),
        confidence: 0.9,
      }),
      'blast-radius': plan(
        scale('payments', 'payments-api', 4),
        scale('payments', 'ledger', 4, 0.9, 'StatefulSet'),
      ),
    };
    for (const [name, body] of Object.entries(denied)) {
      await this.submit(name, body);
    }
    for (const name of Object.keys(denied)) {
      await this.settle(name, ['rejected']);
    }

    // Low confidence: a person approves one and rejects the other.
    await this.submit(
      'approved',
      plan(scale('payments', 'payments-api', 4, 0.5)),
    );
    await this.submit(
      'rejected',
      plan(scale('payments', 'payments-api', 2, 0.5)),
    );
    await this.settle('approved', ['pending_approval']);
    await this.settle('rejected', ['pending_approval']);
    await this.#call(
      this.person,
      'POST',
      `/v1/action-plans/${this.plans.get('approved')!.id}/approve`,
      { comment: 'capacity for the sale' },
    );
    await this.#call(
      this.person,
      'POST',
      `/v1/action-plans/${this.plans.get('rejected')!.id}/reject`,
      { comment: 'not now' },
    );
    await this.settle('approved', ['succeeded']);

    // Two canaries at once: a good image promotes; one that answers errors fails its
    // analysis, pauses (payments-api's rollback policy is manual) and a person aborts it.
    await this.submit(
      'canary-promoted',
      plan(canary('shop', 'checkout', 'shop/checkout:2.1.0')),
    );
    await this.submit(
      'canary-aborted',
      plan(canary('payments', 'payments-api', 'payments/api:5.2.0-errors')),
    );
    const paused = await eventually(async () => {
      const page = await this.#call(
        this.person,
        'GET',
        '/v1/rollouts?phase=paused',
      );
      return page.items.find(
        (r: { target: { name: string } }) => r.target.name === 'payments-api',
      );
    }, 'the canary of payments-api is paused by its failed analysis');
    await this.#call(this.person, 'POST', `/v1/rollouts/${paused.id}/abort`, {
      reason: 'the new image answers errors',
    });

    // A person rolls cart back: a rollback plan of its own.
    const rollback = await this.#call(
      this.person,
      'POST',
      '/v1/workloads/demo/shop/Deployment/cart/rollback',
      { reason: 'the optimizer overshot' },
    );
    this.plans.set('rollback', rollback);
    await this.settle('rollback', ['succeeded']);

    await this.settle('canary-promoted', ['succeeded']);
    await this.settle('canary-aborted', ['rolled_back']);
  }
}
