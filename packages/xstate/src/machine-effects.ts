/**
 * How a statechart's invoked promise logic becomes a durable effect. Entering a state node that
 * invokes `src: 'name'` makes xstate's pure `transition` return a `spawnChild` action with the
 * invoke's id and its input resolved (static, or a function of context and event); leaving the
 * node stops the child. decide turns these into effect requests written with the decision's
 * event: entering requests the effect `name` with that input under the invoke's id, leaving
 * cancels it. The runtime runs the implementation registered under `name` once the decision is
 * stored, and delivers its outcome as a command of type {@link INVOKE_SETTLED}, which decide
 * turns into xstate's own `xstate.done.actor.<id>` (output) or `xstate.error.actor.<id>` (error)
 * event and records like any command. Replay (evolve) re-runs the recorded event: it never
 * requests, cancels or runs an effect.
 */
import {
  type Command,
  type DecideContext,
  type EffectError,
  type EffectRef,
  type EffectResult,
  InvalidArgument,
  reject,
} from '@actorfold/core';
import type { AnyMachineSnapshot, EventObject, ExecutableActionObject, StateValue } from 'xstate';
import type { PromiseInvoke } from './invoked-logic.js';
import { notJsonData } from './statechart-event.js';

/** The command type the runtime delivers an invoked effect's outcome as (`resultType` of every request). */
export const INVOKE_SETTLED = 'xstate.invoke.settled';

/** The domain event type that records an invoked effect's output taken by the machine (onDone). */
export const INVOKE_DONE = 'InvokeDone';

/** The domain event type that records an invoked effect's final failure taken by the machine (onError). */
export const INVOKE_FAILED = 'InvokeFailed';

/** One change to a process's effects, as the transition made it. */
export type EffectRequest =
  | { readonly op: 'request'; readonly id: string; readonly name: string; readonly input: unknown }
  | { readonly op: 'cancel'; readonly id: string };

/** The machine event xstate uses for an invoked actor's output. */
export interface DoneActorEvent extends EventObject {
  readonly type: string;
  readonly actorId: string;
  readonly output: unknown;
  /** Which effect it was: id, name, version of the decision that requested it, attempts. */
  readonly effect: EffectRef;
}

/** The machine event xstate uses for an invoked actor's failure. */
export interface ErrorActorEvent extends EventObject {
  readonly type: string;
  readonly actorId: string;
  /** The effect's final error as the runtime keeps it: `{ message, code?, name? }`, not an Error instance. */
  readonly error: EffectError;
  readonly effect: EffectRef;
}

/** Whether a command type is an invoked effect's outcome. */
export function isInvokeSettled(type: unknown): boolean {
  return type === INVOKE_SETTLED;
}

/**
 * The effect requests of a transition: a request for each promise invoke whose node it entered
 * (from the `spawnChild` action, which carries the resolved input) and is still in at the end,
 * and a cancel for each invoke whose node it left. A node left and entered again in one step
 * requests afresh (the runtime replaces the pending effect of that id); one entered and left
 * within the step requests nothing. What is cancelled is read from the state configurations
 * before and after, not from xstate's `stopChild` actions: a state restored from a snapshot has
 * no children for them to name. `settled` is the effect whose outcome this transition takes:
 * the runtime removes its record with the decision, so it is not cancelled.
 */
export function effectRequestsOf(
  invokes: ReadonlyMap<string, PromiseInvoke>,
  from: AnyMachineSnapshot | undefined,
  to: AnyMachineSnapshot,
  actions: readonly ExecutableActionObject[],
  settled?: string,
): EffectRequest[] {
  if (invokes.size === 0) return [];
  const spawned = new Map<string, EffectRequest>();
  for (const action of actions) {
    if (action.type !== 'xstate.spawnChild') continue;
    const params = action.params as { id?: unknown; src?: unknown; input?: unknown };
    const { id, src } = params;
    // An invoke without input gives undefined, which JSON cannot keep: the effect's input is null.
    const input = params.input === undefined ? null : params.input;
    const invoke = typeof id === 'string' ? invokes.get(id) : undefined;
    if (invoke === undefined || invoke.src !== src) continue;
    const problem = notJsonData(input, '$');
    if (problem !== undefined) {
      throw new InvalidArgument(
        `the input of invoke '${invoke.id}' (src '${invoke.src}', state '${invoke.stateId}') is not plain JSON (${problem}): ` +
          'an effect is stored with its input; give JSON data (ISO strings for dates)',
      );
    }
    // The last spawn of an id counts: entered, left and entered again is one request.
    spawned.set(invoke.id, { op: 'request', id: invoke.id, name: invoke.src, input: copy(input) });
  }
  const before = from === undefined ? new Set<string>() : activeInvokes(from, invokes);
  // A process that completed stops every child, its root's invokes included.
  const after = to.status === 'active' ? activeInvokes(to, invokes) : new Set<string>();
  const requests: EffectRequest[] = [];
  for (const id of before) if (!after.has(id) && id !== settled) requests.push({ op: 'cancel', id });
  for (const r of spawned.values()) if (after.has(r.id)) requests.push(r);
  return requests;
}

/** The ids of the promise invokes of a snapshot's active state nodes. */
export function activeInvokes(
  snapshot: AnyMachineSnapshot,
  invokes: ReadonlyMap<string, PromiseInvoke>,
): Set<string> {
  const active = new Set<string>();
  for (const node of snapshot._nodes) {
    for (const invoke of node.invoke) if (invokes.has(invoke.id)) active.add(invoke.id);
  }
  return active;
}

/** Hands the requests to the decision's effects; every outcome comes back as {@link INVOKE_SETTLED}. */
export function applyEffectRequests(ctx: DecideContext, requests: readonly EffectRequest[]): void {
  if (requests.length === 0) return;
  const effects = ctx.effects as DecideContext['effects'] | undefined;
  if (effects === undefined) {
    // A hand-made context (a test harness) without effects: say so rather than fail on undefined.
    throw new InvalidArgument(
      `the transition invokes ${requests.map((r) => `'${r.id}'`).join(', ')}, but this decide context has no effects (ctx.effects)`,
    );
  }
  for (const r of requests) {
    if (r.op === 'request') effects.request(r.name, r.input, { id: r.id, resultType: INVOKE_SETTLED });
    else effects.cancel(r.id);
  }
}

/**
 * The machine event of an effect's outcome, after checking that the runtime delivered it
 * (`ctx.settledEffect`, set only for an effect record's delivery): a client sending
 * `xstate.invoke.settled` itself would make the machine take onDone without the work done.
 */
export function settledEventOf(
  command: Command,
  ctx: DecideContext,
  state: StateValue,
): DoneActorEvent | ErrorActorEvent {
  const result = command as Partial<EffectResult>;
  const settled = ctx.settledEffect;
  if (settled === undefined || settled.id !== result.effect?.id) {
    reject(
      'effect-only',
      `'${INVOKE_SETTLED}' is an invoked effect's outcome: only the runtime delivers it, when the effect settled`,
      { state },
    );
  }
  const effect: EffectRef = {
    id: settled.id,
    name: settled.name,
    version: settled.version,
    attempts: settled.attempts,
  };
  if (result.outcome === 'done') {
    return { type: `xstate.done.actor.${effect.id}`, actorId: effect.id, output: result.output, effect };
  }
  if (result.outcome === 'failed') {
    return {
      type: `xstate.error.actor.${effect.id}`,
      actorId: effect.id,
      error: result.error as EffectError,
      effect,
    };
  }
  throw new InvalidArgument(
    `'${INVOKE_SETTLED}' of effect '${effect.id}' has outcome ${JSON.stringify(result.outcome)}: expected 'done' or 'failed'`,
  );
}

/** Whether a machine event type is an invoked actor's outcome (`xstate.done.actor.…`, `xstate.error.actor.…`). */
export function isActorOutcome(type: string): boolean {
  return type.startsWith('xstate.done.actor.') || type.startsWith('xstate.error.actor.');
}

function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
