import { effectTimerName, memoryStore, RUN_EFFECT, type TimerRecord } from '@actorfold/core';
import { describe, expect, it } from 'vitest';
import { listTimers, OVERDUE_MS } from '../src/index.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');

/** A memory store holding one timer per stream, due `dueIn` ms from NOW, each written with an event. */
async function storeWith(timers: Array<[string, number]>) {
  const store = memoryStore();
  for (const [streamId, dueIn] of timers) {
    const timer: TimerRecord = {
      streamId,
      name: 'expiry',
      dueAt: NOW + dueIn,
      command: { type: 'expire' },
      version: 1,
      missed: 'fire',
    };
    await store.append(streamId, [{ data: { type: 'OfferMade' } }], {
      expectedVersion: 0,
      timers: [{ op: 'schedule', timer }],
    });
  }
  return store;
}

describe('listing durable timers', () => {
  it('pending, due and overdue: all, those due by now, those due for over a minute', async () => {
    const store = await storeWith([
      ['offer/late', -OVERDUE_MS - 1],
      ['offer/just', -10],
      ['offer/later', 5_000],
    ]);
    const timers = store.timers as NonNullable<typeof store.timers>;
    const names = async (status: 'pending' | 'due' | 'overdue') =>
      (await listTimers(timers, (s) => store.readStream(s), NOW, { status, limit: 10 })).timers.map((t) => [
        t.streamId,
        t.lateMs,
      ]);
    expect(await names('pending')).toEqual([
      ['offer/late', OVERDUE_MS + 1],
      ['offer/just', 10],
      ['offer/later', 0],
    ]);
    expect(await names('due')).toEqual([
      ['offer/late', OVERDUE_MS + 1],
      ['offer/just', 10],
    ]);
    expect(await names('overdue')).toEqual([['offer/late', OVERDUE_MS + 1]]);
    const view = await listTimers(timers, (s) => store.readStream(s), NOW, {
      status: 'pending',
      dueBefore: NOW,
      limit: 1,
    });
    expect(view).toMatchObject({ now: '2026-03-01T12:00:00.000Z', pending: 3, fired: [] });
    expect(view.timers).toEqual([
      {
        streamId: 'offer/late',
        name: 'expiry',
        dueAt: new Date(NOW - OVERDUE_MS - 1).toISOString(),
        lateMs: OVERDUE_MS + 1,
        version: 1,
        command: { type: 'expire' },
        missed: 'fire',
      },
    ]);
  });

  it("fired: one stream's events recorded by timer firings, each firing once, newest first", async () => {
    const store = memoryStore();
    await store.append(
      'offer/a',
      [
        { data: { type: 'OfferMade' } },
        { data: { type: 'Reminded' }, metadata: { commandId: 'timer:remind@1' } },
        { data: { type: 'Reminded' }, metadata: { commandId: 'timer:remind@1' } },
        { data: { type: 'Touched' }, metadata: { commandId: 'client-7' } },
        { data: { type: 'OfferExpired' }, metadata: { commandId: 'timer:expiry@2' } },
      ],
      { expectedVersion: 0 },
    );
    const view = await listTimers(
      store.timers as NonNullable<typeof store.timers>,
      (s) => store.readStream(s),
      NOW,
      {
        status: 'fired',
        streamId: 'offer/a',
        limit: 10,
      },
    );
    expect(view.fired.map((f) => [f.name, f.scheduledAt, f.version, f.eventType])).toEqual([
      ['expiry', 2, 5, 'OfferExpired'],
      ['remind', 1, 2, 'Reminded'],
    ]);
    await expect(
      listTimers(store.timers as NonNullable<typeof store.timers>, (s) => store.readStream(s), NOW, {
        status: 'fired',
        limit: 10,
      }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});

describe('listing durable timers beside effect records', () => {
  it('leaves out the records of durable effects, which are timer records with a reserved name', async () => {
    const store = await storeWith([['offer/a', 1_000]]);
    const effect: TimerRecord = {
      streamId: 'offer/a',
      name: effectTimerName('notify'),
      dueAt: NOW,
      command: { type: RUN_EFFECT },
      version: 2,
      missed: 'fire',
    };
    await store.append('offer/a', [{ data: { type: 'Notified' } }], {
      expectedVersion: 1,
      timers: [{ op: 'schedule', timer: effect }],
    });
    const timers = store.timers as NonNullable<typeof store.timers>;
    const view = await listTimers(timers, (s) => store.readStream(s), NOW, { status: 'pending', limit: 10 });
    expect(view.timers.map((t) => t.name)).toEqual(['expiry']);
    expect(view.pending).toBe(2);
  });
});
