/**
 * Invoke as a durable effect checked from outside, through the public API only, on real LevelDB
 * folders: invokes in parallel regions, a nested invoking state left through its parent, a state
 * re-entered (a new effect) or targeted without re-entry (the same one), onDone with guards and
 * assign, input computed from the context, and a process restored from its snapshot.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRuntime, type Runtime } from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { assign, fromPromise, setup } from 'xstate';
import {
  effectsFromMachine,
  fromMachine,
  type InvokedEffectArgs,
  type WithAcceptedAt,
} from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'af-xstate-invoke-hostile-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const folder = () => join(root, `store-${++n}`);

/** Every call of the remote: its input, key and signal; answered by the test (`answer`). */
interface Call {
  readonly input: { n: number; tag: string };
  readonly key: string;
  readonly signal: AbortSignal;
  answer(output: unknown): void;
}
const calls: Call[] = [];
const remoteCall = fromPromise<unknown, { n: number; tag: string }>(
  ({ input, signal, ...rest }) =>
    new Promise((resolve, reject) => {
      const key = (rest as unknown as InvokedEffectArgs).effect.idempotencyKey;
      calls.push({ input, key, signal, answer: resolve });
      signal.addEventListener('abort', () => reject(signal.reason));
    }),
);

type Cmd = { type: 'start'; n: number } | { type: 'again' } | { type: 'stay' } | { type: 'stop' };
type Ctx = { n: number; results: unknown[]; verdict: string | null };

const machine = setup({
  types: { context: {} as Ctx, events: {} as WithAcceptedAt<Cmd> },
  actors: { remoteCall },
}).createMachine({
  id: 'hostile',
  context: { n: 0, results: [], verdict: null },
  initial: 'idle',
  states: {
    idle: {
      on: {
        start: {
          target: 'work',
          actions: assign({ n: ({ event }) => (event.type === 'start' ? event.n : 0) }),
        },
      },
    },
    work: {
      type: 'parallel',
      on: { stop: '#hostile.stopped' },
      states: {
        left: {
          initial: 'calling',
          states: {
            calling: {
              invoke: {
                id: 'left',
                src: 'remoteCall',
                input: ({ context }) => ({ n: context.n, tag: 'left' }),
                onDone: [
                  {
                    guard: ({ event }) => (event.output as { ok: boolean }).ok,
                    target: 'ok',
                    actions: assign({ results: ({ context, event }) => [...context.results, event.output] }),
                  },
                  { target: 'bad', actions: assign({ verdict: 'left refused' }) },
                ],
                onError: { target: 'bad', actions: assign({ verdict: 'left failed' }) },
              },
              on: {
                again: {
                  target: 'calling',
                  reenter: true,
                  actions: assign({ n: ({ context }) => context.n + 1 }),
                },
                stay: { target: 'calling' },
              },
            },
            ok: { type: 'final' },
            bad: { type: 'final' },
          },
        },
        right: {
          initial: 'calling',
          states: {
            calling: {
              invoke: {
                id: 'right',
                src: 'remoteCall',
                input: ({ context }) => ({ n: context.n * 10, tag: 'right' }),
                onDone: {
                  target: 'ok',
                  actions: assign({ results: ({ context, event }) => [...context.results, event.output] }),
                },
                onError: 'ok',
              },
            },
            ok: { type: 'final' },
          },
        },
      },
      onDone: 'finished',
    },
    finished: { type: 'final' },
    stopped: { type: 'final' },
  },
});

const plain = fromMachine({ type: 'hostile', machines: { v1: machine } });
const snapped = fromMachine({ type: 'hostile-snap', machines: { v1: machine }, snapshots: { every: 1 } });

const open: Runtime[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.shutdown();
  calls.length = 0;
});

async function start(path: string): Promise<Runtime> {
  const rt = await createRuntime({
    store: levelStore({ path }),
    aggregates: [plain, snapped],
    effects: {
      implementations: effectsFromMachine(plain),
      backoff: { initialMs: 1, maxMs: 5 },
      maxAttempts: 2,
    },
  });
  open.push(rt);
  return rt;
}

async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(3);
  }
}

const callOf = (tag: string, i = 0) => calls.filter((c) => c.input.tag === tag)[i];
type Snapshot = { value: unknown; context: Ctx; done?: boolean };
const stateOf = async (rt: Runtime, def: typeof plain, id: string) =>
  (await rt.get(def, id).state()).state as unknown as Snapshot;

describe('invoke as a durable effect, from outside (LevelDB)', () => {
  it('runs the invokes of parallel regions side by side, input from the context, onDone guards and assign; done when both are', async () => {
    const rt = await start(folder());
    await rt.get(plain, 'a').execute({ type: 'start', n: 3 });
    await until('both regions call', () => calls.length === 2);
    expect(calls.map((c) => c.input).sort((x, y) => x.tag.localeCompare(y.tag))).toEqual([
      { n: 3, tag: 'left' },
      { n: 30, tag: 'right' },
    ]);
    expect(callOf('left')?.key).not.toBe(callOf('right')?.key);
    callOf('right')?.answer({ ok: true, from: 'right' });
    await until('right is done', async () => (await stateOf(rt, plain, 'a')).context.results.length === 1);
    expect((await stateOf(rt, plain, 'a')).value).toEqual({ work: { left: 'calling', right: 'ok' } });
    // The left region's guard sends a refusal to `bad`, which still completes the parallel state.
    callOf('left')?.answer({ ok: false });
    await until('finished', async () => (await stateOf(rt, plain, 'a')).value === 'finished');
    const s = await stateOf(rt, plain, 'a');
    expect(s.context).toEqual({ n: 3, results: [{ ok: true, from: 'right' }], verdict: 'left refused' });
    expect(await rt.effects().count()).toBe(0);
  });

  it('leaving the parent of invoking states cancels both effects: aborted, never delivered', async () => {
    const rt = await start(folder());
    await rt.get(plain, 'b').execute({ type: 'start', n: 1 });
    await until('both regions call', () => calls.length === 2);
    await rt.get(plain, 'b').execute({ type: 'stop' });
    expect(calls.every((c) => c.signal.aborted)).toBe(true);
    for (const c of calls) c.answer({ ok: true, late: true });
    await sleep(50);
    const s = await stateOf(rt, plain, 'b');
    expect(s.value).toBe('stopped');
    expect(s.context.results).toEqual([]);
    expect(await rt.effects().count()).toBe(0);
    expect(calls).toHaveLength(2);
  });

  it('re-entering an invoking state starts a new effect (new key, new input) and drops the old one; a target without re-entry keeps the running one', async () => {
    const rt = await start(folder());
    await rt.get(plain, 'c').execute({ type: 'start', n: 1 });
    await until('both regions call', () => calls.length === 2);
    await rt.get(plain, 'c').execute({ type: 'stay' });
    await sleep(30);
    expect(calls).toHaveLength(2);
    expect(callOf('left')?.signal.aborted).toBe(false);
    await rt.get(plain, 'c').execute({ type: 'again' });
    await until(
      'the left region calls again',
      () => calls.filter((c) => c.input.tag === 'left').length === 2,
    );
    const [first, second] = [callOf('left', 0), callOf('left', 1)];
    expect(first?.signal.aborted).toBe(true);
    expect(second?.input).toEqual({ n: 2, tag: 'left' });
    expect(second?.key).not.toBe(first?.key);
    first?.answer({ ok: true, which: 'old' });
    second?.answer({ ok: true, which: 'new' });
    callOf('right')?.answer({ ok: true, which: 'right' });
    await until('finished', async () => (await stateOf(rt, plain, 'c')).value === 'finished');
    const results = (await stateOf(rt, plain, 'c')).context.results as Array<{ which: string }>;
    expect(results.map((r) => r.which).sort()).toEqual(['new', 'right']);
  });

  it('a process restored from its snapshot after a restart receives the results of the effects it started', async () => {
    const path = folder();
    const first = await start(path);
    await first.get(snapped, 'd').execute({ type: 'start', n: 5 });
    await until('both regions call', () => calls.length === 2);
    open.splice(open.indexOf(first), 1);
    await first.shutdown();
    calls.length = 0;
    const second = await start(path);
    await until('both regions call again after the restart', () => calls.length === 2);
    for (const c of calls) c.answer({ ok: true, tag: c.input.tag });
    await until('finished', async () => (await stateOf(second, snapped, 'd')).value === 'finished');
    const s = await stateOf(second, snapped, 'd');
    expect((s.context.results as Array<{ tag: string }>).map((r) => r.tag).sort()).toEqual(['left', 'right']);
  });
});
