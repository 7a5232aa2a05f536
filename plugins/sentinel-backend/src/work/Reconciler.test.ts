import { mockServices } from '@backstage/backend-test-utils';
import {
  LeaseLostError,
  Reconciler,
  type Controller,
  type StepOutcome,
  type WorkQueue,
} from './Reconciler';

type Item = { id: string };

/** An in-memory queue: items with a due time and a lease, as the plan store keeps them. */
class MemoryQueue implements WorkQueue<Item> {
  readonly due = new Map<string, number | null>();
  readonly leased = new Set<string>();
  readonly claimedNow: string[] = [];
  claims = 0;

  add(id: string, at: number | null = 0) {
    this.due.set(id, at);
  }

  async claimDue(o: { now: Date; limit: number }): Promise<Item[]> {
    this.claims += 1;
    const ids = [...this.due]
      .filter(
        ([id, at]) =>
          at !== null && at <= o.now.getTime() && !this.leased.has(id),
      )
      .slice(0, o.limit)
      .map(([id]) => id);
    ids.forEach(id => this.leased.add(id));
    return ids.map(id => ({ id }));
  }

  async claimNow(ids: string[]): Promise<Item[]> {
    const free = ids.filter(id => this.due.has(id) && !this.leased.has(id));
    free.forEach(id => this.leased.add(id));
    this.claimedNow.push(...free);
    return free.map(id => ({ id }));
  }

  async wake(ids: string[], now: Date) {
    for (const id of ids) if (this.due.has(id)) this.due.set(id, now.getTime());
  }

  async releaseLease(id: string, _owner: string, next: Date | null) {
    this.leased.delete(id);
    this.due.set(id, next === null ? null : next.getTime());
  }
}

const logger = mockServices.logger.mock();

function reconciler(
  queue: MemoryQueue,
  controller: Controller<Item>,
  extra: Partial<ConstructorParameters<typeof Reconciler<Item>>[0]> = {},
) {
  return new Reconciler<Item>({
    name: 'test',
    queue,
    controller,
    logger,
    owner: 'replica-1',
    pollIntervalMs: 10,
    ...extra,
  });
}

async function until(check: () => boolean, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise(r => setTimeout(r, 5));
  }
}

describe('Reconciler', () => {
  it('never has more steps in flight than its concurrency, and keeps every slot busy', async () => {
    const queue = new MemoryQueue();
    for (let i = 0; i < 40; i++) queue.add(`item-${i}`);
    let inFlight = 0;
    let most = 0;
    const done = new Set<string>();
    const controller: Controller<Item> = {
      async reconcile(item): Promise<StepOutcome> {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await new Promise(r => setTimeout(r, 20 + (item.id.length % 3) * 10));
        inFlight -= 1;
        done.add(item.id);
        return { next: null };
      },
    };
    const r = reconciler(queue, controller, { concurrency: 6, batchSize: 4 });
    r.start();
    await until(() => done.size === 40);
    await r.stop();
    expect(most).toBe(6);
  });

  it('looks at an item again when its step said, and not before', async () => {
    const queue = new MemoryQueue();
    queue.add('rollout');
    const looks: number[] = [];
    const started = Date.now();
    const controller: Controller<Item> = {
      async reconcile(): Promise<StepOutcome> {
        looks.push(Date.now() - started);
        return looks.length < 3
          ? { next: new Date(Date.now() + 100) }
          : { next: null };
      },
    };
    const r = reconciler(queue, controller, { pollIntervalMs: 1_000 });
    r.start();
    await until(() => looks.length === 3);
    await r.stop();
    // The next check time wakes the loop itself: no poll interval (1 s here) in between.
    expect(looks[1] - looks[0]).toBeGreaterThanOrEqual(95);
    expect(looks[2]).toBeLessThan(800);
  });

  it('claims a woken item at once, ahead of the items that are due', async () => {
    const queue = new MemoryQueue();
    queue.add('waiting', Date.now() + 60_000);
    const seen: string[] = [];
    const controller: Controller<Item> = {
      async reconcile(item): Promise<StepOutcome> {
        seen.push(item.id);
        return { next: null };
      },
    };
    const r = reconciler(queue, controller, { pollIntervalMs: 60_000 });
    r.start();
    r.wake(['waiting']);
    await until(() => seen.includes('waiting'));
    await r.stop();
    expect(queue.claimedNow).toEqual(['waiting']);
  });

  it('tries a step that failed again after a back-off, and leaves an item whose lease it lost', async () => {
    const queue = new MemoryQueue();
    queue.add('flaky');
    queue.add('stolen');
    let attempts = 0;
    const controller: Controller<Item> = {
      async reconcile(item): Promise<StepOutcome> {
        if (item.id === 'stolen') throw new LeaseLostError('taken over');
        attempts += 1;
        if (attempts === 1) throw new Error('the database blinked');
        return { next: null };
      },
    };
    const r = reconciler(queue, controller, { errorBackoffMs: 50 });
    r.start();
    await until(() => attempts === 2);
    await r.stop();
    expect(queue.due.get('flaky')).toBeNull();
    // Not released: the replica that took it over holds the lease.
    expect(queue.leased.has('stolen')).toBe(true);
  });

  it('does not ask the queue again when a claim drained it and nothing new came', async () => {
    const queue = new MemoryQueue();
    for (let i = 0; i < 5; i++) queue.add(`item-${i}`);
    const done = new Set<string>();
    const controller: Controller<Item> = {
      async reconcile(item): Promise<StepOutcome> {
        await new Promise(r => setTimeout(r, 5));
        done.add(item.id);
        return { next: null };
      },
    };
    const r = reconciler(queue, controller, {
      concurrency: 8,
      pollIntervalMs: 60_000,
    });
    r.start();
    await until(() => done.size === 5);
    await new Promise(res => setTimeout(res, 50));
    await r.stop();
    // One claim found the five with room to spare: nothing else was due, so neither another
    // claim nor the five steps that ended asked again.
    expect(queue.claims).toBe(1);
  });

  it('steps an item reserved at its creation at once, but never ahead of items already due', async () => {
    const queue = new MemoryQueue();
    const seen: string[] = [];
    let finishFirst = () => {};
    const controller: Controller<Item> = {
      async reconcile(item): Promise<StepOutcome> {
        seen.push(item.id);
        if (item.id === 'first') {
          await new Promise<void>(res => (finishFirst = res));
        }
        return { next: null };
      },
    };
    const r = reconciler(queue, controller, {
      concurrency: 3,
      batchSize: 1,
      pollIntervalMs: 60_000,
    });
    // Before its first claim a replica cannot know what is due: no reservation.
    expect(r.reserve()).toBeUndefined();

    // The first claim fills its batch (more may be due) and the second is under way: a
    // slot is free, yet a new item must not overtake what may be waiting.
    queue.add('first');
    let resumeClaim = () => {};
    const claim = queue.claimDue.bind(queue);
    queue.claimDue = async o => {
      if (queue.claims === 1) {
        await new Promise<void>(res => (resumeClaim = res));
      }
      return claim(o);
    };
    r.start();
    await until(() => seen.includes('first') && queue.claims === 1);
    expect(r.reserve()).toBeUndefined();

    // The second claim found nothing: the queue is drained, a new item starts at once.
    resumeClaim();
    await until(() => queue.claims === 2);
    await new Promise(res => setTimeout(res, 10));
    const slot = r.reserve()!;
    expect(slot.owner).toBe('replica-1');
    queue.add('born', null); // stored already leased: no claim hands it out
    queue.leased.add('born');
    slot.start({ id: 'born' });
    await until(() => seen.includes('born'));
    expect(queue.claims).toBe(2);

    finishFirst();
    await r.stop();
  });

  it('steps an item again right after its step when an event woke it during that step', async () => {
    const queue = new MemoryQueue();
    queue.add('rollout');
    let steps = 0;
    let finishFirst = () => {};
    const controller: Controller<Item> = {
      async reconcile(): Promise<StepOutcome> {
        steps += 1;
        if (steps === 1) await new Promise<void>(res => (finishFirst = res));
        // Waiting on the world: only an event brings it back.
        return { next: null };
      },
    };
    const r = reconciler(queue, controller, { pollIntervalMs: 60_000 });
    r.start();
    await until(() => steps === 1);
    // The rollout ended while the first step was still saving that it waits for it.
    r.wake(['rollout']);
    finishFirst();
    await until(() => steps === 2, 1_000);
    await r.stop();
    expect(queue.claimedNow).toEqual(['rollout']);
  });
});
