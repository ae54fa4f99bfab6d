/**
 * Upcasting on a real LevelDB folder: streams written by a first definition (event schema 1), read
 * after a restart by a second (schema 2) whose upcasters are not idempotent and count their calls.
 * Every read path (recovery, catch-up after another writer's append, a projection, a subscription,
 * given()) must apply the chain exactly once per stored event and read, and they must all agree.
 */
import {
  createRuntime,
  defineProjection,
  type EventEnvelope,
  type EventStore,
  type Runtime,
} from '@actorfold/core';
import { given } from '@actorfold/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { levelStore } from '../src/index.js';
import { freshFolder } from './support/folders.js';
import { expectedMarks, type TapeV1Event, tapeV1, tapeV2, upcasterCalls } from './support/tape.js';

const RUNS = process.env.ACTORFOLD_SOAK ? 200 : 15;

type Plan = { streams: TapeV1Event[][]; later: TapeV1Event[][] };

const v1Event = (mark: string): fc.Arbitrary<TapeV1Event> =>
  fc.constantFrom<TapeV1Event>({ type: 'Marked', mark }, { type: 'Doubled', mark }, { type: 'Erased' });

/** Up to 3 streams, each with up to 6 events stored by v1, and up to 3 appended later by another writer. */
const plans: fc.Arbitrary<Plan> = fc.integer({ min: 1, max: 3 }).chain((n) =>
  fc.record({
    streams: fc.tuple(
      ...Array.from({ length: n }, (_, s) =>
        fc
          .array(fc.integer(), { minLength: 1, maxLength: 6 })
          .chain((xs) => fc.tuple(...xs.map((_x, i) => v1Event(`s${s}-${i}`)))),
      ),
    ),
    later: fc.tuple(
      ...Array.from({ length: n }, (_, s) =>
        fc
          .array(fc.integer(), { maxLength: 3 })
          .chain((xs) => fc.tuple(...xs.map((_x, i) => v1Event(`s${s}-l${i}`)))),
      ),
    ),
  }),
);

/** Counts of this phase only, and checks each listed stored event was upcast exactly once. */
function expectOncePerEvent(keys: readonly string[]): void {
  const calls = Object.fromEntries(upcasterCalls);
  expect(calls).toEqual(Object.fromEntries(keys.map((k) => [k, 1])));
  upcasterCalls.clear();
}

const keysOf = (streamId: string, from: number, count: number) =>
  Array.from({ length: count }, (_, i) => `${streamId}@${from + i}`);

async function writeWithV1(path: string, streams: readonly TapeV1Event[][]): Promise<void> {
  const rt = await createRuntime({ store: levelStore({ path }), aggregates: [tapeV1] });
  for (const [s, events] of streams.entries()) {
    for (const event of events) await rt.get(tapeV1, `t${s}`).execute({ type: 'write', event });
  }
  await rt.shutdown();
}

/** Appends events as schema 1, as another writer sharing the store would (an import, an old node). */
async function appendAsV1(
  store: EventStore,
  streamId: string,
  events: readonly TapeV1Event[],
): Promise<void> {
  if (events.length === 0) return;
  const at = await store.streamVersion(streamId);
  await store.append(
    streamId,
    events.map((data) => ({ data, schemaVersion: 1 })),
    { expectedVersion: at },
  );
}

describe('upcasting on LevelDB: a v1 stream read by v2', () => {
  it('gives the same marks through state, a projection, a subscription and given(), each event upcast once per read', async () => {
    await fc.assert(
      fc.asyncProperty(plans, async ({ streams, later }) => {
        const path = freshFolder('upcast');
        await writeWithV1(path, streams);
        upcasterCalls.clear();
        const rt: Runtime = await createRuntime({ store: levelStore({ path }), aggregates: [tapeV2] });
        try {
          const ids = streams.map((_e, s) => `tape/t${s}`);
          // Recovery.
          for (const [s, events] of streams.entries()) {
            const { state, version } = await rt.get(tapeV2, `t${s}`).state();
            expect(version).toBe(events.length);
            expect(state).toEqual(expectedMarks(events));
          }
          expectOncePerEvent(ids.flatMap((id, s) => keysOf(id, 1, streams[s]?.length ?? 0)));
          // Catch-up of the resident actors after another writer's append: only the new events.
          for (const [s, events] of later.entries()) await appendAsV1(rt.store, `tape/t${s}`, events);
          const all = streams.map((events, s) => [...events, ...(later[s] ?? [])]);
          for (const [s, events] of all.entries()) {
            const { state, version } = await rt.get(tapeV2, `t${s}`).state();
            expect(version).toBe(events.length);
            expect(state).toEqual(expectedMarks(events));
          }
          expectOncePerEvent(
            ids.flatMap((id, s) => keysOf(id, (streams[s]?.length ?? 0) + 1, later[s]?.length ?? 0)),
          );
          // New events at schema 2 are never upcast.
          for (const s of streams.keys())
            await rt.get(tapeV2, `t${s}`).execute({ type: 'mark', mark: `s${s}-new` });
          expectOncePerEvent([]);
          const finalMarks = all.map((events, s) => [...expectedMarks(events), `s${s}-new`]);
          const everyKey = ids.flatMap((id, s) => keysOf(id, 1, all[s]?.length ?? 0));
          const lastPosition = all.reduce((n, events) => n + events.length + 1, 0);
          // A projection.
          const p = rt.project(
            defineProjection({
              name: 'marks',
              init: (): Record<string, string[]> => ({}),
              handlers: {
                Marked: (m: Record<string, string[]>, e: EventEnvelope) => ({
                  ...m,
                  [e.streamId]: [...(m[e.streamId] ?? []), (e.data as { type: 'Marked'; mark: string }).mark],
                }),
              },
            }),
          );
          await p.waitFor(lastPosition);
          expect(ids.map((id) => p.state()[id] ?? [])).toEqual(finalMarks);
          expectOncePerEvent(everyKey);
          // A subscription.
          const seen: Record<string, string[]> = {};
          const end = new AbortController();
          for await (const e of rt.subscribe({ signal: end.signal })) {
            const marks = seen[e.streamId] ?? [];
            marks.push((e.data as { type: 'Marked'; mark: string }).mark);
            seen[e.streamId] = marks;
            if (e.position === lastPosition) end.abort();
          }
          expect(ids.map((id) => seen[id] ?? [])).toEqual(finalMarks);
          expectOncePerEvent(everyKey);
          // given(): the same stored events, read through the definition by the test helper.
          for (const [s, events] of all.entries()) {
            await given(tapeV2, [], { aggregateId: `t${s}` })
              .givenAtSchema(1, events)
              .when({ type: 'mark', mark: `s${s}-new` })
              .thenState(finalMarks[s] as string[]);
          }
          expectOncePerEvent(everyKey);
        } finally {
          await rt.shutdown();
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses an event from a newer schema than the definition with UNKNOWN_EVENT_SCHEMA, on recovery and in a projection', async () => {
    const path = freshFolder('newer');
    const store = await levelStore({ path });
    await store.append('tape/x', [{ data: { type: 'Marked', mark: 'm' }, schemaVersion: 3 }], {
      expectedVersion: 0,
    });
    await store.close();
    const rt = await createRuntime({ store: levelStore({ path }), aggregates: [tapeV2] });
    try {
      await expect(rt.get(tapeV2, 'x').state()).rejects.toMatchObject({
        code: 'UNKNOWN_EVENT_SCHEMA',
        streamId: 'tape/x',
        version: 1,
        schemaVersion: 3,
        supported: 2,
      });
      const p = rt.project(
        defineProjection({ name: 'p', init: () => 0, handlers: { Marked: (n: number) => n + 1 } }),
      );
      await expect(p.waitFor(1)).rejects.toMatchObject({ code: 'UNKNOWN_EVENT_SCHEMA' });
      expect(p.status()).toMatchObject({ state: 'failed', position: 0 });
    } finally {
      await rt.shutdown();
    }
  });
});
