import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createRuntime,
  type EventStore,
  isRetryable,
  memoryStore,
  NotOwner,
  type Runtime,
} from '../src/index.js';
import { counter, crashSwitch } from './support/counter.js';
import { ProbeStore } from './support/probe-store.js';

const open: Runtime[] = [];
afterEach(async () => {
  crashSwitch.armed = 0;
  for (const rt of open.splice(0)) await rt.shutdown();
});

/** A store whose `acquire` grants a lease per stream unless `taken` names another holder. */
function leasedStore() {
  const log: string[] = [];
  const taken = new Map<string, string>();
  const store = new ProbeStore(memoryStore()) as ProbeStore & { acquire?: EventStore['acquire'] };
  store.acquire = async (streamId) => {
    const owner = taken.get(streamId);
    if (owner !== undefined) throw new NotOwner(streamId, owner);
    log.push(`acquire ${streamId}`);
    return async () => {
      log.push(`release ${streamId}`);
    };
  };
  return { store: store as unknown as EventStore, log, taken };
}

describe('lease mode (a store with acquire)', () => {
  it('takes the lease before recovering and gives it back on eviction, before a successor takes it', async () => {
    const { store, log } = leasedStore();
    const rt = await createRuntime({ store, aggregates: [counter] });
    open.push(rt);
    const h = rt.get(counter, 'a');
    await h.execute({ type: 'add', by: 1 });
    expect(log).toEqual(['acquire counter/a']);
    await rt.evict(counter, 'a');
    await h.execute({ type: 'add', by: 1 });
    expect(log).toEqual(['acquire counter/a', 'release counter/a', 'acquire counter/a']);
  });

  it('answers NOT_OWNER (retryable, not a crash) while another node holds the lease, and serves once it is free', async () => {
    const { store, taken } = leasedStore();
    const rt = await createRuntime({ store, aggregates: [counter] });
    open.push(rt);
    taken.set('counter/b', 'node-2');
    const refused = await rt
      .get(counter, 'b')
      .execute({ type: 'add', by: 1 })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'NOT_OWNER', streamId: 'counter/b', owner: 'node-2' });
    expect(isRetryable(refused)).toBe(true);
    expect(rt.metrics().counters.crashes).toBe(0);
    taken.delete('counter/b');
    expect((await rt.get(counter, 'b').execute({ type: 'add', by: 1 })).version).toBe(1);
  });

  it('gives the lease back when the actor crashes', async () => {
    const { store, log } = leasedStore();
    const rt = await createRuntime({ store, aggregates: [counter] });
    open.push(rt);
    await rt.get(counter, 'c').execute({ type: 'add', by: 1 });
    await expect(rt.get(counter, 'c').execute({ type: 'poison' })).rejects.toMatchObject({
      code: 'ACTOR_CRASHED',
    });
    await expect.poll(() => log.at(-1)).toBe('release counter/c');
  });
});

describe('a lost lease (the store reports it through onLeaseLost)', () => {
  /** leasedStore plus `lose(streamIds)`, as a store whose lease session died. */
  function losingStore() {
    const leased = leasedStore();
    const listeners = new Set<(ids: readonly string[]) => void>();
    const store = leased.store as EventStore & { onLeaseLost?: EventStore['onLeaseLost'] };
    store.onLeaseLost = (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    };
    const lose = (...ids: string[]) => {
      for (const l of listeners) l(ids);
    };
    return { ...leased, store, lose, listeners };
  }

  it('evicts an idle actor at once, with a warning, and the next request acquires the lease again', async () => {
    const { store, log, lose } = losingStore();
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => warnings.push(JSON.parse(line).msg) });
    const rt = await createRuntime({ store, aggregates: [counter], logger });
    open.push(rt);
    const h = rt.get(counter, 'a');
    await h.execute({ type: 'add', by: 1 });
    lose('counter/a', 'counter/not-resident');
    await expect.poll(() => h.isAlive()).toBe(false);
    expect(warnings.some((m) => m.startsWith('lease lost'))).toBe(true);
    expect(rt.metrics().counters.leasesLost).toBe(1);
    expect(rt.metrics().counters.crashes).toBe(0);
    expect((await h.execute({ type: 'add', by: 1 })).version).toBe(2);
    // Lost, not released: the runtime does not try to unlock what the database already dropped.
    expect(log).toEqual(['acquire counter/a', 'acquire counter/a']);
  });

  it('moves the queued commands of a busy actor, in order, to a successor that acquires the lease first', async () => {
    const { store, log, lose } = losingStore();
    let unblock!: () => void;
    const blocked = new Promise<void>((resolve) => {
      unblock = resolve;
    });
    (store as ProbeStore).hooks.beforeAppend = () => (log.length === 1 ? blocked : undefined);
    const rt = await createRuntime({ store, aggregates: [counter] });
    open.push(rt);
    const h = rt.get(counter, 'b');
    const running = h.execute({ type: 'add', by: 1, tag: 't1' });
    await expect.poll(() => (store as ProbeStore).appending.size).toBe(1);
    const queued = [2, 3, 4].map((i) => h.execute({ type: 'add', by: 1, tag: `t${i}` }));
    lose('counter/b');
    // The successor waits for the running command before it takes the lease.
    expect(log).toEqual(['acquire counter/b']);
    unblock();
    await running;
    const results = await Promise.all(queued);
    expect(results.map((r) => r.version)).toEqual([2, 3, 4]);
    // They ran on the successor, under the lease it took again.
    expect(log).toEqual(['acquire counter/b', 'acquire counter/b']);
    expect((await h.state()).state).toEqual({ n: 4, tags: ['t1', 't2', 't3', 't4'] });
    expect((store as ProbeStore).overlaps).toEqual([]);
  });

  it('answers NOT_OWNER to the queued commands when another node took the lease meanwhile', async () => {
    const { store, taken, lose } = losingStore();
    let unblock!: () => void;
    const blocked = new Promise<void>((resolve) => {
      unblock = resolve;
    });
    let first = true;
    (store as ProbeStore).hooks.beforeAppend = () => {
      if (!first) return undefined;
      first = false;
      return blocked;
    };
    const rt = await createRuntime({ store, aggregates: [counter] });
    open.push(rt);
    const h = rt.get(counter, 'c');
    const running = h.execute({ type: 'add', by: 1 });
    await expect.poll(() => (store as ProbeStore).appending.size).toBe(1);
    const queued = h.execute({ type: 'add', by: 1 }).catch((e: unknown) => e);
    lose('counter/c');
    taken.set('counter/c', 'node-2');
    unblock();
    await running;
    expect(await queued).toMatchObject({ code: 'NOT_OWNER', owner: 'node-2' });
  });

  it('stops listening when the runtime shuts down', async () => {
    const { store, listeners } = losingStore();
    const rt = await createRuntime({ store, aggregates: [counter] });
    expect(listeners.size).toBe(1);
    await rt.shutdown();
    expect(listeners.size).toBe(0);
  });
});
