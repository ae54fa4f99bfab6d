/**
 * Durable timers of a runtime on a LevelDB folder survive its restart (system clock, short
 * delays): timers that came due while no runtime ran fire after the next start, exactly once and
 * never before due; timers due later stay pending; a cancelled one never fires.
 */
import { createRuntime, type EventEnvelope, type Runtime } from '@actorfold/core';
import { type AlarmEvent, alarm } from '@actorfold/testing/crash';
import { describe, expect, it } from 'vitest';
import { levelStore } from '../src/index.js';
import { freshFolder } from './support/folders.js';

async function open(path: string): Promise<Runtime> {
  return createRuntime({ store: levelStore({ path }), aggregates: [alarm], idleTimeoutMs: 50 });
}

describe('durable timers of a runtime restarted on the same folder', () => {
  it('fire after the restart when they came due while it was down, once each; later ones stay pending', async () => {
    const path = freshFolder('timers-restart');
    const first = await open(path);
    const armed = new Map<string, number>();
    await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const at = Date.now() + 800 + Math.floor(Math.random() * 300);
        await first.get(alarm, `r${i}`).execute({ type: 'arm', name: 'wake', at, marker: `r${i}` });
        armed.set(`r${i}`, at);
      }),
    );
    const far = Date.now() + 3_600_000;
    await first.get(alarm, 'later').execute({ type: 'arm', name: 'wake', at: far, marker: 'later' });
    // Cancelled right after it was armed, well before it is due: must never fire.
    const cancelledAt = Date.now() + 1_500;
    await first.get(alarm, 'cancelled').execute({ type: 'arm', name: 'wake', at: cancelledAt, marker: 'x' });
    await first.get(alarm, 'cancelled').execute({ type: 'disarm', name: 'wake' });
    await first.shutdown();
    // Restart once every timer but the far one is overdue.
    await sleep(Math.max(...armed.values(), cancelledAt) + 100 - Date.now());

    const second = await open(path);
    const timers = second.store.timers;
    if (timers === undefined) throw new Error('levelStore keeps timers');
    const deadline = Date.now() + 20_000;
    while ((await timers.count()) > 1 && Date.now() < deadline) await sleep(25);
    expect(await timers.count()).toBe(1);
    expect(await timers.get('alarm/later', 'wake')).toMatchObject({ dueAt: far });

    const rang = new Map<string, Array<Extract<AlarmEvent, { type: 'Rang' }>>>();
    for await (const e of second.store.readAll()) {
      const data = (e as EventEnvelope<AlarmEvent>).data;
      if (data.type === 'Rang') rang.set(data.marker, [...(rang.get(data.marker) ?? []), data]);
    }
    expect([...rang.keys()].sort()).toEqual([...armed.keys()].sort());
    for (const [marker, events] of rang) {
      expect(events, marker).toHaveLength(1);
      expect(events[0]?.dueAt).toBe(armed.get(marker));
      expect(events[0]?.at).toBeGreaterThanOrEqual(armed.get(marker) as number);
    }
    await second.shutdown();
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
