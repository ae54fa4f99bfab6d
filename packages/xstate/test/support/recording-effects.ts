/**
 * A recording stand-in for `ctx.effects` (decide's durable-effect requests), for calling decide
 * directly in pure-logic tests. The runtime-backed tests use the real effect runner.
 */
import type { DecideEffects, EffectRequestOptions } from '@actorfold/core';

/** One call decide made, in order. */
export type EffectCall =
  | { op: 'request'; name: string; input: unknown; opts: EffectRequestOptions }
  | { op: 'cancel'; id: string };

export class RecordingEffects implements DecideEffects {
  readonly calls: EffectCall[] = [];

  request(name: string, input: unknown, opts: EffectRequestOptions = {}): string {
    this.calls.push({ op: 'request', name, input, opts });
    return opts.id ?? name;
  }

  cancel(id: string): void {
    this.calls.push({ op: 'cancel', id });
  }
}
