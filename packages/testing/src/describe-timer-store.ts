/**
 * The durable-timer part of the EventStore conformance suite (`store.timers`): timer changes are
 * applied in order and atomically with the append's events, and the timer store answers due(),
 * list(), get(), remove(), count() and, when present, claim() and reschedule() the same way on
 * every store.
 * `describeEventStore` declares it; a store without `timers` runs only the refusal test.
 */
import type {
  ActorfoldError,
  Command,
  ErrorCode,
  EventStore,
  NewEvent,
  TimerChange,
  TimerRecord,
  TimerStore,
} from '@actorfold/core';
import { compareTimers, isActorfoldError } from '@actorfold/core';
import fc from 'fast-check';
import { vitest } from './vitest-api.js';

/** What the timer section needs from `describeEventStore`'s per-test store. */
export interface TimerSuiteContext {
  /** The current test's store. */
  store(): EventStore;
  /** A new, empty store (the property test opens its own). */
  makeStore(): EventStore | Promise<EventStore>;
  /** Closes the store and opens one over the same data (durable stores only). */
  reopen?: (store: EventStore) => EventStore | Promise<EventStore>;
  /** Replaces the current test's store after a reopen, so that afterEach closes the new one. */
  replace(store: EventStore): void;
  propertyRuns: number;
}

/** Declares the timer tests inside the caller's `describe`. */
export function describeTimerStore(c: TimerSuiteContext): void {
  const { describe, expect, it } = vitest('describeEventStore');

  /** The store's timers, or skips the test when the store has none. */
  const timersOf = (skip: () => void): TimerStore => {
    const t = c.store().timers;
    if (t === undefined) skip();
    return t as TimerStore;
  };

  describe('timers', () => {
    it('refuses timer changes with InvalidArgument when the store has no timers, appending nothing', async (ctx) => {
      const store = c.store();
      if (store.timers !== undefined) return ctx.skip();
      await expectCode(
        () => store.append('a/1', [ev('A')], { expectedVersion: 0, timers: [schedule('a/1', 't', 10, 1)] }),
        'INVALID_ARGUMENT',
      );
      expect(await store.streamVersion('a/1')).toBe(0);
      // An empty list is no timer change: accepted.
      await store.append('a/1', [ev('A')], { expectedVersion: 0, timers: [] });
      expect(await store.streamVersion('a/1')).toBe(1);
    });

    it('stores a scheduled timer with the events and gives back every field', async (ctx) => {
      const timers = timersOf(ctx.skip);
      const store = c.store();
      const record: TimerRecord = {
        streamId: 'offer/o1',
        name: 'expire',
        dueAt: 1_700_000_000_123,
        command: { type: 'Expire', reason: 'deadline', nested: { list: [1, 'x', null] } } as Command,
        version: 1,
        missed: 'drop',
        metadata: { correlationId: 'k1', trace: { id: 'é🙂' } },
      };
      await store.append('offer/o1', [ev('Offered')], {
        expectedVersion: 0,
        timers: [{ op: 'schedule', timer: record }],
      });
      expect(await timers.get('offer/o1', 'expire')).toEqual(record);
      expect(await timers.count()).toBe(1);
      expect(await timers.due(record.dueAt, 10)).toEqual([record]);
      expect(await timers.due(record.dueAt - 1, 10)).toEqual([]);
      expect(await collect(timers.list())).toEqual([record]);
      expect(await timers.get('offer/o1', 'other')).toBeUndefined();
      expect(await timers.get('offer/o2', 'expire')).toBeUndefined();
    });

    it('returns copies: mutating what was scheduled or read changes nothing stored', async (ctx) => {
      const timers = timersOf(ctx.skip);
      const command = { type: 'Ping', items: [1] };
      await c.store().append('a/1', [ev('A')], {
        expectedVersion: 0,
        timers: [{ op: 'schedule', timer: { ...timer('a/1', 't', 5, 1), command } }],
      });
      command.items.push(2);
      const got = await timers.get('a/1', 't');
      ((got as TimerRecord).command as unknown as { items: number[] }).items.push(3);
      expect((await timers.get('a/1', 't'))?.command).toEqual({ type: 'Ping', items: [1] });
    });

    it('applies schedule, replace and cancel in order within one append', async (ctx) => {
      const timers = timersOf(ctx.skip);
      const store = c.store();
      await store.append('a/1', [ev('A')], {
        expectedVersion: 0,
        timers: [
          schedule('a/1', 'x', 100, 1),
          schedule('a/1', 'y', 200, 1),
          cancel('x'),
          schedule('a/1', 'y', 300, 1),
          schedule('a/1', 'z', 50, 1),
          cancel('z'),
          schedule('a/1', 'x', 400, 1),
          cancel('never-scheduled'),
        ],
      });
      expect(summary(await collect(timers.list()))).toEqual(['a/1:y@300', 'a/1:x@400']);
      expect(await timers.count()).toBe(2);
    });

    it('replaces a pending timer of the same name in a later append and cancels it in another', async (ctx) => {
      const timers = timersOf(ctx.skip);
      const store = c.store();
      await store.append('a/1', [ev('A')], { expectedVersion: 0, timers: [schedule('a/1', 't', 100, 1)] });
      await store.append('a/1', [ev('B'), ev('C')], {
        expectedVersion: 1,
        timers: [schedule('a/1', 't', 50, 3)],
      });
      expect(await timers.get('a/1', 't')).toMatchObject({ dueAt: 50, version: 3 });
      // The old due time no longer holds the timer; only the new one does.
      expect(summary(await timers.due(1000, 10))).toEqual(['a/1:t@50']);
      expect(await timers.count()).toBe(1);
      await store.append('a/1', [ev('D')], { expectedVersion: 3, timers: [cancel('t')] });
      expect(await timers.get('a/1', 't')).toBeUndefined();
      expect(await timers.due(1000, 10)).toEqual([]);
      expect(await timers.count()).toBe(0);
    });

    it('keeps the timers of each stream apart: the same name on two streams is two timers', async (ctx) => {
      const timers = timersOf(ctx.skip);
      const store = c.store();
      await store.append('a/1', [ev('A')], { expectedVersion: 0, timers: [schedule('a/1', 't', 10, 1)] });
      await store.append('a/2', [ev('A')], { expectedVersion: 0, timers: [schedule('a/2', 't', 20, 1)] });
      await store.append('a/1', [ev('B')], { expectedVersion: 1, timers: [cancel('t')] });
      expect(summary(await collect(timers.list()))).toEqual(['a/2:t@20']);
    });

    it('stores no timer change of an append that fails with VersionConflict', async (ctx) => {
      const timers = timersOf(ctx.skip);
      const store = c.store();
      await store.append('a/1', [ev('A')], { expectedVersion: 0, timers: [schedule('a/1', 'keep', 10, 1)] });
      await expectCode(
        () =>
          store.append('a/1', [ev('B')], {
            expectedVersion: 0,
            timers: [cancel('keep'), schedule('a/1', 'new', 20, 1), schedule('a/1', 'keep', 99, 1)],
          }),
        'VERSION_CONFLICT',
      );
      expect(summary(await collect(timers.list()))).toEqual(['a/1:keep@10']);
      expect(await timers.get('a/1', 'keep')).toMatchObject({ version: 1 });
      expect(await timers.count()).toBe(1);
    });

    it('stores no timer change of an append that fails for its events', async (ctx) => {
      const timers = timersOf(ctx.skip);
      const store = c.store();
      await store.append('a/1', [ev('A')], { expectedVersion: 0, timers: [schedule('a/1', 'keep', 10, 1)] });
      const bad = { data: { type: 'B', n: 1n } } as unknown as NewEvent;
      await expectCode(
        () =>
          store.append('a/1', [ev('B'), bad], {
            expectedVersion: 1,
            timers: [cancel('keep'), schedule('a/1', 'new', 20, 3)],
          }),
        'INVALID_ARGUMENT',
      );
      expect(await store.streamVersion('a/1')).toBe(1);
      expect(summary(await collect(timers.list()))).toEqual(['a/1:keep@10']);
    });

    it('refuses malformed timer changes with InvalidArgument, appending nothing', async (ctx) => {
      const timers = timersOf(ctx.skip);
      const store = c.store();
      const good = timer('a/1', 't', 10, 1);
      const bads: unknown[] = [
        [{ op: 'explode', name: 't' }],
        [{ op: 'cancel', name: '' }],
        [{ op: 'schedule', timer: { ...good, name: '' } }],
        [{ op: 'schedule', timer: { ...good, name: 'a\u0000b' } }],
        [{ op: 'schedule', timer: { ...good, dueAt: Number.NaN } }],
        [{ op: 'schedule', timer: { ...good, dueAt: 1.5 } }],
        [{ op: 'schedule', timer: { ...good, command: { notype: 1 } } }],
        [{ op: 'schedule', timer: { ...good, streamId: 'b/1' } }],
        [{ op: 'schedule', timer: { ...good, missed: 'maybe' } }],
        [{ op: 'schedule', timer: { ...good, command: { type: 'X', n: 1n } } }],
      ];
      for (const bad of bads) {
        const changes = [schedule('a/1', 'first', 5, 1), ...(bad as TimerChange[])];
        await expectCode(
          () => store.append('a/1', [ev('A')], { expectedVersion: 0, timers: changes }),
          'INVALID_ARGUMENT',
        );
      }
      await expectCode(
        () => store.append('a/1', [ev('A')], { expectedVersion: 0, timers: 'x' as unknown as TimerChange[] }),
        'INVALID_ARGUMENT',
      );
      expect(await store.streamVersion('a/1')).toBe(0);
      expect(await timers.count()).toBe(0);
    });

    it('lets only the winner of 20 racing appends store its timers', async (ctx) => {
      const timers = timersOf(ctx.skip);
      const store = c.store();
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          store.append('race/1', [ev(`W${i}`)], {
            expectedVersion: 0,
            timers: [schedule('race/1', 'shared', 100 + i, 1), schedule('race/1', `own-${i}`, 10, 1)],
          }),
        ),
      );
      const won = results.findIndex((r) => r.status === 'fulfilled');
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(summary(await collect(timers.list()))).toEqual([
        `race/1:own-${won}@10`,
        `race/1:shared@${100 + won}`,
      ]);
    });

    it('gives due timers earliest first, ties by stream id then name, at most limit, none after until', async (ctx) => {
      const timers = timersOf(ctx.skip);
      const store = c.store();
      const plan: Array<[string, string, number]> = [
        ['b/1', 'z', 30],
        ['a/2', 'k', 20],
        ['a/10', 'k', 20],
        ['a/1', 'y', 20],
        ['a/1', 'x', 20],
        ['c/1', 'later', 1000],
        ['a/1', 'first', 5],
        ['b/1', 'y', 30],
        ['d/1', 'epoch', 0],
        ['d/2', 'before-epoch', -7],
      ];
      const versions = new Map<string, number>();
      for (const [streamId, name, dueAt] of plan) {
        const v = versions.get(streamId) ?? 0;
        await store.append(streamId, [ev('A')], {
          expectedVersion: v,
          timers: [schedule(streamId, name, dueAt, v + 1)],
        });
        versions.set(streamId, v + 1);
      }
      const order = [
        'd/2:before-epoch@-7',
        'd/1:epoch@0',
        'a/1:first@5',
        'a/1:x@20',
        'a/1:y@20',
        'a/10:k@20',
        'a/2:k@20',
        'b/1:y@30',
        'b/1:z@30',
      ];
      expect(summary(await timers.due(30, 100))).toEqual(order);
      expect(summary(await timers.due(29, 100))).toEqual(order.slice(0, 7));
      expect(summary(await timers.due(30, 3))).toEqual(order.slice(0, 3));
      expect(summary(await timers.due(4, 100))).toEqual(order.slice(0, 2));
      expect(summary(await timers.due(-1, 100))).toEqual(order.slice(0, 1));
      expect(await timers.due(-8, 100)).toEqual([]);
      expect(await timers.due(30, 0)).toEqual([]);
      expect(summary(await timers.due(5000, 100))).toEqual([...order, 'c/1:later@1000']);
      // due() only reads: asking again gives the same.
      expect(summary(await timers.due(30, 100))).toEqual(order);
    });

    it('orders ties of due time by name in code point order (a name above U+FFFF after U+FFFF) in due(), list() and claim() alike', async (ctx) => {
      const timers = timersOf(ctx.skip);
      const streamId = 's/1';
      const names = ['\u{10000}', '\uffff', '\ue000', 'a', '\ud7ff'];
      await c.store().append(streamId, [ev('A')], {
        expectedVersion: 0,
        timers: names.map((name) => schedule(streamId, name, 5, 1)),
      });
      const inCodePointOrder = ['a', '\ud7ff', '\ue000', '\uffff', '\u{10000}'];
      const due = await timers.due(10, 10);
      expect(due.map((t) => t.name)).toEqual(inCodePointOrder);
      expect([...due].sort(compareTimers)).toEqual(due);
      const listed: string[] = [];
      for await (const t of timers.list({ streamId })) listed.push(t.name);
      expect(listed).toEqual(inCodePointOrder);
      if (timers.claim !== undefined)
        expect((await timers.claim(10, 10, 'node-a', 1000, 10)).map((t) => t.name)).toEqual(inCodePointOrder);
    });

    it('lists timers earliest first, filtered by stream, due time and limit', async (ctx) => {
      const timers = timersOf(ctx.skip);
      const store = c.store();
      await store.append('a/1', [ev('A')], {
        expectedVersion: 0,
        timers: [schedule('a/1', 'late', 300, 1), schedule('a/1', 'early', 100, 1)],
      });
      await store.append('a/11', [ev('A')], {
        expectedVersion: 0,
        timers: [schedule('a/11', 'mid', 200, 1)],
      });
      await store.append('a/', [ev('A')], { expectedVersion: 0, timers: [schedule('a/', 'x', 150, 1)] });
      expect(summary(await collect(timers.list()))).toEqual([
        'a/1:early@100',
        'a/:x@150',
        'a/11:mid@200',
        'a/1:late@300',
      ]);
      expect(summary(await collect(timers.list({ streamId: 'a/1' })))).toEqual([
        'a/1:early@100',
        'a/1:late@300',
      ]);
      expect(summary(await collect(timers.list({ streamId: 'a/' })))).toEqual(['a/:x@150']);
      expect(summary(await collect(timers.list({ streamId: 'b/1' })))).toEqual([]);
      expect(summary(await collect(timers.list({ dueBefore: 200 })))).toEqual([
        'a/1:early@100',
        'a/:x@150',
        'a/11:mid@200',
      ]);
      expect(summary(await collect(timers.list({ limit: 2 })))).toEqual(['a/1:early@100', 'a/:x@150']);
      expect(summary(await collect(timers.list({ streamId: 'a/1', dueBefore: 299, limit: 5 })))).toEqual([
        'a/1:early@100',
      ]);
      expect(await collect(timers.list({ limit: 0 }))).toEqual([]);
    });

    it('removes a timer only while it still has the given version', async (ctx) => {
      const timers = timersOf(ctx.skip);
      const store = c.store();
      await store.append('a/1', [ev('A')], { expectedVersion: 0, timers: [schedule('a/1', 't', 10, 1)] });
      await store.append('a/1', [ev('B')], { expectedVersion: 1, timers: [schedule('a/1', 't', 20, 2)] });
      // The firing of the replaced timer (version 1) must not remove its successor.
      expect(await timers.remove('a/1', 't', 1)).toBe(false);
      expect(await timers.get('a/1', 't')).toMatchObject({ dueAt: 20, version: 2 });
      expect(await timers.count()).toBe(1);
      expect(await timers.remove('a/1', 't', 2)).toBe(true);
      expect(await timers.get('a/1', 't')).toBeUndefined();
      expect(await timers.due(1000, 10)).toEqual([]);
      expect(await timers.count()).toBe(0);
      expect(await timers.remove('a/1', 't', 2)).toBe(false);
      expect(await timers.remove('zz/9', 'none', 1)).toBe(false);
      // Scheduling the name again afterwards works as for a new timer.
      await store.append('a/1', [ev('C')], { expectedVersion: 2, timers: [schedule('a/1', 't', 30, 3)] });
      expect(summary(await timers.due(1000, 10))).toEqual(['a/1:t@30']);
      expect(await timers.count()).toBe(1);
    });

    it('keeps pending timers when the append that would change them is empty of changes', async (ctx) => {
      const timers = timersOf(ctx.skip);
      const store = c.store();
      await store.append('a/1', [ev('A')], { expectedVersion: 0, timers: [schedule('a/1', 't', 10, 1)] });
      await store.append('a/1', [ev('B')], { expectedVersion: 1 });
      await store.append('a/1', [ev('C')], { expectedVersion: 2, timers: [] });
      expect(await timers.get('a/1', 't')).toMatchObject({ dueAt: 10, version: 1 });
    });

    describe('claim (stores shared by several runtimes)', () => {
      const claimOf = (ctx: { skip: () => void }) => {
        const timers = timersOf(ctx.skip);
        if (timers.claim === undefined) ctx.skip();
        return { timers, claim: (timers.claim as NonNullable<TimerStore['claim']>).bind(timers) };
      };

      const seed = async (n: number, dueAt = 100): Promise<void> => {
        const store = c.store();
        for (let i = 0; i < n; i++) {
          await store.append(`c/${i}`, [ev('A')], {
            expectedVersion: 0,
            timers: [schedule(`c/${i}`, 't', dueAt, 1)],
          });
        }
      };

      it('never gives one due timer to two claimers while its lease runs', async (ctx) => {
        const { claim } = claimOf(ctx);
        await seed(30);
        const [a, b, d] = await Promise.all([
          claim(1000, 12, 'node-a', 10_000),
          claim(1000, 12, 'node-b', 10_000),
          claim(1000, 12, 'node-c', 10_000),
        ]);
        const all = [...(a ?? []), ...(b ?? []), ...(d ?? [])].map((t) => t.streamId);
        expect(all).toHaveLength(30);
        expect(new Set(all).size).toBe(30);
        // Within the lease, no other node gets them; the owner gets its own back, lease renewed.
        expect(await claim(5000, 100, 'node-d', 10_000)).toEqual([]);
        expect(await claim(5000, 100, 'node-a', 10_000)).toEqual(a);
        // After the others' leases ran out, node-a's renewed lease still keeps its timers.
        const ids = (ts: readonly TimerRecord[]) => ts.map((t) => t.streamId).sort();
        expect(ids(await claim(14_000, 100, 'node-d', 10_000))).toEqual(ids([...(b ?? []), ...(d ?? [])]));
      });

      it("judges leases by the claimer's now, not by how far it looks ahead", async (ctx) => {
        const { claim } = claimOf(ctx);
        await seed(3);
        expect(await claim(1000, 10, 'node-a', 1_000)).toHaveLength(3); // lease until 2000
        // Looking ahead past the end of node-a's lease does not take its timers while it runs.
        expect(await claim(2_500, 10, 'node-b', 1_000, 1_990)).toEqual([]);
        expect(await claim(2_500, 10, 'node-b', 1_000, 2_000)).toHaveLength(3);
        await expect(claim(1000, 10, 'node-c', 1_000, 1_001)).rejects.toMatchObject({
          code: 'INVALID_ARGUMENT',
        });
      });

      it('claims only due timers, earliest first, at most limit', async (ctx) => {
        const { claim } = claimOf(ctx);
        const store = c.store();
        await store.append('c/1', [ev('A')], {
          expectedVersion: 0,
          timers: [
            schedule('c/1', 'later', 500, 1),
            schedule('c/1', 'soon', 100, 1),
            schedule('c/1', 'mid', 200, 1),
          ],
        });
        expect(summary(await claim(200, 1, 'n', 1000))).toEqual(['c/1:soon@100']);
        expect(summary(await claim(200, 10, 'n', 1000))).toEqual(['c/1:soon@100', 'c/1:mid@200']);
        expect(await claim(200, 10, 'other', 1000)).toEqual([]);
      });

      it('lets another node claim a timer whose lease expired (its node died mid-fire)', async (ctx) => {
        const { timers, claim } = claimOf(ctx);
        await seed(1);
        expect(summary(await claim(1000, 10, 'dies', 500))).toEqual(['c/0:t@100']);
        // The lease runs on the claimer's clock: `until` is its now.
        expect(await claim(1400, 10, 'other', 500)).toEqual([]);
        const taken = await claim(1600, 10, 'other', 500);
        expect(summary(taken)).toEqual(['c/0:t@100']);
        expect(taken[0]).toEqual(await timers.get('c/0', 't'));
      });

      it('never claims a timer again once its firing cancelled it or it was removed or replaced', async (ctx) => {
        const { timers, claim } = claimOf(ctx);
        const store = c.store();
        await seed(3);
        expect(await claim(1000, 10, 'n', 100)).toHaveLength(3);
        // c/0 fired: the firing's append cancels it. c/1: removed. c/2: replaced by a later timer.
        await store.append('c/0', [ev('Fired')], { expectedVersion: 1, timers: [cancel('t')] });
        expect(await timers.remove('c/1', 't', 1)).toBe(true);
        await store.append('c/2', [ev('Again')], {
          expectedVersion: 1,
          timers: [schedule('c/2', 't', 5000, 2)],
        });
        expect(await claim(4000, 10, 'n2', 100)).toEqual([]);
        // The replacement is a new timer: claimable once due, whatever the old claim said.
        expect(summary(await claim(5000, 10, 'n2', 100))).toEqual(['c/2:t@5000']);
      });
    });

    describe('reschedule (durable effects record attempts and results with it)', () => {
      const rescheduleOf = (ctx: { skip: () => void }) => {
        const timers = timersOf(ctx.skip);
        if (timers.reschedule === undefined) ctx.skip();
        return {
          timers,
          reschedule: (timers.reschedule as NonNullable<TimerStore['reschedule']>).bind(timers),
        };
      };

      it('replaces the due time and command of the timer at that version, keeping its version and the rest', async (ctx) => {
        const { timers, reschedule } = rescheduleOf(ctx);
        const store = c.store();
        const record: TimerRecord = {
          streamId: 'e/1',
          name: '@effect:pay',
          dueAt: 100,
          command: { type: 'Run', attempts: 0 } as Command,
          version: 1,
          missed: 'drop',
          metadata: { correlationId: 'k1', trace: { id: 'é🙂' } },
        };
        await store.append('e/1', [ev('Requested')], {
          expectedVersion: 0,
          timers: [{ op: 'schedule', timer: record }, schedule('e/1', 'other', 150, 1)],
        });
        const command = { type: 'Run', attempts: 1, lastError: { message: 'nope' } } as Command;
        expect(await reschedule('e/1', '@effect:pay', 1, 400, command)).toBe(true);
        const moved = { ...record, dueAt: 400, command };
        expect(await timers.get('e/1', '@effect:pay')).toEqual(moved);
        expect(await timers.count()).toBe(2);
        // The old due time no longer holds it; the new one does, in due order.
        expect(summary(await timers.due(399, 10))).toEqual(['e/1:other@150']);
        expect(await timers.due(400, 10)).toEqual([timer('e/1', 'other', 150, 1), moved]);
        expect(summary(await collect(timers.list({ streamId: 'e/1' })))).toEqual([
          'e/1:other@150',
          'e/1:@effect:pay@400',
        ]);
        // Earlier works too (a result due now), and the version still removes it.
        expect(await reschedule('e/1', '@effect:pay', 1, 20, { type: 'Done' })).toBe(true);
        expect(summary(await timers.due(1000, 10))).toEqual(['e/1:@effect:pay@20', 'e/1:other@150']);
        expect(await timers.get('e/1', '@effect:pay')).toMatchObject({
          version: 1,
          command: { type: 'Done' },
        });
        expect(await timers.count()).toBe(2);
        expect(await timers.remove('e/1', '@effect:pay', 1)).toBe(true);
        expect(await timers.count()).toBe(1);
        expect(summary(await timers.due(1000, 10))).toEqual(['e/1:other@150']);
      });

      it('returns false and changes nothing for a missing name or another version', async (ctx) => {
        const { timers, reschedule } = rescheduleOf(ctx);
        const store = c.store();
        await store.append('e/1', [ev('A')], { expectedVersion: 0, timers: [schedule('e/1', 't', 10, 1)] });
        await store.append('e/1', [ev('B')], { expectedVersion: 1, timers: [schedule('e/1', 't', 20, 2)] });
        const before = await collect(timers.list());
        // The record of the replaced timer (version 1) must not overwrite its successor.
        expect(await reschedule('e/1', 't', 1, 99, { type: 'X' })).toBe(false);
        expect(await reschedule('e/1', 't', 3, 99, { type: 'X' })).toBe(false);
        expect(await reschedule('e/1', 'none', 2, 99, { type: 'X' })).toBe(false);
        expect(await reschedule('zz/9', 't', 2, 99, { type: 'X' })).toBe(false);
        expect(await collect(timers.list())).toEqual(before);
        expect(await timers.count()).toBe(1);
        // Once fired (cancelled by its firing's append), there is nothing to reschedule.
        await store.append('e/1', [ev('C')], { expectedVersion: 2, timers: [cancel('t')] });
        expect(await reschedule('e/1', 't', 2, 99, { type: 'X' })).toBe(false);
        expect(await timers.count()).toBe(0);
        expect(await timers.due(1000, 10)).toEqual([]);
      });

      it('with ifDueAt, changes the timer only while it is still due then (compare-and-set)', async (ctx) => {
        const { timers, reschedule } = rescheduleOf(ctx);
        const store = c.store();
        await store.append('e/1', [ev('A')], { expectedVersion: 0, timers: [schedule('e/1', 't', 10, 1)] });
        // Two nodes read the timer due at 10; the first to move it wins, the second finds it moved.
        expect(await reschedule('e/1', 't', 1, 500, { type: 'LeasedByA' }, 10)).toBe(true);
        expect(await reschedule('e/1', 't', 1, 600, { type: 'LeasedByB' }, 10)).toBe(false);
        expect(await timers.get('e/1', 't')).toMatchObject({ dueAt: 500, command: { type: 'LeasedByA' } });
        // The winner goes on from the due time it wrote.
        expect(await reschedule('e/1', 't', 1, 20, { type: 'Done' }, 500)).toBe(true);
        expect(await timers.due(100, 10)).toMatchObject([
          { name: 't', dueAt: 20, command: { type: 'Done' } },
        ]);
        expect(await timers.count()).toBe(1);
      });

      it('releases a claim: another node claims the rescheduled timer as soon as it is due', async (ctx) => {
        const { timers, reschedule } = rescheduleOf(ctx);
        if (timers.claim === undefined) return ctx.skip();
        const claim = timers.claim.bind(timers);
        const store = c.store();
        await store.append('e/1', [ev('A')], { expectedVersion: 0, timers: [schedule('e/1', 't', 100, 1)] });
        await store.append('e/2', [ev('A')], { expectedVersion: 0, timers: [schedule('e/2', 't', 100, 1)] });
        expect(await claim(1000, 10, 'node-a', 60_000)).toHaveLength(2);
        // An attempt failed on node-a: the retry is due later and belongs to nobody.
        expect(await reschedule('e/1', 't', 1, 3000, { type: 'Retry' })).toBe(true);
        // A result due now: node-b takes it at once, although node-a's lease still runs.
        expect(await reschedule('e/2', 't', 1, 1000, { type: 'Result' })).toBe(true);
        const taken = await claim(1000, 10, 'node-b', 60_000);
        expect(taken).toEqual([{ ...timer('e/2', 't', 100, 1), dueAt: 1000, command: { type: 'Result' } }]);
        expect(await claim(2999, 10, 'node-c', 60_000)).toEqual([]);
        expect(summary(await claim(3000, 10, 'node-c', 60_000))).toEqual(['e/1:t@3000']);
        // Claimed again, it is held again: node-b's own claim keeps node-d off e/2.
        expect(await claim(3000, 10, 'node-d', 60_000)).toEqual([]);
      });

      it('never leaves two due entries when it races appends that replace or cancel the timer', async (ctx) => {
        const { timers, reschedule } = rescheduleOf(ctx);
        const store = c.store();
        for (let i = 0; i < 10; i++) {
          await store.append(`r/${i}`, [ev('A')], {
            expectedVersion: 0,
            timers: [schedule(`r/${i}`, 't', 100, 1)],
          });
        }
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) => [
            reschedule(`r/${i}`, 't', 1, 500 + i, { type: 'Retry' }),
            store.append(`r/${i}`, [ev('B')], {
              expectedVersion: 1,
              timers: i % 2 === 0 ? [schedule(`r/${i}`, 't', 200 + i, 2)] : [cancel('t')],
            }),
          ]).flat(),
        );
        expect(results.filter((r) => typeof r !== 'boolean')).toHaveLength(10);
        // The append came last in effect (it decides after any reschedule, or replaced it first).
        const expected = Array.from({ length: 5 }, (_, k) => `r/${2 * k}:t@${200 + 2 * k}`);
        expect(summary(await timers.due(10_000, 100))).toEqual(expected);
        expect(summary(await collect(timers.list()))).toEqual(expected);
        expect(await timers.count()).toBe(5);
      });

      it('refuses malformed arguments with InvalidArgument, changing nothing', async (ctx) => {
        const { timers, reschedule } = rescheduleOf(ctx);
        const store = c.store();
        await store.append('e/1', [ev('A')], { expectedVersion: 0, timers: [schedule('e/1', 't', 10, 1)] });
        const good: [string, string, number, number, Command] = ['e/1', 't', 1, 50, { type: 'X' }];
        const bads: Array<[number, unknown]> = [
          [0, ''],
          [0, 7],
          [1, ''],
          [1, 'a\u0000b'],
          [1, undefined],
          [2, 0],
          [2, 1.5],
          [2, '1'],
          [2, undefined],
          [3, Number.NaN],
          [3, 1.5],
          [3, Number.POSITIVE_INFINITY],
          [3, '50'],
          [4, null],
          [4, { notype: 1 }],
          [4, { type: '' }],
          [4, { type: 'X', n: 1n }],
          [5, Number.NaN],
          [5, 1.5],
          [5, '10'],
          [5, null],
        ];
        for (const [at, value] of bads) {
          const args = [...good] as unknown[];
          args[at] = value;
          const call = () => (reschedule as (...a: unknown[]) => Promise<boolean>)(...args);
          await expectCode(call, 'INVALID_ARGUMENT');
        }
        expect(await timers.get('e/1', 't')).toEqual(timer('e/1', 't', 10, 1));
        expect(await timers.count()).toBe(1);
      });

      it('keeps a rescheduled timer across a close and reopen', async (ctx) => {
        const { reschedule } = rescheduleOf(ctx);
        if (c.reopen === undefined) return ctx.skip();
        const store = c.store();
        await store.append('e/1', [ev('A')], {
          expectedVersion: 0,
          timers: [schedule('e/1', 'x', 10, 1), schedule('e/1', 'y', 20, 1)],
        });
        expect(await reschedule('e/1', 'x', 1, 30, { type: 'Again', attempts: 2 } as Command)).toBe(true);
        const reopened = await c.reopen(store);
        c.replace(reopened);
        const again = reopened.timers as TimerStore;
        expect(summary(await again.due(100, 10))).toEqual(['e/1:y@20', 'e/1:x@30']);
        expect(await again.get('e/1', 'x')).toMatchObject({
          version: 1,
          command: { type: 'Again', attempts: 2 },
        });
        expect(await again.count()).toBe(2);
      });
    });

    it('survives a close and reopen', async (ctx) => {
      const timers = timersOf(ctx.skip);
      if (c.reopen === undefined) return ctx.skip();
      const store = c.store();
      await store.append('a/1', [ev('A')], {
        expectedVersion: 0,
        timers: [schedule('a/1', 'x', 10, 1), schedule('a/1', 'y', 5, 1)],
      });
      await store.append('a/2', [ev('A')], { expectedVersion: 0, timers: [schedule('a/2', 'x', 7, 1)] });
      expect(await timers.remove('a/2', 'x', 1)).toBe(true);
      const reopened = await c.reopen(store);
      c.replace(reopened);
      const again = reopened.timers as TimerStore;
      expect(summary(await again.due(100, 10))).toEqual(['a/1:y@5', 'a/1:x@10']);
      expect(await again.count()).toBe(2);
      await reopened.append('a/1', [ev('B')], { expectedVersion: 1, timers: [cancel('y')] });
      expect(await again.count()).toBe(1);
    });

    it('fails every timer call after close with STORE_ERROR reason CLOSED', async (ctx) => {
      const timers = timersOf(ctx.skip);
      await c.store().close();
      const calls: Array<() => unknown> = [
        () => timers.due(1, 1),
        () => collect(timers.list()),
        () => timers.get('a/1', 't'),
        () => timers.remove('a/1', 't', 1),
        () => timers.count(),
      ];
      if (timers.claim) calls.push(() => timers.claim?.(1, 1, 'n', 1));
      if (timers.reschedule) calls.push(() => timers.reschedule?.('a/1', 't', 1, 1, { type: 'X' }));
      for (const call of calls) {
        expect(await expectCode(call, 'STORE_ERROR')).toMatchObject({ reason: 'CLOSED' });
      }
    });

    it('matches a model over random appends, timer changes, conflicts, removes and reschedules', async (ctx) => {
      if (c.store().timers === undefined) return ctx.skip();
      const streams = ['m/a', 'm/b', 'm/c'];
      const names = ['t1', 't2', 't3'];
      const change = fc.oneof(
        fc.record({
          op: fc.constant('schedule' as const),
          name: fc.constantFrom(...names),
          dueAt: fc.integer({ min: -3, max: 20 }),
        }),
        fc.record({ op: fc.constant('cancel' as const), name: fc.constantFrom(...names) }),
      );
      const step = fc.oneof(
        fc.record({
          kind: fc.constant('append' as const),
          stream: fc.constantFrom(...streams),
          skew: fc.constantFrom(0, 0, 0, 1),
          changes: fc.array(change, { maxLength: 4 }),
        }),
        fc.record({
          kind: fc.constant('remove' as const),
          stream: fc.constantFrom(...streams),
          name: fc.constantFrom(...names),
          versionSkew: fc.constantFrom(0, 0, 1),
        }),
        fc.record({
          kind: fc.constant('reschedule' as const),
          stream: fc.constantFrom(...streams),
          name: fc.constantFrom(...names),
          versionSkew: fc.constantFrom(0, 0, 1),
          dueAt: fc.integer({ min: -3, max: 20 }),
          attempt: fc.nat(5),
        }),
      );
      const rescheduling = c.store().timers?.reschedule !== undefined;
      await fc.assert(
        fc.asyncProperty(
          fc.array(step, { maxLength: 25 }),
          fc.integer({ min: -4, max: 22 }),
          async (steps, until) => {
            const s = await c.makeStore();
            try {
              const timers = s.timers as TimerStore;
              const heads = new Map<string, number>();
              const model = new Map<string, TimerRecord>();
              for (const st of steps) {
                const head = heads.get(st.stream) ?? 0;
                if (st.kind === 'reschedule') {
                  if (!rescheduling) continue;
                  const key = `${st.stream}\u0000${st.name}`;
                  const pending = model.get(key);
                  const version = (pending?.version ?? 1) + st.versionSkew;
                  const command = { type: 'Retry', attempt: st.attempt } as Command;
                  const moved = await timers.reschedule?.(st.stream, st.name, version, st.dueAt, command);
                  const expected = pending !== undefined && pending.version === version;
                  expect(moved).toBe(expected);
                  if (pending !== undefined && expected)
                    model.set(key, { ...pending, dueAt: st.dueAt, command });
                  continue;
                }
                if (st.kind === 'remove') {
                  const key = `${st.stream}\u0000${st.name}`;
                  const pending = model.get(key);
                  const version = (pending?.version ?? 1) + st.versionSkew;
                  const removed = await timers.remove(st.stream, st.name, version);
                  const expected = pending !== undefined && pending.version === version;
                  expect(removed).toBe(expected);
                  if (expected) model.delete(key);
                  continue;
                }
                const expectedVersion = head + st.skew;
                // The timer carries the version of the append's event: valid for the version it expects.
                const version = expectedVersion + 1;
                const changes: TimerChange[] = st.changes.map((ch) =>
                  ch.op === 'cancel' ? cancel(ch.name) : schedule(st.stream, ch.name, ch.dueAt, version),
                );
                if (st.skew !== 0) {
                  await expectCode(
                    () => s.append(st.stream, [ev('M')], { expectedVersion, timers: changes }),
                    'VERSION_CONFLICT',
                  );
                  continue;
                }
                await s.append(st.stream, [ev('M')], { expectedVersion, timers: changes });
                heads.set(st.stream, version);
                for (const ch of changes) {
                  const key = `${st.stream}\u0000${ch.op === 'cancel' ? ch.name : ch.timer.name}`;
                  if (ch.op === 'cancel') model.delete(key);
                  else model.set(key, ch.timer);
                }
              }
              const sorted = [...model.values()].sort(byDue);
              expect(await collect(timers.list())).toEqual(sorted);
              expect(await timers.due(until, 100)).toEqual(sorted.filter((t) => t.dueAt <= until));
              expect(await timers.count()).toBe(model.size);
              for (const stream of streams) {
                expect(await collect(timers.list({ streamId: stream }))).toEqual(
                  sorted.filter((t) => t.streamId === stream),
                );
              }
            } finally {
              await s.close();
            }
          },
        ),
        { numRuns: c.propertyRuns },
      );
    }, 60_000);
  });
}

/** A schedule change for timer `name` of `streamId`, due at `dueAt`, scheduled by the decision ending at `version`. */
function schedule(streamId: string, name: string, dueAt: number, version: number): TimerChange {
  return { op: 'schedule', timer: timer(streamId, name, dueAt, version) };
}

function timer(streamId: string, name: string, dueAt: number, version: number): TimerRecord {
  const command = { type: 'Fire', name } as Command;
  return { streamId, name, dueAt, version, missed: 'fire', command };
}

function cancel(name: string): TimerChange {
  return { op: 'cancel', name };
}

/** The order due() and list() give: due time, then stream id, then name (code point order). */
function byDue(a: TimerRecord, b: TimerRecord): number {
  return a.dueAt - b.dueAt || compare(a.streamId, b.streamId) || compare(a.name, b.name);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `stream:name@dueAt` of each timer, in the order given: what the ordering tests compare. */
function summary(timers: readonly TimerRecord[]): string[] {
  return timers.map((t) => `${t.streamId}:${t.name}@${t.dueAt}`);
}

function ev(type: string): NewEvent {
  return { data: { type } };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iterable) out.push(x);
  return out;
}

/** Runs `fn` and asserts it fails with an ActorfoldError of `code`. */
async function expectCode(fn: () => unknown, code: ErrorCode): Promise<ActorfoldError> {
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  if (!isActorfoldError(error)) throw new Error(`expected an ActorfoldError ${code}, got ${String(error)}`);
  vitest('describeEventStore').expect(error.code).toBe(code);
  return error;
}
