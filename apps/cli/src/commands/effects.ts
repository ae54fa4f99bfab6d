/**
 * `actorfold effects [state]`: the durable effects a running daemon has not yet settled
 * (pending, running, retrying with their last error, delivering, failed), through its admin
 * socket: only the runtime knows which attempts run on it. `effects retry` and `effects abandon`
 * act on one effect through the runtime, which records the change in the store.
 */
import { type AdminClient, type EffectView, isAdminError } from '@actorfold/admin/client';
import type { EffectState } from '@actorfold/core';
import { CliError, EXIT } from '../cli-error.js';
import type { Output } from '../output.js';
import { live } from '../store-access.js';
import { target } from '../target.js';

export interface EffectsOptions {
  socket: string;
  aggregate?: string;
  limit: number;
}

/** Lists effects not yet settled, earliest next first. */
export async function effects(state: EffectState | undefined, o: EffectsOptions, out: Output): Promise<void> {
  const stream = o.aggregate === undefined ? undefined : target(o.aggregate, undefined);
  const view = await withEffects(live(o.socket), (client) =>
    client.effects({
      limit: o.limit,
      ...(state === undefined ? {} : { state }),
      ...(stream === undefined ? {} : { stream: stream.stream }),
    }),
  );
  if (out.json) return out.data(view);
  out.table(
    ['stream', 'effect', 'name', 'state', 'attempts', 'next at', 'age', 'last error'],
    view.effects.map((e) => [
      e.streamId,
      e.id,
      e.name,
      e.state,
      e.attempts,
      e.nextAt,
      duration(e.ageMs),
      lastError(e),
    ]),
    ['left', 'left', 'left', 'left', 'right', 'left', 'right', 'left'],
  );
  out.note(
    `${view.effects.length} ${state ?? 'unsettled'} shown; ${view.unsettled} not yet settled in all (as of ${view.now})`,
  );
}

/** Runs one effect again now, with a fresh retry budget. */
export async function retryEffect(
  aggregate: string,
  id: string,
  o: { socket: string },
  out: Output,
): Promise<void> {
  const t = target(aggregate, undefined);
  const r = await withEffects(live(o.socket), (client) => client.retryEffect(t.type, t.id, id));
  if (out.json) return out.data(r);
  out.line(`${r.streamId}: effect '${r.id}' runs again now, with a fresh budget`);
}

/** Stops retrying one effect: the aggregate receives its failure (EFFECT_ABANDONED) now. */
export async function abandonEffect(
  aggregate: string,
  id: string,
  o: { socket: string; reason?: string },
  out: Output,
): Promise<void> {
  const t = target(aggregate, undefined);
  const r = await withEffects(live(o.socket), (client) => client.abandonEffect(t.type, t.id, id, o.reason));
  if (out.json) return out.data(r);
  out.line(
    `${r.streamId}: effect '${r.id}' abandoned; its failure (EFFECT_ABANDONED) is delivered to the aggregate`,
  );
}

/** Says plainly when the daemon runs no effects, and how to find an effect's id. */
async function withEffects<T>(client: AdminClient, use: (client: AdminClient) => Promise<T>): Promise<T> {
  try {
    return await use(client);
  } catch (e) {
    if (isAdminError(e) && e.code === 'NOT_SUPPORTED')
      throw new CliError(
        EXIT.FAILED,
        e.message,
        'effects run only where the runtime has effect implementations registered (RuntimeOptions.effects)',
        { cause: e },
      );
    if (isAdminError(e) && e.code === 'NOT_FOUND')
      throw new CliError(
        EXIT.NOT_FOUND,
        e.message,
        'list them with actorfold effects --socket <path> (a settled effect is no longer listed)',
        { cause: e },
      );
    throw e;
  }
}

function lastError(e: EffectView): string {
  if (e.lastError === undefined) return '';
  const text =
    e.lastError.code === undefined ? e.lastError.message : `${e.lastError.code}: ${e.lastError.message}`;
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 172_800_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} d`;
}
