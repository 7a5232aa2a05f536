import { eventually } from '../../__testUtils__/execution';
import { useRolloutHarness } from '../../__testUtils__/rolloutHarness';
import { RolloutStore } from '../store/RolloutStore';
import type { Rollout, RolloutStep } from '../types';

jest.setTimeout(180_000);

describe('RolloutController: abort (Kubernetes test server, real Prometheus)', () => {
  const h = useRolloutHarness();

  describe('abort', () => {
    const abortNow = (store: RolloutStore, id: string) =>
      store.act(id, {
        to: 'aborting',
        from: ['pending', 'progressing', 'paused', 'promoting'],
        actor: 'user:default/ops',
        message: 'aborting: aborted by user:default/ops',
        patch: { stage: 'undo', attempts: 0, phaseDeadlineAt: null },
        at: new Date(),
      });

    /** Runs a rollout until `reached`, aborts it, and checks that it ends aborted and clean. */
    async function abortWhen(
      name: string,
      reached: (r: Rollout) => boolean,
      options: {
        steps?: RolloutStep[];
        readyAfterMs?: number;
        before?: (store: RolloutStore, r: Rollout) => Promise<void>;
      } = {},
    ) {
      const store = new RolloutStore(h.knex);
      const { execution } = h.replicaOf(store);
      const rollout = await h.startRollout(
        store,
        name,
        `shop/${name}:2.0.0`,
        options,
      );
      await options.before?.(store, rollout);
      execution.start();
      let done: Rollout;
      try {
        await eventually(
          async () => reached((await store.get(rollout.id))!),
          'the moment to abort',
          30_000,
        );
        const seen = (await store.get(rollout.id))!.phase;
        if (seen !== 'aborting' && seen !== 'aborted') {
          await abortNow(store, rollout.id);
        }
        done = await h.waitForPhase(store, rollout.id, [
          'aborted',
          'failed',
          'succeeded',
        ]);
      } finally {
        await execution.stop();
      }
      expect(done.phase).toBe('aborted');
      expect(await h.imageOf(name)).toBe(`shop/${name}:1.0.0`);
      expect(await h.exists(`${name}-canary`)).toBe(false);
      return store.timeline(rollout.id);
    }

    it('works before the canary exists (pending)', async () => {
      const timeline = await abortWhen(
        'a-pending',
        // Aborted already is fine too: on a busy machine the first look may come after the
        // abort ended (the timeline below still shows it went through aborting).
        r => r.phase === 'aborting' || r.phase === 'aborted',
        {
          before: async (store, r) => {
            await abortNow(store, r.id);
          },
        },
      );
      expect(timeline.map(e => e.phase)).toEqual([
        'pending',
        'aborting',
        'aborted',
      ]);
    });

    it('works while the canary is analyzed (progressing)', async () => {
      const timeline = await abortWhen(
        'a-progressing',
        r => r.stage === 'analyze',
      );
      expect(timeline.map(e => e.phase)).toContain('progressing');
    });

    it('works while paused', async () => {
      const timeline = await abortWhen('a-paused', r => r.phase === 'paused', {
        steps: [{ weight: 50, gate: true }, { weight: 100 }],
      });
      expect(timeline.map(e => e.phase)).toContain('paused');
    });

    it('is recorded at once while the API server does not answer, and carried out when it does', async () => {
      const store = new RolloutStore(h.knex);
      const { execution } = h.replicaOf(store);
      const rollout = await h.startRollout(
        store,
        'a-outage',
        'shop/a-outage:2.0.0',
      );
      execution.start();
      let done: Rollout;
      try {
        await h.waitForStage(store, rollout.id, 'analyze');
        h.server.injectFaults({ dropConnections: true });
        try {
          const recorded = await abortNow(store, rollout.id);
          expect(recorded!.phase).toBe('aborting');
          execution.reconciler.wake([rollout.id]);
          await eventually(
            async () => (await store.get(rollout.id))!.attempts >= 1,
            'a failed attempt',
            30_000,
          );
          const retrying = (await store.get(rollout.id))!;
          expect(retrying.phase).toBe('aborting');
          expect(retrying.phaseReason).toMatch(/\(attempt \d+ failed: /);
        } finally {
          h.server.injectFaults({});
        }
        done = await h.waitForPhase(store, rollout.id, [
          'aborted',
          'failed',
          'succeeded',
        ]);
      } finally {
        await execution.stop();
      }
      expect(done.phase).toBe('aborted');
      expect(await h.imageOf('a-outage')).toBe('shop/a-outage:1.0.0');
      expect(await h.exists('a-outage-canary')).toBe(false);
    });

    it('works while promoting, restoring the stable workload', async () => {
      const timeline = await abortWhen(
        'a-promoting',
        r => r.phase === 'promoting' && r.stage === 'promote',
        { steps: [{ weight: 100 }], readyAfterMs: 3_000 },
      );
      expect(timeline[timeline.length - 1].message).toMatch(
        /a-promoting restored to shop\/a-promoting:1\.0\.0/,
      );
    });
  });
});
