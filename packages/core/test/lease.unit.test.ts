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
