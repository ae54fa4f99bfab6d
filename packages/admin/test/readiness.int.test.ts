/**
 * `/v1/ready` is not `/v1/health`: 503 with reasons while a projection catches up with the log,
 * 200 once it has, 503 again once a projection fails, the store refuses writes, or the runtime
 * shuts down.
 */
import { join } from 'node:path';
import { defineProjection } from '@actorfold/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adminClient } from '../src/index.js';
import { counter, freshDir, raw, type Served, served } from './support/fixture.js';
import { failALogWrite, hasDevFull } from './support/full-log.js';

let s: Served;
beforeEach(async () => {
  s = await served();
});
afterEach(() => s.close());

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500 && !(await check()); i++) await new Promise((r) => setTimeout(r, 10));
  expect(await check()).toBe(true);
}

describe('readiness', () => {
  it('answers 503 while a projection catches up, then 200; health answers 200 all along', async () => {
    for (let i = 0; i < 5; i++) await s.runtime.get(counter, 'a').execute({ type: 'add', by: 1 });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    s.runtime.project(
      defineProjection({
        name: 'slow',
        init: () => 0,
        handlers: {
          Added: async (n: number) => {
            await gate;
            return n + 1;
          },
        },
      }),
    );
    const before = await raw(s.socketPath, 'GET', '/v1/ready');
    expect(before.status).toBe(503);
    expect(JSON.parse(before.body)).toEqual({ ready: false, reasons: ['projections catching up: slow'] });
    expect((await raw(s.socketPath, 'GET', '/v1/health')).status).toBe(200);
    release();
    const admin = adminClient(s.socketPath);
    await until(async () => (await admin.ready()).ready);
    expect((await raw(s.socketPath, 'GET', '/v1/ready')).status).toBe(200);
  });

  it('after a restart, is not ready until a projection has handled the backlog already in the store', async () => {
    const dir = freshDir();
    const before = await served(dir);
    for (let i = 0; i < 5; i++) await before.runtime.get(counter, 'a').execute({ type: 'add', by: 1 });
    await before.close();
    // A new process on the same folder: its runtime has seen no append yet.
    const after = await served(dir);
    try {
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      after.runtime.project(
        defineProjection({
          name: 'slow',
          init: () => 0,
          handlers: {
            Added: async (n: number) => {
              await gate;
              return n + 1;
            },
          },
        }),
      );
      const admin = adminClient(after.socketPath);
      expect(await admin.ready()).toEqual({ ready: false, reasons: ['projections catching up: slow'] });
      release();
      await until(async () => (await admin.ready()).ready);
    } finally {
      await after.close();
    }
  });

  it('is not ready once a projection has failed', async () => {
    await s.runtime.get(counter, 'a').execute({ type: 'add', by: 1 });
    s.runtime.project(
      defineProjection({
        name: 'broken',
        init: () => 0,
        handlers: {
          Added: () => {
            throw new Error('boom');
          },
        },
      }),
    );
    const admin = adminClient(s.socketPath);
    await until(async () => {
      const r = await admin.ready();
      return !r.ready && r.reasons.includes('projections not running: broken');
    });
  });

  it.skipIf(!hasDevFull)(
    'is not ready, naming the store and the failure, once a real failed write (ENOSPC) made the store refuse writes; health still answers 200 and actorfold_store_refusing_writes turns 1',
    async () => {
      const dir = freshDir();
      const t = await served(dir);
      try {
        const admin = adminClient(t.socketPath);
        expect(await admin.ready()).toEqual({ ready: true });
        expect((await raw(t.socketPath, 'GET', '/metrics')).body).toMatch(
          /^actorfold_store_refusing_writes 0$/m,
        );
        const { acked, error } = await failALogWrite(t.runtime.store, join(dir, 'store'));
        expect(acked).toBeGreaterThan(0);
        expect(error).toMatchObject({ code: 'STORE_ERROR', reason: 'IO', outcomeUnknown: true });
        // Every command fails from now on: a load balancer must send them elsewhere.
        await expect(t.runtime.get(counter, 'a').execute({ type: 'add', by: 1 })).rejects.toMatchObject({
          code: 'STORE_ERROR',
          reason: 'IO',
        });
        const res = await raw(t.socketPath, 'GET', '/v1/ready');
        expect(res.status).toBe(503);
        const view = JSON.parse(res.body) as { ready: false; reasons: string[] };
        expect(view.ready).toBe(false);
        expect(view.reasons).toHaveLength(1);
        expect(view.reasons[0]).toMatch(
          /^store refuses writes: the LevelDB store at .+ refuses writes since a write failed with an unknown outcome \(.*No space left on device\): reopen it \(restart the process\)$/,
        );
        expect(await admin.ready()).toEqual(view);
        expect((await raw(t.socketPath, 'GET', '/v1/health')).status).toBe(200);
        const text = (await raw(t.socketPath, 'GET', '/metrics')).body;
        expect(text).toMatch(/^actorfold_store_refusing_writes 1$/m);
        expect(text).toMatch(/^actorfold_ready 0$/m);
      } finally {
        await t.close();
      }
    },
    30_000,
  );

  it('is not ready while shutting down', async () => {
    expect(await adminClient(s.socketPath).ready()).toEqual({ ready: true });
    const stopping = s.runtime.shutdown();
    expect(await adminClient(s.socketPath).ready()).toMatchObject({
      ready: false,
      reasons: ['shutting down'],
    });
    await stopping;
  });
});
