/** `actorfold inspect <type> <id> --socket`: one aggregate's state, its actor and its newest events. */
import { brief, bytes, duration, type Output } from '../output.js';
import { live } from '../store-access.js';

export async function inspect(
  type: string,
  id: string,
  opts: { socket: string; events: number },
  out: Output,
): Promise<void> {
  const view = await live(opts.socket).inspect(type, id, { events: opts.events });
  if (out.json) return out.data(view);
  const a = view.actor;
  out.pairs([
    ['stream', view.streamId],
    ['version', String(view.version)],
    [
      'actor',
      a === undefined
        ? 'not resident'
        : `${a.status}, mailbox ${a.mailboxDepth}, idle for ${duration(a.idleForMs)}${view.wasResident ? '' : ' (activated by this inspect)'}`,
    ],
    ['state size', bytes(view.stateBytes)],
  ]);
  out.line();
  out.block(JSON.stringify(view.state, null, 2));
  if (view.recentEvents.length > 0) {
    out.line();
    out.table(
      ['version', 'position', 'type', 'timestamp', 'data'],
      view.recentEvents.map((e) => [e.version, e.position, e.type, e.timestamp, brief(e.data)]),
      ['right', 'right'],
    );
  }
}
