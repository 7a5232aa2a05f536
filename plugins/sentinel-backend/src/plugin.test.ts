import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { createBackendModule } from '@backstage/backend-plugin-api';
import { sentinelClusterDriversExtensionPoint } from '@internal/backstage-plugin-sentinel-node';
import { InMemoryClusterDriver } from '@internal/backstage-plugin-sentinel-node/testUtils';
import knexFactory, { type Knex } from 'knex';
import request from 'supertest';
import { sentinelPlugin } from './plugin';

function clusterModule(moduleId: string, cluster: string) {
  return createBackendModule({
    pluginId: 'sentinel',
    moduleId,
    register(reg) {
      reg.registerInit({
        deps: { drivers: sentinelClusterDriversExtensionPoint },
        async init({ drivers }) {
          drivers.addClusterDriver(new InMemoryClusterDriver(cluster));
        },
      });
    },
  });
}

describe('sentinel backend plugin', () => {
  let emptyDatabase: Knex | undefined;
  afterAll(async () => {
    await emptyDatabase?.destroy();
  });

  it('migrates its database on start and reports ready, without credentials', async () => {
    const { server } = await startTestBackend({
      features: [sentinelPlugin, clusterModule('demo', 'demo')],
    });

    const res = await request(server).get('/api/sentinel/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', clusters: ['demo'] });
  });

  it('answers 503 while the backend has not started or is stopping, so no probe sends it traffic', async () => {
    // Backstage's own readiness: a backend whose catalog failed to start stays "not started",
    // one that received SIGTERM is "shutting down". Sentinel's routes answer in both cases, so
    // its health must not say ready on its own.
    let backend = { status: 503, message: 'Backend has not started yet' };
    const rootHealth = mockServices.rootHealth.mock({
      getReadiness: async () => ({
        status: backend.status,
        payload: { status: 'error', message: backend.message },
      }),
    });
    const { server } = await startTestBackend({
      features: [sentinelPlugin, rootHealth.factory],
    });

    const starting = await request(server).get('/api/sentinel/health');
    expect(starting.status).toBe(503);
    expect(starting.body.error.message).toBe(
      'the backend is not ready: Backend has not started yet',
    );

    backend = { status: 200, message: '' };
    expect((await request(server).get('/api/sentinel/health')).status).toBe(
      200,
    );

    backend = { status: 503, message: 'Backend is shutting down' };
    const stopping = await request(server).get('/api/sentinel/health');
    expect(stopping.status).toBe(503);
    expect(stopping.body.error.message).toBe(
      'the backend is not ready: Backend is shutting down',
    );
  });

  it('stays ready and says what is degraded when the backend reports warnings (Vault sealed while its secrets are valid)', async () => {
    const warning =
      'Vault is sealed since 2026-12-08T00:00:00.000Z; the database credentials held (user v-k8s-sentinel-1) stay valid until 2026-12-08T01:00:00.000Z';
    const rootHealth = mockServices.rootHealth.mock({
      getReadiness: async () => ({
        status: 200,
        payload: { status: 'ok', warnings: [warning] },
      }),
    });
    const { server } = await startTestBackend({
      features: [
        sentinelPlugin,
        clusterModule('demo', 'demo'),
        rootHealth.factory,
      ],
    });

    const res = await request(server).get('/api/sentinel/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ok',
      clusters: ['demo'],
      warnings: [warning],
    });
  });

  it('answers 503 with an error body when its database is gone', async () => {
    emptyDatabase = knexFactory({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    const database = mockServices.database.mock({
      getClient: async () => emptyDatabase!,
    });
    const { server } = await startTestBackend({
      features: [sentinelPlugin, database.factory],
    });
    expect((await request(server).get('/api/sentinel/health')).status).toBe(
      200,
    );

    // The database goes away under the running plugin.
    await emptyDatabase.schema.dropTable('plan_events');
    await emptyDatabase.schema.dropTable('plan_decisions');
    await emptyDatabase.schema.dropTable('plans');

    const res = await request(server).get('/api/sentinel/health');
    expect(res.status).toBe(503);
    expect(res.body.error).toEqual(
      expect.objectContaining({
        name: 'ServiceUnavailableError',
        message: 'the plan store is not reachable',
      }),
    );
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.ts:\d+/);
  });

  it('refuses two drivers for the same cluster', async () => {
    await expect(
      startTestBackend({
        features: [
          sentinelPlugin,
          clusterModule('first', 'demo'),
          clusterModule('second', 'demo'),
        ],
      }),
    ).rejects.toThrow(/already has a driver for cluster 'demo'/);
  });

  it('registers every Sentinel permission with the permission framework', async () => {
    const { server } = await startTestBackend({ features: [sentinelPlugin] });
    const res = await request(server).get(
      '/api/sentinel/.well-known/backstage/permissions/metadata',
    );
    expect(res.status).toBe(200);
    expect(res.body.permissions.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['sentinel.plan.create', 'sentinel.plan.approve']),
    );
  });
});
