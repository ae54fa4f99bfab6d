/**
 * `actorfold tail --socket`: new events as the daemon appends them, until Ctrl-C, `--limit`
 * events, or the daemon stops. With `--json`, one JSON event per line (NDJSON).
 */
import { brief, colors, type Output, terminalSafe } from '../output.js';
import { live } from '../store-access.js';

export interface TailCommandOptions {
  socket: string;
  from: number | 'end';
  type?: string[];
  event?: string[];
  limit?: number;
}

export async function tail(opts: TailCommandOptions, out: Output): Promise<void> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let seen = 0;
  try {
    const events = live(opts.socket).tail({
      from: opts.from,
      ...(opts.type === undefined ? {} : { types: opts.type }),
      ...(opts.event === undefined ? {} : { events: opts.event }),
      signal: controller.signal,
    });
    const pc = colors();
    for await (const e of events) {
      if (out.json) out.jsonLine(e);
      else
        out.line(
          `${pc.dim(`#${e.position}`)} ${terminalSafe(e.streamId)} ${pc.dim(`v${e.version}`)} ${pc.bold(terminalSafe(e.type))} ${brief(e.data, 120)}`,
        );
      seen++;
      if (opts.limit !== undefined && seen >= opts.limit) break;
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
