import { defineAggregate, type EffectError, type EffectResult } from '../../src/index.js';

/**
 * A plain aggregate that calls the outside world through durable effects: `send` requests the
 * effect `remote` under an id, `cancel` cancels it, and the result arrives as a `Settled` command
 * whose event records what decide saw (`ctx.settledEffect` included).
 */
export type RequesterCommand =
  | {
      type: 'send';
      id: string;
      payload: unknown;
      effect?: string;
      maxAttempts?: number;
      timeoutMs?: number;
    }
  | { type: 'cancel'; id: string }
  | (EffectResult & { type: 'Settled' });

export type RequesterEvent =
  | { type: 'Requested'; id: string; payload: unknown }
  | { type: 'CancelRequested'; id: string }
  | {
      type: 'Settled';
      id: string;
      version: number;
      attempts: number;
      outcome: 'done' | 'failed';
      output?: unknown;
      error?: EffectError;
      /** `ctx.settledEffect` as decide saw it. */
      settledId: string | null;
    };

export interface RequesterState {
  /** Pending effect ids. */
  pending: string[];
  settled: number;
}

export const requester = defineAggregate<RequesterState, RequesterCommand, RequesterEvent>({
  type: 'requester',
  initialState: () => ({ pending: [], settled: 0 }),
  decide(_state, cmd, ctx) {
    switch (cmd.type) {
      case 'send': {
        const opts = {
          id: cmd.id,
          resultType: 'Settled',
          ...(cmd.maxAttempts === undefined ? {} : { maxAttempts: cmd.maxAttempts }),
          ...(cmd.timeoutMs === undefined ? {} : { timeoutMs: cmd.timeoutMs }),
        };
        ctx.effects.request(cmd.effect ?? 'remote', { payload: cmd.payload }, opts);
        return [{ type: 'Requested', id: cmd.id, payload: cmd.payload }];
      }
      case 'cancel':
        ctx.effects.cancel(cmd.id);
        return [{ type: 'CancelRequested', id: cmd.id }];
      case 'Settled': {
        const base = {
          type: 'Settled' as const,
          id: cmd.effect.id,
          version: cmd.effect.version,
          attempts: cmd.effect.attempts,
          settledId: ctx.settledEffect?.id ?? null,
        };
        return cmd.outcome === 'done'
          ? [{ ...base, outcome: 'done', output: cmd.output }]
          : [{ ...base, outcome: 'failed', error: cmd.error }];
      }
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'Requested':
        return { ...state, pending: [...state.pending.filter((p) => p !== event.id), event.id] };
      case 'CancelRequested':
        return { ...state, pending: state.pending.filter((p) => p !== event.id) };
      case 'Settled':
        return { pending: state.pending.filter((p) => p !== event.id), settled: state.settled + 1 };
    }
  },
});
