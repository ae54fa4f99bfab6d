/** Runtimes over a memory store that outlives them, as a folder on disk would. */
import {
  type AnyAggregate,
  createRuntime,
  type DecideContext,
  type EventStore,
  memoryStore,
  type Runtime,
  SimulatedClock,
  TimerRecorder,
} from '@actorfold/core';
import { onTestFinished } from 'vitest';
import { RecordingEffects } from './recording-effects.js';

/** A memory store whose close keeps the data, so a later runtime "reopens" it. */
export function disk(): EventStore {
  const store = memoryStore();
  return { ...store, close: async () => {} };
}

/** The time every runtime of these tests starts at. */
export const T0 = Date.parse('2025-03-03T08:00:00Z');

/** Starts a runtime on `store`, shut down after the test; its clock is simulated (`ctx.now`). */
export async function start(
  store: EventStore,
  aggregates: readonly AnyAggregate[],
  clock = new SimulatedClock(T0),
): Promise<Runtime> {
  const rt = await createRuntime({ store, aggregates, clock, idleTimeoutMs: Number.POSITIVE_INFINITY });
  // Bound to the test calling start (a top-level afterEach here would be bound to the first test
  // file that loaded this module: files share it, isolate: false).
  onTestFinished(() => rt.shutdown());
  return rt;
}

/** A DecideContext as the runtime would build it, for calling decide directly. */
export function decideContext(version: number, now = new Date(T0)): DecideContext {
  return {
    aggregateType: 'test',
    aggregateId: 'test',
    version,
    now,
    metadata: {},
    timers: new TimerRecorder(now.getTime()),
    effects: new RecordingEffects(),
  };
}
