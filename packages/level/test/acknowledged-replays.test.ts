/** Issue 12's LevelDB cases: ids LevelDB cannot keep and events it would fail to read back are refused up front. */
import { createRuntime, defineAggregate, richCodec } from '@actorfold/core';
import { describe, expect, it } from 'vitest';
import { levelStore } from '../src/index.js';
import { freshFolder } from './support/folders.js';

const note = defineAggregate<{ n: number }, { type: 'note' }, { type: string }>({
  type: 'note',
  initialState: () => ({ n: 0 }),
  decide: () => [{ type: 'Noted' }],
  evolve: (s) => ({ n: s.n + 1 }),
});

describe('bad input on a real LevelDB folder', () => {
  it('refuses an aggregate id with U+0000 as INVALID_ARGUMENT (not a retryable ACTOR_CRASHED), at the handle and in the store', async () => {
    const store = await levelStore({ path: freshFolder() });
    const rt = await createRuntime({ store, aggregates: [note] });
    try {
      expect(() => rt.get(note, 'a\u0000b')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      await expect(
        store.append('note/a\u0000b', [{ data: { type: 'Noted' } }], { expectedVersion: 0 }),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
      expect((await rt.get(note, 'a').execute({ type: 'note' })).version).toBe(1);
    } finally {
      await rt.shutdown();
    }
  });

  it('refuses an event whose type is on its prototype before storing it: the stream stays readable (no CORRUPT_DATA)', async () => {
    const path = freshFolder();
    const proto = defineAggregate<{ n: number }, { type: 'go' | 'ok' }, { type: string }>({
      type: 'proto',
      initialState: () => ({ n: 0 }),
      decide: (_s, c) =>
        c.type === 'go' ? [Object.create({ type: 'Went' }) as { type: string }] : [{ type: 'Ok' }],
      evolve: (s) => ({ n: s.n + 1 }),
    });
    const rt = await createRuntime({ store: await levelStore({ path }), aggregates: [proto] });
    const h = rt.get(proto, 'p');
    await h.execute({ type: 'ok' });
    await expect(h.execute({ type: 'go' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await rt.shutdown();
    const again = await createRuntime({ store: await levelStore({ path }), aggregates: [proto] });
    try {
      expect(await again.get(proto, 'p').state()).toEqual({ version: 1, state: { n: 1 } });
    } finally {
      await again.shutdown();
    }
  });

  it('replays a Date event under the rich codec exactly after a restart', async () => {
    const path = freshFolder();
    const stamps = defineAggregate<
      { at: number },
      { type: 'stamp'; at: Date },
      { type: 'Stamped'; at: Date }
    >({
      type: 'stamps',
      codec: richCodec,
      initialState: () => ({ at: 0 }),
      decide: (_s, c) => [{ type: 'Stamped', at: c.at }],
      evolve: (_s, e) => ({ at: e.at.getTime() }),
    });
    const rt = await createRuntime({ store: await levelStore({ path }), aggregates: [stamps] });
    const ack = await rt.get(stamps, 's').execute({ type: 'stamp', at: new Date(42) });
    await rt.shutdown();
    const again = await createRuntime({ store: await levelStore({ path }), aggregates: [stamps] });
    try {
      expect(await again.get(stamps, 's').state()).toEqual({ version: 1, state: ack.state });
    } finally {
      await again.shutdown();
    }
  });
});
