/**
 * Issue 14's batches from outside, on real LevelDB folders, through the public API only: what a
 * batch acknowledged is exactly what a fresh runtime and `readStream` give back (json and rich
 * codecs, snapshots), timers and effects requested by several commands of one batch end as if the
 * commands had run one by one, and effect implementations that throw hostile values still settle.
 */
import { Writable } from 'node:stream';
import {
  createRuntime,
  type DecideContext,
  defineAggregate,
  type EffectResult,
  type ExecuteResult,
  type Runtime,
  richCodec,
} from '@actorfold/core';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { levelStore } from '../src/index.js';
import { freshFolder } from './support/folders.js';

const open: Runtime[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.shutdown({ timeoutMs: 1000 });
});

async function start(
  path: string,
  aggregates: Parameters<typeof createRuntime>[0]['aggregates'],
  extra = {},
) {
  const rt = await createRuntime({ store: await levelStore({ path }), aggregates, ...extra });
  open.push(rt);
  return rt;
}

async function stop(rt: Runtime): Promise<void> {
  open.splice(open.indexOf(rt), 1);
  await rt.shutdown();
}

/** A gate the first command's async decide waits on, so the commands sent meanwhile form one batch. */
function gate() {
  let release!: () => void;
  const promise = new Promise<void>((r) => {
    release = r;
  });
  return { promise, release };
}

/** A real pino logger writing into nothing: serialising what was thrown must not break anything. */
function realLogger() {
  return pino(
    { level: 'debug' },
    new Writable({
      write(_chunk, _enc, done) {
        done();
      },
    }),
  );
}

/** Settles every promise, keeping the result or the error's code. */
function settle<T>(ps: Promise<T>[]): Promise<Array<{ ok: T } | { err: string }>> {
  return Promise.all(
    ps.map((p) =>
      p.then(
        (ok) => ({ ok }),
        (e: { code?: string }) => ({ err: e?.code ?? String(e) }),
      ),
    ),
  );
}

type Put = { type: 'put'; value: unknown } | { type: 'hold' };
type Putted = { type: 'Put'; value: unknown };

let held: Promise<void> = Promise.resolve();

/** Stores whatever value it is given; the state keeps every value in order. */
function keeper(type: string, codec?: typeof richCodec, snapshots = false) {
  return defineAggregate<{ values: unknown[] }, Put, Putted>({
    type,
    ...(codec === undefined ? {} : { codec }),
    ...(snapshots ? { snapshots: { every: 2, schemaVersion: 1 } } : {}),
    initialState: () => ({ values: [] }),
    async decide(_s, cmd) {
      if (cmd.type === 'hold') {
        await held;
        return [{ type: 'Put', value: 'held' }];
      }
      return [{ type: 'Put', value: cmd.value }];
    },
    evolve: (s, e) => ({ values: [...s.values, e.value] }),
  });
}

class Money {
  constructor(readonly cents: number) {}
}

const deep = (n: number): unknown => {
  let v: unknown = 'bottom';
  for (let i = 0; i < n; i++) v = { d: v };
  return v;
};

/** Values a caller may hand over; each must round-trip exactly or be refused before it is stored. */
const VALUES: ReadonlyArray<[string, () => unknown]> = [
  ['a Date', () => new Date(1_700_000_000_123)],
  ['an invalid Date', () => new Date(Number.NaN)],
  [
    'a Map',
    () =>
      new Map<unknown, unknown>([
        ['k', 1],
        [2, { at: new Date(5) }],
      ]),
  ],
  ['a Set', () => new Set([1, 'x', 3n])],
  ['NaN', () => Number.NaN],
  ['-0', () => -0],
  ['-0 inside an object', () => ({ z: -0 })],
  ['Infinity', () => Number.POSITIVE_INFINITY],
  ['a BigInt', () => 2n ** 80n],
  ['an undefined field', () => ({ a: 1, gone: undefined })],
  ['a sparse array', () => Object.assign(new Array(3), { 0: 1, 2: 3 })],
  ['an array holding undefined', () => [1, undefined]],
  ['a class instance', () => new Money(5)],
  ['a lone high surrogate', () => 'a\uD800b'],
  ['a lone low surrogate in a key', () => ({ 'k\uDC00': 1 })],
  ['U+0000 in a string and a key', () => ({ 'k\u0000': 'v\u0000w' })],
  ['the largest double', () => Number.MAX_VALUE],
  ['an unsafe integer', () => Number.MAX_SAFE_INTEGER + 2],
  ['the smallest subnormal', () => Number.MIN_VALUE],
  ['a 1,000-deep object', () => deep(1000)],
  ['a 100,000-deep object', () => deep(100_000)],
  ['a null-prototype object', () => Object.assign(Object.create(null), { a: 1 })],
  ['a __proto__ key', () => JSON.parse('{"__proto__": {"x": 1}, "b": 2}')],
];

/**
 * Runs every value through one batch (the first command holds the batch open), then checks that
 * what each acknowledged command was told equals what readStream and a fresh runtime give back.
 */
async function roundTrip(codec: typeof richCodec | undefined, snapshots: boolean) {
  const path = freshFolder();
  const agg = keeper('keep', codec, snapshots);
  const rt = await start(path, [agg]);
  const h = rt.get(agg, 'k');
  const g = gate();
  held = g.promise;
  const first = h.execute({ type: 'hold' });
  await new Promise((r) => setImmediate(r));
  const sent = VALUES.map(([, make]) => h.execute({ type: 'put', value: make() }));
  g.release();
  const outcomes = await settle([first, ...sent]);
  for (const o of outcomes) if ('err' in o) expect(o.err).toBe('INVALID_ARGUMENT');
  const acked = outcomes.flatMap((o) => ('ok' in o ? [o.ok as ExecuteResult] : []));
  expect(acked.length).toBeGreaterThan(1);
  expect(rt.metrics().counters.batches).toBeLessThan(VALUES.length);
  const last = acked[acked.length - 1] as ExecuteResult;
  const ackedData = acked.flatMap((r) => r.events.map((e) => e.data));
  // Live: what each caller was told is what the stream holds.
  const read: unknown[] = [];
  const envelopes: unknown[] = [];
  for await (const e of rt.store.readStream('keep/k')) {
    read.push(e.data);
    envelopes.push(codec === undefined ? e : { ...e, data: codec.decode(e.data) });
  }
  expect(read.length).toBe(ackedData.length);
  // Whole envelopes: version, position, timestamp and metadata as acknowledged, data decoded.
  expect(envelopes).toStrictEqual(acked.flatMap((r) => r.events));
  await stop(rt);
  // A fresh runtime on the same folder, with or without snapshots, replays the acknowledged state.
  for (const again of [keeper('keep', codec, snapshots), keeper('keep', codec, false)]) {
    const rt2 = await start(path, [again]);
    const replayed = await rt2.get(again, 'k').state();
    expect(replayed.version).toBe(last.version);
    expect(replayed.state).toStrictEqual(last.state);
    if (codec !== undefined) {
      const events: unknown[] = [];
      for await (const e of rt2.store.readStream('keep/k')) events.push(codec.decode(e.data));
      expect(events).toStrictEqual(ackedData);
    }
    await stop(rt2);
  }
  return outcomes.slice(1).map((o, i) => [(VALUES[i] as [string, unknown])[0], 'ok' in o ? 'kept' : o.err]);
}

describe('what a batch acknowledged is what replay gives, on a LevelDB folder', () => {
  it('json codec: every hostile value in one batch is kept exactly or refused with INVALID_ARGUMENT; nothing acknowledged changes', async () => {
    const fates = await roundTrip(undefined, false);
    // JSON cannot keep these: refused before anything is stored.
    for (const name of ['a Date', 'a Map', 'NaN', 'a BigInt', 'a sparse array', 'a class instance'])
      expect(fates).toContainEqual([name, 'INVALID_ARGUMENT']);
    // What JSON keeps harmlessly normalised is acknowledged as it is stored.
    for (const name of ['-0', 'an undefined field', 'a lone high surrogate', 'U+0000 in a string and a key'])
      expect(fates).toContainEqual([name, 'kept']);
  });

  it('json codec with snapshots every 2 events: restart from a snapshot equals full replay equals what was acknowledged', async () => {
    await roundTrip(undefined, true);
  });

  it('rich codec: Dates, Maps, Sets, BigInt, NaN, -0 and undefined round-trip exactly through a batch', async () => {
    const fates = await roundTrip(richCodec, false);
    for (const name of ['a Date', 'a Map', 'a Set', 'NaN', '-0', 'a BigInt', 'an undefined field'])
      expect(fates).toContainEqual([name, 'kept']);
  });

  it('rich codec with snapshots every 2 events: restart from a snapshot equals full replay equals what was acknowledged', async () => {
    await roundTrip(richCodec, true);
  });
});

type TCmd =
  | { type: 'hold' }
  | { type: 'schedule'; name: string; tag: string }
  | { type: 'cancel'; name: string }
  | { type: 'scheduleThenRefuse'; name: string }
  | { type: 'request'; id: string; input: number }
  | { type: 'cancelEffect'; id: string }
  | { type: 'tick'; tag: string }
  | (EffectResult & { type: 'Result' });
type TEvt = { type: 'Did'; what: string };

const planner = defineAggregate<{ did: string[] }, TCmd, TEvt>({
  type: 'planner',
  initialState: () => ({ did: [] }),
  async decide(_s, cmd, ctx: DecideContext) {
    switch (cmd.type) {
      case 'hold':
        await held;
        return [{ type: 'Did', what: 'hold' }];
      case 'schedule':
        ctx.timers.schedule(cmd.name, { after: 3_600_000 }, { type: 'tick', tag: cmd.tag });
        return [{ type: 'Did', what: `schedule ${cmd.name} ${cmd.tag}` }];
      case 'cancel':
        ctx.timers.cancel(cmd.name);
        return [{ type: 'Did', what: `cancel ${cmd.name}` }];
      case 'scheduleThenRefuse':
        ctx.timers.schedule(cmd.name, { after: 1 }, { type: 'tick', tag: 'refused' });
        throw new Error('refused after scheduling');
      case 'request':
        ctx.effects.request('remote', { input: cmd.input }, { id: cmd.id, resultType: 'Result' });
        return [{ type: 'Did', what: `request ${cmd.id} ${cmd.input}` }];
      case 'cancelEffect':
        ctx.effects.cancel(cmd.id);
        return [{ type: 'Did', what: `cancel effect ${cmd.id}` }];
      case 'tick':
        return [{ type: 'Did', what: `tick ${cmd.tag}` }];
      case 'Result':
        return [
          {
            type: 'Did',
            what: `result ${cmd.effect.id} ${cmd.outcome} ${JSON.stringify(cmd.outcome === 'done' ? cmd.output : cmd.error?.message)}`,
          },
        ];
    }
  },
  evolve: (s, e) => ({ did: [...s.did, e.what] }),
});

/**
 * Resolves once `check` holds: vi.waitUntil with the shared ceiling and poll (vitest.setup.ts), a
 * ceiling fit for a loaded machine (a 5 s one of its own timed out at load 25).
 */
async function until(check: () => Promise<boolean> | boolean, timeout?: number): Promise<void> {
  await vi.waitUntil(check, timeout === undefined ? undefined : { timeout });
}

/** Sends `first` (held open) and then `rest`, so that all of `rest` lands in one batch behind it. */
async function inOneBatch(rt: Runtime, rest: TCmd[]) {
  const h = rt.get(planner, 'p');
  const g = gate();
  held = g.promise;
  const first = h.execute({ type: 'hold' });
  await new Promise((r) => setImmediate(r));
  const sent = rest.map((c) => h.execute(c));
  const batchesBefore = rt.metrics().counters.batches;
  g.release();
  const out = await settle([first, ...sent]);
  // The held command opened one batch and took every other command into it.
  expect(rt.metrics().counters.batches - batchesBefore).toBeLessThanOrEqual(1);
  return out.slice(1).map((o) => ('ok' in o ? 'ok' : o.err));
}

describe('timers and effects requested by several commands of one batch', () => {
  it('schedule, cancel and schedule again of one timer across commands of a batch ends as if run one by one, also after a restart', async () => {
    const path = freshFolder();
    const rt = await start(path, [planner]);
    const fates = await inOneBatch(rt, [
      { type: 'schedule', name: 't1', tag: 'first' },
      { type: 'cancel', name: 't1' },
      { type: 'schedule', name: 't1', tag: 'second' },
      { type: 'scheduleThenRefuse', name: 't3' },
      { type: 'schedule', name: 't2', tag: 'other' },
      { type: 'cancel', name: 'never-scheduled' },
    ]);
    expect(fates).toEqual(['ok', 'ok', 'ok', 'DECIDE_FAILED', 'ok', 'ok']);
    const names = async (r: Runtime) => {
      const out: string[] = [];
      for await (const t of r.timers().list({ streamId: 'planner/p' }))
        out.push(`${t.name}:${(t.command as unknown as { tag: string }).tag}`);
      return out.sort();
    };
    expect(await names(rt)).toEqual(['t1:second', 't2:other']);
    await stop(rt);
    const rt2 = await start(path, [planner]);
    expect(await names(rt2)).toEqual(['t1:second', 't2:other']);
    expect(await rt2.timers().fire('planner/p', 't1')).toMatchObject({ outcome: 'fired' });
    await expect(rt2.timers().fire('planner/p', 't1')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await rt2.get(planner, 'p').state()).state.did.filter((d) => d.startsWith('tick'))).toEqual([
      'tick second',
    ]);
  });

  it('request, cancel and request again of one effect id across commands of a batch runs the last request once and delivers once', async () => {
    const calls: number[] = [];
    const path = freshFolder();
    const rt = await start(path, [planner], {
      effects: {
        implementations: {
          remote: async (input: { input: number }) => {
            calls.push(input.input);
            return { echoed: input.input };
          },
        },
      },
    });
    const fates = await inOneBatch(rt, [
      { type: 'request', id: 'e1', input: 1 },
      { type: 'cancelEffect', id: 'e1' },
      { type: 'request', id: 'e1', input: 3 },
      { type: 'request', id: 'e2', input: 4 },
      { type: 'request', id: 'e2', input: 5 },
    ]);
    expect(fates).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    const results = async () =>
      (await rt.get(planner, 'p').state()).state.did.filter((d) => d.startsWith('result'));
    await until(async () => (await results()).length === 2 && (await rt.effects().count()) === 0);
    expect(calls.sort()).toEqual([3, 5]);
    expect((await results()).sort()).toEqual(['result e1 done {"echoed":3}', 'result e2 done {"echoed":5}']);
  });

  const THROWN: ReadonlyArray<[string, () => unknown]> = [
    [
      'a Proxy whose every trap throws',
      () =>
        new Proxy(
          {},
          {
            get: () => {
              throw new Error('get trap');
            },
            getPrototypeOf: () => {
              throw new Error('getPrototypeOf trap');
            },
            ownKeys: () => {
              throw new Error('ownKeys trap');
            },
          },
        ),
    ],
    [
      'a revoked Proxy',
      () => {
        const { proxy, revoke } = Proxy.revocable({}, {});
        revoke();
        return proxy;
      },
    ],
    ['a Symbol', () => Symbol('s')],
  ];
  it.each(THROWN)(
    'an implementation that throws %s fails its attempts and its failure is delivered once, with a real logger',
    async (_name, make) => {
      let calls = 0;
      const rt = await start(freshFolder(), [planner], {
        logger: realLogger(),
        effects: {
          implementations: {
            remote: async () => {
              calls++;
              throw make();
            },
          },
          maxAttempts: 2,
          backoff: { initialMs: 1, maxMs: 1 },
        },
      });
      await rt.get(planner, 'p').execute({ type: 'request', id: 'e', input: 1 });
      const results = async () =>
        (await rt.get(planner, 'p').state()).state.did.filter((d) => d.startsWith('result'));
      await until(async () => (await results()).length === 1 && (await rt.effects().count()) === 0);
      expect(calls).toBe(2);
      expect((await results())[0]).toMatch(/^result e failed /);
    },
  );
});

describe('metadata in a batch', () => {
  it('metadata JSON cannot keep (Date, BigInt, NaN, a function) refuses that command alone at execute; the batch is stored with the metadata acknowledged', async () => {
    const path = freshFolder();
    const agg = keeper('meta');
    const rt = await start(path, [agg]);
    const h = rt.get(agg, 'm');
    const g = gate();
    held = g.promise;
    const first = h.execute({ type: 'hold' });
    await new Promise((r) => setImmediate(r));
    const metas: Record<string, unknown>[] = [
      { ok: 1 },
      { d: new Date(0) },
      { n: 1n },
      { x: Number.NaN },
      { gone: undefined, kept: 'yes' },
      { f: () => 1 },
      { ok: 2 },
    ];
    const sent = metas.map((metadata, i) => h.execute({ type: 'put', value: i }, { metadata }));
    g.release();
    const out = await settle([first, ...sent]);
    expect(out.map((o) => ('ok' in o ? 'ok' : o.err))).toEqual([
      'ok',
      'ok',
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
      'ok',
      'INVALID_ARGUMENT',
      'ok',
    ]);
    const acked = out.flatMap((o) => ('ok' in o ? (o.ok as ExecuteResult).events : []));
    const stored: unknown[] = [];
    for await (const e of rt.store.readStream('meta/m')) stored.push(e);
    expect(stored).toStrictEqual(acked);
    await stop(rt);
    const rt2 = await start(path, [agg]);
    const again: unknown[] = [];
    for await (const e of rt2.store.readStream('meta/m')) again.push(e);
    expect(again).toStrictEqual(acked);
  });
});

describe('commandIds no key can hold', () => {
  it('a commandId with a lone surrogate or U+0000 dedupes in a batch and after a restart, and is told apart from its look-alikes', async () => {
    const path = freshFolder();
    const agg = keeper('ids');
    const rt = await start(path, [agg]);
    const h = rt.get(agg, 'i');
    const ids = ['a\uD800', 'a\uFFFD', 'a\u0000b', 'a', '\uDC00\uD800'];
    const g = gate();
    held = g.promise;
    const first = h.execute({ type: 'hold' });
    await new Promise((r) => setImmediate(r));
    const sent = ids.flatMap((commandId, i) => [
      h.execute({ type: 'put', value: i }, { commandId }),
      h.execute({ type: 'put', value: i }, { commandId }),
    ]);
    g.release();
    await first;
    const results = await Promise.all(sent);
    expect(results.map((r) => r.deduplicated)).toEqual(ids.flatMap(() => [false, true]));
    await stop(rt);
    const rt2 = await start(path, [agg]);
    const h2 = rt2.get(agg, 'i');
    for (const [i, commandId] of ids.entries())
      expect(await h2.execute({ type: 'put', value: i }, { commandId })).toMatchObject({
        deduplicated: true,
        version: i + 2,
      });
    expect((await h2.state()).version).toBe(ids.length + 1);
  });
});
