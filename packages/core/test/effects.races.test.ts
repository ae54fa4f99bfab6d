import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createRuntime,
  defineAggregate,
  type EffectResult,
  type EffectsOptions,
  type EventStore,
  memoryStore,
  RUN_EFFECT,
  type Runtime,
  SimulatedClock,
  type TimerStore,
} from '../src/index.js';

/**
 * Operators' retry and abandon racing the runtime's own work on the same effect: its delivery
 * to the aggregate, its lease, the recording of its outcome, shutdown. Each interleaving is
 * forced with gates (a decide, an implementation or a store call that waits for the test), so
 * that it happens on every run. The promise: an operator's call is honoured (the effect runs
 * again, or is abandoned) or answered with false; never answered true and then lost.
 */

type Cmd = { type: 'go' } | { type: 'block' } | (EffectResult & { type: 'Result' });
type Evt = { type: 'Went' } | { type: 'Blocked' } | { type: 'Got'; outcome: string; attempts: number };

/** While set, a `block` command's decide waits for it: the actor is busy, its mailbox waits. */
let gate: Promise<void> | undefined;

const racer = defineAggregate<{ got: number }, Cmd, Evt>({
  type: 'racer',
  initialState: () => ({ got: 0 }),
  async decide(_state, cmd, ctx) {
    switch (cmd.type) {
      case 'go':
        ctx.effects.request('remote', {}, { id: 'x', resultType: 'Result' });
        return [{ type: 'Went' }];
      case 'block':
        await gate;
        return [{ type: 'Blocked' }];
      case 'Result':
        return [{ type: 'Got', outcome: cmd.outcome, attempts: cmd.effect.attempts }];
    }
  },
  evolve: (s, e) => (e.type === 'Got' ? { got: s.got + 1 } : s),
});

const open: Runtime[] = [];
afterEach(async () => {
  gate = undefined;
  for (const r of open.splice(0)) await r.shutdown({ timeoutMs: 100 });
});

async function start(effects: EffectsOptions, store: EventStore = memoryStore(), clock?: SimulatedClock) {
  const runtime = await createRuntime({
    aggregates: [racer],
    store,
    effects,
    ...(clock === undefined ? {} : { clock }),
  });
  open.push(runtime);
  return runtime;
}

async function gots(runtime: Runtime): Promise<Array<Extract<Evt, { type: 'Got' }>>> {
  const out: Array<Extract<Evt, { type: 'Got' }>> = [];
  for await (const e of runtime.store.readStream('racer/r1')) {
    const data = e.data as Evt;
    if (data.type === 'Got') out.push(data);
  }
  return out;
}

/** A promise and its resolve, for gates. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('retry racing the delivery of a failure', () => {
  it('a retry of a failed effect whose failure waits in the mailbox is honoured (it runs again) or answered false, never lost', async () => {
    let calls = 0;
    const fail = deferred();
    const runtime = await start({
      implementations: {
        remote: async () => {
          calls++;
          if (calls > 1) return 'up';
          await fail.promise;
          throw new Error('down');
        },
      },
      maxAttempts: 1,
    });
    const h = runtime.get(racer, 'r1');
    await h.execute({ type: 'go' });
    await vi.waitUntil(() => calls === 1);
    // The actor is busy: the failure's delivery will wait in its mailbox behind this command.
    const busy = deferred();
    gate = busy.promise;
    const blocked = h.execute({ type: 'block' });
    fail.resolve();
    const ops = runtime.effects();
    // Failed for good; its delivery is queued behind `block`.
    await vi.waitUntil(async () => (await ops.get('racer/r1', 'x'))?.state === 'failed');
    await sleep(20);
    const retried = ops.retry('racer/r1', 'x');
    await sleep(20);
    busy.resolve();
    await blocked;
    const answer = await retried;
    await vi.waitUntil(async () => (await ops.count()) === 0 && (await gots(runtime)).length > 0);
    await sleep(50);
    const got = await gots(runtime);
    if (answer) {
      // Honoured: it ran again, and only its new outcome reached the aggregate.
      expect(calls).toBe(2);
      expect(got).toEqual([{ type: 'Got', outcome: 'done', attempts: 1 }]);
    } else {
      // Answered false: the failure had been delivered; nothing ran again.
      expect(calls).toBe(1);
      expect(got).toEqual([{ type: 'Got', outcome: 'failed', attempts: 1 }]);
    }
  });
});

describe('retry just before the delivery of a failure', () => {
  it('a delivery that comes while a retry is being written stands down: the effect runs again and only its new outcome is delivered', async () => {
    const clock = new SimulatedClock(0);
    const store = memoryStore({ clock });
    const timers = store.timers as Required<TimerStore>;
    const reschedule = timers.reschedule.bind(timers);
    // The retry's write (a fresh RunEffect) waits at the store until the test lets it through.
    const retryWrite = deferred();
    let retryHeld = false;
    timers.reschedule = async (streamId, name, version, dueAt, command, ifDueAt) => {
      if (command.type === RUN_EFFECT && (command as { attempts?: number }).attempts === 0 && !retryHeld) {
        const fresh = (command as { lastError?: unknown }).lastError === undefined && dueAt <= clock.now();
        if (fresh && (await timers.get(streamId, name))?.command.type !== RUN_EFFECT) {
          retryHeld = true;
          await retryWrite.promise;
        }
      }
      return reschedule(streamId, name, version, dueAt, command, ifDueAt);
    };
    let calls = 0;
    const fail = deferred();
    const runtime = await start(
      {
        implementations: {
          remote: async () => {
            calls++;
            if (calls > 1) return 'up';
            await fail.promise;
            throw new Error('down');
          },
        },
        maxAttempts: 1,
      },
      store,
      clock,
    );
    await runtime.get(racer, 'r1').execute({ type: 'go' });
    const ops = runtime.effects();
    await turns(clock, () => calls === 1);
    // Failed for good; the simulated clock stands still from here, so its delivery waits.
    fail.resolve();
    await turns(clock, async () => (await ops.get('racer/r1', 'x'))?.state === 'failed', false);
    const retried = ops.retry('racer/r1', 'x');
    await vi.waitUntil(() => retryHeld);
    // The failure comes due now, while the retry is being written.
    clock.advance(0);
    await sleep(10);
    retryWrite.resolve();
    expect(await retried).toBe(true);
    await turns(clock, async () => (await gots(runtime)).length > 0 && (await ops.count()) === 0);
    await sleep(20);
    expect(calls).toBe(2);
    expect(await gots(runtime)).toEqual([{ type: 'Got', outcome: 'done', attempts: 1 }]);
  });
});

describe('retry racing the runtime taking its lease', () => {
  it('a retry while the runner leases the record in the same millisecond gets a fresh budget (the lease does not overwrite it)', async () => {
    const clock = new SimulatedClock(0);
    const store = memoryStore({ clock });
    const timers = store.timers as Required<TimerStore>;
    const reschedule = timers.reschedule.bind(timers);
    // Armed by the test: the next lease (a RunEffect moved past now, on the due time read) waits for it.
    let leaseGate: Promise<void> | undefined;
    let leaseHeld = false;
    timers.reschedule = async (streamId, name, version, dueAt, command, ifDueAt) => {
      const gate = leaseGate;
      if (gate !== undefined && command.type === RUN_EFFECT && dueAt > clock.now() && ifDueAt !== undefined) {
        leaseGate = undefined;
        leaseHeld = true;
        await gate;
      }
      return reschedule(streamId, name, version, dueAt, command, ifDueAt);
    };
    let up = false;
    const runtime = await start(
      {
        implementations: {
          remote: () => {
            if (!up) throw new Error('down');
            return 'up';
          },
        },
        maxAttempts: 2,
        backoff: { initialMs: 1000, maxMs: 1000, factor: 1 },
      },
      store,
      clock,
    );
    await runtime.get(racer, 'r1').execute({ type: 'go' });
    const ops = runtime.effects();
    await turns(clock, async () => (await ops.get('racer/r1', 'x'))?.state === 'retrying');
    const due = (await ops.get('racer/r1', 'x'))?.nextAt as number;
    // The second attempt comes due; its lease waits at the store.
    const lease = deferred();
    leaseGate = lease.promise;
    clock.advance(due - clock.now());
    await turns(clock, () => leaseHeld);
    up = true;
    const retried = ops.retry('racer/r1', 'x');
    await sleep(10);
    lease.resolve();
    expect(await retried).toBe(true);
    await turns(clock, async () => (await gots(runtime)).length > 0 && (await ops.count()) === 0);
    await sleep(20);
    // A fresh budget: the first attempt after the retry succeeded (the lease of the old one, with
    // 1 attempt made, did not overwrite the retry).
    expect(await gots(runtime)).toEqual([{ type: 'Got', outcome: 'done', attempts: 1 }]);
  });
});

/** Lets the simulated clock fire what is due (unless told not to), with real turns of the event loop, until `check` holds. */
async function turns(
  clock: SimulatedClock,
  check: () => boolean | Promise<boolean>,
  advance = true,
): Promise<void> {
  await vi.waitUntil(async () => {
    if (advance) clock.advance(0);
    await sleep(1);
    return check();
  });
}

describe('hostile operators', () => {
  it('two retries at once both say true; the effect runs again and exactly one result is delivered, with a fresh budget', async () => {
    let up = false;
    let calls = 0;
    const clock = new SimulatedClock(0);
    const runtime = await start(
      {
        implementations: {
          remote: () => {
            calls++;
            if (!up) throw new Error('down');
            return 'up';
          },
        },
        maxAttempts: 2,
        backoff: { initialMs: 3_600_000, maxMs: 3_600_000, factor: 1 },
      },
      memoryStore({ clock }),
      clock,
    );
    await runtime.get(racer, 'r1').execute({ type: 'go' });
    const ops = runtime.effects();
    await turns(clock, async () => (await ops.get('racer/r1', 'x'))?.state === 'retrying');
    up = true;
    expect(await Promise.all([ops.retry('racer/r1', 'x'), ops.retry('racer/r1', 'x')])).toEqual([true, true]);
    await turns(clock, async () => (await gots(runtime)).length > 0 && (await ops.count()) === 0);
    await sleep(20);
    expect(await gots(runtime)).toEqual([{ type: 'Got', outcome: 'done', attempts: 1 }]);
    expect(calls).toBeGreaterThanOrEqual(2);
  });

  it('retry and abandon once the runtime is shutting down throw RUNTIME_CLOSED, and the effect stays for the restart', async () => {
    const clock = new SimulatedClock(0);
    const store = memoryStore({ clock });
    const reopenable = { ...store, close: async () => {} };
    const runtime = await start(
      {
        implementations: {
          remote: () => {
            throw new Error('down');
          },
        },
        backoff: { initialMs: 3_600_000, maxMs: 3_600_000, factor: 1 },
      },
      reopenable,
      clock,
    );
    await runtime.get(racer, 'r1').execute({ type: 'go' });
    const ops = runtime.effects();
    await turns(clock, async () => (await ops.get('racer/r1', 'x'))?.state === 'retrying');
    const closing = runtime.shutdown({ timeoutMs: 100 });
    await expect(ops.retry('racer/r1', 'x')).rejects.toMatchObject({ code: 'RUNTIME_CLOSED' });
    await expect(ops.abandon('racer/r1', 'x')).rejects.toMatchObject({ code: 'RUNTIME_CLOSED' });
    await closing;
    await expect(ops.retry('racer/r1', 'x')).rejects.toMatchObject({ code: 'RUNTIME_CLOSED' });
    expect(await store.timers?.get('racer/r1', '@effect:x')).toMatchObject({
      command: { type: RUN_EFFECT, attempts: 1 },
    });
  });

  it('a shutdown while an async retryable() waits for its answer ends at once; the attempt is not recorded', async () => {
    const clock = new SimulatedClock(0);
    const store = memoryStore({ clock });
    const reopenable = { ...store, close: async () => {} };
    let asked = false;
    const runtime = await start(
      {
        implementations: {
          remote: {
            run: () => {
              throw new Error('down');
            },
            retryable: () => {
              asked = true;
              return new Promise<boolean>(() => {});
            },
          },
        },
      },
      reopenable,
      clock,
    );
    await runtime.get(racer, 'r1').execute({ type: 'go' });
    await turns(clock, () => asked);
    const closed = runtime.shutdown({ timeoutMs: 60_000 });
    // The simulated clock stands still: only the abort can end the wait.
    await vi.waitUntil(async () => {
      await sleep(1);
      return (await Promise.race([closed.then(() => true), sleep(1).then(() => false)])) === true;
    });
    // Given back: due now, its attempt not counted.
    expect(await store.timers?.get('racer/r1', '@effect:x')).toMatchObject({
      dueAt: 0,
      command: { type: RUN_EFFECT, attempts: 0 },
    });
  });
});

describe('abandon racing the recording of a success', () => {
  it('an abandon whose write lands after the success was recorded says false, and the success is delivered', async () => {
    const store = memoryStore();
    const timers = store.timers as Required<TimerStore>;
    const reschedule = timers.reschedule.bind(timers);
    // Writes the test holds at the store, each until its gate opens: the success, then the abandon.
    const doneWrite = deferred();
    const abandonWrite = deferred();
    let doneHeld = false;
    let abandonHeld = false;
    timers.reschedule = async (streamId, name, version, dueAt, command, ifDueAt) => {
      const outcome = (command as { outcome?: string; error?: { code?: string } }).outcome;
      if (outcome === 'done') {
        doneHeld = true;
        await doneWrite.promise;
      } else if ((command as { error?: { code?: string } }).error?.code === 'EFFECT_ABANDONED') {
        abandonHeld = true;
        await abandonWrite.promise;
      }
      return reschedule(streamId, name, version, dueAt, command, ifDueAt);
    };
    let calls = 0;
    const runtime = await start({ implementations: { remote: () => ++calls } }, store);
    const h = runtime.get(racer, 'r1');
    await h.execute({ type: 'go' });
    await vi.waitUntil(() => doneHeld);
    // The actor is busy: the success, once recorded, waits in its mailbox to be delivered.
    const busy = deferred();
    gate = busy.promise;
    const blocked = h.execute({ type: 'block' });
    // The success is on its way to the store; the operator read the record before it landed.
    const abandoned = runtime.effects().abandon('racer/r1', 'x', 'too late');
    await vi.waitUntil(() => abandonHeld);
    doneWrite.resolve();
    await sleep(10);
    abandonWrite.resolve();
    const answer = await abandoned;
    busy.resolve();
    await blocked;
    await vi.waitUntil(async () => (await gots(runtime)).length > 0);
    await sleep(20);
    // The remote did it: the aggregate hears so, and the abandon says it came too late.
    expect({ answer, got: await gots(runtime) }).toEqual({
      answer: false,
      got: [{ type: 'Got', outcome: 'done', attempts: 1 }],
    });
    expect(calls).toBe(1);
  });
});
