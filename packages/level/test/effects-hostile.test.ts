import { setTimeout as sleep } from 'node:timers/promises';
import {
  createRuntime,
  type DecideContext,
  defineAggregate,
  type EffectResult,
  type EffectsOptions,
  type Runtime,
} from '@actorfold/core';
import { describe, expect, it, vi } from 'vitest';
import { levelStore } from '../src/index.js';
import { freshFolder } from './support/folders.js';

/** Each race is repeated: 5 times by default, 20 with ACTORFOLD_SOAK=1. */
const RUNS = process.env.ACTORFOLD_SOAK === undefined ? 5 : 20;

/**
 * The durable-effects promises of docs/effects.md checked from outside on real LevelDB folders,
 * through the public API only: shutdown and restart while attempts run, replacement, odd but
 * valid ids, the idempotency key across attempts and restarts.
 */

type Cmd = { type: 'go'; step: string } | (EffectResult & { type: 'Result' });
type Evt = { type: 'Went'; step: string } | { type: 'Got'; id: string; outcome: string; output?: unknown };

const steps = new Map<string, (ctx: DecideContext) => void>();

const probe = defineAggregate<{ got: number }, Cmd, Evt>({
  type: 'probe',
  initialState: () => ({ got: 0 }),
  decide(_state, cmd, ctx) {
    if (cmd.type === 'go') {
      steps.get(cmd.step)?.(ctx);
      return [{ type: 'Went', step: cmd.step }];
    }
    return [
      {
        type: 'Got',
        id: cmd.effect.id,
        outcome: cmd.outcome,
        ...(cmd.outcome === 'done' ? { output: cmd.output } : {}),
      },
    ];
  },
  evolve: (s, e) => (e.type === 'Got' ? { got: s.got + 1 } : s),
});

async function open(path: string, effects: EffectsOptions): Promise<Runtime> {
  const store = await levelStore({ path });
  return createRuntime({ aggregates: [probe], store, effects });
}

async function go(runtime: Runtime, step: string, fn: (ctx: DecideContext) => void, id = 'p1') {
  steps.set(step, fn);
  await runtime.get(probe, id).execute({ type: 'go', step });
}

async function gots(runtime: Runtime, id = 'p1') {
  const out: Array<Extract<Evt, { type: 'Got' }>> = [];
  for await (const e of runtime.store.readStream(`probe/${id}`)) {
    const data = e.data as Evt;
    if (data.type === 'Got') out.push(data);
  }
  return out;
}

/**
 * Resolves once `check` holds: vi.waitUntil with the shared ceiling and poll (vitest.setup.ts), a
 * ceiling fit for a loaded machine (a 5 s one of its own timed out at load 25).
 */
async function until(check: () => Promise<boolean> | boolean, timeout?: number): Promise<void> {
  await vi.waitUntil(check, timeout === undefined ? undefined : { timeout });
}

describe('durable effects on levelStore, from outside', () => {
  it('a shutdown while an attempt runs records no outcome; after reopening the folder the effect runs again with the same idempotency key and its result takes effect once (repeated: 5 runs, 20 with ACTORFOLD_SOAK)', async () => {
    for (let run = 0; run < RUNS; run++) {
      const path = freshFolder('effects-hostile-shutdown');
      const attempts: Array<{ key: string; attempt: number; aborted: boolean }> = [];
      const first = await open(path, {
        implementations: {
          remote: (_input, ctx) =>
            new Promise((_resolve, reject) => {
              const seen = { key: ctx.idempotencyKey, attempt: ctx.attempt, aborted: false };
              attempts.push(seen);
              ctx.signal.addEventListener('abort', () => {
                seen.aborted = true;
                reject(ctx.signal.reason);
              });
            }),
        },
      });
      await go(first, 'req', (ctx) => {
        ctx.effects.request('remote', { run }, { id: 'pay', resultType: 'Result' });
      });
      await until(() => attempts.length === 1);
      await first.shutdown();
      expect(attempts[0]?.aborted).toBe(true);

      const second = await open(path, {
        implementations: { remote: (_input, ctx) => ({ key: ctx.idempotencyKey, attempt: ctx.attempt }) },
      });
      try {
        await until(async () => (await gots(second)).length === 1);
        await sleep(10);
        const got = await gots(second);
        expect(got).toHaveLength(1);
        // The interrupted attempt is not counted: the run after the restart is attempt 1 again.
        expect(got[0]).toEqual({
          type: 'Got',
          id: 'pay',
          outcome: 'done',
          output: { key: attempts[0]?.key, attempt: 1 },
        });
        expect(await second.effects().count()).toBe(0);
      } finally {
        await second.shutdown();
      }
    }
  }, 120_000);

  it('a shutdown right after the request (its lease possibly being written) leaves it to run at once after reopening (repeated: 5 runs, 20 with ACTORFOLD_SOAK)', async () => {
    for (let run = 0; run < RUNS; run++) {
      const path = freshFolder('effects-hostile-early-shutdown');
      const first = await open(path, {
        implementations: { remote: (_i, ctx) => new Promise((r) => ctx.signal.addEventListener('abort', r)) },
      });
      await go(first, 'req', (ctx) => {
        ctx.effects.request('remote', { run }, { id: 'e', resultType: 'Result' });
      });
      // Spread the shutdown over the moments before, during and after the runner leases the record.
      await sleep(run % 5);
      await first.shutdown();
      // Default timeout: a lease left behind would hold the effect for 40 s.
      const second = await open(path, { implementations: { remote: () => 'ran' } });
      try {
        await until(async () => (await gots(second)).length === 1, 5_000);
      } finally {
        await second.shutdown();
      }
    }
  }, 120_000);

  it('keeps the idempotency key on every retry and across a restart between retries', async () => {
    const path = freshFolder('effects-hostile-key');
    const keys: string[] = [];
    const failing = {
      implementations: {
        remote: (_input: unknown, ctx: { idempotencyKey: string }) => {
          keys.push(ctx.idempotencyKey);
          throw new Error('remote down');
        },
      },
      maxAttempts: 10,
      // Long enough that the restart happens between two retries.
      backoff: { initialMs: 300, maxMs: 300, factor: 1 },
    };
    const first = await open(path, failing);
    await go(first, 'req', (ctx) => {
      ctx.effects.request('remote', {}, { id: 'k', resultType: 'Result' });
    });
    await until(() => keys.length >= 2);
    await first.shutdown();
    const second = await open(path, {
      implementations: {
        remote: (_input, ctx) => {
          keys.push(ctx.idempotencyKey);
          return ctx.attempt;
        },
      },
    });
    try {
      await until(async () => (await gots(second)).length === 1);
      expect(new Set(keys).size).toBe(1);
      // Attempts recorded before the shutdown still count after it.
      expect((await gots(second))[0]?.output).toBeGreaterThan(1);
    } finally {
      await second.shutdown();
    }
  });

  it('stores odd but valid effect ids (slashes, the reserved prefix, astral characters, the longest a timer name takes) and gives them back exactly after a restart', async () => {
    const path = freshFolder('effects-hostile-ids');
    // '@effect:' + id is the record's timer name: at most 1,024 UTF-8 bytes on every store.
    const ids = ['a/b', '@effect:nested', '💥\uFFFF', ' ', 'x'.repeat(1024 - 8)];
    const seen: string[] = [];
    let release: (() => void) | undefined;
    const gate = new Promise<void>((r) => (release = r));
    let running = 0;
    const first = await open(path, {
      implementations: {
        remote: async () => {
          running++;
          await gate;
          return null;
        },
      },
    });
    await go(first, 'req', (ctx) => {
      for (const id of ids) ctx.effects.request('remote', { id }, { id, resultType: 'Result' });
    });
    await until(() => running === ids.length);
    await first.shutdown();
    release?.();
    const second = await open(path, {
      implementations: {
        remote: (input: { id: string }, ctx) => {
          seen.push(ctx.effect.id);
          expect(input.id).toBe(ctx.effect.id);
          return null;
        },
      },
    });
    try {
      await until(async () => (await gots(second)).length === ids.length);
      expect(seen.sort()).toEqual([...ids].sort());
      expect((await gots(second)).map((g) => g.id).sort()).toEqual([...ids].sort());
    } finally {
      await second.shutdown();
    }
  });

  it('an effect replaced while it ran, then a restart: only the replacement is delivered (repeated: 5 runs, 20 with ACTORFOLD_SOAK)', async () => {
    for (let run = 0; run < RUNS; run++) {
      const path = freshFolder('effects-hostile-replace');
      const started: Array<{ input: unknown; signal: AbortSignal }> = [];
      const first = await open(path, {
        implementations: {
          remote: (input, ctx) =>
            new Promise((_resolve, reject) => {
              started.push({ input, signal: ctx.signal });
              ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
            }),
        },
      });
      await go(first, 'old', (ctx) => {
        ctx.effects.request('remote', 'old', { id: 'x', resultType: 'Result' });
      });
      await until(() => started.length === 1);
      await go(first, 'new', (ctx) => {
        ctx.effects.request('remote', 'new', { id: 'x', resultType: 'Result' });
      });
      expect(started[0]?.signal.aborted).toBe(true);
      await first.shutdown();
      const second = await open(path, { implementations: { remote: (input: unknown) => input } });
      try {
        await until(async () => (await gots(second)).length === 1);
        await sleep(10);
        expect((await gots(second)).map((g) => g.output)).toEqual(['new']);
        expect(await second.effects().count()).toBe(0);
      } finally {
        await second.shutdown();
      }
    }
  }, 120_000);
});

type RaceCmd = { type: 'go' } | { type: 'block' } | (EffectResult & { type: 'Result' });
type RaceEvt = { type: 'Went' } | { type: 'Blocked' } | { type: 'Got'; outcome: string; attempts: number };

/** While set, a `block` command's decide waits for it: the actor is busy, its mailbox waits. */
let gate: Promise<void> | undefined;

const racer = defineAggregate<{ got: number }, RaceCmd, RaceEvt>({
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

describe('operators racing the runtime on levelStore', () => {
  it('a retry of a failed effect whose failure waits in the mailbox is answered false (the failure is delivered) or honoured (only the new outcome is delivered), never lost (repeated: 5 runs, 20 with ACTORFOLD_SOAK)', async () => {
    for (let run = 0; run < RUNS; run++) {
      const path = freshFolder('effects-hostile-retry-race');
      let calls = 0;
      let fail = () => {};
      const failing = new Promise<void>((resolve) => {
        fail = resolve;
      });
      const runtime = await createRuntime({
        aggregates: [racer],
        store: await levelStore({ path }),
        effects: {
          implementations: {
            remote: async () => {
              calls++;
              if (calls > 1) return 'up';
              await failing;
              throw new Error('down');
            },
          },
          maxAttempts: 1,
        },
      });
      try {
        const h = runtime.get(racer, 'r1');
        await h.execute({ type: 'go' });
        await until(() => calls === 1);
        let open = () => {};
        gate = new Promise<void>((resolve) => {
          open = resolve;
        });
        // The failure's delivery will wait in the mailbox behind this command.
        const blocked = h.execute({ type: 'block' });
        fail();
        const ops = runtime.effects();
        await until(async () => (await ops.get('racer/r1', 'x'))?.state === 'failed');
        await sleep(20);
        const retried = ops.retry('racer/r1', 'x');
        await sleep(20);
        open();
        await blocked;
        const answer = await retried;
        const got = async () => {
          const out: RaceEvt[] = [];
          for await (const e of runtime.store.readStream('racer/r1')) {
            if ((e.data as RaceEvt).type === 'Got') out.push(e.data as RaceEvt);
          }
          return out;
        };
        await until(async () => (await ops.count()) === 0 && (await got()).length > 0);
        await sleep(20);
        expect({ answer, calls, got: await got() }).toEqual(
          answer
            ? { answer, calls: 2, got: [{ type: 'Got', outcome: 'done', attempts: 1 }] }
            : { answer, calls: 1, got: [{ type: 'Got', outcome: 'failed', attempts: 1 }] },
        );
      } finally {
        gate = undefined;
        await runtime.shutdown();
      }
    }
  }, 120_000);
});
