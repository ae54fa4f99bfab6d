/** `actorfold projections --socket`: the daemon's projections, how far each got and how far behind it is. */
import { count, type Output, plural } from '../output.js';
import { live } from '../store-access.js';

export async function projections(opts: { socket: string }, out: Output): Promise<void> {
  const view = await live(opts.socket).projections();
  if (out.json) return out.data(view);
  out.table(
    ['name', 'state', 'position', 'checkpoint', 'lag', 'error'],
    view.projections.map((p) => [
      p.name,
      p.state,
      count(p.position),
      count(p.checkpoint),
      count(p.lag),
      p.error ?? '',
    ]),
    ['left', 'left', 'right', 'right', 'right', 'left'],
  );
  out.note(plural(view.projections.length, 'projection'));
}
