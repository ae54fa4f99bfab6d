/**
 * `/v1/ready` is not `/v1/health`: 503 with reasons while a projection catches up with the log,
 * 200 once it has, 503 again once a projection fails or the runtime shuts down.
 */
import { defineProjection } from '@actorfold/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adminClient } from '../src/index.js';
import { counter, raw, type Served, served } from './support/fixture.js';

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
