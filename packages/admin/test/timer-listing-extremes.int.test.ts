/**
 * Stores keep any safe integer as a due time (the runtime refuses one a Date cannot hold, but an
 * older runtime, another writer or a hand-made record may have stored it): listing such a timer,
 * offline on a LevelDB folder as `actorfold timers --data` does and live through the admin
 * socket, shows its moment instead of failing the whole listing with RangeError.
 */
import { join } from 'node:path';
import type { TimerRecord } from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import { afterEach, describe, expect, it } from 'vitest';
import { adminClient, listTimers } from '../src/index.js';
import { freshDir, served } from './support/fixture.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');

const EXTREMES: Array<[string, number, string]> = [
  ['counter/latest', Number.MAX_SAFE_INTEGER, '+287396-10-12T08:59:00.991Z'],
  ['counter/past-date-range', 8.64e15 + 1, '+275760-09-13T00:00:00.001Z'],
  // Far ahead: the live runtime would fire a timer already due.
  ['counter/normal', Date.parse('2100-01-01T00:00:00Z'), '2100-01-01T00:00:00.000Z'],
];

/** Writes one timer per entry through the store's own append, each with an event, then closes the folder. */
async function folderWith(timers: ReadonlyArray<[string, number, string]>): Promise<string> {
  const path = join(freshDir(), 'store');
  const store = await levelStore({ path });
  for (const [streamId, dueAt] of timers) {
    const timer: TimerRecord = {
      streamId,
      name: 'far',
      dueAt,
      command: { type: 'add', by: 1 } as TimerRecord['command'],
      version: 1,
      missed: 'fire',
    };
    await store.append(streamId, [{ data: { type: 'Added', by: 0 } }], {
      expectedVersion: 0,
      timers: [{ op: 'schedule', timer }],
    });
  }
  await store.close();
  return path;
}

const closing: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});

describe('listing timers whose due time no Date can hold', () => {
  it('an offline listing of a LevelDB folder shows every stored due time, the earliest possible one included', async () => {
    const path = await folderWith([
      ['counter/earliest', Number.MIN_SAFE_INTEGER, '-283457-03-21T15:00:59.009Z'],
      ...EXTREMES,
    ]);
    const store = await levelStore({ path });
    closing.push(() => store.close());
    const timers = store.timers as NonNullable<typeof store.timers>;
    const view = await listTimers(timers, (s) => store.readStream(s), NOW, { status: 'pending', limit: 10 });
    expect(view.timers.map((t) => [t.streamId, t.dueAt])).toEqual([
      ['counter/earliest', '-283457-03-21T15:00:59.009Z'],
      ['counter/normal', '2100-01-01T00:00:00.000Z'],
      ['counter/past-date-range', '+275760-09-13T00:00:00.001Z'],
      ['counter/latest', '+287396-10-12T08:59:00.991Z'],
    ]);
    expect(view.timers[0]?.lateMs).toBe(NOW - Number.MIN_SAFE_INTEGER);
  });

  it('the live listing (GET /v1/timers through the admin socket) shows a timer due beyond the range of a Date', async () => {
    const path = await folderWith(EXTREMES);
    const s = await served(join(path, '..'));
    closing.push(() => s.close());
    const view = await adminClient(s.socketPath).timers();
    expect(view.timers.map((t) => [t.streamId, t.dueAt])).toEqual(
      [...EXTREMES].sort((a, b) => a[1] - b[1]).map(([streamId, , iso]) => [streamId, iso]),
    );
  });
});
