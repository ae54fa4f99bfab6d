import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../src/clock.js';
import { isActorfoldError } from '../src/errors.js';
import { memoryStore } from '../src/store/memory-store.js';
import type { EventEnvelope, NewEvent } from '../src/store/store.js';

// Behaviour specific to memoryStore; the shared contract is covered by the conformance suite in
// @actorfold/testing (packages/testing/test/memory-store.conformance.test.ts).

const ev = (type: string): NewEvent => ({ data: { type } });

async function collect(iterable: AsyncIterable<EventEnvelope>): Promise<EventEnvelope[]> {
  const out: EventEnvelope[] = [];
  for await (const e of iterable) out.push(e);
  return out;
}

async function codeOf(fn: () => unknown): Promise<string | undefined> {
  try {
    await fn();
  } catch (e) {
    return isActorfoldError(e) ? e.code : String(e);
  }
  return undefined;
}

describe('memoryStore', () => {
  it('knows every stream version synchronously, without a promise', async () => {
    const store = memoryStore();
    expect(store.knownStreamVersion?.('a/1')).toBe(0);
    await store.append('a/1', [ev('A'), ev('B')], { expectedVersion: 0 });
    expect(store.knownStreamVersion?.('a/1')).toBe(2);
    expect(store.knownStreamVersion?.('b/1')).toBe(0);
  });

  it('stamps events without a timestamp from the injected clock', async () => {
    const clock = new SimulatedClock(Date.UTC(2024, 0, 1));
    const store = memoryStore({ clock });
    clock.advance(1500);
    const [e] = await store.append('a/1', [ev('A')], { expectedVersion: 0 });
    expect(e?.timestamp).toBe('2024-01-01T00:00:01.500Z');
  });

  it('hands out a fresh copy on every read', async () => {
    const store = memoryStore();
    const [appended] = await store.append('a/1', [{ data: { type: 'A' }, metadata: { k: 1 } }], {
      expectedVersion: 0,
    });
    const [first] = await collect(store.readStream('a/1'));
    const [second] = await collect(store.readAll());
    expect(first).toEqual(second);
    expect(first?.data).not.toBe(second?.data);
    expect(first?.metadata).not.toBe(second?.metadata);
    expect(appended?.data).not.toBe(first?.data);
  });

  it('reads only the events that existed when the read was called', async () => {
    const store = memoryStore();
    await store.append('a/1', [ev('A')], { expectedVersion: 0 });
    const stream = store.readStream('a/1');
    const all = store.readAll();
    await store.append('a/1', [ev('B')], { expectedVersion: 1 });
    expect((await collect(stream)).map((e) => e.type)).toEqual(['A']);
    expect((await collect(all)).map((e) => e.type)).toEqual(['A']);
  });

  it('rejects malformed event fields, snapshot options and checkpoints with INVALID_ARGUMENT', async () => {
    const store = memoryStore();
    const snapshot = {
      streamId: 'a/1',
      version: 1,
      schemaVersion: 1,
      state: {},
      timestamp: '2024-01-01T00:00:00Z',
    };
    const calls: Array<() => unknown> = [
      () => store.append('a/1', [{ data: { type: 'A' }, schemaVersion: 0 }], { expectedVersion: 0 }),
      () => store.append('a/1', [{ data: { type: 'A' }, metadata: [] as never }], { expectedVersion: 0 }),
      () => store.append('a/1', [{ data: { type: 'A' }, timestamp: 'yesterday' }], { expectedVersion: 0 }),
      () => store.snapshots.save(snapshot, { keep: 0 }),
      () => store.snapshots.save({ ...snapshot, version: 0 }),
      () => store.checkpoints.set('', 1),
      () => store.checkpoints.set('p', -1),
      () => store.checkpoints.get(''),
    ];
    for (const call of calls) expect(await codeOf(call)).toBe('INVALID_ARGUMENT');
    expect(store.knownStreamVersion?.('a/1')).toBe(0);
  });
});
