/**
 * The order of timers due at the same time in a LevelDB folder: `due` (the due index's byte
 * order) and `list({ streamId })` (sorted in memory) agree, in code point order, as compareTimers
 * and the other stores: a name above U+FFFF comes after U+FFFF.
 */
import { compareTimers } from '@actorfold/core';
import { afterEach, describe, expect, it } from 'vitest';
import { type LevelStore, levelStore } from '../src/index.js';
import { freshFolder } from './support/folders.js';

let store: LevelStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe('timers due at the same time in a level store', () => {
  it('are listed in code point order by due() and by list({ streamId }) alike', async () => {
    store = await levelStore({ path: freshFolder('timer-order') });
    const streamId = 's/1';
    const names = ['\u{10000}', '\uffff', '\ue000', 'a', '\ud7ff'];
    await store.append(streamId, [{ data: { type: 'Set' } }], {
      expectedVersion: 0,
      timers: names.map((name) => ({
        op: 'schedule' as const,
        timer: { streamId, name, dueAt: 5, command: { type: 'ring' }, version: 1, missed: 'fire' as const },
      })),
    });
    const inCodePointOrder = ['a', '\ud7ff', '\ue000', '\uffff', '\u{10000}'];
    const due = await store.timers.due(10, 10);
    expect(due.map((t) => t.name)).toEqual(inCodePointOrder);
    expect([...due].sort(compareTimers)).toEqual(due);
    const listed: string[] = [];
    for await (const t of store.timers.list({ streamId })) listed.push(t.name);
    expect(listed).toEqual(inCodePointOrder);
  });
});
