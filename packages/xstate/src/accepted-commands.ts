/**
 * Which commands a process takes in its current state: the `accepted` list of an
 * `invalid-state` refusal.
 *
 * A command type is listed when the current state configuration (its active state nodes and
 * their ancestors) has a transition for it that is enabled, guards included, evaluated on the
 * current context and the command's `acceptedAt`. A guard cannot be evaluated without the
 * command's payload when it reads the payload, so each type is probed with `{ type, acceptedAt }`
 * and a guard that reads any other field of the event counts as passing: only the actual command
 * can tell. So `accepted` is exact for guards on context and time, and generous for guards on
 * the payload ("this state takes `rejectSwitch`, with a valid reason code").
 *
 * Order: the machine's definition order, innermost state first (xstate's `getNextTransitions`),
 * each type once.
 */
import { type AnyMachineSnapshot, type EventObject, getNextTransitions } from 'xstate';

/** The command types the state takes, in definition order. */
export function acceptedCommands(snapshot: AnyMachineSnapshot, acceptedAt: string): string[] {
  if (snapshot.status !== 'active') return [];
  const candidates = new Set<string>();
  for (const t of getNextTransitions(snapshot)) {
    const type = t.eventType;
    // '' is an eventless (always) transition; xstate.* are the machine's own internal events.
    if (type !== '' && !type.startsWith('xstate.')) candidates.add(type);
  }
  return [...candidates].filter((type) => mayTake(snapshot, type, acceptedAt));
}

/** Whether the state can take a command of this type, with some payload. */
function mayTake(snapshot: AnyMachineSnapshot, type: string, acceptedAt: string): boolean {
  let readPayload = false;
  const known: Record<string, unknown> = { type, acceptedAt };
  const probe = new Proxy(known, {
    get(target, key) {
      if (typeof key === 'string' && !(key in target)) readPayload = true;
      return Reflect.get(target, key);
    },
    has(target, key) {
      if (typeof key === 'string' && !(key in target)) readPayload = true;
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      readPayload = true;
      return Reflect.ownKeys(target);
    },
  }) as EventObject;
  try {
    return snapshot.can(probe) || readPayload;
  } catch (error) {
    // A guard that dereferenced a missing payload field; any other throw is a bug in the guard.
    if (readPayload) return true;
    throw error;
  }
}
