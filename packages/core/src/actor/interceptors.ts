import type { Logger } from 'pino';
import type { AnyAggregate, Command } from '../aggregate/aggregate.js';
import { jsonCodec } from '../codec/json-codec.js';
import { InterceptorFailed, InvalidArgument, isRejection } from '../errors.js';
import type { Metrics } from '../observability/metrics.js';
import type { DomainEvent, EventEnvelope, EventMetadata } from '../store/store.js';
import { Refused } from './refused.js';

/**
 * Interceptors: cross-cutting code around the command path (authorisation, metadata
 * enrichment, validation against the state, in-process notifications), registered for the whole
 * runtime (`RuntimeOptions.interceptors`) or for one aggregate (`AggregateSpec.interceptors`).
 *
 * Order: the runtime's interceptors wrap the aggregate's, like layers of an onion. `beforeDecide`
 * runs outside in (the runtime's in registration order, then the aggregate's in registration
 * order); `afterAppend` and `onRefusal` run inside out (the exact reverse). With none registered
 * the command path pays one null check.
 */

/** Which aggregate a hook is called for. */
export interface InterceptedAggregate {
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly streamId: string;
}

/** What `beforeDecide` sees: the command, and the refreshed state and version decide will see. */
export interface BeforeDecideContext<S = unknown, C extends Command = Command> extends InterceptedAggregate {
  readonly command: C;
  readonly state: S;
  readonly version: number;
  /**
   * The metadata that will be stored with the command's events: add keys to enrich it (decide
   * sees them in its context). `commandId` and the runtime's keys (`fingerprint`, `codec`) must
   * stay as they are: changing them fails the command with INTERCEPTOR_FAILED.
   */
  readonly metadata: EventMetadata;
}

/** What `afterAppend` sees: the command's events, durable in the store. */
export interface AfterAppendContext<
  S = unknown,
  C extends Command = Command,
  E extends DomainEvent = DomainEvent,
> extends InterceptedAggregate {
  /** `execute`, or `inject` (then `command` is undefined). */
  readonly kind: 'execute' | 'inject';
  readonly command: C | undefined;
  readonly events: readonly EventEnvelope<E>[];
  /** The stream's version after the events. */
  readonly version: number;
  readonly state: S;
}

/** What `onRefusal` sees: the command and why it was refused (the error its caller got). */
export interface RefusalContext<C extends Command = Command> extends InterceptedAggregate {
  readonly kind: 'execute' | 'inject';
  readonly command: C | undefined;
  readonly error: unknown;
  /** True for a refusal by rule (REJECTED, VERSION_CONFLICT, IDEMPOTENCY_CONFLICT), false for a failure. */
  readonly rejected: boolean;
}

/**
 * Hooks around the command path; every one optional.
 *
 * - `beforeDecide` runs in the actor, in order with the aggregate's commands, before decide (and
 *   before the commandId dedupe check, so a retry is authorised again). It may add metadata, or
 *   refuse the command by throwing a Rejection (`reject(...)`); anything else it throws is a bug:
 *   the command fails with INTERCEPTOR_FAILED and the actor stays alive. A returned promise is
 *   awaited (the aggregate's next command waits for it); a synchronous hook costs no await.
 *   Runs for `execute` only: `inject` skips decide by design.
 * - `afterAppend` runs once the command's events are durable and its caller has its reply. It is
 *   an in-process notification, **at most once**: a process that dies after the append and before
 *   the hook never calls it, and nothing calls it again. Anything that must happen belongs in a
 *   projection, a subscription or a durable timer, which read the stored events. A throw or
 *   rejected promise there is logged and counted (`listenerFailures`) and changes nothing for the
 *   command; its promise is not awaited.
 * - `onRefusal` runs after a command was refused or failed (its caller has the error), with the
 *   same at-most-once, logged-and-counted rules as `afterAppend`.
 *
 * @example
 * const audit: Interceptor = {
 *   name: 'tenant-guard',
 *   beforeDecide(ctx) {
 *     if (ctx.metadata.tenantId === undefined) reject('no-tenant');
 *     ctx.metadata.receivedBy = 'api-1';
 *   },
 *   afterAppend(ctx) { bus.emit('changed', ctx.streamId, ctx.version); },
 * };
 */
export interface Interceptor<S = unknown, C extends Command = Command, E extends DomainEvent = DomainEvent> {
  /** Names it in INTERCEPTOR_FAILED errors and in logs; default its position, e.g. `runtime[0]`. */
  readonly name?: string;
  beforeDecide?(ctx: BeforeDecideContext<S, C>): void | Promise<void>;
  afterAppend?(ctx: AfterAppendContext<S, C, E>): void | Promise<void>;
  onRefusal?(ctx: RefusalContext<C>): void | Promise<void>;
}

type Hook<T> = { readonly name: string; readonly fn: (ctx: T) => unknown; readonly self: Interceptor };

/** One aggregate type's interceptors, composed in their fixed order. */
export interface InterceptorChain {
  readonly before: readonly Hook<BeforeDecideContext>[];
  readonly after: readonly Hook<AfterAppendContext>[];
  readonly refusal: readonly Hook<RefusalContext>[];
}

/** The chains by aggregate type; null when no interceptor is registered anywhere (the fast path). */
export type InterceptorTable = ReadonlyMap<string, InterceptorChain> | null;

/** Checks interceptors given to the runtime or an aggregate. Throws InvalidArgument naming `where`. */
export function assertInterceptors(where: string, list: unknown): void {
  if (list === undefined) return;
  if (!Array.isArray(list)) throw new InvalidArgument(`${where} must be an array of interceptors`);
  list.forEach((i: unknown, n) => {
    if (typeof i !== 'object' || i === null) throw new InvalidArgument(`${where}[${n}] must be an object`);
    for (const key of ['beforeDecide', 'afterAppend', 'onRefusal'] as const) {
      const fn = (i as Record<string, unknown>)[key];
      if (fn !== undefined && typeof fn !== 'function')
        throw new InvalidArgument(`${where}[${n}].${key} must be a function`);
    }
  });
}

/** Composes the runtime's and each aggregate's interceptors; null when there are none at all. */
export function buildInterceptorTable(
  runtime: readonly Interceptor[],
  aggregates: Iterable<AnyAggregate>,
): InterceptorTable {
  const table = new Map<string, InterceptorChain>();
  for (const def of aggregates) {
    const own = (def.interceptors ?? []) as readonly Interceptor[];
    if (runtime.length === 0 && own.length === 0) continue;
    const layered = [
      ...runtime.map((i, n) => [i, i.name ?? `runtime[${n}]`] as const),
      ...own.map((i, n) => [i, i.name ?? `${def.type}[${n}]`] as const),
    ];
    const hooks = <K extends 'beforeDecide' | 'afterAppend' | 'onRefusal', T>(key: K): Hook<T>[] =>
      layered.flatMap(([self, name]) => {
        const fn = self[key] as ((ctx: T) => unknown) | undefined;
        return fn === undefined ? [] : [{ name, fn, self }];
      });
    table.set(def.type, {
      before: hooks<'beforeDecide', BeforeDecideContext>('beforeDecide'),
      after: hooks<'afterAppend', AfterAppendContext>('afterAppend').reverse(),
      refusal: hooks<'onRefusal', RefusalContext>('onRefusal').reverse(),
    });
  }
  return table.size === 0 ? null : table;
}

/**
 * Runs the chain's `beforeDecide` hooks in order: undefined when every one let the command pass,
 * a Refused when one refused it or threw. Synchronous while the hooks are; a promise from the
 * first hook that returns one.
 */
export function beforeDecide(
  chain: InterceptorChain,
  ctx: BeforeDecideContext,
): Refused | undefined | Promise<Refused | undefined> {
  const { before } = chain;
  const { commandId } = ctx.metadata;
  for (let i = 0; i < before.length; i++) {
    const hook = before[i] as Hook<BeforeDecideContext>;
    let returned: unknown;
    let thenable: boolean;
    try {
      returned = hook.fn.call(hook.self, ctx);
      thenable = isThenable(returned); // reading `.then` may throw (a Proxy): the hook's failure
    } catch (error) {
      return refusal(ctx.streamId, hook.name, error);
    }
    if (thenable) return continueAsync(chain, ctx, i, returned as PromiseLike<unknown>, commandId);
    const tampered = tamperedWith(ctx, hook.name, commandId);
    if (tampered !== undefined) return tampered;
  }
  return undefined;
}

async function continueAsync(
  chain: InterceptorChain,
  ctx: BeforeDecideContext,
  from: number,
  pending: PromiseLike<unknown>,
  commandId: string | undefined,
): Promise<Refused | undefined> {
  const { before } = chain;
  let waiting: PromiseLike<unknown> | undefined = pending;
  for (let i = from; i < before.length; i++) {
    const hook = before[i] as Hook<BeforeDecideContext>;
    try {
      const returned = waiting ?? hook.fn.call(hook.self, ctx);
      waiting = undefined;
      if (isThenable(returned)) await returned;
    } catch (error) {
      return refusal(ctx.streamId, hook.name, error);
    }
    const tampered = tamperedWith(ctx, hook.name, commandId);
    if (tampered !== undefined) return tampered;
  }
  return undefined;
}

/** A Rejection refuses the command as REJECTED; anything else is a bug in the interceptor. */
function refusal(streamId: string, name: string, error: unknown): Refused {
  try {
    if (isRejection(error)) return new Refused(error, true);
  } catch {
    // Looking at it threw (a Proxy whose traps throw): a bug in the interceptor like any other.
  }
  return new Refused(new InterceptorFailed(streamId, name, error), false, error);
}

/** The keys idempotent retries rely on are not an interceptor's to change. */
function tamperedWith(
  ctx: BeforeDecideContext,
  name: string,
  commandId: string | undefined,
): Refused | undefined {
  const m = ctx.metadata;
  if (m.commandId === commandId && m.fingerprint === undefined && m.codec === undefined) {
    // Stored as JSON with every event: what JSON cannot keep refuses this command alone, not
    // (at the store's append) every command of its batch.
    try {
      jsonCodec.encode(m, 'metadata');
      return undefined;
    } catch (error) {
      const why =
        error instanceof InvalidArgument ? error : new InvalidArgument('metadata could not be read');
      return new Refused(new InterceptorFailed(ctx.streamId, name, why), false, why);
    }
  }
  const why = new InvalidArgument('metadata.commandId, .fingerprint and .codec are the runtime’s to set');
  return new Refused(new InterceptorFailed(ctx.streamId, name, why), false, why);
}

/**
 * Calls `after` or `refusal` hooks, each on its own: a throw or a rejected promise is logged and
 * counted, and the next hook still runs. Never throws, never awaits.
 */
export function notify<T>(
  hooks: readonly Hook<T>[],
  ctx: T,
  metrics: Metrics,
  logger: () => Logger,
  what: 'afterAppend' | 'onRefusal',
): void {
  for (const hook of hooks) {
    const failed = (error: unknown) => {
      metrics.counters.listenerFailures++;
      try {
        logger().error({ err: error, interceptor: hook.name }, `interceptor ${what} failed (ignored)`);
      } catch {
        // The logger could not serialise what was thrown (a Proxy whose traps throw): say it without.
        logger().error({ interceptor: hook.name }, `interceptor ${what} failed (ignored)`);
      }
    };
    try {
      const returned = hook.fn.call(hook.self, ctx);
      if (isThenable(returned)) returned.then(undefined, failed);
    } catch (error) {
      failed(error);
    }
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}
