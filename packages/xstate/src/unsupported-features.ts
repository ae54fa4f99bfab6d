/**
 * What an event-sourced statechart cannot do, found before any process runs. A process is
 * replayed by re-running the machine's pure transitions over the recorded commands, so anything
 * that lives outside the transition (actors, timers, side-effecting code) would be lost or run
 * again on every replay. Refused:
 *
 * - `invoke` of anything but promise logic named in `setup({ actors })`: callbacks, observables,
 *   child machines and transition logic keep running (emitting, receiving) after they started,
 *   outside the stream. Inline promise logic has no name to register its implementation under.
 * - `spawnChild`, and `spawn` inside `assign` (found by a dry run of each assigner, see
 *   assigner-probe.ts), also where `enqueueActions` enqueues such an assign.
 * - `sendTo` / `sendParent` / `forwardTo`: there is no other actor to send to.
 * - `raise` with a `delay` (other than the one xstate builds `after` from), and `after` delays
 *   that resolve to no length (a string that is neither a named delay nor an ISO-8601 duration).
 * - custom actions (functions, or named actions whose implementation is a function): their side
 *   effects would never run, silently. Record the fact with `emit` and act on the emitted event.
 * - wildcard transitions (`'*'`, `'a.*'`): the set of commands must be known to name events.
 * - `stopChild` of an invoke: xstate stops it, but its effect would still deliver its outcome.
 * - named guards that `setup({ guards })` does not implement: every command reaching one fails.
 * - two states with one id (xstate takes it): their timers and effects would be named alike.
 * - eventless (`always`) transitions without guard that loop for good (eventless-loops.ts).
 *
 * `after` is supported: its delayed transitions are durable timers (machine-timers.ts). So is
 * `invoke` of named promise logic: a durable effect (machine-effects.ts).
 *
 * What a dry run cannot see (an assigner reaching `spawn` only on some path, custom code
 * enqueued by `enqueueActions`) is still checked on every accepted command by
 * {@link unsupportedInTransition}.
 */
import type { AnyMachineSnapshot, AnyStateMachine, ExecutableActionObject, StateNode } from 'xstate';
import { assignerSpawns, enqueuedByDryRun } from './assigner-probe.js';
import { delayProblem } from './durable-delays.js';
import type { UnsupportedFeature } from './errors.js';
import { endlessEventless } from './eventless-loops.js';
import { invokedLogic, type LogicKind, logicKind, type PromiseInvoke } from './invoked-logic.js';
import { isAfterRaise } from './machine-timers.js';

/** Built-in actions that are pure or, without children and timers, harmless no-ops. */
const HARMLESS = new Set([
  'xstate.assign',
  'xstate.emit',
  'xstate.log',
  'xstate.cancel',
  'xstate.stopChild',
  'xstate.enqueueActions',
]);

const ADVICE_PROMISE =
  'use promise logic (fromPromise), which runs as a durable effect, or a durable timer (after)';

const ADVICE_INVOKE =
  'invoke promise logic (fromPromise) from a state instead, which runs as a durable effect';

const SPAWNED = `a spawned actor runs outside the event stream, so replay cannot reproduce it; ${ADVICE_INVOKE}`;

const ADVICE_EMIT =
  'record the fact with emit() and act on the emitted event outside the machine, or invoke promise logic (fromPromise), which runs as a durable effect';

/** How refusals name each kind of logic, and why it cannot be an effect. */
const KINDS: Record<Exclude<LogicKind, 'promise'>, { label: string; why: string }> = {
  callback: { label: 'callback logic', why: 'it keeps running and sending events after it started' },
  observable: { label: 'observable logic', why: 'it keeps emitting values after it started' },
  'event observable': { label: 'event observable logic', why: 'it keeps sending events after it started' },
  transition: { label: 'transition logic', why: 'its state lives outside the event stream' },
  machine: {
    label: 'a child machine',
    why: 'its state lives outside the event stream (make it an aggregate of its own, or move its states into this machine)',
  },
  unknown: { label: 'actor logic', why: 'only promise logic can run as a durable effect' },
};

/** Every unsupported feature of a machine, in document order (empty when it is fine). */
export function findUnsupportedFeatures(machine: AnyStateMachine): UnsupportedFeature[] {
  const found: UnsupportedFeature[] = [];
  const implementations: Record<string, unknown> = machine.implementations.actions;
  const guards: Record<string, unknown> = machine.implementations.guards ?? {};
  const delays: Record<string, unknown> = machine.implementations.delays ?? {};
  const invokeIds = new Map<string, string>();
  const invoked = allInvokeIds(machine.root);
  const nodeIds = new Map<string, string>();
  const loops = endlessEventless(machine.root, implementations);
  const visit = (node: StateNode): void => {
    const at = (feature: string, message: string) => found.push({ stateId: node.id, feature, message });
    const path = [machine.root.id, ...node.path].join('.');
    const other = nodeIds.get(node.id);
    if (other !== undefined) {
      at(
        'state id',
        `state '${path}' has the id '${node.id}' of state '${other}' too: its delayed transitions' timers and its invokes' effects are named by the id, so one state's would replace or cancel the other's; give each state its own id`,
      );
    } else nodeIds.set(node.id, path);
    node.invoke.forEach((invoke, index) => {
      const problem = invokeProblem(machine, node, index, invoke);
      if (problem !== undefined) at('invoke', problem);
      const other = invokeIds.get(invoke.id);
      if (other !== undefined) {
        at(
          'invoke',
          `invoke id '${invoke.id}' is also used in '${other}': the effect an invoke runs is named by its id, so give each invoke its own id`,
        );
      } else invokeIds.set(invoke.id, node.id);
    });
    for (const t of node.after) {
      const problem = delayProblem(t.delay, delays);
      if (problem !== undefined) at('after', `has a delayed transition whose delay is unusable: ${problem}`);
    }
    const actions = (where: string, list: readonly unknown[]) => {
      for (const action of list) {
        const problem = actionProblem(action, implementations, invoked, guards, machine);
        if (problem !== undefined) at(problem.feature, `${where}: ${problem.message}`);
      }
    };
    const guarded = (where: string, guard: unknown) => {
      const problem = guard === undefined ? undefined : guardProblem(guard, guards, machine, 0);
      if (problem !== undefined) at('guard', `${where}: ${problem}`);
    };
    actions('entry', node.entry);
    actions('exit', node.exit);
    if (node.type === 'compound') actions('initial', node.initial.actions);
    for (const [eventType, transitions] of node.transitions) {
      // Delayed transitions and onDone/onError run too: their actions are vetted like any other.
      if (eventType.includes('*')) {
        at(
          'wildcard',
          `has a wildcard transition '${eventType}': name each command the state takes, so that refusals can list them and events can be named`,
        );
      }
      for (const t of transitions) {
        actions(`on '${eventType}'`, t.actions);
        guarded(`on '${eventType}'`, t.guard);
      }
    }
    for (const t of node.always ?? []) {
      actions('always', t.actions);
      guarded('always', t.guard);
    }
    const endless = loops.get(node);
    if (endless !== undefined) {
      at(
        'always',
        `${endless}: the transition that enters it would never return (xstate has no bound); give it a guard that ends it`,
      );
    }
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(machine.root);
  return found;
}

/** Why an invoke cannot be a durable effect, or undefined when it can (named promise logic). */
function invokeProblem(
  machine: AnyStateMachine,
  node: StateNode,
  index: number,
  invoke: { id: string; src: unknown; onSnapshot?: unknown },
): string | undefined {
  if (typeof invoke.src !== 'string') return `invokes an actor xstate does not name: ${ADVICE_PROMISE}`;
  const { logic, inline } = invokedLogic(machine, node, index, invoke.src);
  const name = inline ? '(inline)' : `'${invoke.src}'`;
  if (logic === undefined) {
    return `invokes '${invoke.src}', which setup({ actors }) does not define: define it there as promise logic (fromPromise), which runs as a durable effect`;
  }
  const kind = logicKind(logic);
  if (kind !== 'promise') {
    const { label, why } = KINDS[kind];
    return `invoke of ${label} ${name} is not supported (${why}): ${ADVICE_PROMISE}`;
  }
  if (inline) {
    return (
      'invokes inline promise logic: name it in setup({ actors: { name: fromPromise(…) } }) and invoke ' +
      "src: 'name', so that the runtime runs the effect implementation registered under that name"
    );
  }
  if (invoke.onSnapshot !== undefined) {
    return `invoke '${invoke.id}' of ${name} has onSnapshot: a durable effect has no snapshots before its outcome; use onDone and onError`;
  }
  return undefined;
}

/** The ids of every invoke of the machine (their effects are stopped by leaving their state). */
function allInvokeIds(node: StateNode, ids = new Set<string>()): Set<string> {
  for (const invoke of node.invoke) ids.add(invoke.id);
  for (const child of Object.values(node.states)) allInvokeIds(child, ids);
  return ids;
}

/**
 * Why a guard cannot be evaluated, or undefined: a named guard (also inside `and`, `or`, `not`)
 * that `setup({ guards })` does not implement would fail every command that reaches it, and
 * every refusal in its state (whose `accepted` list evaluates it).
 */
function guardProblem(
  guard: unknown,
  guards: Record<string, unknown>,
  machine: AnyStateMachine,
  depth: number,
): string | undefined {
  if (depth > 100) return 'its guards refer to each other in a loop';
  if (typeof guard === 'function') {
    const { guards: inner, stateValue } = guard as { guards?: unknown; stateValue?: unknown };
    if (typeof stateValue === 'string' && stateValue.startsWith('#')) {
      try {
        machine.getStateNodeById(stateValue);
      } catch {
        return `stateIn('${stateValue}') names a state id the machine does not have`;
      }
    }
    if (!Array.isArray(inner)) return undefined;
    for (const g of inner) {
      const problem = guardProblem(g, guards, machine, depth + 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  const name = typeof guard === 'string' ? guard : (guard as { type?: unknown } | null)?.type;
  if (typeof name !== 'string') return `a guard of unknown shape: ${String(guard)}`;
  if (!Object.hasOwn(guards, name)) return `guard '${name}' has no implementation in setup({ guards })`;
  const impl = guards[name];
  // A function (perhaps and/or/not of other names) or another name: vetted the same way.
  return guardProblem(impl, guards, machine, depth + 1);
}

function actionProblem(
  action: unknown,
  implementations: Record<string, unknown>,
  invoked: ReadonlySet<string>,
  guards: Record<string, unknown>,
  machine: AnyStateMachine,
  depth = 0,
): { feature: string; message: string } | undefined {
  let name: string;
  let impl: unknown;
  if (typeof action === 'string') {
    name = action;
    impl = Object.hasOwn(implementations, action) ? implementations[action] : undefined;
  } else if (typeof action === 'function') {
    impl = action;
    name = builtinType(action) ?? (action.name || '(anonymous)');
  } else {
    name = String((action as { type?: unknown } | null)?.type);
    impl = Object.hasOwn(implementations, name) ? implementations[name] : undefined;
  }
  if (impl === undefined) {
    return { feature: 'custom action', message: `action '${name}' has no implementation (${ADVICE_EMIT})` };
  }
  const type = builtinType(impl);
  if (type === undefined) {
    return {
      feature: 'custom action',
      message: `custom action '${name}' runs code whose side effects would never run (decide and replay are pure); ${ADVICE_EMIT}`,
    };
  }
  if (type === 'xstate.assign' && assignerSpawns((impl as { assignment?: unknown }).assignment)) {
    return { feature: 'spawn', message: `${describe(name)} calls spawn: ${SPAWNED}` };
  }
  if (type === 'xstate.enqueueActions') {
    const enqueued = enqueuedByDryRun((impl as { collect?: unknown }).collect);
    if (enqueued.spawnsChild || enqueued.assignments.some(assignerSpawns)) {
      return { feature: 'spawn', message: `${describe(name)} enqueues a spawn: ${SPAWNED}` };
    }
    if (enqueued.stops.some((ref) => stopsInvoke(ref, invoked))) {
      return {
        feature: 'stopChild',
        message: `${describe(name)} enqueues a stopChild of an invoke: ${STOP_INVOKE}`,
      };
    }
    for (const g of enqueued.checked) {
      const problem = guardProblem(g, guards, machine, 0);
      if (problem !== undefined) return { feature: 'guard', message: `${describe(name)} checks ${problem}` };
    }
    // What the dry run reached; a path it did not take is still vetted when the transition runs.
    if (enqueued.delayedRaise) {
      return {
        feature: 'delayed raise',
        message: `${describe(name)} enqueues a raise with a delay: ${ADVICE_AFTER}`,
      };
    }
    if (enqueued.sends) {
      return {
        feature: 'sendTo',
        message: `${describe(name)} enqueues a sendTo or sendParent: a process has no other actors; ${ADVICE_EMIT}`,
      };
    }
    if (depth < 10) {
      for (const a of enqueued.actions) {
        const problem = actionProblem(a, implementations, invoked, guards, machine, depth + 1);
        if (problem !== undefined)
          return { feature: problem.feature, message: `${describe(name)} enqueues: ${problem.message}` };
      }
    }
  }
  if (type === 'xstate.stopChild' && stopsInvoke((impl as { actorRef?: unknown }).actorRef, invoked)) {
    return { feature: 'stopChild', message: `${describe(name)} stops an invoke: ${STOP_INVOKE}` };
  }
  const raised = (impl as { event?: { type?: unknown } }).event?.type;
  // `after` is built from a delayed raise of 'xstate.after.…', already reported as `after`.
  if (typeof raised === 'string' && raised.startsWith('xstate.after.')) return undefined;
  return builtinProblem(type, (impl as { delay?: unknown }).delay);
}

const STOP_INVOKE =
  "an invoke's effect is cancelled by leaving the state that invokes it; stopping it while staying would still deliver its outcome to onDone or onError, which xstate would not: move the invoke into a child state and leave that instead";

/** Whether a `stopChild` target can be an invoke: its id, or a function (which might give one). */
function stopsInvoke(ref: unknown, invoked: ReadonlySet<string>): boolean {
  if (typeof ref === 'string') return invoked.has(ref);
  return typeof ref === 'function' && invoked.size > 0;
}

const ADVICE_AFTER =
  'a delayed transition (after) is a durable timer; a raise with a delay of any other event is not supported: use after';

function builtinProblem(type: string, delay: unknown): { feature: string; message: string } | undefined {
  if (HARMLESS.has(type)) return undefined;
  if (type === 'xstate.raise') {
    return delay === undefined
      ? undefined
      : { feature: 'delayed raise', message: `raises an event with a delay: ${ADVICE_AFTER}` };
  }
  if (type === 'xstate.spawnChild') {
    return {
      feature: 'spawnChild',
      message: `spawns a child actor: actors run outside the event stream, so replay cannot reproduce them; ${ADVICE_INVOKE}`,
    };
  }
  if (type === 'xstate.sendTo') {
    return {
      feature: 'sendTo',
      message: `sends to another actor (sendTo, sendParent or forwardTo): a process has no other actors; ${ADVICE_EMIT}`,
    };
  }
  return undefined;
}

/** `action 'name'` for a named action, `an inline assign` for an anonymous built-in. */
function describe(name: string): string {
  return name.startsWith('xstate.') ? `an inline ${name.slice('xstate.'.length)}` : `action '${name}'`;
}

/** The `xstate.*` type of a built-in action creator's result; undefined for user code. */
function builtinType(impl: unknown): string | undefined {
  const type = (impl as { type?: unknown } | null)?.type;
  return typeof type === 'string' && type.startsWith('xstate.') ? type : undefined;
}

/**
 * What a transition did that the definition could not show: spawned actors (through `spawn`
 * in `assign` or `enqueueActions`), and actions to execute other than emitting or logging. The
 * children of promise invokes (`invokes`, by id) are durable effects, not actors: allowed.
 */
export function unsupportedInTransition(
  next: AnyMachineSnapshot,
  actions: readonly ExecutableActionObject[],
  invokes: ReadonlyMap<string, PromiseInvoke> = new Map(),
): UnsupportedFeature[] {
  const found: UnsupportedFeature[] = [];
  const stateId = typeof next.value === 'string' ? next.value : JSON.stringify(next.value);
  const children = Object.keys(next.children).filter((id) => !invokes.has(id));
  if (children.length > 0) {
    found.push({
      stateId,
      feature: 'spawned actor',
      message: `the transition spawned ${children.join(', ')}: actors run outside the event stream`,
    });
  }
  for (const action of actions) {
    const type = builtinType(action);
    if (type === 'xstate.spawnChild' && isInvokeSpawn(action.params, invokes)) continue;
    const problem =
      type === undefined
        ? {
            feature: 'custom action',
            message: `the transition ran custom action '${action.type}' (${ADVICE_EMIT})`,
          }
        : (afterRaiseProblem(type, action.params) ??
          (type === 'xstate.raise' && isAfterRaise(action.params)
            ? undefined
            : builtinProblem(type, (action.params as { delay?: unknown } | undefined)?.delay)));
    if (problem !== undefined) found.push({ stateId, ...problem });
  }
  return found;
}

/** A delayed transition's raise whose delay resolved to no number (xstate would take it at once). */
function afterRaiseProblem(
  type: string | undefined,
  params: unknown,
): { feature: string; message: string } | undefined {
  if (type !== 'xstate.raise' || !isAfterRaise(params)) return undefined;
  const { delay, event } = params as { delay?: unknown; event: { type: string } };
  if (typeof delay === 'number' && Number.isFinite(delay) && delay >= 0) return undefined;
  return {
    feature: 'after',
    message: `the delay of '${event.type}' resolved to ${JSON.stringify(delay) ?? String(delay)}: give milliseconds or an ISO-8601 duration`,
  };
}

/** Whether a `spawnChild` action is the one xstate builds for a promise invoke (a durable effect). */
function isInvokeSpawn(params: unknown, invokes: ReadonlyMap<string, PromiseInvoke>): boolean {
  const { id, src } = (params ?? {}) as { id?: unknown; src?: unknown };
  return typeof id === 'string' && invokes.get(id)?.src === src;
}
