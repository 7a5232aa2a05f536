import { ResponseError } from '@backstage/errors';
import {
  SentinelClient,
  type ApiPlan,
} from '@internal/backstage-plugin-sentinel-common';
import type { AddressInfo } from 'node:net';
import { OpenApiResponses } from '../__testUtils__/openApiResponses';
import { pluginDatabase } from '../__testUtils__/pluginDatabase';
import { insertRollout } from '../__testUtils__/rollouts';
import { cart, startSentinel } from '../__testUtils__/startSentinel';

jest.setTimeout(60_000);

const documented = new OpenApiResponses();

/**
 * The generated client of sentinel-common against the real router, every answer checked
 * against the OpenAPI document (its status documented for the operation, its body the
 * documented schema): if the document and the server disagree on a path, a parameter, a
 * status or a shape, this is where it shows.
 */
async function documentedClient(config?: Record<string, unknown>) {
  const database = pluginDatabase();
  const { server, driver } = await startSentinel({
    config,
    extra: [database.feature],
  });
  const { port } = server.address() as AddressInfo;
  const called = new Set<string>();
  const problems: string[] = [];
  const checking: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = init?.method ?? 'GET';
    const path = url.pathname.replace(/^\/api\/sentinel/, '');
    const operation = documented.operationFor(method, path);
    if (!operation) {
      problems.push(`${method} ${path} is no operation of the document`);
      return response;
    }
    called.add(operation.operationId);
    const text = await response.clone().text();
    problems.push(
      ...documented.problems(
        operation.operationId,
        response.status,
        text ? JSON.parse(text) : undefined,
      ),
    );
    return response;
  };
  const client = new SentinelClient({
    baseUrl: async () => `http://localhost:${port}/api/sentinel`,
    fetch: checking,
  });
  return { client, driver, called, problems, knex: await database.knex };
}

async function until(
  client: SentinelClient,
  id: string,
  done: (plan: ApiPlan) => boolean,
): Promise<ApiPlan> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const plan = await client.getPlan(id);
    if (done(plan) || Date.now() > deadline) return plan;
    await new Promise(r => setTimeout(r, 25));
  }
}

const applied = (plan: ApiPlan) =>
  ['succeeded', 'failed', 'rolled_back'].includes(plan.status);

const scaleCart = (replicas: number) => ({
  source: 'InfraMind',
  decisions: [
    {
      verb: 'scale' as const,
      target: { namespace: 'shop', name: 'cart' },
      params: { replicas },
    },
  ],
});

describe('SentinelClient against the backend', () => {
  it('submits, reads, lists and rolls back through every typed call', async () => {
    const { client, driver, problems } = await documentedClient();
    const submitted = await client.submitPlan(scaleCart(7), {
      idempotencyKey: 'client-1',
    });
    expect(submitted.status).toBe('received');
    const done = await until(client, submitted.id, applied);
    expect(done.status).toBe('succeeded');
    expect((await driver.getWorkload(cart))!.replicas).toBe(7);

    const again = await client.submitPlan(scaleCart(7), {
      idempotencyKey: 'client-1',
    });
    expect(again.id).toBe(submitted.id);

    const { items } = await client.listPlans({
      entityRef: 'component:default/cart',
      limit: 10,
    });
    expect(items.map(p => p.id)).toEqual([submitted.id]);

    const rollback = await client.rollbackWorkload(cart, 'latency regression');
    const rolledBack = await until(client, rollback.id, applied);
    expect(rolledBack.status).toBe('succeeded');
    expect((await driver.getWorkload(cart))!.replicas).toBe(2);
    expect(problems).toEqual([]);
  });

  it("throws Backstage ResponseErrors carrying the server's message", async () => {
    const { client, problems } = await documentedClient();
    const error = await client.submitPlan(scaleCart(-3)).catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.response.status).toBe(400);
    expect(error.body.error.message).toContain('decisions[0].params.replicas');

    await expect(client.cancelPlan('no-such-plan')).rejects.toMatchObject({
      response: { status: 404 },
    });
    expect(problems).toEqual([]);
  });

  it('calls every operation of the document as documented', async () => {
    const { client, called, problems, knex } = await documentedClient({
      sentinel: {
        policy: {
          rules: [{ id: 'hold', kind: 'require_approval', reason: 'wait' }],
        },
        // The client submits and approves as the same (mock) user.
        approval: { requireDistinctApprover: false },
      },
    });
    const pending = async (replicas: number) => {
      const plan = await client.submitPlan(scaleCart(replicas));
      return until(client, plan.id, p => p.status === 'pending_approval');
    };

    // Plans: approve, reject, cancel, list by status.
    const toApprove = await pending(3);
    expect((await client.approvePlan(toApprove.id, 'fine')).approvals).toEqual([
      expect.objectContaining({ comment: 'fine' }),
    ]);
    expect((await until(client, toApprove.id, applied)).status).toBe(
      'succeeded',
    );
    expect(
      (await client.rollbackWorkload(cart, 'slower than before')).rollbackOf,
    ).toBe(toApprove.id);
    const toReject = await pending(4);
    expect((await client.rejectPlan(toReject.id, 'not now')).status).toBe(
      'rejected',
    );
    const toCancel = await pending(5);
    expect((await client.cancelPlan(toCancel.id)).status).toBe('cancelled');
    await client.listPlans({ status: 'pending_approval,rejected', limit: 5 });

    // Workloads and rollouts: every action on a rollout in a phase it applies to.
    await client.listWorkloads({ limit: 10, include: 'unmanaged' });
    // A rollout of a plan of its own (one rollout per plan decision), left alone until acted on.
    let replicas = 10;
    const rollout = async (phase: 'progressing' | 'paused') =>
      insertRollout(knex, {
        planId: (await pending(replicas++)).id,
        target: cart,
        entityRef: 'component:default/cart',
        phase,
      });
    const paused = await rollout('paused');
    expect((await client.getRollout(paused)).timeline).toBeDefined();
    expect((await client.listRollouts({ phase: 'paused' })).items).toEqual([
      expect.objectContaining({ id: paused }),
    ]);
    const acted = {
      pause: await client.actOnRollout(
        await rollout('progressing'),
        'pause',
        'look',
      ),
      resume: await client.actOnRollout(paused, 'resume'),
      promote: await client.actOnRollout(await rollout('paused'), 'promote'),
      abort: await client.actOnRollout(await rollout('progressing'), 'abort'),
    };
    expect(Object.values(acted).map(r => r.phase)).toEqual([
      'paused',
      'progressing',
      'progressing',
      'aborting',
    ]);

    // Policies and dry runs.
    const policy = await client.getPolicy();
    const replaced = await client.replacePolicy({
      ...policy,
      rules: [...policy.rules, { id: 'small', kind: 'plan_size', max: 10 }],
    });
    expect(replaced.version).toBe((policy.version ?? 0) + 1);
    expect((await client.policyHistory(5)).items).toHaveLength(2);
    expect((await client.evaluatePolicy(scaleCart(3))).outcome).toBe(
      'require_approval',
    );
    expect(
      (await client.dryRunPolicy({ rules: [] }, scaleCart(3))).outcome,
    ).toBe('allow');

    // Freezes, their calendar and break glass.
    const window = await client.createFreezeWindow({
      name: 'later',
      reason: 'far ahead',
      start: '2099-01-01T00:00:00Z',
      end: '2099-01-02T00:00:00Z',
    });
    expect((await client.listFreezeWindows()).items).toEqual([
      expect.objectContaining({ id: window.id, allowRollback: true }),
    ]);
    expect((await client.freezeStatus({ cluster: 'demo' })).frozen).toBe(false);
    await client.freezeCalendar({
      from: '2098-12-31T00:00:00Z',
      to: '2099-01-03T00:00:00Z',
    });
    await client.deleteFreezeWindow(window.id);
    await client.breakGlass({
      scope: { cluster: 'demo' },
      reason: 'incident 7',
      durationMinutes: 5,
    });
    expect((await client.listFreezeOverrides()).items).toHaveLength(1);

    // Access and the audit trail.
    const bindings = await client.getRoleBindings();
    const saved = await client.putRoleBindings({
      version: bindings.version,
      roles: { ...bindings.roles, admin: ['group:default/admins'] },
      defaultRole: bindings.defaultRole,
      comment: 'admins',
    });
    expect(saved.version).toBe(bindings.version + 1);
    expect(
      (await client.listAuditEvents({ action: 'rbac.update' })).items,
    ).toEqual([expect.objectContaining({ action: 'rbac.update' })]);

    expect(problems).toEqual([]);
    // Every operation is a typed call of the client, but the health check (for probes) and
    // the history of the role bindings (no page shows it yet).
    expect([...called].sort()).toEqual(
      documented.operations
        .map(o => o.operationId)
        .filter(id => !['getHealth', 'getRoleBindingsHistory'].includes(id))
        .sort(),
    );
  });
});
