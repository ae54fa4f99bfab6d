/**
 * Invoked promise logic run end to end as durable effects: a real runtime with its effect
 * runner, on real LevelDB folders, the implementations made by effectsFromMachine from the
 * machines' own promise logic (whose remote each test plays).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AnyAggregate, createRuntime, type EffectsOptions, type Runtime } from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  effectsFromMachine,
  fromMachine,
  INVOKE_DONE,
  INVOKE_FAILED,
  type StatechartEvent,
} from '../src/index.js';
import { replay, stored } from './support/history.js';
import { fetchCalls, payment, remote, type User, userFetch } from './support/invoking-machines.js';

const fetcher = fromMachine({ type: 'fetch', machines: { v1: userFetch } });
const pay = fromMachine({ type: 'payment', machines: { v1: payment } });
/** Snapshotted after every event: a restart restores the machine from its snapshot (no children). */
const snapFetcher = fromMachine({ type: 'snapfetch', machines: { v1: userFetch }, snapshots: { every: 1 } });
const aggregates = [fetcher, pay, snapFetcher];

const root = mkdtempSync(join(tmpdir(), 'af-xstate-invoke-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const folder = () => join(root, `store-${++n}`);

const open: Runtime[] = [];
const realFetch = remote.fetchUser;
// The support module is shared with the other files of this worker (isolate: false): each test
// starts from no recorded calls, whatever ran before it.
beforeEach(() => {
  fetchCalls.length = 0;
});
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.shutdown();
  remote.fetchUser = realFetch;
  fetchCalls.length = 0;
});

/** Fast retries, so that a budget of three is spent in milliseconds. */
const settings: Omit<EffectsOptions, 'implementations'> = {
  maxAttempts: 3,
  timeoutMs: 5_000,
  backoff: { initialMs: 1, maxMs: 5, factor: 2 },
};

async function startOn(path: string): Promise<Runtime> {
  const rt = await createRuntime({
    store: levelStore({ path }),
    aggregates,
    effects: { implementations: effectsFromMachine(fetcher, pay), ...settings },
  });
  open.push(rt);
  return rt;
}

async function stop(rt: Runtime): Promise<void> {
  open.splice(open.indexOf(rt), 1);
  await rt.shutdown();
}

/** Polls until `check` holds (the runner works in the background); fails after 10 s. */
async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The stream's events as stored. */
async function eventsOf(rt: Runtime, streamId: string): Promise<StatechartEvent[]> {
  const events: StatechartEvent[] = [];
  for await (const e of rt.store.readStream(streamId)) events.push(e.data as unknown as StatechartEvent);
  return events;
}

/** The state a fresh runtime on the folder gives, which must be the live one and a bare replay's. */
async function expectReplayed(path: string, def: AnyAggregate, id: string, live: unknown): Promise<void> {
  const rt = await startOn(path);
  const { state } = await rt.get(def, id).state();
  expect(state).toEqual(live);
  const events = await eventsOf(rt, `${def.type}/${id}`);
  expect(replay(def as typeof fetcher, stored(events) as never)).toEqual(live);
  await stop(rt);
}

/** A remote call that never answers until its signal is aborted; resolves `started` when called. */
function hangingRemote(): { started: Promise<void>; aborted: Promise<void> } {
  let started!: () => void;
  let aborted!: () => void;
  const out = {
    started: new Promise<void>((r) => {
      started = r;
    }),
    aborted: new Promise<void>((r) => {
      aborted = r;
    }),
  };
  remote.fetchUser = (_input, signal) =>
    new Promise<User>((_resolve, rejectCall) => {
      started();
      signal.addEventListener('abort', () => {
        aborted();
        rejectCall(signal.reason);
      });
    });
  return out;
}

describe('invoke through the runtime on a LevelDB folder', () => {
  it('runs the invoked promise logic after the decision is stored and delivers its output to onDone, once', async () => {
    const path = folder();
    const rt = await startOn(path);
    const h = rt.get(fetcher, 'f-1');
    const first = await h.execute({ type: 'fetch', userId: 'u-7' });
    expect(first.state.value).toBe('loading');
    await until('the process is done', async () => (await h.state()).state.done);
    const { state, version } = await h.state();
    expect(state).toMatchObject({ value: 'success', context: { user: { id: 'u-7', name: 'user u-7' } } });
    expect(version).toBe(2);
    expect(fetchCalls.map((c) => c.input)).toEqual([{ userId: 'u-7' }]);
    const events = await eventsOf(rt, 'fetch/f-1');
    expect(events.map((e) => e.type)).toEqual(['Fetched', INVOKE_DONE]);
    expect(events[1]?.command).toMatchObject({
      type: 'xstate.done.actor.0.fetch.loading',
      output: { id: 'u-7', name: 'user u-7' },
      effect: { id: '0.fetch.loading', name: 'fetchUser', version: 1, attempts: 1 },
    });
    expect(await rt.effects().count()).toBe(0);
    await stop(rt);
    await expectReplayed(path, fetcher, 'f-1', state);
    // The replays ran no effect.
    expect(fetchCalls).toHaveLength(1);
  });

  it('delivers a failure to onError once the retry budget is spent', async () => {
    const path = folder();
    remote.fetchUser = async () => {
      throw new Error('HTTP 503');
    };
    const rt = await startOn(path);
    const h = rt.get(fetcher, 'f-2');
    await h.execute({ type: 'fetch', userId: 'u-8' });
    await until('the process failed', async () => (await h.state()).state.value === 'failure');
    const { state, version } = await h.state();
    expect(state.context).toMatchObject({ error: 'HTTP 503', attempts: 1 });
    expect(version).toBe(2);
    expect(fetchCalls).toHaveLength(3);
    const events = await eventsOf(rt, 'fetch/f-2');
    expect(events[1]).toMatchObject({
      type: INVOKE_FAILED,
      command: {
        type: 'xstate.error.actor.0.fetch.loading',
        error: { message: 'HTTP 503' },
        effect: { attempts: 3 },
      },
    });
    // Retrying from the failure state invokes again, and this time the remote answers.
    remote.fetchUser = realFetch;
    await h.execute({ type: 'retry' });
    await until('the retry is done', async () => (await h.state()).state.done);
    expect((await h.state()).state).toMatchObject({ value: 'success', context: { attempts: 2 } });
    const live = (await h.state()).state;
    await stop(rt);
    await expectReplayed(path, fetcher, 'f-2', live);
  });

  it('leaving the state cancels the effect: its signal is aborted and it is not retried', async () => {
    const path = folder();
    const hanging = hangingRemote();
    const rt = await startOn(path);
    const h = rt.get(fetcher, 'f-3');
    await h.execute({ type: 'fetch', userId: 'u-9' });
    await hanging.started;
    expect(await rt.effects().count()).toBe(1);
    await h.execute({ type: 'cancel' });
    await hanging.aborted;
    expect(await rt.effects().count()).toBe(0);
    // Give the runner time it would use for retries (backoff ≤ 5 ms): nothing runs again.
    await new Promise((r) => setTimeout(r, 100));
    expect(fetchCalls).toHaveLength(1);
    const { state, version } = await h.state();
    expect(state).toMatchObject({ value: 'cancelled', done: true });
    expect(version).toBe(2);
    await stop(rt);
    await expectReplayed(path, fetcher, 'f-3', state);
  });

  it('an effect in flight at shutdown runs again after the restart, and its output is applied once', async () => {
    const path = folder();
    const hanging = hangingRemote();
    const first = await startOn(path);
    await first.get(fetcher, 'f-4').execute({ type: 'fetch', userId: 'u-10' });
    await hanging.started;
    await stop(first);
    remote.fetchUser = realFetch;

    const rt = await startOn(path);
    const h = rt.get(fetcher, 'f-4');
    await until('the process is done', async () => (await h.state()).state.done);
    expect(fetchCalls).toHaveLength(2);
    expect(fetchCalls.map((c) => c.input)).toEqual([{ userId: 'u-10' }, { userId: 'u-10' }]);
    const events = await eventsOf(rt, 'fetch/f-4');
    expect(events.map((e) => e.type)).toEqual(['Fetched', INVOKE_DONE]);
    const { state } = await h.state();
    await stop(rt);
    await expectReplayed(path, fetcher, 'f-4', state);
  });

  it('a process restored from its snapshot mid-effect still cancels the effect when it leaves the state', async () => {
    const path = folder();
    const hanging = hangingRemote();
    const first = await startOn(path);
    await first.get(snapFetcher, 's-1').execute({ type: 'fetch', userId: 'u-11' });
    await hanging.started;
    await stop(first);

    const again = hangingRemote();
    const rt = await startOn(path);
    const h = rt.get(snapFetcher, 's-1');
    expect((await rt.store.snapshots?.load('snapfetch/s-1'))?.version).toBe(1);
    await again.started;
    await h.execute({ type: 'cancel' });
    await again.aborted;
    expect(await rt.effects().count()).toBe(0);
    await new Promise((r) => setTimeout(r, 100));
    expect(fetchCalls).toHaveLength(2);
    const { state } = await h.state();
    expect(state).toMatchObject({ value: 'cancelled', done: true });
    await stop(rt);
    await expectReplayed(path, snapFetcher, 's-1', state);
  });

  it('the first outcome of a state with two effects and a deadline wins; the rest are cancelled', async () => {
    const path = folder();
    const rt = await startOn(path);
    const h = rt.get(pay, 'o-1');
    await h.execute({ type: 'checkout', orderId: 'o-1', amount: 42 });
    await until('the payment is done', async () => (await h.state()).state.done);
    const { state } = await h.state();
    expect(state).toMatchObject({ value: 'paid', context: { receipt: 'r-o-1' } });
    // notify settled first or was cancelled by the charge's outcome; either way nothing is left.
    await until('no effect is left', async () => (await rt.effects().count()) === 0);
    expect(await rt.store.timers?.count()).toBe(0);
    const events = await eventsOf(rt, 'payment/o-1');
    expect(events.filter((e) => e.type === INVOKE_DONE)).toHaveLength(1);
    await stop(rt);
    await expectReplayed(path, pay, 'o-1', state);
  });
});
