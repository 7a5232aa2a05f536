import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import scaffolderPlugin from '@backstage/plugin-scaffolder-backend';
// The real Sentinel backend: the template's actions call it over HTTP.
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import sentinelPlugin from '@internal/backstage-plugin-sentinel-backend';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { parse } from 'yaml';
import {
  demoEntities,
  startDemoCluster,
} from './__testUtils__/sentinelForActions';
import { scaffolderModuleSentinel } from './module';

jest.setTimeout(60_000);

const templateFile = resolve(
  __dirname,
  '../../../examples/templates/put-service-under-sentinel/template.yaml',
);

describe('the "Put a service under Sentinel" template', () => {
  it('runs through the scaffolder backend: checks the workloads with Sentinel, writes the annotations and keeps the file', async () => {
    const demo = await startDemoCluster();
    const outputDirectory = mkdtempSync(join(tmpdir(), 'sentinel-templates-'));
    const template = parse(readFileSync(templateFile, 'utf8')) as Entity;
    const { server } = await startTestBackend({
      features: [
        scaffolderPlugin,
        scaffolderModuleSentinel,
        sentinelPlugin,
        catalogServiceMock.factory({ entities: [...demoEntities, template] }),
        mockServices.permissions.factory({ result: AuthorizeResult.ALLOW }),
        mockServices.rootConfig.factory({
          data: {
            sentinel: {
              clusters: [
                { name: 'demo', kubeconfig: { path: demo.kubeconfig } },
              ],
              scaffolder: { outputDirectory },
            },
          },
        }),
      ],
    });
    try {
      const ann = mockCredentials.user('user:default/ann');
      // The inventory reads the cluster first.
      await waitFor(async () => {
        const res = await request(server)
          .get('/api/sentinel/v1/workloads?include=unmanaged')
          .set(
            'Authorization',
            mockCredentials.user.header('user:default/ann'),
          );
        return res.body.items?.length === 2;
      });

      const created = await request(server)
        .post('/api/scaffolder/v2/tasks')
        .set('Authorization', mockCredentials.user.header('user:default/ann'))
        .send({
          templateRef: 'template:default/sentinel-put-service-under-sentinel',
          values: {
            entityRef: 'component:default/checkout',
            workloads: ['demo/shop/Deployment/checkout'],
            strategy: 'canary',
            rollbackPolicy: 'manual',
          },
        });
      expect(created.status).toBe(201);

      let task: any;
      await waitFor(async () => {
        task = (
          await request(server)
            .get(`/api/scaffolder/v2/tasks/${created.body.id}`)
            .set(
              'Authorization',
              mockCredentials.user.header(ann.principal.userEntityRef),
            )
        ).body;
        return ['completed', 'failed'].includes(task.status);
      });
      expect(task.status).toBe('completed');

      const written = readFileSync(
        join(outputDirectory, 'checkout', 'catalog-info.yaml'),
        'utf8',
      );
      expect(written).toContain(
        'sentinel.io/workloads: demo/shop/Deployment/checkout',
      );
      expect(written).toContain('sentinel.io/rollout-strategy: canary');
      expect(written).toContain('sentinel.io/rollback-policy: manual');
      const output = JSON.stringify(task.spec?.output ?? {});
      expect(output).toContain('catalog-info.yaml');
    } finally {
      await demo.cluster.stop();
    }
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise(r => setTimeout(r, 100));
  }
}
