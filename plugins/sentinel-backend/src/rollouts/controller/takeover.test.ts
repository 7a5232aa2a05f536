import { eventually } from '../../__testUtils__/execution';
import {
  CountingDriver,
  useRolloutHarness,
} from '../../__testUtils__/rolloutHarness';
import { ReconcilerKilledError } from '../../work/Reconciler';
import { RolloutStore } from '../store/RolloutStore';
import type { Rollout } from '../types';

jest.setTimeout(180_000);

describe('RolloutController: a replica killed mid-step (Kubernetes test server, real Prometheus)', () => {
  const h = useRolloutHarness();

  it('is taken over at the same step by another replica when one is killed mid-step, applying nothing twice', async () => {
    const store = new RolloutStore(h.knex);
    /** Dies in the middle of its second analysis, as a killed process would. */
    class DoomedDriver extends CountingDriver {
      calls = 0;
      constructor(...args: ConstructorParameters<typeof CountingDriver>) {
        super(...args);
        const healthSignals = this.candidates.healthSignals.bind(
          this.candidates,
        );
        this.candidates.healthSignals = async (...signalArgs) => {
          if (++this.calls === 2) throw new ReconcilerKilledError();
          return healthSignals(...signalArgs);
        };
      }
    }
    const doomed = h.replicaOf(store, new DoomedDriver('k8s', h.kubeConfig));
    const rollout = await h.startRollout(
      store,
      'payments',
      'shop/payments:2.0.0',
    );
    doomed.execution.start();
    await eventually(
      async () => (doomed.driver as DoomedDriver).calls >= 2,
      'the doomed replica to die',
      30_000,
    );
    await doomed.execution.stop();
    const orphaned = (await store.get(rollout.id))!;
    expect(orphaned.phase).toBe('progressing');
    expect(orphaned.leaseOwner).not.toBeNull(); // the dead replica's lease, until it expires

    const heir = h.replicaOf(store);
    heir.execution.start();
    let done: Rollout;
    try {
      done = await h.waitForPhase(store, rollout.id, [
        'succeeded',
        'aborted',
        'failed',
      ]);
    } finally {
      await heir.execution.stop();
    }
    expect(done.phase).toBe('succeeded');
    // Taken over where it was: the heir's first event names no earlier step than the orphan's.
    const timeline = (await store.timeline(rollout.id)).map(e => e.message);
    expect(
      timeline.filter(m =>
        m.includes('step 1 of 3 (25 %): payments-canary scaled'),
      ),
    ).toHaveLength(1);
    expect(doomed.driver.applied + heir.driver.applied).toBe(1);
    expect(await h.imageOf('payments')).toBe('shop/payments:2.0.0');
  });
});
