import { mockCredentials } from '@backstage/backend-test-utils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sentinelAs } from '../sentinelCaller';
import {
  startDemoCluster,
  startSentinelForActions,
} from './sentinelForActions';

/** The user the actions run as, unless a test says otherwise. */
export const ann = mockCredentials.user('user:default/ann');

/**
 * The demo cluster for a test file (started before its tests, stopped after), a way to start
 * Sentinel on it, ready once its inventory has read the cluster, and the cluster's replicas.
 */
export function useDemoSentinel() {
  let demo: Awaited<ReturnType<typeof startDemoCluster>>;
  beforeAll(async () => {
    demo = await startDemoCluster();
  });
  afterAll(async () => {
    await demo?.cluster.stop();
  });

  async function start(
    options: Omit<
      Parameters<typeof startSentinelForActions>[0],
      'kubeconfig'
    > = {},
  ) {
    const sentinel = await startSentinelForActions({
      ...options,
      kubeconfig: demo.kubeconfig,
    });
    if (options.allow !== false) {
      const client = await sentinelAs(sentinel.deps, ann);
      const deadline = Date.now() + 10_000;
      for (;;) {
        const { items } = await client
          .listWorkloads({ include: 'unmanaged' })
          .catch(() => ({ items: [] }));
        if (items.length === 2 || Date.now() > deadline) break;
        await new Promise(r => setTimeout(r, 50));
      }
    }
    return sentinel;
  }

  const replicasOf = (name: string): number =>
    (demo.cluster.getDeployment('shop', name) as any).spec.replicas;

  return { start, replicasOf };
}

/** The scaffolder's mock context, run as `credentials`, collecting the outputs. */
export function context<T extends Record<string, any>>(
  input: T,
  credentials = ann,
  workspacePath = mkdtempSync(join(tmpdir(), 'sentinel-ws-')),
) {
  const ctx = createMockActionContext({
    input,
    workspacePath,
    getInitiatorCredentials: async () => credentials,
  } as any) as any;
  // What the step output so far, by name (the mock records each call).
  const outputs = new Proxy({} as Record<string, any>, {
    get: (_, name) =>
      (ctx.output as jest.Mock).mock.calls
        .filter(([n]) => n === name)
        .at(-1)?.[1],
    ownKeys: () => [
      ...new Set((ctx.output as jest.Mock).mock.calls.map(([n]) => n)),
    ],
    getOwnPropertyDescriptor: (_, name) => ({
      enumerable: true,
      configurable: true,
      value: (ctx.output as jest.Mock).mock.calls
        .filter(([n]) => n === name)
        .at(-1)?.[1],
    }),
  });
  return { ctx, outputs, workspacePath };
}

/** A scale decision for shop/cart. */
export const scaleCart = (replicas: number) => ({
  verb: 'scale' as const,
  target: { namespace: 'shop', name: 'cart' },
  params: { replicas },
  confidence: 0.9,
});
