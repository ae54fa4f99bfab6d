/**
 * Deciders as code written elsewhere drives them (Emmett style, through `fromDecider`), doing what
 * such code does: validators that fill in defaults, a decide that normalises the command it was
 * given or writes to `ctx.metadata`. The public API only, on a memory store kept across restarts.
 * Each test states a promise of docs/guarantees.md: what execute acknowledged is what a replay,
 * a retry and a restart give back, or the command is refused clearly.
 */

import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AggregateSpec,
  type Codec,
  createRuntime,
  defineAggregate,
  fromDecider,
  memoryStore,
  type Runtime,
  richCodec,
  SimulatedClock,
  type SnapshotPolicy,
  type StandardSchemaV1,
} from '../src/index.js';
import { collect, ProbeStore } from './support/probe-store.js';
import { reminder } from './support/reminder.js';

type Cart = { items: string[] };
type CartCommand = { type: 'add'; sku: string; quantity?: number; requestId?: string; meddle?: string };
type CartEvent = { type: 'Added'; sku: string; quantity: number };

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.shutdown();
  runtime = undefined;
});

/** A store the runtime cannot close: a second runtime opens the same data, as after a restart. */
class KeptOpen extends ProbeStore {
  override async close(): Promise<void> {}
}

/** A Standard Schema validator that fills in a fresh requestId on every call (as `.default(randomUUID)` does). */
let issued = 0;
const withRequestId: StandardSchemaV1<unknown, CartCommand> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (value) => ({ value: { ...(value as CartCommand), requestId: `r-${++issued}` } }),
  },
};

function cart(options: { validate?: boolean } = {}) {
  return fromDecider<Cart, CartCommand, CartEvent>(
    {
      decide(command, _state, ctx) {
        // Normalises the command it was given, in place, as hand-written deciders do.
        command.quantity = Math.min(command.quantity ?? 1, 10);
        const m = ctx.metadata as Record<string, unknown>;
        if (command.meddle === 'commandId') m.commandId = 'another-id';
        if (command.meddle === 'delete') delete m.commandId;
        if (command.meddle === 'codec') m.codec = 'unknown-codec';
        if (command.meddle === 'date') m.at = new Date(0);
        if (command.meddle === 'bigint') m.big = 1n;
        return { type: 'Added', sku: command.sku, quantity: command.quantity };
      },
      evolve: (state, event) => ({ items: [...state.items, `${event.sku}x${event.quantity}`] }),
      initialState: () => ({ items: [] }),
    },
    { type: 'cart', ...(options.validate ? { validateCommand: withRequestId } : {}) },
  );
}

async function start(store: KeptOpen, def: ReturnType<typeof cart>) {
  await runtime?.shutdown();
  runtime = await createRuntime({ store, aggregates: [def] });
  return runtime.get(def, 'c1');
}

describe('an exact retry is a duplicate, whatever the aggregate does with the command', () => {
  it('when validateCommand fills in a value that differs on every call: the retry gets the original result, before and after a restart', async () => {
    const store = new KeptOpen(memoryStore());
    const def = cart({ validate: true });
    let h = await start(store, def);
    const first = await h.execute({ type: 'add', sku: 'apple' }, { commandId: 'add-apple' });
    const retry = await h.execute({ type: 'add', sku: 'apple' }, { commandId: 'add-apple' });
    expect(retry).toMatchObject({ deduplicated: true, version: first.version });
    h = await start(store, def);
    const afterRestart = await h.execute({ type: 'add', sku: 'apple' }, { commandId: 'add-apple' });
    expect(afterRestart).toMatchObject({ deduplicated: true, version: 1 });
    // A different command under the same commandId is still told apart.
    await expect(h.execute({ type: 'add', sku: 'pear' }, { commandId: 'add-apple' })).rejects.toMatchObject({
      code: 'IDEMPOTENCY_CONFLICT',
    });
    expect(await collect(store.readStream('cart/c1'))).toHaveLength(1);
  });

  it('when decide changes the command it was given: the retry gets the original result, in one batch and after a restart', async () => {
    const store = new KeptOpen(memoryStore());
    const def = cart();
    let h = await start(store, def);
    // The same commandId twice in one batch (the second a same-batch duplicate), then alone.
    const [a, b] = await Promise.all([
      h.execute({ type: 'add', sku: 'apple', quantity: 50 }, { commandId: 'bulk' }),
      h.execute({ type: 'add', sku: 'apple', quantity: 50 }, { commandId: 'bulk' }),
    ]);
    expect(a.state.items).toEqual(['applex10']);
    expect(b).toMatchObject({ deduplicated: true, version: 1 });
    const retry = await h.execute({ type: 'add', sku: 'apple', quantity: 50 }, { commandId: 'bulk' });
    expect(retry).toMatchObject({ deduplicated: true, version: 1 });
    h = await start(store, def);
    const afterRestart = await h.execute({ type: 'add', sku: 'apple', quantity: 50 }, { commandId: 'bulk' });
    expect(afterRestart).toMatchObject({ deduplicated: true, version: 1 });
    expect(afterRestart.state.items).toEqual(['applex10']);
  });
});

describe('decide cannot change the metadata stored with its events', () => {
  for (const meddle of ['commandId', 'delete', 'codec', 'date', 'bigint']) {
    it(`writing to ctx.metadata (${meddle}) fails that command alone with DECIDE_FAILED; the rest of its batch is stored with the metadata it was sent with`, async () => {
      const store = new KeptOpen(memoryStore());
      const def = cart();
      let h = await start(store, def);
      const sent = [
        h.execute({ type: 'add', sku: 'before' }, { commandId: 'c-before', metadata: { user: 'u1' } }),
        h.execute(
          { type: 'add', sku: 'meddler', meddle },
          { commandId: 'c-meddler', metadata: { user: 'u1' } },
        ),
        h.execute({ type: 'add', sku: 'after' }, { commandId: 'c-after', metadata: { user: 'u1' } }),
      ];
      const settled = await Promise.allSettled(sent);
      expect(
        settled.map((s) => (s.status === 'fulfilled' ? 'ok' : (s.reason as { code: string }).code)),
      ).toEqual(['ok', 'DECIDE_FAILED', 'ok']);
      const stored = await collect(store.readStream('cart/c1'));
      expect(
        stored.map((e) => [e.metadata.commandId, e.metadata.user, e.metadata.codec, e.metadata.at]),
      ).toEqual([
        ['c-before', 'u1', undefined, undefined],
        ['c-after', 'u1', undefined, undefined],
      ]);
      // The stream replays, and every acknowledged commandId is still a duplicate after a restart.
      h = await start(store, def);
      expect((await h.state()).state.items).toEqual(['beforex1', 'afterx1']);
      for (const [sku, commandId] of [
        ['before', 'c-before'],
        ['after', 'c-after'],
      ] as const) {
        const retry = await h.execute({ type: 'add', sku }, { commandId, metadata: { user: 'u1' } });
        expect(retry.deduplicated).toBe(true);
      }
      expect(await collect(store.readStream('cart/c1'))).toHaveLength(2);
    });
  }

  it('reading ctx.metadata gives what is stored: the options’ metadata with the commandId', async () => {
    let seen: unknown;
    const def = fromDecider<Cart, CartCommand, CartEvent>(
      {
        decide(command, _state, ctx) {
          seen = ctx.metadata;
          return { type: 'Added', sku: command.sku, quantity: 1 };
        },
        evolve: (state) => state,
        initialState: () => ({ items: [] }),
      },
      { type: 'cart' },
    );
    runtime = await createRuntime({ store: memoryStore(), aggregates: [def] });
    const r = await runtime
      .get(def, 'c1')
      .execute(
        { type: 'add', sku: 'x' },
        { commandId: 'id-1', correlationId: 'corr', metadata: { user: 'u1' } },
      );
    expect(seen).toEqual({ user: 'u1', commandId: 'id-1', correlationId: 'corr' });
    expect(Object.isFrozen(seen)).toBe(true);
    expect(r.events[0]?.metadata).toMatchObject({ user: 'u1', commandId: 'id-1', correlationId: 'corr' });
  });
});

describe('a snapshot is saved only when restoring it gives the state back', () => {
  type Tagged = { count: number; tags: string[] };
  const tagged = (snapshots: SnapshotPolicy<Tagged>, codec?: typeof richCodec) =>
    fromDecider<Tagged, { type: 'tag'; tag: string }, { type: 'Tagged'; tag: string }>(
      {
        decide: (command) => ({ type: 'Tagged', tag: command.tag }),
        evolve: (state, event) => ({ count: state.count + 1, tags: [...state.tags, event.tag] }),
        initialState: () => ({ count: 0, tags: [] }),
      },
      { type: 'tagged', snapshots, ...(codec === undefined ? {} : { codec }) },
    );

  async function acknowledgedAndRestored(def: ReturnType<typeof tagged>, logger = pino({ level: 'silent' })) {
    const store = new KeptOpen(memoryStore());
    runtime = await createRuntime({ store, aggregates: [def], logger });
    const h = runtime.get(def, 't1');
    await h.execute({ type: 'tag', tag: 'a' });
    const acknowledged = await h.execute({ type: 'tag', tag: 'b' });
    await runtime.shutdown();
    const refused = runtime.stats().snapshotsRefused;
    const saved = await store.snapshots.list('tagged/t1');
    runtime = await createRuntime({ store, aggregates: [def] });
    const restored = await runtime.get(def, 't1').state();
    return { acknowledged: acknowledged.state, restored: restored.state, refused, saved };
  }

  it('encode and decode that lose a field: refused (counted, warned once), and a restart gives back the acknowledged state', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'warn' }, { write: (s: string) => lines.push(JSON.parse(s)) });
    const lossy = tagged({
      every: 1,
      schemaVersion: 1,
      encode: (state) => ({ count: state.count }),
      decode: (data) => ({ count: (data as { count: number }).count, tags: [] }),
    });
    const { acknowledged, restored, refused, saved } = await acknowledgedAndRestored(lossy, logger);
    expect(acknowledged).toEqual({ count: 2, tags: ['a', 'b'] });
    expect(restored).toEqual(acknowledged);
    expect(saved).toEqual([]);
    expect(refused).toBeGreaterThanOrEqual(2);
    const warned = lines.filter((l) => String(l.msg).startsWith('snapshot refused'));
    expect(warned).toHaveLength(1);
    expect(JSON.stringify(warned[0]?.err)).toContain('state.tags has 1 items, restored 0');
    // Asked for by hand, the refusal says why (not a store failure).
    await expect(runtime?.snapshot(lossy, 't1')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('state.tags has 2 items, restored 0'),
    });
  });

  it('a decode that throws on what encode made: refused rather than saved to be ignored on every activation', async () => {
    const broken = tagged({
      every: 1,
      schemaVersion: 1,
      encode: (state) => ({ n: state.count, t: state.tags }),
      decode: (data) => {
        if (!Array.isArray((data as { tags?: unknown }).tags)) throw new Error('no tags');
        return data as Tagged;
      },
    });
    const { acknowledged, restored, refused, saved } = await acknowledgedAndRestored(broken);
    expect(restored).toEqual(acknowledged);
    expect(saved).toEqual([]);
    expect(refused).toBeGreaterThanOrEqual(2);
  });

  it('faithful policies are still saved and used: a class instance with a Map and an own function through encode/decode, the JSON codec’s normalisations, the rich codec', async () => {
    class Ledger {
      constructor(readonly entries: Map<string, number>) {}
      // An own function: decode makes a new one, with the same code.
      readonly label = () => `ledger of ${this.entries.size}`;
      total(): number {
        return [...this.entries.values()].reduce((a, b) => a + b, 0);
      }
    }
    const viaClass = fromDecider<Ledger, { type: 'tag'; tag: string }, { type: 'Tagged'; tag: string }>(
      {
        decide: (command) => ({ type: 'Tagged', tag: command.tag }),
        evolve: (state, event) => new Ledger(new Map(state.entries).set(event.tag, 1)),
        initialState: () => new Ledger(new Map()),
      },
      {
        type: 'tagged',
        snapshots: {
          every: 1,
          schemaVersion: 1,
          encode: (state) => [...state.entries],
          decode: (data) => new Ledger(new Map(data as Array<[string, number]>)),
        },
      },
    );
    // State evolve builds with what the JSON codec normalises (-0, an undefined-valued key, a
    // null-prototype object) and, under the rich codec, a Map of Dates, -0 and NaN kept exactly.
    const odd = (codec?: typeof richCodec) =>
      fromDecider<Tagged, { type: 'tag'; tag: string }, { type: 'Tagged'; tag: string }>(
        {
          decide: (command) => ({ type: 'Tagged', tag: command.tag }),
          evolve: (state, event) => ({
            count: state.count + 1,
            tags: [...state.tags, event.tag],
            zero: -0,
            gone: undefined,
            bag: Object.assign(Object.create(null), { tag: event.tag }),
            ...(codec === undefined
              ? {}
              : { at: new Map([[event.tag, new Date(state.count)]]), nan: Number.NaN }),
          }),
          initialState: () => ({ count: 0, tags: [] }),
        },
        {
          type: 'tagged',
          snapshots: { every: 1, schemaVersion: 1 },
          ...(codec === undefined ? {} : { codec }),
        },
      );
    for (const def of [viaClass, odd(), odd(richCodec)] as Array<ReturnType<typeof tagged>>) {
      const { acknowledged, restored, refused, saved } = await acknowledgedAndRestored(def);
      expect(refused).toBe(0);
      expect(saved.map((s) => s.version)).toEqual([2, 1]);
      // Under the JSON codec, -0 comes back as 0 (a normalisation the codec documents).
      const zero = (acknowledged as { zero?: number }).zero;
      const expected =
        def.codec === richCodec || zero === undefined ? acknowledged : { ...acknowledged, zero: 0 };
      if (restored instanceof Ledger) {
        // Functions are compared by what they do: the restored label is a new closure.
        expect(restored.entries).toEqual((acknowledged as unknown as Ledger).entries);
        expect(restored.label()).toBe((acknowledged as unknown as Ledger).label());
      } else expect(restored).toEqual(expected);
    }
  });
});

describe('a codec of the application’s own', () => {
  type Stamped = { at: unknown; count: number };
  const stamped = (codec: Codec) =>
    defineAggregate<Stamped, { type: 'stamp' }, { type: 'Stamped'; at: Date }>({
      type: 'stamped',
      codec,
      initialState: () => ({ at: null, count: 0 }),
      decide: () => [{ type: 'Stamped', at: new Date(0) }],
      evolve: (state, event) => ({ at: event.at, count: state.count + 1 }),
    });

  it('that returns data JSON would change (a Date left in it) is refused at execute, naming codec and path; nothing stored', async () => {
    const passThrough: Codec = { name: 'pass-through', encode: (v) => v, decode: (d) => d };
    const store = new KeptOpen(memoryStore());
    const def = stamped(passThrough);
    runtime = await createRuntime({ store, aggregates: [def] });
    const refused = runtime.get(def, 's1').execute({ type: 'stamp' });
    await expect(refused).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(refused).rejects.toThrow(/'pass-through' codec returned Date at events\[0\]\.at/);
    expect(await collect(store.readStream('stamped/s1'))).toEqual([]);
  });

  it('that keeps its data exact JSON is used as it is: the acknowledged state is the one replayed', async () => {
    const isoDates: Codec = {
      name: 'iso-dates',
      encode: (v) => ({ ...(v as object), at: ((v as { at: Date }).at as Date).toISOString() }),
      decode: (d) => ({ ...(d as object), at: new Date((d as { at: string }).at) }),
    };
    const store = new KeptOpen(memoryStore());
    const def = stamped(isoDates);
    runtime = await createRuntime({ store, aggregates: [def] });
    const acknowledged = await runtime.get(def, 's1').execute({ type: 'stamp' });
    expect(acknowledged.state.at).toEqual(new Date(0));
    await runtime.shutdown();
    runtime = await createRuntime({ store, aggregates: [def] });
    expect((await runtime.get(def, 's1').state()).state).toEqual(acknowledged.state);
  });

  it('under a built-in codec’s name is refused by defineAggregate: readers without the definition would decode it as the built-in', () => {
    for (const name of ['json', 'rich']) {
      const impostor: Codec = { name, encode: (v) => v, decode: (d) => d };
      expect(() => stamped(impostor)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    expect(() => stamped(richCodec)).not.toThrow();
  });
});

describe('injected events are the caller’s', () => {
  it('changing an injected event after inject changes neither the acknowledged state nor the state replayed', async () => {
    type Imported = { last: { v: number } | null };
    const imports = (codec?: Codec) =>
      defineAggregate<Imported, { type: 'noop' }, { type: 'Put'; payload: { v: number } }>({
        type: 'imports',
        ...(codec === undefined ? {} : { codec }),
        initialState: () => ({ last: null }),
        decide: () => [],
        evolve: (_state, event) => ({ last: event.payload }),
      });
    for (const codec of [undefined, richCodec]) {
      const def = imports(codec);
      runtime = await createRuntime({ store: memoryStore(), aggregates: [def] });
      const event = { type: 'Put' as const, payload: { v: 1 } };
      const acknowledged = await runtime.get(def, 'i1').inject([event]);
      event.payload.v = 999;
      expect(acknowledged.state).toEqual({ last: { v: 1 } });
      expect((await runtime.get(def, 'i1').state()).state).toEqual({ last: { v: 1 } });
      await runtime.shutdown();
      runtime = undefined;
    }
  });
});

describe('a caller cannot take a timer’s commandId', () => {
  it('execute and inject refuse a commandId beginning with timer: (INVALID_ARGUMENT, nothing stored); the timer then fires its own command', async () => {
    const clock = new SimulatedClock(Date.UTC(2026, 0, 31, 12));
    const store = memoryStore({ clock });
    runtime = await createRuntime({ aggregates: [reminder], store, clock });
    const h = runtime.get(reminder, 'r1');
    await h.execute({ type: 'set', name: 'a', when: { after: 3_600_000 }, tag: 'from-timer' });
    // The commandId the firing of timer 'a' (scheduled at version 1) will carry.
    const taken = { commandId: 'timer:a@1' };
    await expect(h.execute({ type: 'ring', name: 'a', tag: 'from-caller' }, taken)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(
      h.inject([{ type: 'Rang', name: 'a', tag: 'from-caller', at: 0, dueAt: null, next: null }], taken),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await runtime.timers().fire('reminder/r1', 'a')).toMatchObject({ outcome: 'fired', version: 2 });
    const stored = await collect(store.readStream('reminder/r1'));
    expect(stored.map((e) => [e.type, (e.data as { tag?: string }).tag, e.metadata.commandId])).toEqual([
      ['Set', 'from-timer', undefined],
      ['Rang', 'from-timer', 'timer:a@1'],
    ]);
  });
});

describe('an initialState that throws', () => {
  it('crashes the actor as a failed recovery would: execute rejects with ACTOR_CRASHED (never throws synchronously), no command runs on a state that was never made, and the next call starts afresh', async () => {
    let failing = true;
    const seen: unknown[] = [];
    const counter = fromDecider<{ n: number }, { type: 'add' }, { type: 'Added' }>(
      {
        decide: () => ({ type: 'Added' }),
        evolve: (state) => {
          seen.push(state);
          return { n: (state?.n ?? 0) + 1 };
        },
        initialState: () => {
          if (failing) throw new Error('no initial state yet');
          return { n: 100 };
        },
      },
      { type: 'counter' },
    );
    runtime = await createRuntime({ store: memoryStore(), aggregates: [counter] });
    const h = runtime.get(counter, 'c1');
    let sent: Array<Promise<unknown>> = [];
    expect(() => {
      sent = [h.execute({ type: 'add' }), h.execute({ type: 'add' })];
    }).not.toThrow();
    for (const p of sent) await expect(p).rejects.toMatchObject({ code: 'ACTOR_CRASHED' });
    await expect(h.execute({ type: 'add' })).rejects.toMatchObject({ code: 'ACTOR_CRASHED' });
    expect(seen).toEqual([]);
    expect(runtime.stats()).toMatchObject({ liveActors: 0, activatingActors: 0 });
    failing = false;
    expect((await h.execute({ type: 'add' })).state).toEqual({ n: 101 });
  });
});

describe('an aggregate written as a class', () => {
  it('defineAggregate takes an instance whose methods and fields live on its class: they keep their this, and a restart replays the same state', async () => {
    type Counted = { n: number };
    class Counter implements AggregateSpec<Counted, { type: 'add' }, { type: 'Added'; by: number }> {
      readonly #step: number;
      constructor(step: number) {
        this.#step = step;
      }
      get type() {
        return 'class-counter';
      }
      get snapshots() {
        return { every: 1, schemaVersion: 1 };
      }
      initialState(): Counted {
        return { n: 0 };
      }
      decide() {
        return [{ type: 'Added' as const, by: this.#step }];
      }
      evolve(state: Counted, event: { type: 'Added'; by: number }): Counted {
        return { n: state.n + event.by };
      }
    }
    const def = defineAggregate<Counted, { type: 'add' }, { type: 'Added'; by: number }>(new Counter(5));
    expect(def.type).toBe('class-counter');
    const store = new KeptOpen(memoryStore());
    runtime = await createRuntime({ store, aggregates: [def] });
    const acknowledged = await runtime.get(def, 'k1').execute({ type: 'add' });
    expect(acknowledged.state).toEqual({ n: 5 });
    await runtime.shutdown();
    expect((await store.snapshots.list('class-counter/k1')).map((s) => s.version)).toEqual([1]);
    runtime = await createRuntime({ store, aggregates: [def] });
    expect((await runtime.get(def, 'k1').state()).state).toEqual({ n: 5 });
  });
});

describe('the array of events decide returns or a caller injects is read once', () => {
  type Tag = { type: 'Tagged'; tag: string };
  /** A Proxy over an array of one event whose every read of index 0 gives another event. */
  const shifting = (): Tag[] => {
    let reads = 0;
    return new Proxy([{ type: 'Tagged', tag: 'first' }], {
      get: (target, key, receiver) =>
        key === '0' ? { type: 'Tagged', tag: `read-${++reads}` } : Reflect.get(target, key, receiver),
    }) as Tag[];
  };
  /** An Array subclass whose iterator and slice give other events than its indexes hold. */
  class Sneaky extends Array<Tag> {
    override *[Symbol.iterator](): ArrayIterator<Tag> {
      yield { type: 'Tagged', tag: 'from-iterator' };
    }
    override slice(): Tag[] {
      return [{ type: 'Tagged', tag: 'from-slice' }];
    }
  }
  const sneaky = (): Tag[] => {
    const list = new Sneaky();
    list[0] = { type: 'Tagged', tag: 'by-index' };
    return list;
  };
  // biome-ignore lint/suspicious/noSparseArray: a hole is what is tested
  const holey = (): Tag[] => [{ type: 'Tagged', tag: 'a' }, , { type: 'Tagged', tag: 'b' }] as Tag[];
  const RETURNED: Record<string, () => Tag[]> = { shifting, sneaky, holey };
  const tags = defineAggregate<{ tags: string[] }, { type: 'tag'; how: string }, Tag>({
    type: 'tags',
    initialState: () => ({ tags: [] }),
    decide: (_state, command) => (RETURNED[command.how] as () => Tag[])(),
    evolve: (state, event) => ({ tags: [...state.tags, event.tag] }),
  });

  it('decide returning a Proxy of an array, or an array with a hole, fails alone with DECIDE_FAILED; an Array subclass is read by index: the acknowledged state is the replayed one', async () => {
    const store = new KeptOpen(memoryStore());
    runtime = await createRuntime({ store, aggregates: [tags] });
    const h = runtime.get(tags, 't1');
    await expect(h.execute({ type: 'tag', how: 'shifting' })).rejects.toMatchObject({
      code: 'DECIDE_FAILED',
    });
    await expect(h.execute({ type: 'tag', how: 'holey' })).rejects.toMatchObject({ code: 'DECIDE_FAILED' });
    const acknowledged = await h.execute({ type: 'tag', how: 'sneaky' });
    expect(acknowledged.state).toEqual({ tags: ['by-index'] });
    await runtime.shutdown();
    runtime = await createRuntime({ store, aggregates: [tags] });
    expect((await runtime.get(tags, 't1').state()).state).toEqual(acknowledged.state);
  });

  it('inject refuses a Proxy of an array (INVALID_ARGUMENT, nothing stored), and events a caller adds to its array after the call are not injected', async () => {
    const store = new KeptOpen(memoryStore());
    runtime = await createRuntime({ store, aggregates: [tags] });
    const h = runtime.get(tags, 't1');
    await expect(h.inject(shifting())).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const mine: Tag[] = [{ type: 'Tagged', tag: 'sent' }];
    const injected = h.inject(mine);
    mine.push({ type: 'Tagged', tag: 'added-later' });
    const acknowledged = await injected;
    expect(acknowledged.state).toEqual({ tags: ['sent'] });
    expect((await collect(store.readStream('tags/t1'))).map((e) => (e.data as Tag).tag)).toEqual(['sent']);
  });
});

describe('an asynchronous validateCommand', () => {
  /** A validator whose every call waits for `release()`; `never` leaves it pending for good. */
  function gatedValidator() {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const validator: StandardSchemaV1<unknown, { type: 'add' }> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: async (value) => {
          await gate;
          return { value: value as { type: 'add' } };
        },
      },
    };
    return { validator, release };
  }
  const counting = (validateCommand: StandardSchemaV1<unknown, { type: 'add' }>) =>
    defineAggregate<{ n: number }, { type: 'add' }, { type: 'Added' }>({
      type: 'validated',
      validateCommand,
      initialState: () => ({ n: 0 }),
      decide: () => [{ type: 'Added' }],
      evolve: (state) => ({ n: state.n + 1 }),
    });

  it('that never settles: the caller gets COMMAND_TIMEOUT; a validation settling after that sends nothing', async () => {
    const { validator, release } = gatedValidator();
    const def = counting(validator);
    const store = new KeptOpen(memoryStore());
    runtime = await createRuntime({ store, aggregates: [def], commandTimeoutMs: 50 });
    await expect(runtime.get(def, 'v1').execute({ type: 'add' })).rejects.toMatchObject({
      code: 'COMMAND_TIMEOUT',
    });
    release();
    // The next command's validation settles after the late one's: had that been sent, it would
    // have been queued first.
    const next = await runtime.get(def, 'v1').execute({ type: 'add' });
    expect(next.version).toBe(1);
    expect(await collect(store.readStream('validated/v1'))).toHaveLength(1);
    expect(runtime.stats().commandTimeouts).toBe(1);
  });

  it('a command validated late and queued when its caller timed out never runs (one clock from the call, not a second one from the queueing)', async () => {
    const clock = new SimulatedClock(0);
    let validated: () => void = () => undefined;
    const late = new Promise<void>((resolve) => {
      validated = resolve;
    });
    let release: () => void = () => undefined;
    const hanging = new Promise<void>((resolve) => {
      release = resolve;
    });
    const def = defineAggregate<
      { tags: string[] },
      { type: 'add'; tag: string },
      { type: 'Added'; tag: string }
    >({
      type: 'validated',
      validateCommand: {
        '~standard': {
          version: 1,
          vendor: 'test',
          validate: async (value) => {
            if ((value as { tag: string }).tag === 'late') await late;
            return { value: value as { type: 'add'; tag: string } };
          },
        },
      },
      initialState: () => ({ tags: [] }),
      decide: async (_state, command) => {
        if (command.tag === 'slow') await hanging;
        return [{ type: 'Added', tag: command.tag }];
      },
      evolve: (state, event) => ({ tags: [...state.tags, event.tag] }),
    });
    const store = new KeptOpen(memoryStore());
    runtime = await createRuntime({ store, aggregates: [def], clock, commandTimeoutMs: 50 });
    const h = runtime.get(def, 'v1');
    const slow = h.execute({ type: 'add', tag: 'slow' });
    const queued = h.execute({ type: 'add', tag: 'late' });
    clock.advance(30);
    validated(); // validated 30 ms after the call, then queued behind the slow command
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(30); // 60 ms after both calls: both callers time out, 'late' still queued
    await expect(queued).rejects.toMatchObject({ code: 'COMMAND_TIMEOUT' });
    await expect(slow).rejects.toMatchObject({ code: 'COMMAND_TIMEOUT' });
    release(); // 'slow' had started and completes; 'late' was still queued and must not run
    expect((await h.state()).state.tags).toEqual(['slow']);
    expect(
      (await collect(store.readStream('validated/v1'))).map(
        (e) => (e.data as unknown as { tag: string }).tag,
      ),
    ).toEqual(['slow']);
  });

  it('that never settles, without command timeouts: shutdown answers the caller with RUNTIME_CLOSED', async () => {
    const def = counting(gatedValidator().validator);
    runtime = await createRuntime({ store: memoryStore(), aggregates: [def], commandTimeoutMs: 0 });
    const waiting = runtime.get(def, 'v1').execute({ type: 'add' });
    await runtime.shutdown();
    await expect(waiting).rejects.toMatchObject({ code: 'RUNTIME_CLOSED' });
  });
});

describe('commands with large metadata', () => {
  it('count against maxBatchBytes with their metadata, which the stores write with every event', async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    let appends = 0;
    const store = new ProbeStore(memoryStore(), {
      beforeAppend: async () => {
        if (appends++ === 0) await gate;
      },
    });
    const def = cart();
    runtime = await createRuntime({ store, aggregates: [def], maxBatchBytes: 6_000 });
    const h = runtime.get(def, 'c1');
    const first = h.execute({ type: 'add', sku: 'first' });
    // Queued behind the held first append: tiny events, 4 KB of metadata each.
    const note = 'x'.repeat(4_000);
    const queued = ['a', 'b', 'c', 'd'].map((sku) => h.execute({ type: 'add', sku }, { metadata: { note } }));
    open();
    await Promise.all([first, ...queued]);
    // One append for the first command, then one per queued command: two would pass 6,000 bytes.
    expect(store.calls.append).toBe(5);
    expect((await collect(store.readStream('cart/c1'))).map((e) => e.metadata.note === note)).toEqual([
      false,
      true,
      true,
      true,
      true,
    ]);
  });
});

describe('an async evolve', () => {
  it('crashes the actor at the first command that folds an event (ACTOR_CRASHED naming it), nothing stored, rather than keeping a promise for a state', async () => {
    const store = new KeptOpen(memoryStore());
    const def = defineAggregate<{ n: number }, { type: 'add' }, { type: 'Added' }>({
      type: 'async-evolve',
      initialState: () => ({ n: 0 }),
      decide: () => [{ type: 'Added' }],
      evolve: (async (state: { n: number }) => ({ n: state.n + 1 })) as unknown as (s: { n: number }) => {
        n: number;
      },
    });
    runtime = await createRuntime({ store, aggregates: [def] });
    await expect(runtime.get(def, 'a1').execute({ type: 'add' })).rejects.toMatchObject({
      code: 'ACTOR_CRASHED',
      message: expect.stringContaining('evolve returned a promise'),
    });
    expect(await collect(store.readStream('async-evolve/a1'))).toEqual([]);
  });
});
