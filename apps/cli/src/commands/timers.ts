/**
 * `actorfold timers [status]`: durable timers, offline on a store folder (`--data`) or live
 * through a running daemon's admin socket (`--socket`): pending, due, overdue (due for over a
 * minute: the runtime is behind or down), or one aggregate's fired ones. Live, `--fire <name>`
 * and `--cancel <name>` act on one pending timer through its aggregate's actor.
 */
import { parseInstant, type TimerStatus, type TimersView } from '@actorfold/admin/client';
import { CliError, EXIT } from '../cli-error.js';
import type { Output } from '../output.js';
import { live, type WhereOptions, where, withStore } from '../store-access.js';
import { target } from '../target.js';

export interface TimersOptions extends WhereOptions {
  aggregate?: string;
  dueBefore?: string;
  limit: number;
  fire?: string;
  cancel?: string;
}

export async function timers(status: TimerStatus, o: TimersOptions, out: Output): Promise<void> {
  const w = where('timers', o, { offline: true, live: true });
  const stream = o.aggregate === undefined ? undefined : target(o.aggregate, undefined);
  if (o.fire !== undefined || o.cancel !== undefined) return act(w, stream, o, out);
  if (status === 'fired' && stream === undefined)
    throw new CliError(EXIT.USAGE, 'fired timers are listed per aggregate: add --aggregate <type/id>');
  let view: TimersView;
  if (w.mode === 'offline') {
    const dueBefore = o.dueBefore === undefined ? undefined : parseInstant(o.dueBefore);
    view = await withStore(w.data, 'actorfold timers --socket <path>', async (store) => {
      // The admin package's main entry loads the runtime: only the offline form needs it.
      const { listTimers } = await import('@actorfold/admin');
      if (store.timers === undefined) throw new CliError(EXIT.FAILED, 'this store keeps no timers');
      return listTimers(store.timers, (s) => store.readStream(s), Date.now(), {
        status,
        limit: o.limit,
        ...(stream === undefined ? {} : { streamId: stream.stream }),
        ...(dueBefore === undefined ? {} : { dueBefore }),
      });
    });
  } else {
    view = await live(w.socket).timers({
      status,
      limit: o.limit,
      ...(stream === undefined ? {} : { stream: stream.stream }),
      ...(o.dueBefore === undefined ? {} : { dueBefore: o.dueBefore }),
    });
  }
  if (out.json) return out.data(view);
  if (status === 'fired') {
    out.table(
      ['name', 'scheduled at version', 'fired at', 'event', 'version'],
      view.fired.map((f) => [f.name, f.scheduledAt, f.firedAt, f.eventType, f.version]),
      ['left', 'right', 'left', 'left', 'right'],
    );
    out.note(`${view.fired.length} fired timer(s) of ${stream?.stream}`);
    return;
  }
  out.table(
    ['stream', 'name', 'due at', 'late by', 'command', 'missed'],
    view.timers.map((t) => [
      t.streamId,
      t.name,
      t.dueAt,
      t.lateMs === 0 ? '' : late(t.lateMs),
      t.command.type,
      t.missed,
    ]),
    ['left', 'left', 'left', 'right', 'left', 'left'],
  );
  out.note(`${view.timers.length} ${status} shown; ${view.pending} pending in the store (as of ${view.now})`);
}

async function act(
  w: ReturnType<typeof where>,
  stream: ReturnType<typeof target> | undefined,
  o: TimersOptions,
  out: Output,
): Promise<void> {
  if (o.fire !== undefined && o.cancel !== undefined)
    throw new CliError(EXIT.USAGE, 'give either --fire <name> or --cancel <name>, not both');
  if (w.mode === 'offline')
    throw new CliError(
      EXIT.USAGE,
      'firing or cancelling a timer goes through its aggregate: give the daemon with --socket <path>',
    );
  if (stream === undefined) throw new CliError(EXIT.USAGE, 'say whose timer: add --aggregate <type/id>');
  const client = live(w.socket);
  if (o.fire !== undefined) {
    const r = await client.fireTimer(stream.type, stream.id, o.fire);
    if (out.json) return out.data(r);
    out.line(`${r.streamId}: timer '${r.name}' ${r.outcome} (the stream is at version ${r.version})`);
    return;
  }
  const r = await client.cancelTimer(stream.type, stream.id, o.cancel as string);
  if (out.json) return out.data(r);
  out.line(
    r.cancelled
      ? `${r.streamId}: timer '${r.name}' cancelled`
      : `${r.streamId}: no pending timer '${r.name}', nothing cancelled`,
  );
}

function late(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 172_800_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} d`;
}
