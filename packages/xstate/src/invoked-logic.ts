/**
 * What a machine invokes, and which of it can run as a durable effect. xstate's logic creators
 * (`fromPromise`, `fromCallback`, `fromObservable`, …) return plain objects with no tag, so the
 * kind is told by behaviour: promise logic is the one that completes with the value it is told
 * its promise resolved with. Only promise logic named in `setup({ actors })` becomes an effect:
 * it has one input and one result, which the runtime can run at least once and deliver back as
 * a recorded command. The others keep running, emitting or receiving after they started, which
 * no event stream can replay.
 */
import type { AnyActorLogic, AnyStateMachine, StateNode } from 'xstate';

/** The kinds of actor logic, as refusals name them. */
export type LogicKind =
  | 'promise'
  | 'callback'
  | 'observable'
  | 'event observable'
  | 'transition'
  | 'machine'
  | 'unknown';

/** A promise invoke of a machine: the effect it becomes. */
export interface PromiseInvoke {
  /** xstate's id of the invoke (its `id`, or the generated `<index>.<state node id>`): the effect's id. */
  readonly id: string;
  /** The `src` key in `setup({ actors })`: the effect's name. */
  readonly src: string;
  /** The state node that invokes it. */
  readonly stateId: string;
  /** The promise logic (its `config` is the promise creator). */
  readonly logic: AnyActorLogic;
}

/** The prefix xstate gives inline logic's `src` (`xstate.invoke.<index>.<state node id>`). */
const INLINE_PREFIX = 'xstate.invoke.';

const PROBE = Object.freeze({ probe: true });

/** Tells the kind of an actor logic by how it behaves, never starting it. */
export function logicKind(logic: unknown): LogicKind {
  if (typeof logic !== 'object' || logic === null) return 'unknown';
  const l = logic as Partial<Record<'root' | 'transition' | 'start' | 'config', unknown>>;
  if (typeof l.root === 'object' && l.root !== null) return 'machine';
  if (typeof l.transition !== 'function') return 'unknown';
  // fromTransition's logic has no start (it only reduces events); probing it would run user code.
  if (typeof l.start !== 'function') return 'transition';
  const transition = l.transition as (s: unknown, e: unknown, scope: unknown) => unknown;
  const active = () => ({ status: 'active', output: undefined, error: undefined, input: undefined });
  // An inert scope: the promise and observable transitions read it only when stopped.
  const scope = { self: {}, system: {}, defer: () => {}, emit: () => {} };
  const probe = (type: string): Record<string, unknown> | undefined => {
    try {
      return transition(active(), { type, data: PROBE }, scope) as Record<string, unknown>;
    } catch {
      // fromCallback's transition needs a started instance: not promise logic.
      return undefined;
    }
  };
  const resolved = probe('xstate.promise.resolve');
  if (resolved?.status === 'done' && resolved.output === PROBE && typeof l.config === 'function')
    return 'promise';
  if (probe('xstate.observable.next')?.context === PROBE) return 'observable';
  if (probe('xstate.observable.error')?.status === 'error') return 'event observable';
  return 'callback';
}

/** The logic an invoke runs: by name from `setup({ actors })`, or inline. */
export function invokedLogic(
  machine: AnyStateMachine,
  node: StateNode,
  index: number,
  src: string,
): { logic: unknown; inline: boolean } {
  if (src.startsWith(INLINE_PREFIX)) {
    const config = node.config.invoke as unknown;
    const entry = (Array.isArray(config) ? config[index] : config) as { src?: unknown } | undefined;
    return { logic: entry?.src, inline: true };
  }
  const actors: Record<string, unknown> = machine.implementations.actors ?? {};
  return { logic: actors[src], inline: false };
}

/** Every invoke of named promise logic in a machine, by id (the others are refused by fromMachine). */
export function promiseInvokes(machine: AnyStateMachine): ReadonlyMap<string, PromiseInvoke> {
  const found = new Map<string, PromiseInvoke>();
  const visit = (node: StateNode): void => {
    node.invoke.forEach((invoke, index) => {
      const src = invoke.src;
      if (typeof src !== 'string') return;
      const { logic, inline } = invokedLogic(machine, node, index, src);
      if (inline || logicKind(logic) !== 'promise') return;
      if (!found.has(invoke.id))
        found.set(invoke.id, { id: invoke.id, src, stateId: node.id, logic: logic as AnyActorLogic });
    });
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(machine.root);
  return found;
}
