/**
 * "What execute acknowledged is what replay gives", checked on a store: a fast-check property
 * over generated event payloads and states with hostile values mixed in. For each command,
 * either execute is refused with INVALID_ARGUMENT and nothing is stored, or the state it replied
 * equals the state read back after an eviction, after a replay without snapshots, after a
 * restart from a snapshot and after a restart without one. Every store runs it, like
 * {@link describeEventStore}.
 */
import {
  type AnyAggregate,
  createRuntime,
  defineAggregate,
  type EventStore,
  isActorfoldError,
  type Runtime,
  richCodec,
} from '@actorfold/core';
import fc from 'fast-check';
import { HOSTILE_VALUES, payload, sameState } from './hostile-values.js';
import { keepOpen } from './keep-open.js';
import { vitest } from './vitest-api.js';

export interface DescribeReplayFidelityOptions {
  /**
   * Closes the given store and opens a new one over the same data (a restart). Durable stores
   * pass it; without it, the restarts share one open store whose close is deferred.
   */
  reopen?: (store: EventStore) => EventStore | Promise<EventStore>;
  /** Runs of the property. Default 40 (400 with `ACTORFOLD_SOAK=1`). */
  runs?: number;
  /** Vitest timeout of the property test, ms. Default 120 000. */
  timeoutMs?: number;
}

/** How decide shapes the event around the payload: only `plain` is an event a store can keep. */
const SHAPES = ['plain', 'plain', 'plain', 'inherited type', 'toJSON dropping type', 'type getter'] as const;
type Shape = (typeof SHAPES)[number];

/** What one command makes decide return and evolve put in the state. */
interface Put {
  /** Goes into the event as `value`, and from there into the state. */
  value: unknown;
  /** A hostile value (or none) evolve adds to the state, named in the event. */
  stateExtra: string;
  shape: Shape;
}

interface FidelityState {
  count: number;
  last: unknown;
  extra: unknown;
}

type PutCommand = { type: 'put'; slot: number };
type PutEvent = { type: 'Put'; value: unknown; stateExtra: string };

/**
 * The commands of the running property, by slot. decide reads its payload from here, so the
 * commands stay plain JSON and only the events and states carry hostile values.
 */
const slots: Put[] = [];

function decide(_state: FidelityState, command: PutCommand): PutEvent[] {
  const put = slots[command.slot];
  if (put === undefined) throw new Error(`no payload in slot ${command.slot}`);
  const fields = { value: put.value, stateExtra: put.stateExtra };
  switch (put.shape) {
    case 'plain':
      return [{ type: 'Put', ...fields }];
    case 'inherited type':
      return [Object.assign(Object.create({ type: 'Put' }) as PutEvent, fields)];
    case 'toJSON dropping type':
      return [{ type: 'Put', ...fields, toJSON: () => fields } as PutEvent];
    case 'type getter':
      return [
        {
          get type() {
            return 'Put' as const;
          },
          ...fields,
        },
      ];
  }
}

function evolve(state: FidelityState, event: PutEvent): FidelityState {
  // A replayed event must still be the event decide returned, type included.
  if (event.type !== 'Put') throw new Error(`evolve got an event of type ${String(event.type)}`);
  const make = HOSTILE_VALUES[event.stateExtra];
  return { count: state.count + 1, last: event.value, extra: make === undefined ? null : make(state.count) };
}

const base = {
  initialState: (): FidelityState => ({ count: 0, last: null, extra: null }),
  decide,
  evolve,
  snapshots: { every: 1, schemaVersion: 1 },
};
// The rich codec through a variable: `codec` is an aggregate spec field the runtime reads.
const richOptions = { ...base, type: 'fidelity-rich', codec: richCodec };
const AGGREGATES = {
  json: defineAggregate<FidelityState, PutCommand, PutEvent>({ ...base, type: 'fidelity-json' }),
  rich: defineAggregate<FidelityState, PutCommand, PutEvent>(richOptions),
};

const putArb: fc.Arbitrary<Put> = fc.record({
  value: payload,
  stateExtra: fc.oneof(
    { weight: 3, arbitrary: fc.constant('none') },
    { weight: 2, arbitrary: fc.constantFrom(...Object.keys(HOSTILE_VALUES)) },
  ),
  shape: fc.constantFrom(...SHAPES),
});

const scenarioArb = fc.record({
  codec: fc.constantFrom('json' as const, 'rich' as const),
  puts: fc.array(putArb, { minLength: 1, maxLength: 3 }),
});

/**
 * Declares the replay-fidelity property for a store. `makeStore` returns a new, empty store.
 * @example
 * describeReplayFidelity('memoryStore', () => memoryStore());
 */
export function describeReplayFidelity(
  name: string,
  makeStore: () => EventStore | Promise<EventStore>,
  opts: DescribeReplayFidelityOptions = {},
): void {
  const { describe, expect, it } = vitest('describeReplayFidelity');
  const runs = opts.runs ?? (process.env.ACTORFOLD_SOAK ? 400 : 40);
  describe(`${name} replays what execute acknowledged`, () => {
    it(
      'refuses an event or state it cannot keep, or gives back the acknowledged state after eviction, restart and snapshots',
      async () => {
        let store = await makeStore();
        let closeKept: (() => Promise<void>) | undefined;
        if (opts.reopen === undefined) ({ store, close: closeKept } = keepOpen(store));
        const aggregates = Object.values(AGGREGATES) as unknown as AnyAggregate[];
        let runtime: Runtime = await createRuntime({ store, aggregates });
        const restart = async () => {
          await runtime.shutdown();
          if (opts.reopen !== undefined) store = await opts.reopen(store);
          runtime = await createRuntime({ store, aggregates });
        };
        let run = 0;
        try {
          await fc.assert(
            fc.asyncProperty(scenarioArb, async ({ codec, puts }) => {
              const def = AGGREGATES[codec];
              const id = `run-${run++}`;
              const streamId = `${def.type}/${id}`;
              let acknowledged: { state: unknown; version: number } | undefined;
              for (const put of puts) {
                slots.push(put);
                const before = await store.streamVersion(streamId);
                try {
                  const r = await runtime.get(def, id).execute({ type: 'put', slot: slots.length - 1 });
                  acknowledged = { state: r.state, version: r.version };
                } catch (error) {
                  if (!isActorfoldError(error) || error.code !== 'INVALID_ARGUMENT') throw error;
                  expect(await store.streamVersion(streamId), 'a refused command stored nothing').toBe(
                    before,
                  );
                }
              }
              if (acknowledged === undefined) return;
              const expectSame = async (when: string) => {
                const read = await runtime.get(def, id).state();
                expect(read.version, `version ${when}`).toBe(acknowledged?.version);
                const diff = sameState(acknowledged?.state, read.state);
                expect(diff, `state ${when}`).toBeUndefined();
              };
              await runtime.evict(def, id);
              await expectSame('after eviction');
              await store.snapshots.delete(streamId);
              await runtime.evict(def, id);
              await expectSame('after a replay without snapshots');
              await snapshotIfKept(runtime, def, id);
              await restart();
              await expectSame('after a restart from a snapshot');
              await store.snapshots.delete(streamId);
              await runtime.evict(def, id);
              await expectSame('after a restart without snapshots');
            }),
            { numRuns: runs },
          );
        } finally {
          slots.length = 0;
          await runtime.shutdown();
          await closeKept?.();
        }
      },
      opts.timeoutMs ?? 120_000,
    );
  });
}

/**
 * Saves a snapshot now. A state the codec refuses makes the snapshot refused (typed, or
 * `saved: false`), which is allowed: replay then gives the state back without it.
 */
async function snapshotIfKept(runtime: Runtime, def: AnyAggregate, id: string): Promise<void> {
  try {
    await runtime.snapshot(def, id);
  } catch (error) {
    if (!isActorfoldError(error)) throw error;
  }
}
