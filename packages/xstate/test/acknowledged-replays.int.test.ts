/**
 * What `execute` acknowledged is what a replay gives, for statechart aggregates on real LevelDB
 * folders: commands, contexts and machines shaped the way xstate's own examples and docs write
 * them, and the ways they could make the acknowledged state and a replay part.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AnyAggregate,
  createRuntime,
  isActorfoldError,
  type Runtime,
  SimulatedClock,
} from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { setup } from 'xstate';
import { fromMachine } from '../src/index.js';
import { decideContext, T0 } from './support/runtime.js';

const root = mkdtempSync(join(tmpdir(), 'af-xstate-acked-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const folder = () => join(root, `store-${++n}`);

const open: Runtime[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.shutdown();
});

async function startOn(
  path: string,
  aggregates: AnyAggregate[],
  clock = new SimulatedClock(T0),
): Promise<Runtime> {
  const rt = await createRuntime({
    store: levelStore({ path, clock }),
    aggregates,
    clock,
    idleTimeoutMs: Number.POSITIVE_INFINITY,
  });
  open.push(rt);
  return rt;
}

async function stop(rt: Runtime): Promise<void> {
  open.splice(open.indexOf(rt), 1);
  await rt.shutdown();
}

async function failure(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (e) {
    if (isActorfoldError(e)) return { code: e.code, message: e.message };
    return { message: String(e) };
  }
  throw new Error('expected a failure');
}

describe('commands are decided as the JSON they are stored as', () => {
  /** waiting takes `note`; its one-hour deadline fires `xstate.after.PT1H.deadline.waiting`. */
  const deadline = fromMachine({
    type: 'deadline',
    machines: {
      v1: setup({ types: { events: {} as { type: 'open' } | { type: 'note' } } }).createMachine({
        id: 'deadline',
        initial: 'idle',
        states: {
          idle: { on: { open: 'waiting' } },
          waiting: { after: { PT1H: 'expired' }, on: { note: 'waiting' } },
          expired: {},
        },
      }),
    },
  });
  const FIRING = 'xstate.after.PT1H.deadline.waiting';

  it('refuses a command whose toJSON gives another type as INVALID_COMMAND: no client fires a delayed transition early through it', async () => {
    const rt = await startOn(folder(), [deadline]);
    const h = rt.get(deadline, 'd-1');
    await h.execute({ type: 'open' });
    const disguised = { type: 'note', toJSON: () => ({ type: FIRING }) };
    const refused = await failure(h.execute(disguised as never));
    expect(refused.code).toBe('INVALID_COMMAND');
    expect(refused.message).toContain(FIRING);
    const { state, version } = await h.state();
    expect([state.value, version]).toEqual(['waiting', 1]);
    expect(await rt.store.timers?.count()).toBe(1);
  });

  it('decide itself takes the type from the JSON form, so the timer-only rule holds without the validator', () => {
    const disguised = { type: 'note', toJSON: () => ({ type: FIRING }) };
    const opened = deadline.decide(deadline.initialState(), { type: 'open' }, decideContext(0));
    const waiting = deadline.evolve(deadline.initialState(), opened[0] as never);
    let refusal: unknown;
    try {
      deadline.decide(waiting, disguised as never, decideContext(1));
    } catch (e) {
      refusal = e;
    }
    expect(refusal).toMatchObject({ code: 'REJECTED', reason: 'timer-only' });
  });
});
