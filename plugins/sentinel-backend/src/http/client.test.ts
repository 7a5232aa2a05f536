import { ResponseError } from '@backstage/errors';
import {
  SentinelClient,
  type ApiPlan,
} from '@internal/backstage-plugin-sentinel-common';
import Ajv from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { AddressInfo } from 'node:net';
import { cart, startSentinel } from '../__testUtils__/startSentinel';
import { buildOpenApiDocument } from './openapi/openapiDocument';

// Every plan the server returns must match the spec's Plan schema.
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const spec = buildOpenApiDocument();
for (const [name, schema] of Object.entries(spec.components.schemas)) {
  ajv.addSchema(schema, `#/components/schemas/${name}`);
}
function expectPlanMatchesSpec(plan: unknown) {
  const validate = ajv.getSchema('#/components/schemas/Plan')!;
  validate(plan);
  expect(validate.errors ?? []).toEqual([]);
}

jest.setTimeout(30_000);

// The generated client of sentinel-common against the real router: if the spec and the
// server disagree on a path, a parameter or a shape, this is where it shows.
describe('SentinelClient against the backend', () => {
  async function clientAndDriver() {
    const { server, driver } = await startSentinel();
    const { port } = server.address() as AddressInfo;
    return {
      client: new SentinelClient({
        baseUrl: async () => `http://localhost:${port}/api/sentinel`,
      }),
      driver,
    };
  }

  async function until(client: SentinelClient, id: string): Promise<ApiPlan> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const plan = await client.getPlan(id);
      if (
        ['succeeded', 'failed', 'rolled_back'].includes(plan.status) ||
        Date.now() > deadline
      ) {
        return plan;
      }
      await new Promise(r => setTimeout(r, 25));
    }
  }

  it('submits, reads, lists and rolls back through every typed call', async () => {
    const { client, driver } = await clientAndDriver();
    const submitted = await client.submitPlan(
      {
        source: 'InfraMind',
        decisions: [
          {
            verb: 'scale',
            target: { namespace: 'shop', name: 'cart' },
            params: { replicas: 7 },
          },
        ],
      },
      { idempotencyKey: 'client-1' },
    );
    expect(submitted.status).toBe('received');
    expectPlanMatchesSpec(submitted);
    const applied = await until(client, submitted.id);
    expect(applied.status).toBe('succeeded');
    expectPlanMatchesSpec(applied);
    expect((await driver.getWorkload(cart))!.replicas).toBe(7);

    const again = await client.submitPlan(
      {
        source: 'InfraMind',
        decisions: [
          {
            verb: 'scale',
            target: { namespace: 'shop', name: 'cart' },
            params: { replicas: 7 },
          },
        ],
      },
      { idempotencyKey: 'client-1' },
    );
    expect(again.id).toBe(submitted.id);

    const { items } = await client.listPlans({
      entityRef: 'component:default/cart',
      limit: 10,
    });
    expect(items.map(p => p.id)).toEqual([submitted.id]);

    const rollback = await client.rollbackWorkload(cart, 'latency regression');
    const rolledBack = await until(client, rollback.id);
    expect(rolledBack.status).toBe('succeeded');
    expectPlanMatchesSpec(rolledBack);
    expect((await driver.getWorkload(cart))!.replicas).toBe(2);
  });

  it("throws Backstage ResponseErrors carrying the server's message", async () => {
    const { client } = await clientAndDriver();
    const error = await client
      .submitPlan({
        source: 'InfraMind',
        decisions: [
          {
            verb: 'scale',
            target: { namespace: 'shop', name: 'cart' },
            params: { replicas: -3 },
          },
        ],
      })
      .catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.response.status).toBe(400);
    expect(error.body.error.message).toContain('decisions[0].params.replicas');

    await expect(client.cancelPlan('no-such-plan')).rejects.toMatchObject({
      response: { status: 404 },
    });
  });
});
