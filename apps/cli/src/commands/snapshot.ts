/** `actorfold snapshot <type> <id> --socket`: saves a snapshot of one aggregate now. */
import type { Output } from '../output.js';
import { live } from '../store-access.js';

export async function snapshot(
  type: string,
  id: string,
  opts: { socket: string },
  out: Output,
): Promise<void> {
  const r = await live(opts.socket).snapshot(type, id);
  if (out.json) return out.data(r);
  out.line(
    r.saved
      ? `${r.streamId}: snapshot saved at version ${r.version}`
      : `${r.streamId}: nothing to save (version ${r.version})`,
  );
}
