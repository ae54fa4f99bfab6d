/** `actorfold evict <type> <id> --socket`: passivates an actor now (it snapshots if due). */
import type { Output } from '../output.js';
import { live } from '../store-access.js';

export async function evict(type: string, id: string, opts: { socket: string }, out: Output): Promise<void> {
  const r = await live(opts.socket).evict(type, id);
  if (out.json) return out.data(r);
  out.line(
    r.evicted
      ? `${r.streamId}: evicted (the next command respawns it)`
      : `${r.streamId}: not resident, nothing to evict`,
  );
}
