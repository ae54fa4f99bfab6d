/**
 * The EventStore conformance suite: every store (memoryStore, levelStore, ...) runs it from a
 * one-line spec, so they all keep @actorfold/core's EventStore contract the same way.
 */
import {
  type ActorfoldError,
  type Command,
  type DomainEvent,
  type ErrorCode,
  type EventEnvelope,
  type EventStore,
  isActorfoldError,
  isVersionConflict,
  type NewEvent,
  type Snapshot,
  type StoreError,
  type VersionConflict,
} from '@actorfold/core';
import fc from 'fast-check';
import { describeTimerStore } from './describe-timer-store.js';
import { vitest } from './vitest-api.js';

export interface DescribeEventStoreOptions {
  /**
   * Closes the given store and opens a new one over the same data. Durable stores pass it to
   * also run the tests that data survives a reopen; memory stores leave it out.
   */
  reopen?: (store: EventStore) => EventStore | Promise<EventStore>;
  /** Runs of the model-based property test. Default 50. */
  propertyRuns?: number;
  /**
   * The optional parts of the contract the store implements, each then tested: `lastPosition`,
   * `onAppend`, `checkpointState` (getState/setState/delete). Default: all of them.
   */
  features?: ReadonlyArray<'lastPosition' | 'onAppend' | 'checkpointState'>;
}

/**
 * Declares the store conformance suite as Vitest `describe`/`it` blocks. `makeStore` must return
 * a new, empty store on every call; each test gets its own and closes it afterwards.
 * @example
 * describeEventStore('memoryStore', () => memoryStore());
 */
export function describeEventStore(
  name: string,
  makeStore: () => EventStore | Promise<EventStore>,
  opts: DescribeEventStoreOptions = {},
): void {
  const { afterEach, beforeEach, describe, expect, it } = vitest('describeEventStore');
  describe(`${name} conforms to the EventStore contract`, () => {
    let store: EventStore;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    describe('append and read', () => {
      it('returns envelopes with every field set and reads back the same envelopes', async () => {
        const appended = await store.append<DomainEvent>(
          'account/a1',
          [
            ev('Opened', { owner: 'ada' }),
            {
              ...ev('Deposited', { amount: 5 }),
              schemaVersion: 3,
              metadata: { commandId: 'c1', correlationId: 'k1', tenantId: 't' },
              timestamp: '2024-05-01T12:00:00.000Z',
            },
          ],
          { expectedVersion: 0 },
        );
        const [first, second] = appended;
        expect(first).toMatchObject({
          ...{ streamId: 'account/a1', aggregateType: 'account', aggregateId: 'a1', version: 1, position: 1 },
          ...{ type: 'Opened', data: { type: 'Opened', owner: 'ada' }, schemaVersion: 1, metadata: {} },
        });
        expect(first?.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
        expect(second).toEqual({
          ...{ streamId: 'account/a1', aggregateType: 'account', aggregateId: 'a1', version: 2, position: 2 },
          ...{ type: 'Deposited', data: { type: 'Deposited', amount: 5 }, schemaVersion: 3 },
          metadata: { commandId: 'c1', correlationId: 'k1', tenantId: 't' },
          timestamp: '2024-05-01T12:00:00.000Z',
        });
        expect(await collect(store.readStream('account/a1'))).toEqual(appended);
        expect(await collect(store.readAll())).toEqual(appended);
      });

      it('splits the stream id at its first slash into aggregateType and aggregateId', async () => {
        const [e] = await store.append('order/2024/17', [ev('Placed')], { expectedVersion: 0 });
        expect(e).toMatchObject({ aggregateType: 'order', aggregateId: '2024/17' });
      });

      it('numbers versions contiguously from 1 over many appends', async () => {
        let version = 0;
        for (let i = 0; i < 40; i++) {
          const batch = Array.from({ length: (i % 3) + 1 }, () => ev('Tick'));
          const out = await store.append('clock/c', batch, { expectedVersion: version });
          version += batch.length;
          expect(out.at(-1)?.version).toBe(version);
        }
        const versions = (await collect(store.readStream('clock/c'))).map((e) => e.version);
        expect(versions).toEqual(range(1, version));
      });

      it('assigns strictly increasing global positions across streams', async () => {
        const appended: EventEnvelope[] = [];
        for (let i = 0; i < 30; i++) {
          const id = `s/${i % 3}`;
          appended.push(
            ...(await store.append(id, [ev('A'), ev('B')], { expectedVersion: Math.floor(i / 3) * 2 })),
          );
        }
        const positions = (await collect(store.readAll())).map((e) => e.position);
        expect(positions).toEqual(appended.map((e) => e.position));
        expect(positions[0]).toBeGreaterThanOrEqual(1);
        for (let i = 1; i < positions.length; i++)
          expect(positions[i]).toBeGreaterThan(positions[i - 1] as number);
      });

      it('treats an empty append as a no-op that still checks expectedVersion', async () => {
        expect(await store.append('a/1', [], { expectedVersion: 0 })).toEqual([]);
        expect(await store.streamVersion('a/1')).toBe(0);
        await expectCode(() => store.append('a/1', [], { expectedVersion: 1 }), 'VERSION_CONFLICT');
      });
    });

    describe('expectedVersion', () => {
      it('rejects an append whose expectedVersion does not match, appending nothing', async () => {
        await store.append('a/1', [ev('A')], { expectedVersion: 0 });
        const e = await expectCode(
          () => store.append('a/1', [ev('B')], { expectedVersion: 0 }),
          'VERSION_CONFLICT',
        );
        expect(isVersionConflict(e)).toBe(true);
        expect(e).toMatchObject({ streamId: 'a/1', expected: 0, actual: 1 });
        await expectCode(() => store.append('b/1', [ev('B')], { expectedVersion: 2 }), 'VERSION_CONFLICT');
        expect((await collect(store.readAll())).map((x) => x.type)).toEqual(['A']);
      });

      it('appends every event of a multi-event append, or none when it conflicts', async () => {
        await store.append('a/1', [ev('A'), ev('B'), ev('C')], { expectedVersion: 0 });
        await expectCode(
          () => store.append('a/1', [ev('D'), ev('E')], { expectedVersion: 2 }),
          'VERSION_CONFLICT',
        );
        expect(await store.streamVersion('a/1')).toBe(3);
        expect((await collect(store.readStream('a/1'))).map((x) => x.type)).toEqual(['A', 'B', 'C']);
      });

      it('lets exactly one of 20 concurrent appends with the same expectedVersion win', async () => {
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) =>
            store.append('race/1', [ev(`W${i}`), ev('X')], { expectedVersion: 0 }),
          ),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        for (const r of results) {
          if (r.status === 'rejected') {
            expect(isVersionConflict(r.reason)).toBe(true);
            expect(r.reason as VersionConflict).toMatchObject({ expected: 0, actual: 2 });
          }
        }
        expect((await collect(store.readStream('race/1'))).map((x) => x.version)).toEqual([1, 2]);
      });

      it('gives every version to exactly one of 20 racing writers that retry on conflict', async () => {
        const writer = async (w: number): Promise<void> => {
          for (;;) {
            const version = await store.streamVersion('race/2');
            try {
              await store.append('race/2', [ev('W', { w })], { expectedVersion: version });
              return;
            } catch (e) {
              if (!isVersionConflict(e)) throw e;
            }
          }
        };
        await Promise.all(Array.from({ length: 20 }, (_, w) => writer(w)));
        const events = await collect(store.readStream('race/2'));
        expect(events.map((e) => e.version)).toEqual(range(1, 20));
        expect(new Set(events.map((e) => field(e, 'w'))).size).toBe(20);
      });
    });

    describe('readStream', () => {
      it('reads from fromVersion inclusive and at most limit events', async () => {
        await store.append(
          'a/1',
          Array.from({ length: 10 }, (_, i) => ev(`E${i + 1}`)),
          { expectedVersion: 0 },
        );
        const versions = async (o: { fromVersion?: number; limit?: number }) =>
          (await collect(store.readStream('a/1', o))).map((e) => e.version);
        expect(await versions({ fromVersion: 4 })).toEqual(range(4, 10));
        expect(await versions({ limit: 3 })).toEqual([1, 2, 3]);
        expect(await versions({ fromVersion: 9, limit: 5 })).toEqual([9, 10]);
        expect(await versions({ fromVersion: 11 })).toEqual([]);
        expect(await versions({ limit: 0 })).toEqual([]);
        expect(await collect(store.readStream('missing/1'))).toEqual([]);
      });

      it('neither skips nor repeats events when appends happen during iteration', async () => {
        await store.append('a/1', [ev('A'), ev('B'), ev('C')], { expectedVersion: 0 });
        const seen: number[] = [];
        for await (const e of store.readStream('a/1')) {
          seen.push(e.version);
          await store.append('a/1', [ev('More')], { expectedVersion: await store.streamVersion('a/1') });
        }
        expect(seen.length).toBeGreaterThanOrEqual(3);
        expect(seen).toEqual(range(1, seen.length));
      });
    });

    describe('readAll', () => {
      it('pages through the log with fromPosition and limit, yielding every event once in order', async () => {
        for (let i = 0; i < 25; i++)
          await store.append(`s/${i % 4}`, [ev(`E${i}`)], { expectedVersion: i >> 2 });
        const all = await collect(store.readAll());
        expect(all.map((e) => e.type)).toEqual(range(0, 24).map((i) => `E${i}`));
        const paged: EventEnvelope[] = [];
        for (let from = 1; ; ) {
          const page = await collect(store.readAll({ fromPosition: from, limit: 7 }));
          expect(page.length).toBeLessThanOrEqual(7);
          if (page.length === 0) break;
          paged.push(...page);
          from = (page.at(-1) as EventEnvelope).position + 1;
        }
        expect(paged).toEqual(all);
        const third = all[2] as EventEnvelope;
        expect(await collect(store.readAll({ fromPosition: third.position }))).toEqual(all.slice(2));
      });

      it('neither skips nor repeats events when appends happen during iteration', async () => {
        await store.append('a/1', [ev('A'), ev('B')], { expectedVersion: 0 });
        const seen: number[] = [];
        let n = 0;
        for await (const e of store.readAll()) {
          seen.push(e.position);
          await store.append(`b/${n}`, [ev('More')], { expectedVersion: 0 });
          n++;
        }
        expect(seen.length).toBeGreaterThanOrEqual(2);
        expect(new Set(seen).size).toBe(seen.length);
        expect(seen).toEqual([...seen].sort((x, y) => x - y));
      });
    });

    describe('streamVersion', () => {
      it('is 0 for a missing stream and the head version otherwise', async () => {
        expect(await store.streamVersion('a/1')).toBe(0);
        await store.append('a/1', [ev('A'), ev('B')], { expectedVersion: 0 });
        expect(await store.streamVersion('a/1')).toBe(2);
      });

      it('agrees with knownStreamVersion whenever the store knows the version', async () => {
        const check = async (id: string) => {
          const known = store.knownStreamVersion?.(id);
          if (known !== undefined) expect(known).toBe(await store.streamVersion(id));
        };
        await check('a/1');
        await store.append('a/1', [ev('A'), ev('B')], { expectedVersion: 0 });
        await check('a/1');
        await check('b/1');
      });
    });

    describe('data', () => {
      it('round-trips nested objects, arrays, unicode and numbers', async () => {
        const data = {
          type: 'Rich',
          nested: { list: [1, 2.5, -3, null, true, 'x', { deep: [[]] }], empty: {} },
          text: 'héllo 中文 𝄞 🙂 \u0000 "quoted" \\ \n',
          '': 'empty key',
          big: 1e300,
        };
        await store.append('a/1', [{ data, metadata: { ключ: ['значение'] } }], { expectedVersion: 0 });
        const [e] = await collect(store.readStream('a/1'));
        expect(e?.data).toEqual(data);
        expect(e?.metadata).toEqual({ ключ: ['значение'] });
      });

      it('stores data as JSON: undefined properties vanish and dates become strings', async () => {
        const data = { type: 'J', gone: undefined, at: new Date('2024-01-02T03:04:05.000Z') };
        const [out] = await store.append('a/1', [{ data }], { expectedVersion: 0 });
        const [read] = await collect(store.readStream('a/1'));
        for (const e of [out, read])
          expect(e?.data).toStrictEqual({ type: 'J', at: '2024-01-02T03:04:05.000Z' });
      });

      it('keeps a __proto__ key as plain data without polluting Object.prototype', async () => {
        const hostile =
          '{"type":"Hostile","__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}';
        const data = JSON.parse(hostile) as { type: string };
        await store.append('a/1', [{ data, metadata: JSON.parse(hostile) }], { expectedVersion: 0 });
        for (const e of [...(await collect(store.readStream('a/1'))), ...(await collect(store.readAll()))]) {
          for (const value of [e.data, e.metadata]) {
            expect(Object.hasOwn(value, '__proto__')).toBe(true);
            expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
            expect((value as { polluted?: unknown }).polluted).toBeUndefined();
          }
        }
        expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
      });

      it('acknowledges what the stored JSON reads back as, and refuses JSON that is no event', async () => {
        // `type` comes from the stored JSON, as every read takes it, not from a getter or toJSON.
        const renamed = { type: 'Before', toJSON: () => ({ type: 'After', n: 1 }) };
        const [out] = await store.append('a/1', [{ data: renamed }], { expectedVersion: 0 });
        const [read] = await collect(store.readStream('a/1'));
        for (const e of [out, read]) {
          expect(e?.type).toBe('After');
          expect(e?.data).toStrictEqual({ type: 'After', n: 1 });
        }
        // Hostile on purpose: toJSON returns what the types forbid.
        const notEvents = [
          { data: { type: 'S', toJSON: () => 'a string' } },
          { data: { type: 'U', toJSON: () => ({ n: 1 }) } },
          { data: { type: 'M' }, metadata: { toJSON: () => [1] } },
        ] as unknown as NewEvent[];
        for (const event of notEvents) {
          await expect(store.append('a/1', [event], { expectedVersion: 1 })).rejects.toMatchObject({
            code: 'INVALID_ARGUMENT',
          });
        }
        expect((await collect(store.readStream('a/1'))).map((e) => e.version)).toEqual([1]);
      });

      it('is unaffected by callers mutating what they appended or what they read', async () => {
        const data = { type: 'M', inner: { n: 1 } };
        const metadata = { tags: ['a'] };
        const [out] = await store.append('a/1', [{ data, metadata }], { expectedVersion: 0 });
        data.inner.n = 2;
        metadata.tags.push('b');
        (defined(out).data as typeof data).inner.n = 3;
        const [read] = await collect(store.readStream('a/1'));
        (defined(read).data as typeof data).inner.n = 4;
        (defined(read).metadata as typeof metadata).tags.push('c');
        const [again] = await collect(store.readAll());
        expect(again?.data).toEqual({ type: 'M', inner: { n: 1 } });
        expect(again?.metadata).toEqual({ tags: ['a'] });
      });
    });

    describe('snapshots', () => {
      const snap = (streamId: string, version: number, state: unknown = { v: version }): Snapshot => ({
        ...{ streamId, version, schemaVersion: 1, state },
        timestamp: '2024-01-01T00:00:00.000Z',
      });

      it('loads undefined before any save and the newest snapshot after saves', async () => {
        expect(await store.snapshots.load('a/1')).toBeUndefined();
        await store.snapshots.save(snap('a/1', 3));
        await store.snapshots.save({ ...snap('a/1', 7), runtime: { dedupe: [['c1', 5]] } });
        expect(await store.snapshots.load('a/1')).toEqual({
          ...snap('a/1', 7),
          runtime: { dedupe: [['c1', 5]] },
        });
        expect(await store.snapshots.load('b/1')).toBeUndefined();
      });

      it('keeps the newest keep snapshots per stream (default 2), listed newest first', async () => {
        for (const v of [1, 2, 3, 4]) await store.snapshots.save(snap('a/1', v));
        expect((await store.snapshots.list('a/1')).map((s) => s.version)).toEqual([4, 3]);
        await store.snapshots.save(snap('a/1', 5), { keep: 3 });
        await store.snapshots.save(snap('a/1', 6), { keep: 3 });
        expect((await store.snapshots.list('a/1')).map((s) => s.version)).toEqual([6, 5, 4]);
        await store.snapshots.save(snap('b/1', 1), { keep: 1 });
        expect((await store.snapshots.list('b/1')).map((s) => s.version)).toEqual([1]);
        expect(await store.snapshots.list('c/1')).toEqual([]);
      });

      it('replaces a snapshot saved again at the same version', async () => {
        await store.snapshots.save(snap('a/1', 2, 'old'));
        await store.snapshots.save(snap('a/1', 2, 'new'));
        expect(await store.snapshots.list('a/1')).toEqual([snap('a/1', 2, 'new')]);
      });

      it('deletes every snapshot of one stream only', async () => {
        await store.snapshots.save(snap('a/1', 1));
        await store.snapshots.save(snap('a/1', 2));
        await store.snapshots.save(snap('b/1', 1));
        await store.snapshots.delete('a/1');
        expect(await store.snapshots.load('a/1')).toBeUndefined();
        expect(await store.snapshots.list('a/1')).toEqual([]);
        expect(await store.snapshots.load('b/1')).toEqual(snap('b/1', 1));
      });

      it('returns copies, so mutating a saved or loaded snapshot changes nothing stored', async () => {
        const saved = snap('a/1', 1, { items: [1] });
        await store.snapshots.save(saved);
        (saved.state as { items: number[] }).items.push(2);
        (defined(await store.snapshots.load('a/1')).state as { items: number[] }).items.push(3);
        expect((await store.snapshots.load('a/1'))?.state).toEqual({ items: [1] });
      });
    });

    describe('checkpoints', () => {
      it('gets undefined for an unknown name, then the last position set', async () => {
        expect(await store.checkpoints.get('balances')).toBeUndefined();
        await store.checkpoints.set('balances', 12);
        await store.checkpoints.set('audit', 3);
        expect(await store.checkpoints.get('balances')).toBe(12);
        await store.checkpoints.set('balances', 40);
        expect(await store.checkpoints.get('balances')).toBe(40);
        expect(await store.checkpoints.get('audit')).toBe(3);
      });
    });

    const features = new Set(opts.features ?? ['lastPosition', 'onAppend', 'checkpointState']);
    describe('optional parts', () => {
      it.runIf(features.has('lastPosition'))(
        'lastPosition is 0 when empty, then the newest position',
        async () => {
          expect(await store.lastPosition?.()).toBe(0);
          await store.append('a/1', [ev('A'), ev('B')], { expectedVersion: 0 });
          const [c] = await store.append('b/1', [ev('C')], { expectedVersion: 0 });
          expect(await store.lastPosition?.()).toBe(c?.position);
        },
      );

      it.runIf(features.has('onAppend'))(
        'onAppend tells each listener the newest position after each append, until removed',
        async () => {
          const seen: number[] = [];
          const off = defined(store.onAppend)((p) => seen.push(p));
          const first = await store.append('a/1', [ev('A'), ev('B')], { expectedVersion: 0 });
          // By the time the append resolved, the listener knew: a subscriber woken by it reads the events.
          expect(seen).toEqual([(first[1] as EventEnvelope).position]);
          await store.append('a/1', [ev('C')], { expectedVersion: 2 });
          await store.append('a/1', [], { expectedVersion: 3 });
          await expect(store.append('a/1', [ev('D')], { expectedVersion: 0 })).rejects.toThrow();
          expect(seen).toHaveLength(2);
          off();
          await store.append('a/1', [ev('E')], { expectedVersion: 3 });
          expect(seen).toHaveLength(2);
        },
      );

      it.runIf(features.has('checkpointState'))(
        'saves a checkpoint position and read-model state together, copies out, and deletes them',
        async () => {
          const cp = store.checkpoints;
          expect(await cp.getState?.('balances')).toBeUndefined();
          // An own `__proto__` key (as JSON.parse makes it) must stay plain data.
          const state = { total: 5, byId: JSON.parse('{"a":5,"__proto__":{"polluted":true}}') };
          await cp.setState?.('balances', 7, state);
          state.total = 99;
          expect(await cp.get('balances')).toBe(7);
          const got = await cp.getState?.('balances');
          expect(got).toEqual({
            position: 7,
            state: { total: 5, byId: JSON.parse('{"a":5,"__proto__":{"polluted":true}}') },
          });
          expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
          await cp.set('balances', 9);
          expect(await cp.getState?.('balances')).toEqual({ position: 9, state: undefined });
          await cp.delete?.('balances');
          expect(await cp.get('balances')).toBeUndefined();
          expect(await cp.getState?.('balances')).toBeUndefined();
          await expect(cp.setState?.('x', 1, { n: 1n })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
        },
      );
    });

    describe('close', () => {
      it('closes idempotently', async () => {
        await store.close();
        await store.close();
      });

      it('fails every later call with STORE_ERROR reason CLOSED', async () => {
        await store.append('a/1', [ev('A')], { expectedVersion: 0 });
        const pending = store.readStream('a/1')[Symbol.asyncIterator]();
        await store.close();
        const calls: Array<() => unknown> = [
          () => store.append('a/1', [ev('B')], { expectedVersion: 1 }),
          () => collect(store.readStream('a/1')),
          () => collect(store.readAll()),
          () => pending.next(),
          () => store.streamVersion('a/1'),
          () =>
            store.snapshots.save({ streamId: 'a/1', version: 1, schemaVersion: 1, state: {}, timestamp: '' }),
          () => store.snapshots.load('a/1'),
          () => store.snapshots.list('a/1'),
          () => store.snapshots.delete('a/1'),
          () => store.checkpoints.get('p'),
          () => store.checkpoints.set('p', 1),
        ];
        if (store.lastPosition) calls.push(() => store.lastPosition?.());
        if (store.onAppend) calls.push(() => store.onAppend?.(() => undefined));
        if (store.checkpoints.getState) calls.push(() => store.checkpoints.getState?.('p'));
        if (store.checkpoints.setState) calls.push(() => store.checkpoints.setState?.('p', 1, {}));
        if (store.checkpoints.delete) calls.push(() => store.checkpoints.delete?.('p'));
        if (store.knownStreamVersion) calls.push(() => store.knownStreamVersion?.('a/1'));
        for (const call of calls) {
          expect((await expectCode(call, 'STORE_ERROR')) as StoreError).toMatchObject({ reason: 'CLOSED' });
        }
      });
    });

    describe('input validation', () => {
      const bad = (fn: () => unknown) => expectCode(fn, 'INVALID_ARGUMENT');
      const as = <T>(v: unknown) => v as T;

      it('rejects an empty or non-string stream id', async () => {
        await bad(() => store.append('', [ev('A')], { expectedVersion: 0 }));
        await bad(() => store.append(as<string>(42), [ev('A')], { expectedVersion: 0 }));
        await bad(() => collect(store.readStream('')));
        await bad(() => store.streamVersion(''));
        await bad(() => store.snapshots.load(''));
      });

      it('rejects events that are not an array', async () => {
        await bad(() => store.append('a/1', as<NewEvent[]>(ev('A')), { expectedVersion: 0 }));
      });

      it('rejects event data that is not an object with a non-empty string type, appending nothing', async () => {
        for (const data of [null, 'A', 7, ['A'], {}, { type: 3 }, { type: '' }]) {
          await bad(() =>
            store.append('a/1', [ev('Ok'), { data: as<NewEvent['data']>(data) }], { expectedVersion: 0 }),
          );
        }
        expect(await store.streamVersion('a/1')).toBe(0);
      });

      it('rejects data JSON cannot hold, appending nothing', async () => {
        const cyclic: { type: string; self?: unknown } = { type: 'C' };
        cyclic.self = cyclic;
        await bad(() => store.append('a/1', [ev('Ok'), { data: cyclic }], { expectedVersion: 0 }));
        await bad(() => store.append('a/1', [ev('B', { n: 1n })], { expectedVersion: 0 }));
        expect(await store.streamVersion('a/1')).toBe(0);
      });

      // One rule for every store: what one of them could not keep exactly (PostgreSQL text holds
      // no U+0000, UTF-8 no lone surrogate, jsonb neither escaped, an integer column 2^31 - 1, an
      // index key 2,704 bytes) every store refuses, and what one keeps every one gives back as is.
      it('refuses an event type with U+0000 or a lone surrogate, even one only its JSON has, appending nothing', async () => {
        for (const type of ['T\u0000', '\u0000', 'T\uD800', '\uDC00T', 'T\uDC00\uD800']) {
          await bad(() => store.append('a/1', [ev('Ok'), ev(type)], { expectedVersion: 0 }));
          // The type stored is the JSON's: a toJSON that puts U+0000 there is refused alike.
          const sneaky = { type: 'Fine', toJSON: () => ({ type }) };
          await bad(() => store.append('a/1', [{ data: sneaky }], { expectedVersion: 0 }));
        }
        expect(await store.streamVersion('a/1')).toBe(0);
        // Inside the data and metadata JSON (escaped there) they are kept, as is a surrogate pair.
        const odd = 'x\u0000\uD800\uDFFF\uD83D\uDE00';
        const [e] = await store.append(
          'a/1',
          [{ data: { type: '😀\u2028', [odd]: odd }, metadata: { [odd]: odd } }],
          {
            expectedVersion: 0,
          },
        );
        const [read] = await collect(store.readStream('a/1'));
        for (const got of [e, read]) {
          expect(got?.type).toBe('😀\u2028');
          expect(field(defined(got), odd)).toBe(odd);
          expect(defined(got).metadata[odd]).toBe(odd);
        }
      });

      it('takes an event timestamp only as toISOString writes it, and gives it back unchanged', async () => {
        for (const timestamp of [
          '2026-01-02',
          '2026-01-02T03:04',
          '2026-01-02T03:04:05Z',
          '2026-01-02T03:04:05.6789Z',
          '2026-01-02T03:04:05.678+00:00',
          '2026-01-02T03:04:05.678z',
          '+002026-01-02T03:04:05.678Z',
          'Fri, 02 Jan 2026 03:04:05 GMT',
          '1767323045678',
          '2026-01-02T03:04:05.678Z\u0000',
          '',
        ]) {
          await bad(() => store.append('a/1', [ev('Ok'), { ...ev('A'), timestamp }], { expectedVersion: 0 }));
        }
        expect(await store.streamVersion('a/1')).toBe(0);
        const stamps = [
          '2026-01-02T03:04:05.678Z',
          '+275760-09-13T00:00:00.000Z',
          '-000001-01-01T00:00:00.000Z',
        ];
        const appended = await store.append(
          'a/1',
          stamps.map((timestamp) => ({ ...ev('A'), timestamp })),
          { expectedVersion: 0 },
        );
        const read = await collect(store.readStream('a/1'));
        expect(appended.map((e) => e.timestamp)).toEqual(stamps);
        expect(read.map((e) => e.timestamp)).toEqual(stamps);
      });

      it('refuses a schemaVersion above 2^31 - 1 and keeps 2^31 - 1', async () => {
        for (const schemaVersion of [2 ** 31, Number.MAX_SAFE_INTEGER]) {
          await bad(() => store.append('a/1', [{ ...ev('A'), schemaVersion }], { expectedVersion: 0 }));
        }
        await store.append('a/1', [{ ...ev('A'), schemaVersion: 2 ** 31 - 1 }], { expectedVersion: 0 });
        expect((await collect(store.readStream('a/1')))[0]?.schemaVersion).toBe(2 ** 31 - 1);
      });

      it('refuses to write a stream id, snapshot or checkpoint name over 1,024 UTF-8 bytes, and keeps one of 1,024', async () => {
        // 1,025 bytes: ASCII, 3-byte (U+20AC) and 4-byte (a surrogate pair) characters.
        for (const id of [`a/${'x'.repeat(1023)}`, `a/${'€'.repeat(341)}`, `a/${'😀'.repeat(255)}xxx`]) {
          await bad(() => store.append(id, [ev('A')], { expectedVersion: 0 }));
          await bad(() =>
            store.snapshots.save({ streamId: id, version: 1, schemaVersion: 1, state: {}, timestamp: 't' }),
          );
          await bad(() => store.checkpoints.set(id, 1));
          // A read of such an id finds nothing, as on a store that never had it.
          expect(await store.streamVersion(id)).toBe(0);
        }
        for (const id of [`a/${'x'.repeat(1022)}`, `a/${'€'.repeat(340)}x`, `a/${'😀'.repeat(255)}x`]) {
          await store.append(id, [ev('A')], { expectedVersion: 0 });
          await store.snapshots.save({
            streamId: id,
            version: 1,
            schemaVersion: 1,
            state: {},
            timestamp: 't',
          });
          await store.checkpoints.set(id, 1);
          expect(await store.streamVersion(id)).toBe(1);
          expect(await store.checkpoints.get(id)).toBe(1);
        }
      });

      it('refuses a timer whose name is over 1,024 UTF-8 bytes or whose command or metadata holds U+0000 or a lone surrogate', async () => {
        const timers = store.timers;
        if (timers === undefined) return;
        const schedule = (name: string, command: Command, metadata?: Record<string, unknown>) => ({
          op: 'schedule' as const,
          timer: {
            streamId: 'a/1',
            name,
            dueAt: 1,
            version: 1,
            missed: 'fire' as const,
            command,
            ...(metadata === undefined ? {} : { metadata }),
          },
        });
        const refused = [
          schedule('n'.repeat(1025), { type: 'C' }),
          schedule('t', { type: 'C\u0000' }),
          schedule('t', { type: 'C', v: ['\uD800'] } as Command),
          schedule('t', { type: 'C' }, { '\uDFFF': 1 }),
          schedule('t', { type: 'C' }, { m: 'a\u0000' }),
        ];
        for (const change of refused)
          await bad(() => store.append('a/1', [ev('A')], { expectedVersion: 0, timers: [change] }));
        expect(await store.streamVersion('a/1')).toBe(0);
        // A backslash before `u0000` is plain text, and a surrogate pair is a character: kept.
        const command = { type: 'C', v: '\\u0000 \\ud800 😀' } as Command;
        await store.append('a/1', [ev('A')], {
          expectedVersion: 0,
          timers: [schedule('n'.repeat(1024), command, { m: '\\u0000' })],
        });
        const [kept] = await collect(timers.list({ streamId: 'a/1' }));
        expect(kept?.command).toEqual(command);
        expect(kept?.metadata).toEqual({ m: '\\u0000' });
        const reschedule = defined(timers.reschedule).bind(timers);
        for (const v of ['\u0000', '\uD800'])
          await bad(() => reschedule('a/1', 'n'.repeat(1024), 1, 2, { type: 'C', v } as Command));
        expect((await timers.get('a/1', 'n'.repeat(1024)))?.dueAt).toBe(1);
      });

      it("keeps a scheduled timer's own fields only, not whatever else the caller's record carries", async () => {
        const timers = store.timers;
        if (timers === undefined) return;
        const timer = {
          streamId: 'a/1',
          name: 't',
          dueAt: 1,
          version: 1,
          missed: 'fire' as const,
          command: { type: 'C' },
          extra: 'not a field of TimerRecord',
        };
        await store.append('a/1', [ev('A')], { expectedVersion: 0, timers: [{ op: 'schedule', timer }] });
        const { extra: _, ...fields } = timer;
        expect(await collect(timers.list({ streamId: 'a/1' }))).toEqual([fields]);
        expect(await timers.get('a/1', 't')).toEqual(fields);
      });

      it('refuses a bad event with INVALID_ARGUMENT even when expectedVersion is also stale, as every store checks events before versions', async () => {
        await store.append('a/1', [ev('A')], { expectedVersion: 0 });
        const badEvents: NewEvent[] = [
          { data: { type: 'A', toJSON: () => 'no event' } as DomainEvent },
          ev('B', { n: 1n }),
          ev('T\u0000'),
          { ...ev('A'), timestamp: '2026-01-02' },
          { ...ev('A'), schemaVersion: 2 ** 31 },
        ];
        for (const e of badEvents)
          for (const expectedVersion of [0, 5])
            await bad(() => store.append('a/1', [e], { expectedVersion }));
        expect(await store.streamVersion('a/1')).toBe(1);
      });

      it('rejects a missing, negative or fractional expectedVersion', async () => {
        for (const expectedVersion of [-1, 0.5, Number.NaN, undefined]) {
          await bad(() =>
            store.append('a/1', [ev('A')], as<{ expectedVersion: number }>({ expectedVersion })),
          );
        }
      });

      it('rejects negative or fractional fromVersion, fromPosition and limit', async () => {
        for (const n of [-1, 1.5]) {
          await bad(() => collect(store.readStream('a/1', { fromVersion: n })));
          await bad(() => collect(store.readStream('a/1', { limit: n })));
          await bad(() => collect(store.readAll({ fromPosition: n })));
          await bad(() => collect(store.readAll({ limit: n })));
        }
      });
    });

    describeTimerStore({
      store: () => store,
      makeStore,
      ...(opts.reopen === undefined ? {} : { reopen: opts.reopen }),
      replace: (next) => {
        store = next;
      },
      propertyRuns: opts.propertyRuns ?? 50,
    });

    const { reopen } = opts;
    if (reopen) {
      it('keeps events, snapshots and checkpoints across a close and reopen, continuing positions', async () => {
        const before = await store.append('a/1', [ev('A'), ev('B')], { expectedVersion: 0 });
        await store.snapshots.save({
          streamId: 'a/1',
          version: 2,
          schemaVersion: 1,
          state: { n: 2 },
          timestamp: 't',
        });
        await store.checkpoints.set('p', 2);
        await store.checkpoints.setState?.('q', 1, { rows: ['x'] });
        store = await reopen(store);
        if (store.checkpoints.getState) {
          expect(await store.checkpoints.getState('q')).toEqual({ position: 1, state: { rows: ['x'] } });
        }
        expect(await collect(store.readAll())).toEqual(before);
        expect(await store.streamVersion('a/1')).toBe(2);
        expect((await store.snapshots.load('a/1'))?.state).toEqual({ n: 2 });
        expect(await store.checkpoints.get('p')).toBe(2);
        const [next] = await store.append('b/1', [ev('C')], { expectedVersion: 0 });
        expect(next?.position).toBeGreaterThan((before[1] as EventEnvelope).position);
      });
    }

    it('matches a simple model over random appends with right and wrong expectedVersions', async () => {
      const step = fc.record({
        stream: fc.constantFrom('m/a', 'm/b', 'm/c'),
        count: fc.integer({ min: 0, max: 3 }),
        skew: fc.constantFrom(0, 0, 0, 1, 2, -1),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(step, { maxLength: 25 }), async (steps) => {
          const s = await makeStore();
          try {
            const heads = new Map<string, number>();
            const model: Array<{ streamId: string; version: number; n: number }> = [];
            for (const [i, { stream, count, skew }] of steps.entries()) {
              const head = heads.get(stream) ?? 0;
              const expectedVersion = head + skew < 0 ? head + 1 : head + skew;
              const events = Array.from({ length: count }, (_, k) => ev('M', { n: i * 10 + k }));
              if (expectedVersion !== head) {
                await expectCode(() => s.append(stream, events, { expectedVersion }), 'VERSION_CONFLICT');
                continue;
              }
              await s.append(stream, events, { expectedVersion });
              for (const [k, e] of events.entries())
                model.push({ streamId: stream, version: head + k + 1, n: e.data.n });
              heads.set(stream, head + count);
            }
            const log = await collect(s.readAll());
            expect(log.map((e) => ({ streamId: e.streamId, version: e.version, n: field(e, 'n') }))).toEqual(
              model,
            );
            for (const [stream, head] of heads) {
              expect((await collect(s.readStream(stream))).map((e) => e.version)).toEqual(range(1, head));
            }
          } finally {
            await s.close();
          }
        }),
        { numRuns: opts.propertyRuns ?? 50 },
      );
    }, 60_000);
  });
}

function ev<T extends object>(type: string, rest?: T): { data: { type: string } & T } {
  return { data: { type, ...(rest as T) } };
}

/** Narrows away undefined, failing the test when the value is missing. */
function defined<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('expected a value, got undefined');
  return value;
}

/** One property of an envelope's data, which the contract types only as `{ type }`. */
function field(e: EventEnvelope, key: string): unknown {
  return (e.data as { readonly type: string; readonly [key: string]: unknown })[key];
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iterable) out.push(x);
  return out;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

/** Runs `fn` (a sync throw counts as a failure too) and asserts it fails with an ActorfoldError of `code`. */
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
