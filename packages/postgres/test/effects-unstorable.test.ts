/**
 * Durable effects whose outcome holds what PostgreSQL's jsonb cannot keep (U+0000, a lone
 * surrogate): an output, or a thrown error's message cut in the middle of an emoji. The outcome
 * must still settle the effect and reach the aggregate, once: never a record the runner tries to
 * write forever while the effect neither settles nor runs again.
 */
import { createRuntime, defineAggregate, type EffectResult, type Runtime } from '@actorfold/core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate, postgresStore } from '../src/index.js';
import { freshDatabase, freshSchema, skipReason } from './support/database.js';

type Cmd = { type: 'ask'; mode: string } | (EffectResult & { type: 'Answered' });
type Evt = { type: 'Asked' } | { type: 'Settled'; result: unknown };

const asker = defineAggregate<{ settled: unknown[] }, Cmd, Evt>({
  type: 'asker',
  initialState: () => ({ settled: [] }),
  decide(_state, cmd, ctx) {
    if (cmd.type === 'ask') {
      ctx.effects.request('probe', { mode: cmd.mode }, { resultType: 'Answered', maxAttempts: 2 });
      return [{ type: 'Asked' }];
    }
    if (ctx.settledEffect === undefined) return [];
    const { outcome, effect } = cmd;
    return [
      {
        type: 'Settled',
        result:
          outcome === 'done'
            ? { outcome, attempts: effect.attempts, output: cmd.output }
            : { outcome, attempts: effect.attempts, error: cmd.error },
      },
    ];
  },
  evolve: (s, e) => (e.type === 'Settled' ? { settled: [...s.settled, e.result] } : s),
});

const open: Runtime[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.shutdown();
});

describe.skipIf(skipReason !== undefined)(
  `effects with outcomes jsonb cannot keep ${skipReason ?? ''}`,
  () => {
    let url: string;
    beforeAll(async () => {
      url = await freshDatabase('effects_unstorable');
    });

    it("an output with U+0000 fails the effect for good (EFFECT_RESULT_NOT_STORABLE); an error message with a lone surrogate or U+0000 is kept with U+FFFD, retried and delivered, as is an operator's abandon reason: each settles once", async () => {
      const schema = freshSchema('e');
      await migrate({ connectionString: url, schema });
      let calls = 0;
      const runtime = await createRuntime({
        store: postgresStore({ connectionString: url, schema, maxConnections: 4 }),
        aggregates: [asker],
        timers: { pollMs: 20 },
        effects: {
          implementations: {
            probe: async ({ mode }: { mode: string }) => {
              calls++;
              if (mode === 'nul-output') return { text: 'a\u0000b' };
              if (mode === 'surrogate-output') return { text: 'cut \ud83d' };
              if (mode === 'hangs') return new Promise(() => {}); // until an operator abandons it
              // A message cut in the middle of an emoji, and a byte 0 in a code.
              throw Object.assign(new Error('503: caf\u00e9 \ud83d'), { code: 'E\u0000' });
            },
          },
          backoff: { initialMs: 1, maxMs: 5 },
        },
      });
      open.push(runtime);
      for (const mode of ['nul-output', 'surrogate-output', 'throws']) {
        await runtime.get(asker, mode).execute({ type: 'ask', mode });
      }
      const settled = async (id: string) => (await runtime.get(asker, id).state()).state.settled;
      await until(async () => {
        for (const id of ['nul-output', 'surrogate-output', 'throws'])
          if ((await settled(id)).length === 0) return false;
        return (await runtime.effects().count()) === 0;
      });
      for (const id of ['nul-output', 'surrogate-output']) {
        expect(await settled(id)).toEqual([
          {
            outcome: 'failed',
            attempts: 1,
            error: {
              code: 'EFFECT_RESULT_NOT_STORABLE',
              message: expect.stringMatching(/store cannot keep its outcome/),
            },
          },
        ]);
      }
      expect(await settled('throws')).toEqual([
        {
          outcome: 'failed',
          attempts: 2,
          error: { message: '503: caf\u00e9 \ufffd', code: 'E\ufffd', name: 'Error' },
        },
      ]);
      // Each ran only as its budget says: one call for the outputs, two for the error.
      expect(calls).toBe(4);

      // An operator's reason is kept the same way.
      await runtime.get(asker, 'abandoned').execute({ type: 'ask', mode: 'hangs' });
      await until(async () => (await runtime.effects().get('asker/abandoned', 'probe'))?.state === 'running');
      expect(await runtime.effects().abandon('asker/abandoned', 'probe', 'stop\u0000now \udc00')).toBe(true);
      await until(async () => (await settled('abandoned')).length > 0);
      expect(await settled('abandoned')).toEqual([
        {
          outcome: 'failed',
          attempts: 0,
          error: { message: 'stop\ufffdnow \ufffd', code: 'EFFECT_ABANDONED' },
        },
      ]);
    });
  },
);

async function until(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out waiting for the effects to settle');
    await new Promise((r) => setTimeout(r, 20));
  }
}
