/**
 * The effect routes against a runtime on a real LevelDB folder: listing, one effect, retry and
 * abandon through the client, their refusals, and a store that runs no effects.
 */
import { join } from 'node:path';
import {
  createRuntime,
  defineAggregate,
  EFFECT_SETTLED,
  type EventStore,
  type Runtime,
} from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type AdminClient, type AdminServer, adminClient, serveAdmin } from '../src/index.js';
import { freshDir, raw, served } from './support/fixture.js';

type Cmd =
  | { type: 'send'; to: string }
  | { type: typeof EFFECT_SETTLED; outcome: 'done' | 'failed'; error?: { code?: string } };
type Ev = { type: 'Sent'; to: string } | { type: 'Settled'; outcome: string; code?: string };

/** An aggregate that asks a remote to deliver a letter; the remote fails until told otherwise. */
const letter = defineAggregate<{ settled: string[] }, Cmd, Ev>({
  type: 'letter',
  initialState: () => ({ settled: [] }),
  decide(_s, cmd, ctx) {
    if (cmd.type === EFFECT_SETTLED)
      return [
        {
          type: 'Settled',
          outcome: cmd.outcome,
          ...(cmd.error?.code === undefined ? {} : { code: cmd.error.code }),
        },
      ];
    ctx.effects.request('post.deliver', { to: cmd.to }, { id: 'delivery' });
    return [{ type: 'Sent', to: cmd.to }];
  },
  evolve: (s, e) => (e.type === 'Settled' ? { settled: [...s.settled, e.code ?? e.outcome] } : s),
});

const closing: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
  vi.restoreAllMocks();
});

async function start(): Promise<{
  runtime: Runtime;
  admin: AdminClient;
  server: AdminServer;
  remote: { up: boolean; calls: number };
}> {
  const dir = freshDir();
  const remote = { up: false, calls: 0 };
  // The back-off is full jitter (a random share of the hour): fixed at half, so that no retry
  // comes within the test (1 run in 60 drew under a minute).
  vi.spyOn(Math, 'random').mockReturnValue(0.5);
  const runtime = await createRuntime({
    store: levelStore({ path: join(dir, 'store') }),
    aggregates: [letter],
    effects: {
      implementations: {
        'post.deliver': () => {
          remote.calls++;
          if (!remote.up) throw Object.assign(new Error('the post office is closed'), { code: 'CLOSED' });
          return { delivered: true };
        },
      },
      // Far beyond the test: a failed attempt waits for an operator.
      backoff: { initialMs: 3_600_000, maxMs: 3_600_000 },
      maxAttempts: 10,
    },
  });
  const server = await serveAdmin(runtime, { socketPath: join(dir, 'admin.sock') });
  closing.push(async () => {
    await runtime.shutdown();
    await server.close();
  });
  return { runtime, admin: adminClient(server.socketPath), server, remote };
}

describe('the effect routes', () => {
  it('list the retrying effect with its last error, and show it alone', async () => {
    const { runtime, admin } = await start();
    await runtime.get(letter, 'l1').execute({ type: 'send', to: 'Berlin' });
    await vi.waitFor(async () =>
      expect((await admin.effects({ state: 'retrying' })).effects).toHaveLength(1),
    );
    const view = await admin.effects();
    expect(view).toMatchObject({ state: null, unsettled: 1 });
    expect(view.effects[0]).toMatchObject({
      streamId: 'letter/l1',
      id: 'delivery',
      name: 'post.deliver',
      version: 1,
      state: 'retrying',
      attempts: 1,
      input: { to: 'Berlin' },
      lastError: { message: 'the post office is closed', code: 'CLOSED' },
      resultType: EFFECT_SETTLED,
    });
    expect(Date.parse(view.effects[0]?.nextAt ?? '')).toBeGreaterThan(Date.now() + 60_000);
    expect(await admin.effect('letter', 'l1', 'delivery')).toMatchObject({ state: 'retrying', attempts: 1 });
    expect((await admin.effects({ state: 'pending' })).effects).toEqual([]);
    expect((await admin.effects({ stream: 'letter/other' })).effects).toEqual([]);
  });

  it('retry runs it again now, and abandon delivers its failure to the aggregate', async () => {
    const { runtime, admin, remote } = await start();
    await runtime.get(letter, 'l1').execute({ type: 'send', to: 'Berlin' });
    await runtime.get(letter, 'l2').execute({ type: 'send', to: 'Hamburg' });
    await vi.waitFor(async () =>
      expect((await admin.effects({ state: 'retrying' })).effects).toHaveLength(2),
    );
    remote.up = true;
    expect(await admin.retryEffect('letter', 'l1', 'delivery')).toEqual({
      streamId: 'letter/l1',
      id: 'delivery',
      retried: true,
    });
    await vi.waitFor(async () =>
      expect((await runtime.get(letter, 'l1').state()).state.settled).toEqual(['done']),
    );
    expect(await admin.abandonEffect('letter', 'l2', 'delivery', 'address unknown')).toEqual({
      streamId: 'letter/l2',
      id: 'delivery',
      abandoned: true,
      reason: 'address unknown',
    });
    await vi.waitFor(async () =>
      expect((await runtime.get(letter, 'l2').state()).state.settled).toEqual(['EFFECT_ABANDONED']),
    );
    expect((await admin.effects()).effects).toEqual([]);
  });

  it('refuses a bad state, an unknown effect and unknown parameters', async () => {
    const { admin, server } = await start();
    await expect(admin.effects({ state: 'stuck' as never })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: 'state must be one of pending, running, retrying, delivering, failed, got stuck',
    });
    await expect(admin.retryEffect('letter', 'nobody', 'delivery')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      status: 404,
    });
    await expect(admin.abandonEffect('letter', 'nobody', 'delivery')).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    await expect(admin.effect('letter', 'nobody', 'delivery')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(admin.effect('parcel', 'p1', 'delivery')).rejects.toMatchObject({
      code: 'UNKNOWN_AGGREGATE',
    });
    const typo = await raw(server.socketPath, 'GET', '/v1/effects?sate=failed');
    expect(typo.status).toBe(400);
    const get = await raw(server.socketPath, 'GET', '/v1/effects/letter/l1/delivery/retry');
    expect(get.status).toBe(405);
  });

  it('answers NOT_SUPPORTED when the store cannot run effects (no timers.reschedule)', async () => {
    const withoutReschedule = (store: EventStore): EventStore =>
      new Proxy(store, {
        get(target, key) {
          const value: unknown = Reflect.get(target, key, target);
          if (key === 'timers' && value !== undefined) {
            const timers = value as NonNullable<EventStore['timers']>;
            return new Proxy(timers, {
              get: (t, k) => (k === 'reschedule' ? undefined : Reflect.get(t, k, t)),
            });
          }
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    const s = await served(undefined, withoutReschedule);
    closing.push(() => s.close());
    await expect(adminClient(s.socketPath).effects()).rejects.toMatchObject({
      code: 'NOT_SUPPORTED',
      status: 501,
      message: expect.stringContaining('this daemon runs no durable effects'),
    });
  });
});
