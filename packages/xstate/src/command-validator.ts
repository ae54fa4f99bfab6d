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
 * - The command is stored as JSON, so it must be JSON-serialisable.
 */
function checkRules<C>(value: C): Result<C> {
  if (typeof value !== 'object' || value === null) return { value };
  const issues: StandardSchemaV1.Issue[] = [];
  if (Object.hasOwn(value, 'acceptedAt')) {
    issues.push({
      message: '`acceptedAt` is set by the runtime when it accepts the command; leave it out',
      path: ['acceptedAt'],
    });
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type === 'string' && type.startsWith('xstate.') && !isMachineOwn(type)) {
    issues.push({
      message: `'${type}': types starting with 'xstate.' are the machine's own events`,
      path: ['type'],
    });
  }
  try {
    JSON.stringify(value);
  } catch (error) {
    issues.push({
      message: `not JSON-serialisable: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
  return issues.length === 0 ? { value } : { issues };
}

function isMachineOwn(type: unknown): boolean {
  return isDelayedEvent(type) || isInvokeSettled(type);
}
