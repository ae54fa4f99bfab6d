/** `actorfold actors --socket`: the daemon's resident actors. */
import { bytes, count, duration, type Output, plural } from '../output.js';
import { live } from '../store-access.js';

export interface ActorsOptions {
  socket: string;
  type?: string;
  limit: number;
  stateSize: boolean;
}

export async function actors(opts: ActorsOptions, out: Output): Promise<void> {
  const view = await live(opts.socket).actors({
    ...(opts.type === undefined ? {} : { type: opts.type }),
    limit: opts.limit,
    stateSize: opts.stateSize,
  });
  if (out.json) return out.data(view);
  const head = ['type', 'id', 'status', 'version', 'mailbox', 'idle for'];
  if (opts.stateSize) head.push('state size');
  out.table(
    head,
    view.actors.map((a) => {
      const row: Array<string | number> = [
        a.type,
        a.id,
        a.status,
        a.version,
        a.mailboxDepth,
        duration(a.idleForMs),
      ];
      if (opts.stateSize) row.push(a.stateBytes === undefined ? '-' : bytes(a.stateBytes));
      return row;
    }),
    ['left', 'left', 'left', 'right', 'right', 'right', 'right'],
  );
  const shown = view.actors.length;
  out.note(
    `${plural(view.total, 'resident actor')}${shown < view.total ? ` (showing ${count(shown)}; --limit for more)` : ''}`,
  );
}
