/**
 * Differential: memoryStore, levelStore and postgresStore are given the same hostile but plausible
 * input and must end the same way: each call acknowledged with the same result (data and metadata
 * with the same keys in the same order, -0 and friends as JSON makes them, the same type, schema
 * version, timestamp, versions and relative positions) and read back the same, or refused with
 * the same error class and code. Two properties: the store API called directly (appends issued
 * together, so PostgreSQL batches them and LevelDB group-commits them, snapshots, checkpoints,
 * timers), and a runtime's `execute` on each store followed by a fresh runtime's replay.
 *
 * No input leaves a store out: what one store cannot keep exactly (U+0000 or a lone surrogate in
 * an event type or a timer's command or metadata, a timestamp in another form than toISOString's,
 * a schema version above 2^31 - 1, an id over 1,024 UTF-8 bytes) every store refuses alike
 * (core's store-input.ts), so any difference is a failure.
 *
 * Seeded, so CI runs the same cases every time; to hunt, run it with other seeds and more runs:
 * `ACTORFOLD_DIFF_SEED=$RANDOM ACTORFOLD_DIFF_RUNS=200 npx vitest run test/stores.differential.test.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AnyAggregate,
  createRuntime,
  defineAggregate,
  type EventEnvelope,
  type EventStore,
  isActorfoldError,
  memoryStore,
  type Runtime,
  richCodec,
  SimulatedClock,
  type TimerRecord,
} from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStore } from '../src/index.js';
import { freshDatabase, freshSchema, skipReason } from './support/database.js';

type StoreName = 'memory' | 'level' | 'postgres';
const STORE_NAMES: readonly StoreName[] = ['memory', 'level', 'postgres'];

// ---------------------------------------------------------------------------------------------
// Values

/** Strings that trip encoders: U+0000, lone surrogates, line separators, BOM, escapes as text. */
const NASTY_STRINGS = [
  '',
  'a\u0000b',
  '\u0000',
  'x\uD800',
  '\uDC00y',
  '\uDBFF\uDFFF',
  '\u2028\u2029',
  '\uFEFF',
  '😀',
  '\\u0000',
  '\\\\u0000',
  '\\ud800',
  '"quoted"',
  '</script>',
  'e\u0301',
  '\u0085\u00A0',
] as const;

/** Keys JavaScript objects treat specially, numeric-like keys (ordered first by JS), and plain ones. */
const NASTY_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  '',
  '1',
  '01',
  '-0',
  '4294967295',
  '1e3',
  'b',
  'a',
  'z\u0000',
  'k\uD800',
  '😀',
] as const;

const NASTY_NUMBERS = [
  -0,
  0,
  1e21,
  1e-7,
  5e-324,
  Number.MAX_SAFE_INTEGER + 2,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  0.1 + 0.2,
] as const;

/** Nesting deeper than a recursive encoder on a small stack would like (1,200 levels). */
function deep(n: number): unknown {
  let v: unknown = n;
  for (let i = 0; i < 1200; i++) v = i % 2 === 0 ? [v] : { d: v };
  return v;
}

const leaf: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 6, unit: 'binary' }) },
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_NUMBERS) },
  { weight: 2, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom(true, false, null, undefined) },
  { weight: 1, arbitrary: fc.integer().map((n) => new Date(n * 1000)) },
  { weight: 1, arbitrary: fc.constant('long').map(() => 'L\u2028'.repeat(10_000)) },
  { weight: 1, arbitrary: fc.integer({ max: 1000, min: 0 }).map(deep) },
);

/** Plain data with nasty strings, numbers and keys; what JSON keeps, and what it normalises. */
const jsonish: fc.Arbitrary<unknown> = fc.letrec<{ node: unknown }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    { weight: 5, arbitrary: leaf },
    { weight: 1, arbitrary: fc.array(tie('node'), { maxLength: 3 }) },
    {
      weight: 2,
      arbitrary: fc
        .array(fc.tuple(fc.constantFrom(...NASTY_KEYS), tie('node')), { maxLength: 4 })
        .map(objectFromEntries),
    },
  ),
})).node;

/** An object with these own data properties, `__proto__` included as a plain key. */
function objectFromEntries(entries: ReadonlyArray<readonly [string, unknown]>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries)
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

/** `String.prototype.isWellFormed` (Node 20+; the ES2023 lib has no declaration). */
const isWellFormed = (s: string): boolean => (s as string & { isWellFormed(): boolean }).isWellFormed();
const hasUnstorableText = (s: string): boolean => s.includes('\u0000') || !isWellFormed(s);

/** Whether JSON text of `v` carries U+0000 or a lone surrogate (what jsonb refuses). */
function jsonHasUnstorable(v: unknown): boolean {
  let json: string | undefined;
  try {
    json = JSON.stringify(v);
  } catch {
    return false;
  }
  return json !== undefined && /(?:^|[^\\])(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i.test(json);
}

// ---------------------------------------------------------------------------------------------
// The direct property: appends (with timers), snapshots, checkpoints

/** How an event's data object carries its type: the last five are JSON that differs from the object. */
const DATA_SHAPES = [
  'plain',
  'plain',
  'plain',
  'null prototype',
  'frozen',
  'toJSON keeping type',
  'toJSON changing type',
  'toJSON dropping type',
  'toJSON to a string',
  'counting type getter',
  'inherited type',
] as const;
type DataShape = (typeof DATA_SHAPES)[number];

const TYPES = [
  'T',
  'T\u2028',
  '😀',
  '__proto__',
  'constructor',
  ' ',
  'T'.repeat(1000),
  'T\u0000',
  'T\uD800',
] as const;

/** Canonical ones (toISOString's, extended years included), and other forms Date.parse reads. */
const TIMESTAMPS = [
  '2026-01-02T03:04:05.678Z',
  '2026-01-02',
  '2026-01-02T03:04',
  '2026-01-02T03:04:05Z',
  '2026-01-02T03:04:05.678+00:00',
  '+002026-01-02T03:04:05.678Z',
  '+275760-09-13T00:00:00.000Z',
  '-271821-04-20T00:00:00.000Z',
  '1970-01-01T00:00:00.000Z',
  'Thu, 01 Jan 1970 00:00:00 GMT',
  '2020-01-01T00:00:00+05:00',
  '2020-01-01\u0000',
  'not a date',
  '',
] as const;

/** Schema versions: valid ones, the integer column's edge, and invalid ones every store refuses. */
const SCHEMA_VERSIONS = [1, 7, 2_147_483_647, 2_147_483_648, Number.MAX_SAFE_INTEGER, 0, -1, 1.5] as const;

interface EventSpec {
  shape: DataShape;
  type: string;
  fields: ReadonlyArray<readonly [string, unknown]>;
  metadata?:
    | { kind: 'plain'; entries: ReadonlyArray<readonly [string, unknown]> }
    | { kind: 'toJSON string' };
  timestamp?: string | undefined;
  schemaVersion?: number | undefined;
}

/**
 * Mostly the ordinary value, now and then one of the nasty ones (1 in `weight` + 1): a run holds
 * dozens of events, and one refused event refuses its whole append.
 */
function mostly<T>(usual: T, nasty: readonly T[], weight = 12): fc.Arbitrary<T> {
  return fc.oneof(
    { weight, arbitrary: fc.constant(usual) },
    { weight: 1, arbitrary: fc.constantFrom(...nasty) },
  );
}

const eventSpec: fc.Arbitrary<EventSpec> = fc.record(
  {
    shape: mostly<DataShape>('plain', DATA_SHAPES, 100),
    type: mostly<string>('T', TYPES, 40),
    fields: fc.array(fc.tuple(fc.constantFrom(...NASTY_KEYS), jsonish), { maxLength: 4 }),
    metadata: fc.oneof(
      {
        weight: 150,
        arbitrary: fc.record({
          kind: fc.constant('plain' as const),
          entries: fc.array(fc.tuple(fc.constantFrom(...NASTY_KEYS), jsonish), { maxLength: 3 }),
        }),
      },
      { weight: 1, arbitrary: fc.constant({ kind: 'toJSON string' as const }) },
    ),
    timestamp: mostly<string | undefined>(undefined, TIMESTAMPS, 20),
    schemaVersion: mostly<number | undefined>(undefined, SCHEMA_VERSIONS, 40),
  },
  { requiredKeys: ['shape', 'type', 'fields'] },
);

/** An ordinary event around nasty fields: many of them go into one append. */
const plainEventSpec: fc.Arbitrary<EventSpec> = fc.record({
  shape: fc.constant<DataShape>('plain'),
  type: fc.constant('T'),
  fields: fc.array(fc.tuple(fc.constantFrom(...NASTY_KEYS), jsonish), { maxLength: 2 }),
});

/** Builds the event data fresh for one store (getters count per object). */
function buildData(spec: EventSpec): object {
  const fields = objectFromEntries(spec.fields);
  const withType = (): Record<string, unknown> => objectFromEntries([['type', spec.type], ...spec.fields]);
  switch (spec.shape) {
    case 'plain':
      return withType();
    case 'null prototype':
      return Object.assign(Object.create(null) as object, withType());
    case 'frozen':
      return Object.freeze(withType());
    case 'toJSON keeping type':
      return Object.assign(withType(), { toJSON: () => withType() });
    case 'toJSON changing type':
      return Object.assign(withType(), { toJSON: () => ({ ...withType(), type: 'Other' }) });
    case 'toJSON dropping type':
      return Object.assign(withType(), { toJSON: () => fields });
    case 'toJSON to a string':
      return Object.assign(withType(), { toJSON: () => 'a string' });
    case 'counting type getter': {
      let calls = 0;
      return Object.defineProperty(fields, 'type', {
        get: () => `${spec.type}${++calls}`,
        enumerable: true,
      });
    }
    case 'inherited type':
      return Object.assign(Object.create({ type: spec.type }) as object, fields);
  }
}

function buildEvent(spec: EventSpec): Record<string, unknown> {
  const e: Record<string, unknown> = { data: buildData(spec) };
  if (spec.metadata?.kind === 'plain') e.metadata = objectFromEntries(spec.metadata.entries);
  if (spec.metadata?.kind === 'toJSON string') e.metadata = { toJSON: () => 'a string' };
  if (spec.timestamp !== undefined) e.timestamp = spec.timestamp;
  if (spec.schemaVersion !== undefined) e.schemaVersion = spec.schemaVersion;
  return e;
}

/**
 * `n` printable characters without a pattern a compressor finds: PostgreSQL compresses long index
 * keys, so only such text shows where its key limit lies.
 */
function noise(n: number, seed: number): string {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
    return String.fromCharCode(33 + ((x >>> 16) % 94));
  }).join('');
}

/** Stream ids: odd characters, a leading slash (empty type), no slash, long; the last two refused by all. */
const STREAM_IDS: ReadonlyArray<(run: number) => string> = [
  (r) => `d${r}/a`,
  (r) => `d${r}`,
  (r) => `/d${r}`,
  (r) => `d${r}/a/b/`,
  (r) => `d${r}/\u2028\uFEFF😀 %_\\'"`,
  // Canonically equivalent (NFC vs NFD), yet two streams: no store may normalise ids.
  (r) => `d${r}/é`,
  (r) => `d${r}/e\u0301`,
  (r) => `d${r}/${noise(1000, r)}`,
  (r) => `d${r}/${'😀'.repeat(250)}`,
  (r) => `d${r}/${'x'.repeat(5000)}`,
  (r) => `d${r}/\u0000`,
  (r) => `d${r}/\uD800`,
];

interface AppendSpec {
  stream: number;
  /** Offset from the head this store's acknowledgements give, or an absolute value. */
  expected: { head: number } | { absolute: unknown };
  events: EventSpec[];
  timer?: { name: string; dueAt: number; command: unknown; metadata?: unknown; cancel: boolean };
}

/** {@link jsonish} without U+0000 or lone surrogates in its JSON. */
const storableJsonish = jsonish.filter((v) => !jsonHasUnstorable(v));

const TIMER_NAMES = [
  't',
  '',
  'é',
  'e\u0301',
  '__proto__',
  'n\u0000',
  noise(1000, 7),
  noise(1100, 8),
] as const;

const appendSpec: fc.Arbitrary<AppendSpec> = fc
  .record({
    stream: fc.oneof(
      { weight: 12, arbitrary: fc.nat({ max: STREAM_IDS.length - 4 }) },
      // Over PostgreSQL's key limit, U+0000, a lone surrogate.
      {
        weight: 1,
        arbitrary: fc.constantFrom(STREAM_IDS.length - 3, STREAM_IDS.length - 2, STREAM_IDS.length - 1),
      },
    ),
    expected: fc.oneof(
      { weight: 12, arbitrary: fc.record({ head: fc.constant(0) }) },
      { weight: 1, arbitrary: fc.record({ head: fc.constantFrom(-1, 1) }) },
      {
        weight: 1,
        arbitrary: fc.record({
          absolute: fc.constantFrom(Number.MAX_SAFE_INTEGER, -1, 1.5, Number.NaN, '0', null, 2 ** 53),
        }),
      },
    ),
    events: fc.oneof(
      { weight: 8, arbitrary: fc.array(eventSpec, { minLength: 1, maxLength: 3 }) },
      { weight: 1, arbitrary: fc.constant<EventSpec[]>([]) },
      // Many in one append: one statement, one batch.
      { weight: 1, arbitrary: fc.array(plainEventSpec, { minLength: 40, maxLength: 60 }) },
    ),
    timer: fc.option(
      fc.record({
        name: mostly<string>('t', TIMER_NAMES),
        dueAt: mostly(1_700_000_000_000, [Number.MIN_SAFE_INTEGER, -1, 0, Number.MAX_SAFE_INTEGER, 1.5]),
        // Mostly JSON jsonb can hold (every store refuses the rest, for PostgreSQL's sake).
        command: fc
          .tuple(mostly('C', ['']), fc.oneof(storableJsonish, storableJsonish, jsonish))
          .map(([type, v]) =>
            objectFromEntries([
              ['type', type],
              ['v', v],
              ['z', 1],
              ['a', 2],
            ]),
          ),
        metadata: fc.option(
          fc.oneof(
            {
              weight: 6,
              arbitrary: fc
                .array(fc.tuple(fc.constantFrom(...NASTY_KEYS), storableJsonish), { maxLength: 3 })
                .map(objectFromEntries),
            },
            { weight: 1, arbitrary: jsonish },
          ),
          { nil: undefined },
        ),
        cancel: mostly(false, [true]),
      }),
      { freq: 2, nil: undefined },
    ),
  })
  .map(({ timer, ...rest }) => (timer === undefined ? rest : { ...rest, timer }));

type Op =
  | { op: 'burst'; appends: AppendSpec[] }
  | { op: 'snapshot'; stream: number; version: number; schemaVersion: number; state: unknown; keep: number }
  | { op: 'checkpoint'; name: string; position: number; state?: unknown; withState: boolean };

const CHECKPOINT_NAMES = [
  'p',
  '__proto__',
  'constructor',
  ' ',
  '',
  'p\u0000',
  'p\uD800',
  noise(1020, 9),
  'q'.repeat(2000),
] as const;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('burst' as const),
      appends: fc.array(appendSpec, { minLength: 1, maxLength: 4 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('snapshot' as const),
      stream: fc.nat({ max: STREAM_IDS.length - 1 }),
      version: fc.constantFrom(1, 2, 3, Number.MAX_SAFE_INTEGER, 0),
      schemaVersion: fc.constantFrom(1, -5, 2 ** 40),
      state: jsonish,
      keep: fc.constantFrom(1, 2, 3),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('checkpoint' as const),
      name: mostly<string>('p', CHECKPOINT_NAMES, 4),
      position: fc.constantFrom(0, 1, Number.MAX_SAFE_INTEGER, -1),
      state: jsonish,
      withState: fc.boolean(),
    }),
  },
);

// ---------------------------------------------------------------------------------------------
// Rendering outcomes exactly

/**
 * A value as text that tells apart what must not be confused: key order, -0, NaN, undefined vs a
 * missing key, holes, prototypes, lone surrogates (escaped by JSON.stringify), accessors, the
 * entries of Maps and Sets. `loose` ignores what the strict JSON codec documents as harmless
 * normalisations (an undefined-valued key counts as absent, -0 as 0, a null-prototype object as
 * a plain one): a snapshot's state is JSON, so a state rebuilt from one may differ from the live
 * one in those ways only.
 */
function exact(v: unknown, loose = false, depth = 0): string {
  if (depth > 5000) return '<too deep>';
  const inner = (x: unknown) => exact(x, loose, depth + 1);
  if (v === null) return 'null';
  switch (typeof v) {
    case 'number':
      return Object.is(v, -0) && !loose ? '-0' : String(v);
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
    case 'undefined':
      return String(v);
    case 'bigint':
      return `${v}n`;
    case 'object': {
      const proto: unknown = Object.getPrototypeOf(v);
      if (Array.isArray(v)) {
        const items: string[] = [];
        for (let i = 0; i < v.length; i++) items.push(i in v ? inner(v[i]) : '<hole>');
        return `${proto === Array.prototype ? '' : '<proto>'}[${items.join(',')}]`;
      }
      if (v instanceof Date) return `Date(${v.getTime()})`;
      if (v instanceof Map) return `Map(${[...v].map(([k, x]) => `${inner(k)}=>${inner(x)}`).join(',')})`;
      if (v instanceof Set) return `Set(${[...v].map(inner).join(',')})`;
      const tag =
        proto === Object.prototype || (loose && proto === null)
          ? ''
          : proto === null
            ? '<null proto>'
            : '<proto>';
      const parts: string[] = [];
      for (const k of Reflect.ownKeys(v)) {
        const d = Object.getOwnPropertyDescriptor(v, k) as PropertyDescriptor;
        if (loose && 'value' in d && d.value === undefined) continue;
        const key = typeof k === 'symbol' ? String(k) : JSON.stringify(k);
        parts.push('value' in d ? `${key}:${inner(d.value)}` : `${key}:<accessor>`);
      }
      return `${tag}{${parts.join(',')}}`;
    }
    default:
      return `<${typeof v}>`;
  }
}

function errorOutcome(e: unknown): string {
  if (!isActorfoldError(e))
    return `not an ActorfoldError: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  const reason = (e as { reason?: unknown }).reason;
  return `${e.constructor.name} ${e.code}${typeof reason === 'string' && e.code === 'STORE_ERROR' ? ` ${reason}` : ''}`;
}

/** Settles a store call as one comparable line; a synchronous throw is itself an outcome (the API is async). */
async function settle(call: () => Promise<unknown>, render: (v: unknown) => string = exact): Promise<string> {
  let p: Promise<unknown>;
  try {
    p = call();
  } catch (e) {
    return `threw synchronously: ${errorOutcome(e)}`;
  }
  try {
    return `ok ${render(await p)}`;
  } catch (e) {
    return `refused ${errorOutcome(e)}`;
  }
}

/** An envelope with its position made relative to where the run started. */
function envelope(e: EventEnvelope, base: number): string {
  return exact({ ...e, position: e.position - base });
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** The first line where two stores' transcripts differ, with both versions; undefined when equal. */
function firstDifference(a: readonly string[], b: readonly string[]): string | undefined {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i}:\n  ${String(a[i]).slice(0, 600)}\n  ${String(b[i]).slice(0, 600)}`;
  }
  return undefined;
}

function compareTranscripts(transcripts: Partial<Record<StoreName, string[]>>, what: string): void {
  const entries = Object.entries(transcripts) as Array<[StoreName, string[]]>;
  const [first, ...rest] = entries;
  if (first === undefined) return;
  for (const [name, lines] of rest) {
    const diff = firstDifference(first[1], lines);
    expect(diff, `${what}: ${first[0]} vs ${name}`).toBeUndefined();
  }
}

// ---------------------------------------------------------------------------------------------
// The runtime property

type DiffCommand = { type: 'put'; payload: unknown; count: number; eventType: string };
type DiffEvent = { type: string; payload: unknown; n: number };
interface DiffState {
  count: number;
  last: unknown;
  types: string[];
}

const diffBase = {
  initialState: (): DiffState => ({ count: 0, last: null, types: [] }),
  decide(_s: DiffState, c: DiffCommand): DiffEvent[] {
    return Array.from({ length: c.count }, (_, n) => ({ type: c.eventType, payload: c.payload, n }));
  },
  evolve(s: DiffState, e: DiffEvent): DiffState {
    return { count: s.count + 1, last: e.payload, types: [...s.types, e.type] };
  },
  snapshots: { every: 2, schemaVersion: 1 },
};
const richDiff = { ...diffBase, type: 'diff-rich', codec: richCodec };
const RUNTIME_AGGREGATES = [
  defineAggregate<DiffState, DiffCommand, DiffEvent>({ ...diffBase, type: 'diff-json' }),
  defineAggregate<DiffState, DiffCommand, DiffEvent>(richDiff),
] as unknown as AnyAggregate[];

interface CommandSpec {
  payload: unknown;
  count: number;
  eventType: string;
  options: {
    commandId?: string;
    expectedVersion?: unknown;
    correlationId?: unknown;
    tenantId?: unknown;
    metadata?: ReadonlyArray<readonly [string, unknown]>;
  };
}

const runtimePayload: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: jsonish },
  // What the codecs must keep exactly or refuse: the rich codec keeps these, JSON refuses them.
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      new Map([['k', -0]]),
      new Set(['\uD800']),
      10n ** 30n,
      new Date(0),
      Number.NaN,
    ),
  },
);

const commandSpec: fc.Arbitrary<CommandSpec> = fc.record({
  payload: runtimePayload,
  count: fc.oneof(
    { weight: 5, arbitrary: fc.integer({ min: 0, max: 2 }) },
    { weight: 1, arbitrary: fc.constant(50) },
  ),
  // With U+0000 or a lone surrogate: execute refuses the command alike on every store.
  eventType: mostly('Put', ['😀', '__proto__', 'P\u2028', 'constructor', 'P\u0000', 'P\uD800']),
  options: fc
    .record({
      commandId: mostly<string | undefined>(undefined, [
        'c1',
        'c1',
        'c2',
        '__proto__',
        '',
        'c\u2028',
        'c'.repeat(500),
      ]),
      expectedVersion: mostly<unknown>(undefined, [0, 1, 2, -1, 1.5, Number.MAX_SAFE_INTEGER]),
      correlationId: mostly<string | undefined>(undefined, ['corr', '', '😀']),
      tenantId: mostly<string | undefined>(undefined, ['t', 't\u2028']),
      metadata: fc.option(
        fc.array(fc.tuple(mostly<string>('m', [...NASTY_KEYS, 'commandId']), jsonish), { maxLength: 3 }),
        { freq: 2, nil: undefined },
      ),
    })
    .map((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))),
});

/** A store whose close() is deferred: runtimes close their store on shutdown. */
function keepOpen(store: EventStore): EventStore {
  return new Proxy(store, {
    get(target, key, receiver) {
      if (key === 'close') return async () => {};
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

// ---------------------------------------------------------------------------------------------

const SEED =
  process.env.ACTORFOLD_DIFF_SEED === undefined ? 20261203 : Number(process.env.ACTORFOLD_DIFF_SEED);
/** Runs of each property, to hunt with: `ACTORFOLD_DIFF_RUNS=500 ACTORFOLD_DIFF_SEED=$RANDOM`. */
const RUNS =
  process.env.ACTORFOLD_DIFF_RUNS === undefined ? undefined : Number(process.env.ACTORFOLD_DIFF_RUNS);
const soak = process.env.ACTORFOLD_SOAK !== undefined && process.env.ACTORFOLD_SOAK !== '';

describe.skipIf(skipReason !== undefined)(
  `the three event stores, given the same input ${skipReason ?? ''}`,
  () => {
    const stores = {} as Record<StoreName, EventStore>;
    /** Read by every store's clock: the test sets it before each call, so timestamps agree. */
    let nowMs = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    const clock = { now: () => nowMs };
    let folder = '';

    beforeAll(async () => {
      const url = await freshDatabase('differential');
      folder = mkdtempSync(join(tmpdir(), 'actorfold-differential-'));
      stores.memory = memoryStore({ clock });
      stores.level = await levelStore({ path: folder, clock, durability: 'os' });
      stores.postgres = await postgresStore({
        connectionString: url,
        schema: freshSchema('d'),
        migrate: true,
        maxConnections: 4,
        clock,
      });
    });
    afterAll(async () => {
      for (const s of Object.values(stores)) await s?.close();
      if (folder !== '') rmSync(folder, { recursive: true, force: true });
    });

    let run = 0;

    /** Runs the ops on one store; returns its transcript: every outcome, then everything read back. */
    async function transcript(name: StoreName, ops: readonly Op[], r: number): Promise<string[]> {
      const store = stores[name];
      const lines: string[] = [];
      const base = await lastPosition(store);
      const heads = new Map<number, number>();
      const streamIds = STREAM_IDS.map((f) => f(r));
      const env = (v: unknown) =>
        Array.isArray(v) ? `[${(v as EventEnvelope[]).map((e) => envelope(e, base)).join(',')}]` : exact(v);
      for (const op of ops) {
        if (op.op === 'burst') {
          const calls = op.appends.map((a) => {
            const streamId = streamIds[a.stream] as string;
            const head = heads.get(a.stream) ?? 0;
            const expectedVersion = 'head' in a.expected ? head + a.expected.head : a.expected.absolute;
            const events = a.events.map(buildEvent);
            const timers =
              a.timer === undefined
                ? undefined
                : a.timer.cancel
                  ? [{ op: 'cancel', name: a.timer.name }]
                  : [
                      {
                        op: 'schedule',
                        timer: {
                          streamId,
                          name: a.timer.name,
                          dueAt: a.timer.dueAt,
                          version: (typeof expectedVersion === 'number' ? expectedVersion : 0) + 1,
                          missed: 'fire',
                          command: a.timer.command,
                          ...(a.timer.metadata === undefined ? {} : { metadata: a.timer.metadata }),
                        },
                      },
                    ];
            // Issued in one synchronous run: PostgreSQL sends them as one batch, LevelDB as one write.
            return settle(
              () =>
                store.append(
                  streamId,
                  events as never,
                  { expectedVersion, ...(timers === undefined ? {} : { timers }) } as never,
                ),
              (v) => {
                const envelopes = v as EventEnvelope[];
                const last = envelopes.at(-1);
                if (last !== undefined) heads.set(a.stream, last.version);
                return env(v);
              },
            );
          });
          for (const [i, outcome] of (await Promise.all(calls)).entries())
            lines.push(`append ${i}: ${outcome}`);
        } else if (op.op === 'snapshot') {
          const streamId = streamIds[op.stream] as string;
          const snapshot = {
            streamId,
            version: op.version,
            schemaVersion: op.schemaVersion,
            state: op.state,
            timestamp: new Date(nowMs).toISOString(),
          };
          lines.push(
            `snapshot save: ${await settle(() => store.snapshots.save(snapshot, { keep: op.keep }))}`,
          );
        } else {
          const { name, position } = op;
          lines.push(
            `checkpoint ${op.withState ? 'setState' : 'set'}: ${await settle(() =>
              op.withState
                ? (store.checkpoints.setState?.(name, position, op.state) as Promise<void>)
                : store.checkpoints.set(name, position),
            )}`,
          );
        }
        nowMs += 1;
      }
      // Everything read back, from each read path.
      for (const [i, streamId] of streamIds.entries()) {
        lines.push(`stream ${i} version: ${await settle(() => store.streamVersion(streamId))}`);
        lines.push(`stream ${i} events: ${await settle(() => collect(store.readStream(streamId)), env)}`);
        lines.push(
          `stream ${i} from 2, 1: ${await settle(() => collect(store.readStream(streamId, { fromVersion: 2, limit: 1 })), env)}`,
        );
        lines.push(`stream ${i} snapshots: ${await settle(() => store.snapshots.list(streamId))}`);
        lines.push(
          `stream ${i} timers: ${await settle(
            async () => (store.timers === undefined ? [] : await collect(store.timers.list({ streamId }))),
            // The record's own fields in one order (each store builds it its way); the command
            // and metadata exactly as stored.
            (v) =>
              (v as TimerRecord[])
                .map(
                  (t) =>
                    `${exact([t.streamId, t.name, t.dueAt, t.version, t.missed])} ${exact(t.command)} ${exact(t.metadata)}`,
                )
                .join(' | '),
          )}`,
        );
      }
      lines.push(`log: ${await settle(() => collect(store.readAll({ fromPosition: base + 1 })), env)}`);
      for (const name of CHECKPOINT_NAMES) {
        if (hasUnstorableText(name)) continue;
        lines.push(
          `checkpoint ${JSON.stringify(name)}: ${await settle(() => store.checkpoints.getState?.(name) as Promise<unknown>)}`,
        );
        // Checkpoints outlive the run: forget them so the next run starts alike.
        await store.checkpoints.delete?.(name).catch(() => undefined);
      }
      return lines;
    }

    it('end every append, read, snapshot, checkpoint and timer call alike: the same acknowledgement read back the same way, or the same refusal', async () => {
      const runs = RUNS ?? (soak ? 400 : 20);
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 5 }), async (ops) => {
          const r = run++;
          const startMs = nowMs;
          const transcripts: Partial<Record<StoreName, string[]>> = {};
          for (const name of STORE_NAMES) {
            nowMs = startMs;
            transcripts[name] = await transcript(name, ops, r);
          }
          compareTranscripts(transcripts, `run ${r}`);
        }),
        { numRuns: runs, seed: SEED },
      );
    }, 120_000);

    it("acknowledge the same commands through execute, and a fresh runtime's replay gives the same events and state on each", async () => {
      const startMs = Date.UTC(2026, 5, 1);
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(0, 1),
          fc.boolean(),
          fc.array(commandSpec, { minLength: 1, maxLength: 5 }),
          async (which, longId, commands) => {
            const r = run++;
            const def = RUNTIME_AGGREGATES[which] as AnyAggregate;
            // Within every store's limits: PostgreSQL takes stream ids up to 1,024 UTF-8 bytes.
            const id = longId ? `x${r}-${noise(900, r)}` : `x${r}/😀\u2028`;
            const streamId = `${def.type}/${id}`;
            const transcripts: Partial<Record<StoreName, string[]>> = {};
            for (const name of STORE_NAMES) {
              const store = keepOpen(stores[name]);
              const base = await lastPosition(store);
              const env = (v: unknown) =>
                `[${(v as EventEnvelope[]).map((e) => envelope(e, base)).join(',')}]`;
              const lines: string[] = [];
              let runtime: Runtime = await createRuntime({
                store,
                aggregates: RUNTIME_AGGREGATES,
                clock: new SimulatedClock(startMs),
              });
              let acknowledged: { state: string; version: number } | undefined;
              try {
                for (const c of commands) {
                  const options: Record<string, unknown> = { ...c.options };
                  if (c.options.metadata !== undefined)
                    options.metadata = objectFromEntries(c.options.metadata);
                  const outcome = await settle(
                    () =>
                      runtime.get(def, id).execute(
                        {
                          type: 'put',
                          payload: c.payload,
                          count: c.count,
                          eventType: c.eventType,
                        } as never,
                        options as never,
                      ),
                    (v) => {
                      const res = v as {
                        events: EventEnvelope[];
                        version: number;
                        state: unknown;
                        deduplicated: boolean;
                      };
                      acknowledged = { state: exact(res.state, true), version: res.version };
                      return `version ${res.version} deduplicated ${res.deduplicated} events ${env(res.events)} state ${exact(res.state)}`;
                    },
                  );
                  lines.push(`execute: ${outcome}`);
                }
                await runtime.shutdown();
                // A fresh runtime: recovery from the snapshot (if one was saved), then a full replay.
                runtime = await createRuntime({
                  store,
                  aggregates: RUNTIME_AGGREGATES,
                  clock: new SimulatedClock(startMs),
                });
                const fromSnapshot = await runtime.get(def, id).state();
                await store.snapshots.delete(streamId);
                await runtime.evict(def, id);
                const replayed = await runtime.get(def, id).state();
                for (const [when, read] of [
                  ['from a snapshot', fromSnapshot],
                  ['by full replay', replayed],
                ] as const) {
                  if (acknowledged !== undefined) {
                    expect(`${read.version} ${exact(read.state, true)}`, `${name}: the state ${when}`).toBe(
                      `${acknowledged.version} ${acknowledged.state}`,
                    );
                  }
                  lines.push(`state ${when}: ${read.version} ${exact(read.state)}`);
                }
                lines.push(`stored: ${await settle(() => collect(store.readStream(streamId)), env)}`);
              } finally {
                await runtime.shutdown();
              }
              transcripts[name] = lines;
            }
            compareTranscripts(transcripts, `runtime run ${r} (${def.type})`);
          },
        ),
        { numRuns: RUNS ?? (soak ? 200 : 8), seed: SEED },
      );
    }, 120_000);

    it('keep large events alike: one of 4 MiB, and three of 512 KiB sent together with a small one', async () => {
      const mib = 1024 * 1024;
      // Mostly plain text (escaping millions of U+0000 would take seconds), with every escape in it.
      const big = (n: number, seed: number) =>
        `${noise(1000, seed)}${'y'.repeat(n - 1100)}\u0000\uD800\u2028"\\${noise(90, seed)}`;
      const four = { type: 'Big', s: big(4 * mib, 1), list: Array.from({ length: 1000 }, (_, i) => -i) };
      const ones = [0, 1, 2].map((i) => ({ type: 'Big', s: big(mib / 2, i + 2) }));
      const transcripts: Partial<Record<StoreName, string[]>> = {};
      const r = run++;
      for (const name of STORE_NAMES) {
        const store = stores[name];
        const base = await lastPosition(store);
        const env = (v: unknown) => `[${(v as EventEnvelope[]).map((e) => envelope(e, base)).join(',')}]`;
        const lines: string[] = [];
        lines.push(
          `one: ${await settle(() => store.append(`big${r}/one`, [{ data: four }], { expectedVersion: 0 }), env)}`,
        );
        // Sent together: one PostgreSQL statement, one LevelDB write.
        const together = await Promise.all([
          ...ones.map((data, i) =>
            settle(() => store.append(`big${r}/${i}`, [{ data }], { expectedVersion: 0 }), env),
          ),
          settle(
            () => store.append(`big${r}/small`, [{ data: { type: 'Small' } }], { expectedVersion: 0 }),
            env,
          ),
        ]);
        lines.push(...together.map((o, i) => `together ${i}: ${o}`));
        lines.push(`log: ${await settle(() => collect(store.readAll({ fromPosition: base + 1 })), env)}`);
        transcripts[name] = lines;
      }
      compareTranscripts(transcripts, 'large events');
      expect(transcripts.memory?.every((l) => l.includes(': ok '))).toBe(true);
    }, 60_000);
  },
);

async function lastPosition(store: EventStore): Promise<number> {
  if (store.lastPosition !== undefined) return store.lastPosition();
  return (await collect(store.readAll())).length;
}
