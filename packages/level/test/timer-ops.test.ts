/**
 * Timer removes and reschedules join the group commit (timer-ops.ts): appends and operations are
 * checked in arrival order, each against the records as the earlier calls of its batch leave
 * them. A model runs the same calls one by one in the order they were made and must agree on
 * every result, on the final records, on the due index and on the pending count, before and
 * after a reopen, however the calls fell into batches.
 */
import { isVersionConflict, type TimerChange, type TimerRecord } from '@actorfold/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type LevelStore, levelStore } from '../src/index.js';
import { freshFolder } from './support/folders.js';

const STREAMS = ['job/a0', 'job/a1', 'job/a2'];
const NAMES = ['t0', 't1', 't2'];

type Choice = 'current' | 'other';

type Action =
  | {
      readonly kind: 'append';
      readonly stream: number;
      readonly stale: boolean;
      readonly events: number;
      readonly changes: ReadonlyArray<
        | { readonly op: 'schedule'; readonly name: number; readonly dueAt: number }
        | { readonly op: 'cancel'; readonly name: number }
      >;
    }
  | {
      readonly kind: 'reschedule';
      readonly stream: number;
      readonly name: number;
      readonly version: Choice;
      readonly dueAt: number;
      readonly ifDueAt: Choice | 'none';
    }
  | { readonly kind: 'remove'; readonly stream: number; readonly name: number; readonly version: Choice };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({
    kind: fc.constant('append' as const),
    stream: fc.nat(STREAMS.length - 1),
    stale: fc.boolean(),
    events: fc.integer({ min: 1, max: 2 }),
    changes: fc.array(
      fc.oneof(
        fc.record({
          op: fc.constant('schedule' as const),
          name: fc.nat(NAMES.length - 1),
          dueAt: fc.nat(40),
        }),
        fc.record({ op: fc.constant('cancel' as const), name: fc.nat(NAMES.length - 1) }),
      ),
      { maxLength: 3 },
    ),
  }),
  fc.record({
    kind: fc.constant('reschedule' as const),
    stream: fc.nat(STREAMS.length - 1),
    name: fc.nat(NAMES.length - 1),
    version: fc.constantFrom<Choice>('current', 'current', 'other'),
    dueAt: fc.nat(40),
    ifDueAt: fc.constantFrom<Choice | 'none'>('none', 'current', 'current', 'other'),
  }),
  fc.record({
    kind: fc.constant('remove' as const),
    stream: fc.nat(STREAMS.length - 1),
    name: fc.nat(NAMES.length - 1),
    version: fc.constantFrom<Choice>('current', 'current', 'other'),
  }),
);

interface ModelTimer {
  readonly streamId: string;
  readonly name: string;
  readonly dueAt: number;
  readonly version: number;
  readonly missed: string;
  readonly command: unknown;
}

/** The store's state as the calls should leave it, applied in the store's order. */
class Model {
  readonly heads = new Map<string, number>();
  readonly timers = new Map<string, ModelTimer>();

  static key(streamId: string, name: string): string {
    return `${streamId}\u0000${name}`;
  }

  head(streamId: string): number {
    return this.heads.get(streamId) ?? 0;
  }

  append(streamId: string, expected: number, events: number, changes: readonly TimerChange[]): boolean {
    if (expected !== this.head(streamId)) return false;
    this.heads.set(streamId, expected + events);
    for (const c of changes) {
      if (c.op === 'cancel') this.timers.delete(Model.key(streamId, c.name));
      else this.timers.set(Model.key(streamId, c.timer.name), plain(c.timer));
    }
    return true;
  }

  reschedule(
    streamId: string,
    name: string,
    version: number,
    dueAt: number,
    command: unknown,
    ifDueAt: number | undefined,
  ): boolean {
    const t = this.timers.get(Model.key(streamId, name));
    if (t === undefined || t.version !== version) return false;
    if (ifDueAt !== undefined && t.dueAt !== ifDueAt) return false;
    this.timers.set(Model.key(streamId, name), { ...t, dueAt, command });
    return true;
  }

  remove(streamId: string, name: string, version: number): boolean {
    const t = this.timers.get(Model.key(streamId, name));
    if (t === undefined || t.version !== version) return false;
    this.timers.delete(Model.key(streamId, name));
    return true;
  }

  /** Every timer, in due-index order (due time, then stream id, then name). */
  sorted(): ModelTimer[] {
    return [...this.timers.values()].sort(
      (a, b) => a.dueAt - b.dueAt || cmp(a.streamId, b.streamId) || cmp(a.name, b.name),
    );
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One call issued to the store: what it returned, and what the model says it must return. */
interface Issued {
  readonly what: string;
  readonly result: Promise<boolean>;
  readonly expected: boolean;
}

/**
 * Issues one wave of calls in one synchronous run (so they share a batch), working out what the
 * model says each returns. The versions and due times the operations name are the model's before
 * the wave, so a call of the same wave can make them stale.
 */
function issue(store: LevelStore, model: Model, wave: readonly Action[], seq: { n: number }): Issued[] {
  const before = new Map(model.timers);
  const pick = (stream: string, name: string, p: Choice, field: 'version' | 'dueAt'): number => {
    const t = before.get(Model.key(stream, name));
    const v = t === undefined ? 1 : t[field];
    return p === 'current' ? v : v + 1;
  };
  const out: Issued[] = [];
  for (const a of wave) {
    const streamId = STREAMS[a.stream] as string;
    if (a.kind === 'append') {
      const head = model.head(streamId);
      const expected = a.stale && head > 0 ? head - 1 : head;
      const changes: TimerChange[] = a.changes.map((c) =>
        c.op === 'cancel'
          ? { op: 'cancel', name: NAMES[c.name] as string }
          : {
              op: 'schedule',
              timer: {
                streamId,
                name: NAMES[c.name] as string,
                dueAt: c.dueAt,
                version: expected + 1,
                // The reschedules keep it: both policies seen.
                missed: seq.n % 2 === 0 ? 'fire' : 'drop',
                command: { type: 'fire', n: seq.n++ },
              },
            },
      );
      const events = Array.from({ length: a.events }, () => ({ data: { type: 'Ticked' } }));
      out.push({
        what: `append ${streamId}@${expected}`,
        expected: model.append(streamId, expected, a.events, changes),
        result: store.append(streamId, events, { expectedVersion: expected, timers: changes }).then(
          () => true,
          (e: unknown) => {
            if (isVersionConflict(e)) return false;
            throw e;
          },
        ),
      });
      continue;
    }
    const name = NAMES[a.name] as string;
    const version = pick(streamId, name, a.version, 'version');
    if (a.kind === 'remove') {
      out.push({
        what: `remove ${streamId} ${name} v${version}`,
        expected: model.remove(streamId, name, version),
        result: store.timers.remove(streamId, name, version),
      });
      continue;
    }
    const ifDueAt = a.ifDueAt === 'none' ? undefined : pick(streamId, name, a.ifDueAt, 'dueAt');
    const command = { type: 'moved', n: seq.n++ };
    out.push({
      what: `reschedule ${streamId} ${name} v${version} -> ${a.dueAt} if ${ifDueAt}`,
      expected: model.reschedule(streamId, name, version, a.dueAt, command, ifDueAt),
      result: store.timers.reschedule(streamId, name, version, a.dueAt, command, ifDueAt),
    });
  }
  return out;
}

function plain(t: Pick<TimerRecord, keyof ModelTimer> | ModelTimer): ModelTimer {
  const { streamId, name, dueAt, version, missed, command } = t;
  return { streamId, name, dueAt, version, missed, command };
}

async function expectModel(store: LevelStore, model: Model): Promise<void> {
  const want = model.sorted();
  expect((await store.timers.due(Number.MAX_SAFE_INTEGER, 1_000)).map(plain)).toEqual(want);
  for (const streamId of STREAMS) {
    const listed: TimerRecord[] = [];
    for await (const t of store.timers.list({ streamId })) listed.push(t);
    expect(listed.map(plain)).toEqual(want.filter((t) => t.streamId === streamId));
    for (const name of NAMES) {
      const t = await store.timers.get(streamId, name);
      expect(t === undefined ? undefined : plain(t)).toEqual(model.timers.get(Model.key(streamId, name)));
    }
  }
  expect(await store.timers.count()).toBe(model.timers.size);
  for (const streamId of STREAMS) {
    let n = 0;
    for await (const _ of store.readStream(streamId)) n++;
    expect(n).toBe(model.head(streamId));
  }
}

describe('timer removes and reschedules in the group commit', () => {
  it('agree with a model of the store order when interleaved with appends from many concurrent callers', async () => {
    await fc.assert(
      fc.asyncProperty(
        // Rounds of waves: a round's waves are issued a turn of the event loop apart (the later
        // ones join batches while the earlier ones are being written); each round is awaited.
        fc.array(
          fc.array(fc.array(action, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 3 }),
          {
            minLength: 1,
            maxLength: 5,
          },
        ),
        async (rounds) => {
          const path = freshFolder('timer-ops');
          let store = await levelStore({ path, durability: 'fsync' });
          const model = new Model();
          const seq = { n: 0 };
          try {
            for (const waves of rounds) {
              const issued: Issued[] = [];
              for (const wave of waves) {
                issued.push(...issue(store, model, wave, seq));
                await new Promise((resolve) => setImmediate(resolve));
              }
              const results = await Promise.all(issued.map((i) => i.result));
              expect(results.map((r, k) => `${issued[k]?.what}: ${r}`)).toEqual(
                issued.map((i) => `${i.what}: ${i.expected}`),
              );
            }
            await expectModel(store, model);
            await store.close();
            store = await levelStore({ path, durability: 'fsync' });
            await expectModel(store, model);
          } finally {
            await store.close();
          }
        },
      ),
      { numRuns: process.env.ACTORFOLD_SOAK === '1' ? 300 : 30 },
    );
  }, 120_000);

  it('gives a store error with its code when the store is closed', async () => {
    const store = await levelStore({ path: freshFolder('timer-ops-closed'), durability: 'fsync' });
    await store.close();
    await expect(store.timers.reschedule('job/a0', 't0', 1, 5, { type: 'x' })).rejects.toMatchObject({
      code: 'STORE_ERROR',
      reason: 'CLOSED',
    });
    await expect(store.timers.remove('job/a0', 't0', 1)).rejects.toMatchObject({ reason: 'CLOSED' });
  });
});
