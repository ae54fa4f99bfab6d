/**
 * Catch-up on a store that cannot know stream heads (a database shared with other writers): the
 * actor reads from its own newest event on, in one read per refresh, and that event coming back
 * first is the proof that the stream did not rewind. Stores that know heads keep their path.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, type EventEnvelope, memoryStore, type Runtime } from '../src/index.js';
import { counter } from './support/counter.js';
import { collect, ProbeStore, tagOf } from './support/probe-store.js';

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.shutdown();
  runtime = undefined;
});

const added = (by: number, tag: string, commandId?: string) => ({
  data: { type: 'Added' as const, by, tag },
  ...(commandId === undefined ? {} : { metadata: { commandId } }),
});

describe('catch-up on a store without known heads', () => {
  it("folds another writer's events with one read per command and no head read, recognising the commandIds they carry", async () => {
    const inner = memoryStore();
    const store = new ProbeStore(inner, { hideKnownVersion: true });
    runtime = await createRuntime({ store, aggregates: [counter] });
    const h = runtime.get(counter, 'x');
    await h.execute({ type: 'add', by: 1, tag: 'a' });
    store.calls.readStream = 0;
    // Another node's two commands, one of them with a commandId.
    await inner.append('counter/x', [added(10, 'other'), added(20, 'other2', 'cmd-other')], {
      expectedVersion: 1,
    });
    const r = await h.execute({ type: 'add', by: 100, tag: 'b' });
    expect(r).toMatchObject({ version: 4, state: { n: 131, tags: ['a', 'other', 'other2', 'b'] } });
    expect(store.calls.readStream).toBe(1);
    expect(store.calls.streamVersion).toBe(0);
    // The other node's command, sent again here, is recognised from the events read in.
    const again = await h.execute({ type: 'add', by: 20, tag: 'other2' }, { commandId: 'cmd-other' });
    expect(again).toMatchObject({ deduplicated: true, version: 3 });
    expect(store.calls.streamVersion).toBe(0);
    expect((await collect(inner.readStream('counter/x'))).map(tagOf)).toEqual(['a', 'other', 'other2', 'b']);
  });

  it('raises CORRUPT_DATA naming the applied version when the stream no longer holds it, and folds nothing', async () => {
    const inner = memoryStore();
    const store = new ProbeStore(inner, { hideKnownVersion: true });
    runtime = await createRuntime({ store, aggregates: [counter] });
    const h = runtime.get(counter, 'r');
    await h.execute({ type: 'add', by: 1, tag: 'a' });
    await h.execute({ type: 'add', by: 1, tag: 'b' });
    // The stream loses its last event (rows deleted by hand): reads end at version 1.
    store.readStream = async function* (id, opts) {
      for await (const e of inner.readStream(id, opts)) if (e.version < 2) yield e;
    };
    const err = await h.execute({ type: 'add', by: 1 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CORRUPT_DATA', streamId: 'counter/r', version: 2 });
    expect(await inner.streamVersion('counter/r')).toBe(2);
  });

  it('raises CORRUPT_DATA when the read does not begin at the applied event', async () => {
    const inner = memoryStore();
    const store = new ProbeStore(inner, { hideKnownVersion: true });
    runtime = await createRuntime({ store, aggregates: [counter] });
    const h = runtime.get(counter, 's');
    await h.execute({ type: 'add', by: 1, tag: 'a' });
    await h.execute({ type: 'add', by: 1, tag: 'b' });
    await inner.append('counter/s', [added(5, 'c')], { expectedVersion: 2 });
    // A store that skips the applied event (version 2) and starts at version 3.
    store.readStream = async function* (id, opts) {
      for await (const e of inner.readStream(id, opts)) if (e.version !== 2) yield e as EventEnvelope;
    };
    const err = await h.execute({ type: 'add', by: 1 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CORRUPT_DATA', streamId: 'counter/s', version: 2 });
  });

  it('keeps the known-head path of a store that knows heads: no read at all while nothing changed', async () => {
    const store = new ProbeStore(memoryStore());
    runtime = await createRuntime({ store, aggregates: [counter] });
    const h = runtime.get(counter, 'k');
    for (let i = 0; i < 5; i++) await h.execute({ type: 'add', by: 1 });
    expect(store.calls.readStream + store.calls.streamVersion).toBe(0);
  });
});
