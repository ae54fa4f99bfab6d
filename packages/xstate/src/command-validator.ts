/**
 * The `validateCommand` of a statechart aggregate: the user's validator, if any, then the rules
 * every statechart command follows. A refusal reaches the caller as `InvalidCommand`.
 */
import type { Command, StandardSchemaV1 } from '@actorfold/core';
import { isInvokeSettled } from './machine-effects.js';
import { isDelayedEvent } from './machine-timers.js';

type Result<C> = StandardSchemaV1.Result<C>;

/** Wraps `inner` (optional) with the statechart command rules. */
export function statechartCommandValidator<C extends Command>(
  inner: StandardSchemaV1<unknown, C> | undefined,
): StandardSchemaV1<unknown, C> {
  return {
    '~standard': {
      version: 1,
      vendor: 'actorfold-xstate',
      validate(value: unknown): Result<C> | Promise<Result<C>> {
        // A delayed transition's firing and an effect's outcome are the machine's own events, not
        // a client's commands: the user's schema does not know them, and decide accepts them
        // only from their timer or effect record.
        if (inner === undefined || isMachineOwn((value as { type?: unknown } | null)?.type))
          return checkRules(value as C);
        const result = inner['~standard'].validate(value);
        return result instanceof Promise ? result.then(after) : after(result);
      },
    },
  };
}

function after<C>(result: Result<C>): Result<C> {
  return result.issues === undefined ? checkRules(result.value) : result;
}

/**
 * - `acceptedAt` is set by the runtime; a command carrying its own would be silently overruled.
 * - `xstate.*` types are the machine's internal events (`xstate.done.state.…`): never commands,
 *   except `xstate.after.…`, which a durable timer delivers, and `xstate.invoke.settled`, which an
 *   effect record delivers (decide refuses both from anyone else).
 * - The command is stored (and decided) as JSON, so it must be JSON-serialisable, and the rules
 *   hold for its JSON form: a `toJSON` that gives another type (an `xstate.after.…` one, say)
 *   would otherwise take a transition that the type checked here does not.
 */
function checkRules<C>(value: C): Result<C> {
  if (typeof value !== 'object' || value === null) return { value };
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    return {
      issues: [
        { message: `not JSON-serialisable: ${error instanceof Error ? error.message : String(error)}` },
      ],
    };
  }
  if (text === undefined) return { issues: [{ message: 'not JSON-serialisable: its toJSON gives nothing' }] };
  // Only a toJSON of the command itself can give other top-level fields than its own.
  const json: unknown =
    typeof (value as { toJSON?: unknown }).toJSON === 'function' ? JSON.parse(text) : value;
  const issues: StandardSchemaV1.Issue[] = [];
  const form = typeof json === 'object' && json !== null && !Array.isArray(json) ? json : {};
  const type = (value as { type?: unknown }).type;
  if ((form as { type?: unknown }).type !== type) {
    issues.push({
      message: `its JSON form (what is stored and decided) has type ${JSON.stringify((form as { type?: unknown }).type)}, not ${JSON.stringify(type)}: a toJSON must keep the command's type`,
      path: ['type'],
    });
  }
  if (Object.hasOwn(value, 'acceptedAt') || Object.hasOwn(form, 'acceptedAt')) {
    issues.push({
      message: '`acceptedAt` is set by the runtime when it accepts the command; leave it out',
      path: ['acceptedAt'],
    });
  }
  if (typeof type === 'string' && type.startsWith('xstate.') && !isMachineOwn(type)) {
    issues.push({
      message: `'${type}': types starting with 'xstate.' are the machine's own events`,
      path: ['type'],
    });
  }
  return issues.length === 0 ? { value } : { issues };
}

function isMachineOwn(type: unknown): boolean {
  return isDelayedEvent(type) || isInvokeSettled(type);
}
