import request from 'supertest';
import { startSecuredSentinel } from '../__testUtils__/securedSentinel';

jest.setTimeout(60_000);

const ada = 'user:default/ada'; // admin
const ann = 'user:default/ann'; // on team-shop, which owns cart, but holds no role yet

/** Who gets in, with which token, and how a role binding changes that on the fly. */
describe('identities and role bindings through the real auth services', () => {
  let sentinel: Awaited<ReturnType<typeof startSecuredSentinel>>;

  beforeAll(async () => {
    sentinel = await startSecuredSentinel({
      users: {
        [ada]: [ada, 'group:default/sentinel-admins'],
        [ann]: [ann, 'group:default/team-shop'],
      },
      rbac: {
        roles: {
          admin: ['group:default/sentinel-admins'],
          system: ['service:external:inframind'],
        },
      },
      policy: {
        rules: [{ id: 'hold', kind: 'require_approval', reason: 'wait' }],
      },
    });
  });
  afterAll(() => sentinel?.stop());

  it('answers only /health without credentials; the permission metadata needs a token too', async () => {
    const { server } = sentinel;
    expect((await request(server).get('/api/sentinel/health')).status).toBe(
      200,
    );
    const plans = await request(server).get('/api/sentinel/v1/action-plans');
    expect(plans.status).toBe(401);
    expect(plans.body.error).toEqual({
      name: 'AuthenticationError',
      message: expect.any(String),
    });
    const metadata = await request(server).get(
      '/api/sentinel/.well-known/backstage/permissions/metadata',
    );
    expect(metadata.status).toBe(401);
    expect(JSON.stringify(metadata.body)).not.toMatch(/"stack"/);
  });

  it("takes the optimizer's JWKS-signed tokens, refuses expired and forged ones, and lets it submit but not approve", async () => {
    const { server, idp } = sentinel;
    const submit = (token: string) =>
      request(server)
        .post('/api/sentinel/v1/action-plans')
        .set('Authorization', `Bearer ${token}`)
        .send({
          source: 'InfraMind',
          decisions: [
            {
              verb: 'scale',
              target: { namespace: 'shop', name: 'cart' },
              params: { replicas: 3 },
            },
          ],
        });
    expect(
      (
        await submit(
          await idp.optimizerToken('inframind', { expiresInSeconds: -60 }),
        )
      ).status,
    ).toBe(401);
    expect(
      (await submit(await idp.optimizerToken('inframind', { forged: true })))
        .status,
    ).toBe(401);
    const accepted = await submit(await idp.optimizerToken('inframind'));
    expect(accepted.status).toBe(202);
    const approve = await sentinel
      .as('system')
      .post(`/v1/action-plans/${accepted.body.id}/approve`, {});
    expect(approve.status).toBe(403);
  });

  it('puts a role binding saved through the API into force within seconds, and never leaves Sentinel without an admin', async () => {
    const system = sentinel.as('system');
    const { body: plan } = await system.post('/v1/action-plans', {
      source: 'InfraMind',
      decisions: [
        {
          verb: 'scale',
          target: { namespace: 'shop', name: 'cart' },
          params: { replicas: 4 },
        },
      ],
    });
    const deadline = Date.now() + 10_000;
    while (
      (await sentinel.as(ada).get(`/v1/action-plans/${plan.id}`)).body
        .status !== 'pending_approval' &&
      Date.now() < deadline
    ) {
      await new Promise(r => setTimeout(r, 50));
    }
    const annApproves = () =>
      sentinel.as(ann).post(`/v1/action-plans/${plan.id}/approve`, {});
    expect((await annApproves()).status).toBe(403);

    const admin = sentinel.as(ada);
    const current = (await admin.get('/v1/rbac/bindings')).body;
    const noAdmin = await admin.put('/v1/rbac/bindings', {
      version: current.version,
      roles: { ...current.roles, admin: [] },
    });
    expect(noAdmin.status).toBe(400);
    expect(noAdmin.body.error.message).toContain('roles.admin');

    const saved = await admin.put('/v1/rbac/bindings', {
      version: current.version,
      roles: { ...current.roles, operator: ['group:default/team-shop'] },
      comment: 'team-shop operates cart',
    });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({
      version: current.version + 1,
      updatedBy: ada,
      comment: 'team-shop operates cart',
    });
    const stale = await admin.put('/v1/rbac/bindings', {
      version: current.version,
      roles: current.roles,
    });
    expect(stale.status).toBe(409);

    // The role policy reads the bindings every 3 s: within seconds ann, who owns cart, approves.
    const started = Date.now();
    let status = 403;
    while (status === 403 && Date.now() - started < 8_000) {
      await new Promise(r => setTimeout(r, 250));
      status = (await annApproves()).status;
    }
    expect(status).toBe(200);

    const history = await admin.get('/v1/rbac/bindings/history');
    expect(history.body.items.map((v: any) => v.version)).toEqual([
      current.version + 1,
      current.version,
    ]);
    const trail = await admin.get('/v1/audit?action=rbac.update');
    expect(trail.body.items).toEqual([
      expect.objectContaining({
        actor: ada,
        reason: 'team-shop operates cart',
        details: { version: current.version + 1 },
      }),
    ]);
  });
});
