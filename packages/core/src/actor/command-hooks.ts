import type { Logger } from 'pino';
import type { AnyAggregate } from '../aggregate/aggregate.js';
import type { ActivationObservation } from '../observability/observer.js';
import type { ActorHost } from './actor-host.js';
import { type AfterAppendContext, beforeDecide, notify, type RefusalContext } from './interceptors.js';
import { Refused } from './refused.js';
import { type CommandRequest, type ExecuteResult, eventMetadata } from './request.js';

/**
 * The actor's call sites for interceptors and the observer, kept out of actor.ts: each is
 * reached only after the actor checked that the host has interceptors or an observer, so a
 * runtime without them pays one null check per site.
 */

/** The aggregate instance an actor serves, as the hooks need it. */
export interface HookedActor {
  readonly def: AnyAggregate;
  readonly id: string;
  readonly streamId: string;
}

/**
 * When the actor takes a command up: the observer's `started` (it may add trace context to the
 * metadata), then the `beforeDecide` interceptors. Undefined: go on to decide.
 */
export function commandStarting(
  host: ActorHost,
  actor: HookedActor,
  request: CommandRequest,
  state: unknown,
  version: number,
): Refused | undefined | Promise<Refused | undefined> {
  // Once per command: a batch decided again after a conflict keeps what the hooks said.
  if (request.metadata !== undefined) return request.refusal;
  const metadata = eventMetadata(request.options);
  request.metadata = metadata;
  request.observed?.start(metadata);
  if (request.kind !== 'execute') return undefined;
  const chain = host.interceptors?.get(actor.def.type);
  if (chain === undefined || chain.before.length === 0) return undefined;
  const ran = beforeDecide(chain, {
    aggregateType: actor.def.type,
    aggregateId: actor.id,
    streamId: actor.streamId,
    command: request.command,
    state,
    version,
    metadata,
  });
  if (ran instanceof Promise) return ran.then((refused) => intercepted(request, refused));
  return intercepted(request, ran);
}

/**
 * What the interceptors said. Accepted, the command keeps a copy of its metadata as they left it:
 * an interceptor that kept `ctx.metadata` and changes it later changes nothing stored. Exact:
 * each hook's result was checked as JSON data (interceptors.ts `tamperedWith`).
 */
function intercepted(request: CommandRequest, refused: Refused | undefined): Refused | undefined {
  request.refusal = refused;
  if (refused === undefined && request.metadata !== undefined) {
    request.metadata = JSON.parse(JSON.stringify(request.metadata)) as typeof request.metadata;
  }
  return refused;
}

/**
 * After the caller got its reply: `afterAppend` for a command that appended events, `onRefusal`
 * for one that was refused or failed. At most once; errors are logged and counted.
 */
export function commandSettled(
  host: ActorHost,
  actor: HookedActor,
  request: CommandRequest,
  outcome: ExecuteResult | Refused,
  logger: () => Logger,
): void {
  const chain = host.interceptors?.get(actor.def.type);
  if (chain === undefined) return;
  const command = request.kind === 'execute' ? request.command : undefined;
  const base = { aggregateType: actor.def.type, aggregateId: actor.id, streamId: actor.streamId };
  if (outcome instanceof Refused) {
    if (chain.refusal.length === 0) return;
    const ctx: RefusalContext = {
      ...base,
      kind: request.kind,
      command,
      error: outcome.error,
      rejected: outcome.rejected,
    };
    notify(chain.refusal, ctx, host.metrics, logger, 'onRefusal');
  } else if (!outcome.deduplicated && outcome.events.length > 0 && chain.after.length > 0) {
    const { events, version, state } = outcome;
    const ctx: AfterAppendContext = { ...base, kind: request.kind, command, events, version, state };
    notify(chain.after, ctx, host.metrics, logger, 'afterAppend');
  }
}

/** The observer's view of an activation starting; undefined when it does not watch this one. */
export function activationStarting(host: ActorHost, actor: HookedActor): ActivationObservation | undefined {
  try {
    return host.observer?.activation?.({
      aggregateType: actor.def.type,
      aggregateId: actor.id,
      streamId: actor.streamId,
    });
  } catch {
    return undefined; // instrumentation never fails an activation
  }
}

/** Ends an activation's observation: replayed from `snapshotVersion` to `version`, or failed. */
export function activationEnded(
  observation: ActivationObservation,
  snapshotVersion: number,
  version: number,
  error: unknown,
): void {
  try {
    observation.ended({ eventsReplayed: version - snapshotVersion, snapshotVersion, version, error });
  } catch {
    // instrumentation never fails an activation
  }
}

/** The batch's size and its append time, for each of its commands an observer watches. */
export function observeAppend(requests: readonly CommandRequest[], ms: number): void {
  for (const r of requests) {
    if (r.observed === undefined) continue;
    r.observed.appendMs += ms;
    r.observed.batchSize = requests.length;
  }
}
