/**
 * What an event-sourced statechart cannot do, found before any process runs. A process is
 * replayed by re-running the machine's pure transitions over the recorded commands, so anything
 * that lives outside the transition (actors, timers, side-effecting code) would be lost or run
 * again on every replay. Refused:
 *
 * - `invoke`: an invoked actor (promise, callback, child machine) runs outside the stream.
 * - `spawnChild`, and `spawn` inside `assign` (found by a dry run of each assigner, see
 *   assigner-probe.ts), also where `enqueueActions` enqueues such an assign.
 * - `sendTo` / `sendParent` / `forwardTo`: there is no other actor to send to.
 * - `raise` with a `delay` (other than the one xstate builds `after` from), and `after` delays
 *   that resolve to no length (a string that is neither a named delay nor an ISO-8601 duration).
 * - custom actions (functions, or named actions whose implementation is a function): their side
 *   effects would never run, silently. Record the fact with `emit` and act on the emitted event.
 * - wildcard transitions (`'*'`, `'a.*'`): the set of commands must be known to name events.
 *
 * `after` is supported: its delayed transitions are durable timers (machine-timers.ts).
 *
 * What a dry run cannot see (an assigner reaching `spawn` only on some path, custom code
 * enqueued by `enqueueActions`) is still checked on every accepted command by
 * {@link unsupportedInTransition}.
 */
import type { AnyMachineSnapshot, AnyStateMachine, ExecutableActionObject, StateNode } from 'xstate';
import { assignerSpawns, enqueuedByDryRun } from './assigner-probe.js';
import { delayProblem } from './durable-delays.js';
import type { UnsupportedFeature } from './errors.js';
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

const SPAWNED = 'a spawned actor runs outside the event stream, so replay cannot reproduce it';

const ADVICE_EMIT = 'record the fact with emit() and act on the emitted event outside the machine';

/** Every unsupported feature of a machine, in document order (empty when it is fine). */
export function findUnsupportedFeatures(machine: AnyStateMachine): UnsupportedFeature[] {
  const found: UnsupportedFeature[] = [];
  const implementations: Record<string, unknown> = machine.implementations.actions;
  const delays: Record<string, unknown> = machine.implementations.delays ?? {};
  const visit = (node: StateNode): void => {
    const at = (feature: string, message: string) => found.push({ stateId: node.id, feature, message });
    for (const invoke of node.invoke) {
      // xstate names inline actors 'xstate.invoke.<n>.<state id>'.
      const src =
        typeof invoke.src === 'string' && !invoke.src.startsWith('xstate.') ? `'${invoke.src}'` : 'an actor';
      at(
        'invoke',
        `invokes ${src}: an invoked actor runs outside the event stream, so replaying the process cannot reproduce it; ` +
          'emit an event, do the work outside the machine and send its result back as a command (a timeout is an after transition)',
      );
    }
    for (const t of node.after) {
      const problem = delayProblem(t.delay, delays);
      if (problem !== undefined) at('after', `has a delayed transition whose delay is unusable: ${problem}`);
    }
    const actions = (where: string, list: readonly unknown[]) => {
      for (const action of list) {
        const problem = actionProblem(action, implementations);
        if (problem !== undefined) at(problem.feature, `${where}: ${problem.message}`);
      }
    };
    actions('entry', node.entry);
    actions('exit', node.exit);
    if (node.type === 'compound') actions('initial', node.initial.actions);
    for (const [eventType, transitions] of node.transitions) {
      // Delayed and invoke-result transitions are already reported with `after` and `invoke`.
      if (/^xstate\.(after|done\.actor|error\.actor)\./.test(eventType)) continue;
      if (eventType.includes('*')) {
        at(
          'wildcard',
          `has a wildcard transition '${eventType}': name each command the state takes, so that refusals can list them and events can be named`,
        );
      }
      for (const t of transitions) actions(`on '${eventType}'`, t.actions);
    }
    for (const t of node.always ?? []) actions('always', t.actions);
    for (const child of Object.values(node.states)) visit(child);
  };
  visit(machine.root);
  return found;
}

function actionProblem(
  action: unknown,
  implementations: Record<string, unknown>,
): { feature: string; message: string } | undefined {
  let name: string;
  let impl: unknown;
  if (typeof action === 'string') {
    name = action;
    impl = implementations[action];
  } else if (typeof action === 'function') {
    impl = action;
    name = builtinType(action) ?? (action.name || '(anonymous)');
  } else {
    name = String((action as { type?: unknown } | null)?.type);
    impl = implementations[name];
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
  }
  const raised = (impl as { event?: { type?: unknown } }).event?.type;
  // `after` is built from a delayed raise of 'xstate.after.…', already reported as `after`.
  if (typeof raised === 'string' && raised.startsWith('xstate.after.')) return undefined;
  return builtinProblem(type, (impl as { delay?: unknown }).delay);
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
      message: 'spawns a child actor: actors run outside the event stream, so replay cannot reproduce them',
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
 * in `assign` or `enqueueActions`), and actions to execute other than emitting or logging.
 */
export function unsupportedInTransition(
  next: AnyMachineSnapshot,
  actions: readonly ExecutableActionObject[],
): UnsupportedFeature[] {
  const found: UnsupportedFeature[] = [];
  const stateId = typeof next.value === 'string' ? next.value : JSON.stringify(next.value);
  const children = Object.keys(next.children);
  if (children.length > 0) {
    found.push({
      stateId,
      feature: 'spawned actor',
      message: `the transition spawned ${children.join(', ')}: actors run outside the event stream`,
    });
  }
  for (const action of actions) {
    const type = builtinType(action);
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
