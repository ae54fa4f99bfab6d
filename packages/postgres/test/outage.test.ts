/**
 * A PostgreSQL outage under load. The test's own throwaway server is stopped with
 * `pg_ctl stop -m immediate` (every backend killed, no checkpoint: a crash) twice, and started
 * again, while a runtime appends with retries, subscriptions follow the log and exactly-once
 * projections keep read models. Afterwards nothing acknowledged is lost, doubled or torn; every
 * subscription received every position exactly once, in order; every read model equals a
 * rebuild; the LISTEN session listens again. A subscription and a projection started while the
 * server is down show that they wait (`retrying`) instead of failing.
 */
import {
  createRuntime,
  defineProjection,
  type EventEnvelope,
  isActorfoldError,
  isRetryable,
  type Projection,
  type Subscription,
} from '@actorfold/core';
import { verifyLedger } from '@actorfold/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, postgresStore } from '../src/index.js';
import {
  startTemporaryServer,
  type TemporaryServer,
  temporaryServerUnavailable,
} from '../src/testing/index.js';
import { DEDUPE_WINDOW, type LedgerEvent, ledger } from './support/ledger.js';

const unavailable = temporaryServerUnavailable();
const AGGREGATES = 20;
const WORKERS = 8;

type Tally = { events: number; positionSum: number; byStream: Record<string, number>; parts: number };
const tally = (name: string) =>
  defineProjection({
    name,
    mode: 'exactly-once',
    init: (): Tally => ({ events: 0, positionSum: 0, byStream: {}, parts: 0 }),
    handlers: {
      Recorded: (s: Tally, e: EventEnvelope) => ({
        events: s.events + 1,
        positionSum: s.positionSum + e.position,
        byStream: { ...s.byStream, [e.streamId]: (s.byStream[e.streamId] ?? 0) + 1 },
        parts: s.parts + (e.data as LedgerEvent).part,
      }),
    },
    commitEvery: 25,
  });

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Follows a subscription into `into` until it ends. */
function follow(sub: Subscription, into: number[]): Promise<void> {
  return (async () => {
    for await (const e of sub) into.push(e.position);
  })();
}

describe.skipIf(unavailable !== undefined)(`a PostgreSQL outage ${unavailable ?? ''}`, () => {
  let server: TemporaryServer;
  beforeAll(async () => {
    server = await startTemporaryServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('two immediate stops under load: nothing acknowledged lost, doubled or torn; every position once, in order; read models equal a rebuild', async () => {
    const url = await server.createDatabase('outage');
    const schema = 'outage';
    await migrate({ connectionString: url, schema });
    const store = await postgresStore({ connectionString: url, schema, pollIntervalMs: 100 });
    const runtime = await createRuntime({
      store,
      aggregates: [ledger],
      dedupeWindow: DEDUPE_WINDOW,
      idleTimeoutMs: 200,
      storeRetry: { initialMs: 20, maxMs: 400 },
    });
    const acknowledged: Array<{ streamId: string; tag: string; parts: number }> = [];
    const failures: string[] = [];
    let stopping = false;
    let retried = 0;

    async function worker(w: number): Promise<void> {
      for (let seq = 0; !stopping; seq++) {
        const id = `l${Math.floor(Math.random() * AGGREGATES)}`;
        const tag = `w${w}.${seq}`;
        const parts = 1 + Math.floor(Math.random() * 3);
        // As a client would: the same commandId again until it is acknowledged.
        for (const started = Date.now(); ; ) {
          try {
            await runtime.get(ledger, id).execute({ type: 'record', tag, parts }, { commandId: tag });
            acknowledged.push({ streamId: `ledger/${id}`, tag, parts });
            break;
          } catch (e) {
            const storeFailure = isActorfoldError(e) && e.code === 'STORE_ERROR';
            if (!(isRetryable(e) || storeFailure) || Date.now() - started > 20_000) {
              failures.push(`${tag}: ${String(e)}`);
              return;
            }
            retried++;
            await sleep(10 + Math.random() * 40);
          }
        }
      }
    }

    const live: number[] = [];
    const liveSub = runtime.subscribe();
    const liveDone = follow(liveSub, live);
    const liveProjection = runtime.project(tally('tally-live'));
    const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));

    const acked = async (n: number) => {
      const target = acknowledged.length + n;
      await expect.poll(() => acknowledged.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(target);
    };

    // Outage 1: a subscription that starts while the server is down waits it out.
    await acked(100);
    await server.halt('immediate');
    const late: number[] = [];
    const lateSub = runtime.subscribe();
    const lateDone = follow(lateSub, late);
    await expect
      .poll(() => lateSub.retrying?.error)
      .toMatchObject({ code: 'STORE_ERROR', reason: 'CONNECTION' });
    await sleep(300);
    await server.resume();

    // Outage 2: so does a projection.
    await acked(100);
    await server.halt('immediate');
    const lateProjection: Projection<Tally> = runtime.project(tally('tally-late'));
    await expect.poll(() => lateProjection.status().state).toBe('retrying');
    expect(lateProjection.status().error).toMatchObject({ code: 'STORE_ERROR', reason: 'CONNECTION' });
    expect(runtime.metrics().gauges.storeRetrying).toBeGreaterThanOrEqual(1);
    await sleep(300);
    await server.resume();

    await acked(100);
    stopping = true;
    await Promise.all(workers);
    expect(failures).toEqual([]);
    expect(retried).toBeGreaterThan(0);

    const last = await store.lastPosition();
    const all = Array.from({ length: last }, (_, i) => i + 1);
    await expect.poll(() => live.length, { timeout: 30_000 }).toBe(last);
    await expect.poll(() => late.length, { timeout: 30_000 }).toBe(last);
    expect(live).toEqual(all);
    expect(late).toEqual(all);
    expect(liveSub.retrying).toBeUndefined();

    await liveProjection.waitFor(last);
    await lateProjection.waitFor(last);
    const liveModel = liveProjection.state();
    expect(liveModel.events).toBe(last);
    expect(liveModel.positionSum).toBe((last * (last + 1)) / 2);
    expect(lateProjection.state()).toEqual(liveModel);
    await liveProjection.rebuild();
    await liveProjection.waitFor(last);
    expect(liveProjection.state()).toEqual(liveModel);
    await expect.poll(() => lateProjection.status().state).toBe('caught-up');
    expect(await store.checkpoints.getState?.('tally-late')).toEqual({ position: last, state: liveModel });

    // The LISTEN session came back after each outage.
    await expect.poll(() => store.stats().notifications.mode, { timeout: 30_000 }).toBe('listening');
    expect(store.stats().notifications.listenFailures).toBeGreaterThanOrEqual(2);

    const streams = Array.from({ length: AGGREGATES }, (_, i) => `ledger/l${i}`);
    expect(await verifyLedger(store, { streams, acknowledged })).toBe(last);
    // Re-sending every acknowledged command with its commandId appends nothing.
    for (const a of acknowledged) {
      const id = a.streamId.slice('ledger/'.length);
      const again = await runtime
        .get(ledger, id)
        .execute({ type: 'record', tag: a.tag, parts: a.parts }, { commandId: a.tag });
      expect(again.deduplicated).toBe(true);
    }
    expect(await store.lastPosition()).toBe(last);

    await runtime.shutdown();
    await Promise.all([liveDone, lateDone]);
    // About 16 s on a quiet machine; the ceiling is for a busy one, never a timed assertion.
  }, 180_000);
});
