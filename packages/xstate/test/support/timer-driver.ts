/**
 * One statechart process driven as the runtime drives it, with the durable-timer contract played
 * by a recording fake: decide's `ctx.timers` requests are kept as pending timers (due at `now`
 * plus the delay), advancing the clock fires the due ones in due order as commands with the
 * runtime's commandId `timer:<name>@<version>` and `ctx.firedTimer`, and a firing decide refuses drops its timer.
 * Durable effects are played the same way: decide's `ctx.effects` requests are kept as pending
 * effects (replaced by id, removed by cancel), and `settle` delivers one's outcome as the runtime
 * would (the result command, `ctx.settledEffect`).
 * Pure logic only: the runtime-backed tests (after-transitions.int.test.ts, invoke-effects.int.test.ts) use the real services.
 */
import {
  type AggregateDefinition,
  type Command,
  type DecideContext,
  type DecideTimers,
  type DomainEvent,
  type EffectRef,
  isRejection,
  type ScheduleOptions,
  type TimerWhen,
} from '@actorfold/core';
import { stored } from './history.js';
import { type EffectCall, RecordingEffects } from './recording-effects.js';

/** A pending timer of the fake. */
export interface PendingTimer {
  readonly name: string;
  readonly dueAt: number;
  readonly command: Command;
  readonly version: number;
}

/** A pending effect of the fake. */
export interface PendingEffect {
  readonly id: string;
  readonly name: string;
  readonly input: unknown;
  readonly resultType: string;
  /** The stream version of the decision that requested it. */
  readonly version: number;
}

/** What the fake recorded, in order. */
export type TimerCall =
  | { op: 'schedule'; name: string; when: TimerWhen; command: Command; opts?: ScheduleOptions }
  | { op: 'cancel'; name: string };

export class TimedProcess<S, C extends Command, E extends DomainEvent> {
  readonly definition: AggregateDefinition<S, C, E>;
  now: number;
  state: S;
  readonly events: E[] = [];
  readonly pending = new Map<string, PendingTimer>();
  /** Every request decide made, in order. */
  readonly calls: TimerCall[] = [];
  /** Each firing: the timer, when it fired, and whether decide took it. */
  readonly fired: Array<{ name: string; dueAt: number; at: number; taken: boolean }> = [];
  readonly pendingEffects = new Map<string, PendingEffect>();
  /** Every effect request and cancel decide made, in order. */
  readonly effectCalls: EffectCall[] = [];

  constructor(definition: AggregateDefinition<S, C, E>, start: number) {
    this.definition = definition;
    this.now = start;
    this.state = definition.initialState();
  }

  /** Runs a command now; returns the events it recorded (a refusal throws). */
  execute(command: C, fired?: PendingTimer, settled?: EffectRef): E[] {
    const changes: TimerCall[] = [];
    const timers: DecideTimers = {
      schedule: (name, when, cmd, opts) =>
        changes.push({ op: 'schedule', name, when, command: cmd, ...(opts ? { opts } : {}) }),
      cancel: (name) => changes.push({ op: 'cancel', name }),
    };
    const effects = new RecordingEffects();
    const ctx: DecideContext & { timers: DecideTimers } = {
      aggregateType: 'test',
      aggregateId: 'test',
      version: this.events.length,
      now: new Date(this.now),
      metadata: fired === undefined ? {} : { commandId: `timer:${fired.name}@${fired.version}` },
      timers,
      effects,
      firedTimer:
        fired === undefined ? undefined : { name: fired.name, version: fired.version, dueAt: fired.dueAt },
      settledEffect: settled,
    };
    const events = this.definition.decide(this.state, command, ctx) as E[];
    if (changes.length > 0 && events.length === 0) throw new Error('timers changed without an event');
    if (effects.calls.length > 0 && events.length === 0) throw new Error('effects changed without an event');
    for (const e of events) {
      this.events.push(e);
      this.state = this.definition.evolve(this.state, e);
    }
    const version = this.events.length;
    // The settled effect's record goes with its result's decision (or with a decision of nothing).
    if (settled !== undefined) this.pendingEffects.delete(settled.id);
    for (const c of effects.calls) {
      this.effectCalls.push(c);
      if (c.op === 'cancel') this.pendingEffects.delete(c.id);
      else {
        const id = c.opts.id ?? c.name;
        const resultType = c.opts.resultType ?? 'EffectSettled';
        this.pendingEffects.set(id, { id, name: c.name, input: c.input, resultType, version });
      }
    }
    for (const c of changes) {
      this.calls.push(c);
      if (c.op === 'cancel') this.pending.delete(c.name);
      else {
        if (!('after' in c.when) || typeof c.when.after !== 'number')
          throw new Error('expected { after: ms }');
        this.pending.set(c.name, {
          name: c.name,
          dueAt: this.now + c.when.after,
          command: c.command,
          version,
        });
      }
    }
    return events;
  }

  /** Moves the clock on by `ms`, firing every timer that comes due meanwhile, earliest first. */
  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const next = [...this.pending.values()]
        .filter((t) => t.dueAt <= until)
        .sort((a, b) => a.dueAt - b.dueAt || a.name.localeCompare(b.name))[0];
      if (next === undefined) break;
      this.now = Math.max(this.now, next.dueAt);
      this.pending.delete(next.name);
      let taken = true;
      try {
        this.execute(next.command as C, next);
      } catch (error) {
        if (!isRejection(error)) throw error;
        taken = false;
      }
      this.fired.push({ name: next.name, dueAt: next.dueAt, at: this.now, taken });
    }
    this.now = until;
  }

  /**
   * Delivers the outcome of pending effect `id` as the runtime does: a command of its result
   * type with the effect's ref, decided with `ctx.settledEffect`. Returns the events (a refusal
   * throws, and the effect is gone all the same, as the runtime removes a refused firing's record).
   */
  settle(
    id: string,
    outcome: { output: unknown } | { error: { message: string; code?: string } },
    attempts = 1,
  ): E[] {
    const effect = this.pendingEffects.get(id);
    if (effect === undefined) throw new Error(`no pending effect '${id}'`);
    const ref: EffectRef = { id, name: effect.name, version: effect.version, attempts };
    const command = ('output' in outcome
      ? { type: effect.resultType, effect: ref, outcome: 'done', output: outcome.output }
      : { type: effect.resultType, effect: ref, outcome: 'failed', error: outcome.error }) as unknown as C;
    try {
      return this.execute(JSON.parse(JSON.stringify(command)) as C, undefined, ref);
    } catch (error) {
      this.pendingEffects.delete(id);
      throw error;
    }
  }

  /** The state a fresh replay of the stored events reaches (evolve only: no decide, no timers). */
  replayed(): S {
    let state = this.definition.initialState();
    for (const e of stored(this.events)) state = this.definition.evolve(state, e);
    return state;
  }
}
