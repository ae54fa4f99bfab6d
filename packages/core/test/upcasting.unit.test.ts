/**
 * Upcasting: a stream written by a first definition (event schema 1) read by a later one
 * (schema 3) through chained upcasters, on every read path of the runtime. The store is the
 * in-memory one (kept across runtimes, as a folder survives a restart); the LevelDB store runs the
 * same story in packages/level/test/upcasting.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createRuntime,
  type DomainEvent,
  defineAggregate,
  defineProjection,
  type EventEnvelope,
  type EventStore,
  fromDecider,
  isActorfoldError,
  memoryStore,
  type Runtime,
  UnknownEventSchema,
  UpcastFailed,
  upcast,
  upcastEnvelope,
  upcaster,
} from '../src/index.js';
import { ProbeStore } from './support/probe-store.js';
import { type WalletState, walletUpcasters, walletV1, walletV3 } from './support/wallet.js';

const open: Runtime[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.shutdown();
});

const disk = () => new ProbeStore(memoryStore(), { keepOnClose: true }) as unknown as EventStore;

async function start(store: EventStore, aggregates: Parameters<typeof createRuntime>[0]['aggregates']) {
  const rt = await createRuntime({ store, aggregates });
  open.push(rt);
  return rt;
}

/** wallet/w1 written by the first definition: versions 1..5. */
async function writtenByV1(store: EventStore): Promise<void> {
  const rt = await createRuntime({ store, aggregates: [walletV1] });
  const h = rt.get(walletV1, 'w1');
  await h.execute({ type: 'deposit', amount: 2 }, { commandId: 'c1' }); // v1: Credited 200
  await h.execute({ type: 'note', text: 'hello' }); // v2: dropped
  await h.execute({ type: 'refund', amount: 1 }, { commandId: 'c3' }); // v3: Withdrawn 100, Credited 100
  await h.execute({ type: 'deposit', amount: 5 }); // v4: Credited 500
  await h.execute({ type: 'note', text: 'bye' }); // v5: dropped
  await rt.shutdown();
}

const EXPECTED_SEEN = ['Credited', 'Withdrawn', 'Credited', 'Credited'];

describe('defineAggregate: upcasters', () => {
  const base = {
    type: 'x',
    initialState: () => 0,
    decide: () => [],
    evolve: (s: number) => s,
  };
  const step = { type: 'A', fromVersion: 1, upcast: (e: DomainEvent) => e };

  it('accepts upcasters from schema version 1 up to eventSchemaVersion - 1', () => {
    const def = defineAggregate({
      ...base,
      eventSchemaVersion: 3,
      upcasters: [step, { ...step, fromVersion: 2 }],
    });
    expect(def.upcasters).toHaveLength(2);
  });

  it.each([
    ['not an array', { eventSchemaVersion: 2, upcasters: step }, /upcasters must be an array/],
    [
      'an entry that is no object',
      { eventSchemaVersion: 2, upcasters: [null] },
      /upcasters\[0\] must be an object/,
    ],
    ['an empty type', { eventSchemaVersion: 2, upcasters: [{ ...step, type: '' }] }, /\.type must be/],
    [
      'no upcast function',
      { eventSchemaVersion: 2, upcasters: [{ ...step, upcast: 1 }] },
      /\.upcast must be/,
    ],
    [
      'fromVersion 0',
      { eventSchemaVersion: 2, upcasters: [{ ...step, fromVersion: 0 }] },
      /fromVersion must be/,
    ],
    [
      'fromVersion at eventSchemaVersion',
      { eventSchemaVersion: 2, upcasters: [{ ...step, fromVersion: 2 }] },
      /from 1 to 1/,
    ],
    [
      'an upcaster with the default eventSchemaVersion 1',
      { upcasters: [step] },
      /need an eventSchemaVersion above 1/,
    ],
    [
      'a fractional fromVersion',
      { eventSchemaVersion: 3, upcasters: [{ ...step, fromVersion: 1.5 }] },
      /fromVersion/,
    ],
    [
      'two steps for one type and version',
      { eventSchemaVersion: 2, upcasters: [step, step] },
      /two upcasters of A from schema version 1/,
    ],
  ])('refuses %s with INVALID_ARGUMENT', (_name, extra, message) => {
    expect(() => defineAggregate({ ...base, ...(extra as object) })).toThrow(message);
  });
});

describe('fromDecider: upcasters', () => {
  it('passes them on to the definition', () => {
    const def = fromDecider(
      {
        decide: () => [],
        evolve: (n: number) => n,
        initialState: () => 0,
      },
      {
        type: 'decided',
        eventSchemaVersion: 2,
        upcasters: [upcaster('Old', 1, () => ({ type: 'New' }))],
      },
    );
    expect(upcast(def, { type: 'Old' }, 1)).toEqual([{ type: 'New' }]);
  });
});

describe('upcast(): the chain', () => {
  const wallet = walletV3();

  it('chains every step up to eventSchemaVersion, each result of a split going on through the rest', () => {
    expect(upcast(wallet, { type: 'Deposited', amount: 2 } as DomainEvent, 1)).toEqual([
      { type: 'Credited', cents: 200, currency: 'EUR' },
    ]);
    expect(upcast(wallet, { type: 'Refunded', amount: 1 } as DomainEvent, 1)).toEqual([
      { type: 'Withdrawn', cents: 100 },
      { type: 'Credited', cents: 100, currency: 'EUR' },
    ]);
    expect(upcast(wallet, { type: 'Noted', text: 'x' } as DomainEvent, 1)).toEqual([]);
  });

  it('starts at the stored schema version and leaves an event at the current one alone', () => {
    expect(upcast(wallet, { type: 'Deposited', amount: 3, currency: 'USD' } as DomainEvent, 2)).toEqual([
      { type: 'Credited', cents: 300, currency: 'USD' },
    ]);
    const current = { type: 'Credited', cents: 1, currency: 'EUR' };
    expect(upcast(wallet, current, 3)[0]).toBe(current);
    // A type no step names keeps its shape through every version.
    const other = { type: 'Withdrawn', cents: 5 };
    expect(upcast(wallet, other, 1)[0]).toBe(other);
  });

  it('refuses an event from a newer schema than the definition with UNKNOWN_EVENT_SCHEMA', () => {
    const error = catching(() => upcast(wallet, { type: 'Credited' }, 4, { aggregateId: 'w9', version: 7 }));
    expect(error).toBeInstanceOf(UnknownEventSchema);
    expect(error).toMatchObject({
      code: 'UNKNOWN_EVENT_SCHEMA',
      streamId: 'wallet/w9',
      version: 7,
      schemaVersion: 4,
      supported: 3,
    });
  });
});

describe('hostile upcasters: a typed failure naming the stored event, never a skip', () => {
  const boom = new Error('boom');
  const hostile: Array<[string, (e: DomainEvent) => unknown, RegExp]> = [
    [
      'throws',
      () => {
        throw boom;
      },
      /threw: boom/,
    ],
    ['returns undefined', () => undefined, /returned undefined/],
    ['returns null', () => null, /returned null/],
    ['returns a number', () => 7, /returned a number/],
    ['returns a promise', async (e) => e, /a promise/],
    ['returns an object without a type', () => ({ amount: 1 }), /without a non-empty string type/],
    ['returns an empty type', () => ({ type: '' }), /without a non-empty string type/],
    ['returns an array holding a non-event', (e) => [e, 'x'], /array holding something other than events/],
  ];
  const defOf = (fn: (e: DomainEvent) => unknown) =>
    walletV3({
      upcasters: [
        ...walletUpcasters().filter((u) => u.fromVersion !== 1 || u.type !== 'Noted'),
        {
          type: 'Noted',
          fromVersion: 1,
          upcast: fn as (e: DomainEvent) => DomainEvent,
        },
      ],
    });

  it.each(hostile)('an upcaster that %s gives UPCAST_FAILED', (_name, fn, message) => {
    const error = catching(() =>
      upcast(defOf(fn), { type: 'Noted', text: 'x' } as DomainEvent, 1, { version: 2 }),
    );
    expect(error).toBeInstanceOf(UpcastFailed);
    expect(error).toMatchObject({
      code: 'UPCAST_FAILED',
      streamId: 'wallet/test',
      version: 2,
      eventType: 'Noted',
      fromVersion: 1,
    });
    expect((error as Error).message).toMatch(message);
    if (_name === 'throws') expect((error as Error).cause).toBe(boom);
  });

  it('fails the command of an actor whose recovery meets it with UPCAST_FAILED (not a retryable crash), every time', async () => {
    const store = disk();
    await writtenByV1(store);
    const bad = defOf(() => undefined);
    const rt = await start(store, [bad]);
    const h = rt.get(bad, 'w1');
    for (let i = 0; i < 2; i++) {
      const error = await h.execute({ type: 'credit', cents: 1 }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'UPCAST_FAILED', streamId: 'wallet/w1', version: 2 });
    }
    expect(await store.streamVersion('wallet/w1')).toBe(5);
  });

  it('ends a subscription at the event with UPCAST_FAILED after delivering everything before it', async () => {
    const store = disk();
    await writtenByV1(store);
    const bad = defOf(() => 42);
    const rt = await start(store, [bad]);
    const sub = rt.subscribe();
    const first = await sub.next();
    expect(first.value).toMatchObject({ version: 1, type: 'Credited' });
    await expect(sub.next()).rejects.toMatchObject({ code: 'UPCAST_FAILED', version: 2 });
    // Never a skip: the iteration is over rather than going on past the event.
    expect(await sub.next()).toEqual({ done: true, value: undefined });
  });

  it('stops a projection at the event (state failed, position before it) with UPCAST_FAILED', async () => {
    const store = disk();
    await writtenByV1(store);
    const bad = defOf(() => {
      throw boom;
    });
    const rt = await start(store, [bad]);
    const p = rt.project(
      defineProjection({ name: 'credits', init: () => 0, handlers: { Credited: (n: number) => n + 1 } }),
    );
    await expect(p.waitFor(5)).rejects.toMatchObject({ code: 'UPCAST_FAILED', version: 2 });
    expect(p.status()).toMatchObject({ state: 'failed', position: 1 });
    expect(p.state()).toBe(1);
  });

  it.each([0, -1, 1.5, Number.NaN, undefined, '1'])(
    'refuses a stored schemaVersion of %s with CORRUPT_DATA on recovery, in a subscription and a projection, never reading it as current',
    async (bad) => {
      const store = disk();
      await writtenByV1(store);
      // A store that gives the first event back with a schemaVersion no append can write.
      const damaged = (e: EventEnvelope): EventEnvelope =>
        e.streamId === 'wallet/w1' && e.version === 1 ? { ...e, schemaVersion: bad as number } : e;
      class Damaged extends ProbeStore {
        override async *readStream(...args: Parameters<EventStore['readStream']>) {
          for await (const e of super.readStream(...args)) yield damaged(e);
        }
        override readAll(...args: Parameters<EventStore['readAll']>): AsyncIterable<EventEnvelope> {
          const inner = super.readAll(...args);
          return {
            async *[Symbol.asyncIterator]() {
              for await (const e of inner) yield damaged(e);
            },
          };
        }
      }
      const def = walletV3();
      const rt = await start(new Damaged(store) as unknown as EventStore, [def]);
      const corrupt = { code: 'CORRUPT_DATA', streamId: 'wallet/w1', version: 1 };
      await expect(rt.get(def, 'w1').state()).rejects.toMatchObject(corrupt);
      await expect(rt.subscribe().next()).rejects.toMatchObject(corrupt);
      const p = rt.project(
        defineProjection({ name: 'credits', init: () => 0, handlers: { Credited: (n: number) => n + 1 } }),
      );
      await expect(p.waitFor(1)).rejects.toMatchObject(corrupt);
      expect(p.status()).toMatchObject({ state: 'failed', position: 0 });
    },
  );

  it('refuses events written by a newer definition on recovery with UNKNOWN_EVENT_SCHEMA', async () => {
    const store = disk();
    // No snapshot (which would cover the event): the event itself is read.
    const newer = walletV3({ eventSchemaVersion: 4, snapshots: undefined });
    const rt1 = await createRuntime({ store, aggregates: [newer] });
    await rt1.get(newer, 'w2').execute({ type: 'credit', cents: 1 });
    await rt1.shutdown();
    const rt = await start(store, [walletV3({ snapshots: undefined })]);
    await expect(rt.get('wallet', 'w2').state()).rejects.toMatchObject({
      code: 'UNKNOWN_EVENT_SCHEMA',
      schemaVersion: 4,
      supported: 3,
    });
  });
});

describe('a stream written by v1, read by v3', () => {
  it('folds every stored event as its upcasts, under the stored versions', async () => {
    const store = disk();
    await writtenByV1(store);
    const wallet = walletV3();
    const rt = await start(store, [wallet]);
    const { state, version } = await rt.get(wallet, 'w1').state();
    expect(version).toBe(5);
    expect(state).toEqual({ cents: 700, seen: EXPECTED_SEEN });
    // New events go on at the stored version, at the current schema.
    const r = await rt.get(wallet, 'w1').execute({ type: 'withdraw', cents: 50 });
    expect(r.version).toBe(6);
    expect(r.events[0]).toMatchObject({ version: 6, schemaVersion: 3 });
    // Reading rewrote nothing.
    const stored = [];
    for await (const e of store.readStream('wallet/w1')) stored.push([e.type, e.schemaVersion]);
    expect(stored).toEqual([
      ['Deposited', 1],
      ['Noted', 1],
      ['Refunded', 1],
      ['Deposited', 1],
      ['Noted', 1],
      ['Withdrawn', 3],
    ]);
  });

  it('delivers upcast events to subscribers: several share the stored position, none is skipped, eventTypes match the new type', async () => {
    const store = disk();
    await writtenByV1(store);
    const rt = await start(store, [walletV3()]);
    const seen: Array<[number, number, string, number]> = [];
    for await (const e of rt.subscribe()) {
      seen.push([e.version, e.position, e.type, e.schemaVersion]);
      if (e.version === 4) break;
    }
    expect(seen).toEqual([
      [1, 1, 'Credited', 3],
      [3, 3, 'Withdrawn', 3],
      [3, 3, 'Credited', 3],
      [4, 4, 'Credited', 3],
    ]);
    // Ended between two events read from one stored event: nothing more comes.
    const sub = rt.subscribe();
    for (let i = 0; i < 2; i++) await sub.next(); // version 1, then the first of version 3
    await sub.return();
    expect(await sub.next()).toEqual({ done: true, value: undefined });
    const credited: number[] = [];
    for await (const e of rt.subscribe({ filter: { eventTypes: ['Credited'] } })) {
      credited.push(centsOf(e.data));
      if (e.version === 4) break;
    }
    expect(credited).toEqual([200, 100, 500]);
  });

  it('gives each event read from one stored event its own metadata: a reader changing one does not change the next', async () => {
    const store = disk();
    await writtenByV1(store);
    const rt = await start(store, [walletV3()]);
    const seen: unknown[] = [];
    for await (const e of rt.subscribe({ fromPosition: 3 })) {
      seen.push(structuredClone(e.metadata));
      (e.metadata as Record<string, unknown>).commandId = 'changed by a reader';
      if (e.type === 'Credited') break;
    }
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[0]).toMatchObject({ commandId: 'c3' });
  });

  it('runs projection handlers by the upcast type, and checkpoints only after every event read from one stored event', async () => {
    const store = disk();
    await writtenByV1(store);
    const wallet = walletV3();
    const rt = await start(store, [wallet]);
    const spec = {
      name: 'balance',
      init: () => ({ cents: 0, handled: [] as string[] }),
      handlers: {
        Credited: (s: { cents: number; handled: string[] }, e: EventEnvelope) => ({
          cents: s.cents + centsOf(e.data),
          handled: [...s.handled, `${e.version}:${e.type}`],
        }),
        Withdrawn: (s: { cents: number; handled: string[] }, e: EventEnvelope) => ({
          cents: s.cents - centsOf(e.data),
          handled: [...s.handled, `${e.version}:${e.type}`],
        }),
      },
      commitEvery: 1,
    };
    const p = rt.project(defineProjection(spec));
    await p.waitFor(5);
    expect(p.state()).toEqual({
      cents: 700,
      handled: ['1:Credited', '3:Withdrawn', '3:Credited', '4:Credited'],
    });
    // The projection, the state and a subscriber agree.
    const { state } = await rt.get(wallet, 'w1').state();
    expect((state as WalletState).cents).toBe(p.state().cents);
    expect(p.status().checkpoint).toBe(5);
  });

  it('answers a retried commandId with the original events as the definition reads them now, at their stored versions', async () => {
    const store = disk();
    await writtenByV1(store);
    // The retry must carry the original command: its fingerprint is compared with the stored one.
    const legacy = defineAggregate({ ...walletV3(), decide: walletV1.decide as never });
    const rt = await start(store, [legacy]);
    const r = await rt.get(legacy, 'w1').execute({ type: 'refund', amount: 1 } as never, { commandId: 'c3' });
    expect(r.deduplicated).toBe(true);
    expect(r.version).toBe(3);
    expect(r.events.map((e) => [e.version, e.type, e.data])).toEqual([
      [3, 'Withdrawn', { type: 'Withdrawn', cents: 100 }],
      [3, 'Credited', { type: 'Credited', cents: 100, currency: 'EUR' }],
    ]);
    expect(await store.streamVersion('wallet/w1')).toBe(5);
  });

  it('upcastEnvelope reads one stored envelope as the runtime does', async () => {
    const store = disk();
    await writtenByV1(store);
    const wallet = walletV3();
    const read: EventEnvelope[] = [];
    for await (const stored of store.readStream('wallet/w1')) read.push(...upcastEnvelope(wallet, stored));
    expect(read.map((e) => `${e.version}:${e.type}`)).toEqual([
      '1:Credited',
      '3:Withdrawn',
      '3:Credited',
      '4:Credited',
    ]);
    expect(read.every((e) => e.schemaVersion === 3 && e.streamId === 'wallet/w1')).toBe(true);
  });
});

describe('snapshots across an upcaster change', () => {
  /** w1 written at schema 3, snapshotted at version 4, then one more event: the tail is version 5. */
  async function snapshotted(store: EventStore): Promise<void> {
    const v3 = walletV3({ snapshots: { every: 0, schemaVersion: 2 } });
    const rt = await createRuntime({ store, aggregates: [v3] });
    const h = rt.get(v3, 'w1');
    for (const cents of [1, 2, 3, 4]) await h.execute({ type: 'credit', cents });
    await rt.snapshot(v3, 'w1');
    await h.execute({ type: 'credit', cents: 5 });
    await rt.shutdown({ timeoutMs: 1000 });
  }

  /** Schema 4: Credited gains a `source`; the spy counts the calls by stored version. */
  function v4(snapshotSchema: number, calls: number[]) {
    const upcasters = [
      ...walletUpcasters(),
      {
        type: 'Credited',
        fromVersion: 3,
        upcast: (e: DomainEvent, stored: EventEnvelope) => {
          calls.push(stored.version);
          return { ...e, cents: centsOf(e) * 10 };
        },
      },
    ];
    return walletV3({
      eventSchemaVersion: 4,
      upcasters,
      snapshots: { every: 0, schemaVersion: snapshotSchema },
    });
  }

  it('keeps using a snapshot of the same schemaVersion: only the tail after it is upcast', async () => {
    const store = new ProbeStore(memoryStore(), { keepOnClose: true }) as unknown as EventStore;
    await snapshotted(store);
    // Eviction saved a snapshot at 5 as well: drop it, keep the one at 4 (as if eviction had not run).
    const snaps = (await store.snapshots.list('wallet/w1')) ?? [];
    const at4 = snaps.find((s) => s.version === 4);
    expect(at4).toBeDefined();
    await store.snapshots.delete('wallet/w1');
    await store.snapshots.save(at4 as NonNullable<typeof at4>, { keep: 2 });
    const calls: number[] = [];
    const def = v4(2, calls);
    const rt = await start(store, [def]);
    const { state, version } = await rt.get(def, 'w1').state();
    expect(version).toBe(5);
    // The snapshot's state as it was (10 cents), then event 5 upcast (5 → 50).
    expect((state as WalletState).cents).toBe(60);
    expect(calls).toEqual([5]);
    expect(rt.stats().snapshotHits).toBe(1);
  });

  it('discards a snapshot whose schemaVersion changed with the upcasters: every event is replayed and upcast once', async () => {
    const store = new ProbeStore(memoryStore(), { keepOnClose: true }) as unknown as EventStore;
    await snapshotted(store);
    const calls: number[] = [];
    const def = v4(3, calls);
    const rt = await start(store, [def]);
    const { state } = await rt.get(def, 'w1').state();
    expect((state as WalletState).cents).toBe(150);
    expect(calls).toEqual([1, 2, 3, 4, 5]);
    expect(rt.stats().snapshotsIgnored).toBe(1);
  });
});

function catching(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    if (!isActorfoldError(error)) throw error;
    return error;
  }
  throw new Error('expected a throw');
}

function centsOf(e: DomainEvent): number {
  return (e as DomainEvent & { cents: number }).cents;
}
