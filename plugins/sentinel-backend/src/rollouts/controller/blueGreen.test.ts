import { eventually } from '../../__testUtils__/execution';
import { useRolloutHarness } from '../../__testUtils__/rolloutHarness';
import type { Identity } from '../../__testUtils__/targetCluster';
import { RolloutStore } from '../store/RolloutStore';
import type { Rollout } from '../types';

jest.setTimeout(180_000);

describe('RolloutController: blue/green (Kubernetes test server, real Prometheus)', () => {
  const h = useRolloutHarness();

  describe('blue/green', () => {
    async function serviceFor(name: string) {
      await h.core.createNamespacedService({
        namespace: 'shop',
        body: {
          metadata: { name: `${name}-svc`, namespace: 'shop' },
          spec: { selector: { app: name }, ports: [{ port: 80 }] },
        },
      });
    }
    const selectorOf = async (name: string) =>
      (
        await h.core.readNamespacedService({
          name: `${name}-svc`,
          namespace: 'shop',
        })
      ).spec?.selector;

    // Once as the administrator, once as Sentinel's ServiceAccount under the shipped role.
    it.each([
      ['the admin token', 'web'],
      ['the sentinel ServiceAccount under the shipped role', 'storefront'],
    ] as Array<[Identity, string]>)(
      'analyzes green at full size without traffic, switches the Service in one write, and keeps blue for the rollback window (as %s)',
      async (identity, name) => {
        const store = new RolloutStore(h.knex);
        await serviceFor(name);
        const { execution } = h.replicaAs(identity, store);
        const rollout = await h.startRollout(
          store,
          name,
          `shop/${name}:2.0.0`,
          {
            blueGreen: { rollbackWindowSeconds: 3 },
          },
        );
        execution.start();
        try {
          const analyzing = await h.waitForPhase(store, rollout.id, [
            'progressing',
          ]);
          await h.waitForStage(store, rollout.id, 'analyze');
          // Pinned to blue while green is analyzed: green takes no traffic.
          expect(await selectorOf(name)).toEqual({
            app: name,
            'pod-template-hash': analyzing.candidate.blueHash,
          });
          expect((await store.get(rollout.id))!.weight).toBe(0);

          await h.waitForStage(store, rollout.id, 'window');
          const switched = (await store.get(rollout.id))!;
          expect(switched.weight).toBe(100);
          expect(await selectorOf(name)).toEqual({
            app: name,
            'pod-template-hash': switched.candidate.greenHash,
          });
          const took = Number(/in (\d+) ms/.exec(switched.phaseReason)![1]);
          expect(took).toBeLessThan(1000);
          // Blue still at full size, on its old image, during the window.
          expect(await h.imageOf(name)).toBe(`shop/${name}:1.0.0`);
          expect(
            (
              await h.apps.readNamespacedDeployment({
                name,
                namespace: 'shop',
              })
            ).spec?.replicas,
          ).toBe(2);

          const done = await h.waitForPhase(store, rollout.id, [
            'succeeded',
            'aborted',
            'failed',
          ]);
          expect(done.phase).toBe('succeeded');
        } finally {
          await execution.stop();
        }
        expect(await h.imageOf(name)).toBe(`shop/${name}:2.0.0`);
        expect(await h.exists(`${name}-green`)).toBe(false);
        expect(h.refusals()).toEqual([]);
        expect(await selectorOf(name)).toEqual({ app: name });
      },
    );

    it('switches traffic back to blue in under a second when aborted inside the rollback window', async () => {
      const store = new RolloutStore(h.knex);
      await serviceFor('shopfront');
      const { execution } = h.replicaOf(store);
      const rollout = await h.startRollout(
        store,
        'shopfront',
        'shop/shopfront:2.0.0',
        {
          blueGreen: { rollbackWindowSeconds: 60 },
        },
      );
      execution.start();
      let elapsed: number;
      let done: Rollout;
      try {
        await h.waitForStage(store, rollout.id, 'window');
        const blueHash = (await store.get(rollout.id))!.candidate.blueHash;
        const started = Date.now();
        await store.act(rollout.id, {
          to: 'aborting',
          from: ['pending', 'progressing', 'paused', 'promoting'],
          actor: 'user:default/ops',
          message: 'aborting: aborted by user:default/ops',
          patch: { stage: 'undo', attempts: 0, phaseDeadlineAt: null },
          at: new Date(),
        });
        execution.reconciler.wake([rollout.id]);
        await eventually(
          async () => {
            const selector = await selectorOf('shopfront');
            return (
              selector?.['pod-template-hash'] === blueHash ||
              selector?.['pod-template-hash'] === undefined
            );
          },
          'traffic back on blue',
          5_000,
        );
        elapsed = Date.now() - started;
        done = await h.waitForPhase(store, rollout.id, [
          'aborted',
          'failed',
          'succeeded',
        ]);
      } finally {
        await execution.stop();
      }
      expect(elapsed).toBeLessThan(1000);
      expect(done.phase).toBe('aborted');
      expect(done.phaseReason).toMatch(
        /traffic back on k8s\/shop\/Deployment\/shopfront \(blue\) in \d+ ms; shopfront-green removed/,
      );
      expect(await h.imageOf('shopfront')).toBe('shop/shopfront:1.0.0');
      expect(await h.exists('shopfront-green')).toBe(false);
      expect(await selectorOf('shopfront')).toEqual({ app: 'shopfront' });
    });
  });
});
