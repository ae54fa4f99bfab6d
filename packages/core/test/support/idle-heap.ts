/**
 * Fixture (run with `node --expose-gc --no-concurrent-recompilation --import tsx`): heap held
 * per idle resident actor, on a runtime without interceptors or observer and on one with both,
 * measured as the bench's idle-actor-heap scenario does (resident minus evicted, over N actors)
 * but with reads taken once the heap has settled. Prints JSON.
 */
import { setImmediate as tick } from 'node:timers/promises';
import {
  createRuntime,
  defineAggregate,
  type Interceptor,
  type RuntimeObserver,
  type RuntimeOptions,
} from '../../src/index.js';

const N = Number(process.argv[2] ?? 10_000);
const BATCH = 1_000;
type State = Readonly<{ touched: true }>;
const SHARED: State = Object.freeze({ touched: true });
const TOUCH = Object.freeze({ type: 'touch' as const });

const hooks: Interceptor = { beforeDecide: () => {}, afterAppend: () => {}, onRefusal: () => {} };
const observer: RuntimeObserver = {
  command: () => ({ started: () => {}, ended: () => {} }),
  activation: () => ({ ended: () => {} }),
};

function touchAggregate(interceptors: Interceptor[]) {
  return defineAggregate<State, typeof TOUCH, { type: 'Touched' }>({
    type: 'touch',
    initialState: () => SHARED,
    decide: () => [{ type: 'Touched' }],
    evolve: () => SHARED,
    interceptors,
  });
}

/** Heap reads after a full collection must agree this closely before one is taken. */
const STABLE_BYTES = 1024;

/**
 * Live heap once it has settled: a full collection with a turn of the event loop before it,
 * repeated until two reads in a row agree. A read right after a collection can still count
 * 30-300 KB that is no live object (heap snapshots taken at such a read do not see it), and
 * whether it is there depends on timing; the next collection gives it back.
 */
async function settledHeap(): Promise<number> {
  const gc = globalThis.gc as () => void;
  let last = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 8; round++) {
    await tick();
    gc();
    const now = process.memoryUsage().heapUsed;
    if (Math.abs(now - last) <= STABLE_BYTES) return Math.min(now, last);
    last = now;
  }
  throw new Error('the heap did not settle in 8 collections');
}

async function bytesPerIdleActor(hooked: boolean): Promise<number> {
  const touch = touchAggregate(hooked ? [hooks] : []);
  const extra: Partial<RuntimeOptions> = hooked ? { interceptors: [hooks], observer } : {};
  const runtime = await createRuntime({
    aggregates: [touch],
    idleTimeoutMs: Number.POSITIVE_INFINITY,
    commandTimeoutMs: 0,
    // Every command counts as slow, so each takes the slow-command warning's path (logger
    // silent): how much heap that leaves behind must not depend on how busy the machine is.
    slowCommandMs: 0,
    ...extra,
  });
  const id = (i: number) => `acc-${String(i).padStart(8, '0')}`;
  for (let start = 0; start < N; start += BATCH) {
    const pending = [];
    for (let i = start; i < Math.min(N, start + BATCH); i++)
      pending.push(runtime.get(touch, id(i)).execute(TOUCH));
    await Promise.all(pending);
  }
  // A caller resumes before its actor's mailbox has finished draining: let every actor go idle.
  for (let turns = 0; runtime.stats().idleActors !== N; turns++) {
    if (turns > 1_000) throw new Error('not every actor is idle');
    await tick();
  }
  const resident = await settledHeap();
  for (let start = 0; start < N; start += BATCH) {
    const ids = Array.from({ length: Math.min(BATCH, N - start) }, (_, j) => id(start + j));
    await Promise.all(ids.map((i) => runtime.evict(touch, i)));
  }
  const evicted = await settledHeap();
  await runtime.shutdown();
  return (resident - evicted) / N;
}

// A warm-up run (the JIT's and the runtime's first-time allocations), then the two kinds
// interleaved, twice each, so a drift of the heap over the run does not favour one side.
await bytesPerIdleActor(false);
const plain = [await bytesPerIdleActor(false)];
const hooked = [await bytesPerIdleActor(true)];
plain.push(await bytesPerIdleActor(false));
hooked.push(await bytesPerIdleActor(true));
process.stdout.write(`${JSON.stringify({ plain, hooked })}\n`);
