/**
 * The aggregate of the durable-effect crash tests: `send` requests one effect (`errand`, under
 * the id of its unique marker) and records `Sent`; the effect's result, delivered back as an
 * `EffectSettled` command, decides one `Settled` event every time it is delivered. decide does
 * not look at its state before recording it, so a result that took effect twice, or never,
 * shows as a marker settled twice, or missing, in the stream.
 *
 * `errandEffect` is the implementation the crash children register: it journals every attempt
 * (see journal.ts), waits `delayMs`, and fails its first `failFirst` attempts on purpose.
 */
import { defineAggregate, type EffectDefinition, type EffectResult } from '@actorfold/core';
import type { Journal, JournalEntry } from './journal.js';

/** The effect's input: the marker, how long the work takes, how many attempts fail first. */
export interface ErrandInput {
  readonly marker: string;
  readonly delayMs: number;
  readonly failFirst: number;
}

/** What the effect returns: the marker, and which attempt in which process produced it. */
export interface ErrandOutput {
  readonly marker: string;
  readonly attempt: number;
  readonly pid: number;
}

export type ErrandCommand =
  | ({ type: 'send' } & ErrandInput)
  | (EffectResult<ErrandOutput> & { type: 'EffectSettled' });

export type ErrandEvent =
  | { type: 'Sent'; marker: string; effectId: string }
  | {
      type: 'Settled';
      effectId: string;
      /** The effect's version (the stream version of its `Sent`). */
      effectVersion: number;
      attempts: number;
      outcome: 'done' | 'failed';
      output?: ErrandOutput;
      error?: string;
      /** The decision's now (epoch ms). */
      at: number;
    };

export interface ErrandState {
  sent: number;
  settled: number;
}

export const errand = defineAggregate<ErrandState, ErrandCommand, ErrandEvent>({
  type: 'errand',
  initialState: () => ({ sent: 0, settled: 0 }),
  decide(_state, cmd, ctx) {
    if (cmd.type === 'send') {
      const input: ErrandInput = { marker: cmd.marker, delayMs: cmd.delayMs, failFirst: cmd.failFirst };
      const effectId = ctx.effects.request('errand', input, { id: cmd.marker });
      return [{ type: 'Sent', marker: cmd.marker, effectId }];
    }
    const settled = {
      type: 'Settled' as const,
      effectId: cmd.effect.id,
      effectVersion: cmd.effect.version,
      attempts: cmd.effect.attempts,
      at: ctx.now.getTime(),
    };
    return cmd.outcome === 'done'
      ? [{ ...settled, outcome: 'done', output: cmd.output }]
      : [{ ...settled, outcome: 'failed', error: cmd.error.message }];
  },
  evolve(state, e) {
    if (e.type === 'Sent') return { ...state, sent: state.sent + 1 };
    return { ...state, settled: state.settled + 1 };
  },
  // Snapshots and evictions happen while the process is killed, so recovery from both is exercised.
  snapshots: { every: 3, schemaVersion: 1, onEvict: true },
});

/** Options of `errandEffect`. */
export interface ErrandEffectOptions {
  /** Told of each `end` (the children print it). */
  onEnd?: (entry: JournalEntry) => void;
  /** Multiplies every `delayMs` here: a node whose attempts are slow is sure to be killed mid-attempt. */
  slowdown?: number;
}

/**
 * The `errand` implementation: journals `start`, waits `delayMs` (cut short when its signal
 * aborts: journals `abort`), then journals `fail` and throws for attempts up to `failFirst`, or
 * journals `end` and returns.
 */
export function errandEffect(
  journal: Journal,
  node: string,
  opts: ErrandEffectOptions = {},
): EffectDefinition {
  const { onEnd, slowdown = 1 } = opts;
  return {
    // Registered by name, so typed as any implementation: the input is what `send` requested.
    async run(request, ctx): Promise<ErrandOutput> {
      const input = request as ErrandInput;
      const entry = (kind: JournalEntry['kind']): JournalEntry => ({
        kind,
        node,
        pid: process.pid,
        key: ctx.idempotencyKey,
        streamId: ctx.streamId,
        effectId: ctx.effect.id,
        version: ctx.effect.version,
        attempt: ctx.attempt,
        at: Date.now(),
      });
      journal.write(entry('start'));
      const aborted = await new Promise<boolean>((resolve) => {
        if (ctx.signal.aborted) return resolve(true);
        const timer = setTimeout(() => {
          ctx.signal.removeEventListener('abort', onAbort);
          resolve(false);
        }, input.delayMs * slowdown);
        const onAbort = () => {
          clearTimeout(timer);
          resolve(true);
        };
        ctx.signal.addEventListener('abort', onAbort, { once: true });
      });
      if (aborted) {
        journal.write(entry('abort'));
        throw ctx.signal.reason;
      }
      if (ctx.attempt <= input.failFirst) {
        journal.write(entry('fail'));
        throw new Error(`errand ${input.marker}: attempt ${ctx.attempt} fails on purpose`);
      }
      const end = entry('end');
      journal.write(end);
      onEnd?.(end);
      return { marker: input.marker, attempt: ctx.attempt, pid: process.pid };
    },
  };
}
