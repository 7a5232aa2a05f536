import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ann, context, useDemoSentinel } from '../__testUtils__/actionHarness';
import { createWorkloadAnnotateAction } from './workloadAnnotate';

jest.setTimeout(30_000);

const { start } = useDemoSentinel();

describe('sentinel:workload:annotate', () => {
  it("writes the annotations into the service's catalog-info.yaml, fetched from the catalog, and shows the diff", async () => {
    const sentinel = await start();
    const action = createWorkloadAnnotateAction({
      ...sentinel.deps,
      catalog: sentinel.catalog,
    });
    const { ctx, outputs, workspacePath } = context({
      entityRef: 'component:default/checkout',
      workloads: ['demo/shop/Deployment/checkout'],
      strategy: 'canary',
      rollbackPolicy: 'manual',
      filePath: 'catalog-info.yaml',
      checkInventory: true,
    });
    await action.handler(ctx);
    const written = readFileSync(
      join(workspacePath, 'catalog-info.yaml'),
      'utf8',
    );
    expect(written).toContain('name: checkout');
    expect(written).toContain('description: The checkout service');
    expect(written).toContain(
      'sentinel.io/workloads: demo/shop/Deployment/checkout',
    );
    expect(written).toContain('sentinel.io/rollout-strategy: canary');
    expect(written).toContain('sentinel.io/rollback-policy: manual');
    expect(outputs.diff).toContain(
      '+    sentinel.io/workloads: demo/shop/Deployment/checkout',
    );
  });

  it('refuses a workload the cluster does not have, or one another service manages', async () => {
    const sentinel = await start();
    const action = createWorkloadAnnotateAction({
      ...sentinel.deps,
      catalog: sentinel.catalog,
    });
    const workspace = mkdtempSync(join(tmpdir(), 'sentinel-ws-'));
    const file =
      'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: checkout\n';
    writeFileSync(join(workspace, 'catalog-info.yaml'), file);
    const { ctx } = context(
      {
        entityRef: 'component:default/checkout',
        workloads: ['demo/shop/Deployment/nope', 'demo/shop/Deployment/cart'],
        filePath: 'catalog-info.yaml',
        checkInventory: true,
      },
      ann,
      workspace,
    );
    await expect(action.handler(ctx)).rejects.toThrow(
      "demo/shop/Deployment/nope is not in Sentinel's inventory (no such workload in cluster demo, or the cluster is not configured); demo/shop/Deployment/cart is already managed by component:default/cart",
    );
    expect(readFileSync(join(workspace, 'catalog-info.yaml'), 'utf8')).toBe(
      file,
    );
  });
});
