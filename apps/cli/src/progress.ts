/**
 * A progress bar for long scans (`verify`, `streams`, `stats` on large stores), drawn on stderr
 * and only when stdout is a terminal and the output is not JSON: scripts and pipes see nothing.
 */
import { createRequire } from 'node:module';
import type cliProgressModule from 'cli-progress';

/**
 * cli-progress (CommonJS, about fifteen modules), required only when a bar is drawn: JSON, pipes
 * and live commands never draw one, and loading it was a noticeable part of their start-up.
 */
function cliProgress(): typeof cliProgressModule {
  return createRequire(import.meta.url)('cli-progress') as typeof cliProgressModule;
}

export interface Progress {
  /** Sets how far the scan is; `total` may be learnt (or grow) as the scan goes. */
  update(done: number, total?: number): void;
  stop(): void;
}

const NONE: Progress = { update: () => undefined, stop: () => undefined };

/** Updates are drawn at most this often. */
const FPS = 10;

export interface ProgressOptions {
  json: boolean;
  /** The total when known at the start; without it the bar counts until a total arrives. */
  total?: number;
  /** Where to draw; default stderr, and only when both stdout and stderr are terminals. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * A bar labelled `label` when the terminal can show one; a no-op otherwise. Until a total is
 * known it shows a plain count (never a percentage of a made-up total); once `update` brings
 * one, it becomes a bar with a percentage.
 */
export function progress(label: string, opts: ProgressOptions): Progress {
  const stream = opts.stream ?? process.stderr;
  if (opts.json) return NONE;
  if (opts.stream === undefined && (process.stdout.isTTY !== true || process.stderr.isTTY !== true))
    return NONE;
  const { SingleBar, Presets } = cliProgress();
  const make = (known: boolean) =>
    new SingleBar(
      {
        format: known ? `${label} [{bar}] {percentage}% {value}/{total}` : `${label} {value}`,
        fps: FPS,
        clearOnComplete: true,
        hideCursor: true,
        stream,
        // Drawn on any stream given explicitly (a terminal by the check above, or a test's).
        noTTYOutput: opts.stream !== undefined,
      },
      Presets.shades_classic,
    );
  let known = opts.total !== undefined;
  let bar = make(known);
  bar.start(opts.total ?? 0, 0);
  return {
    update(done, total) {
      if (total !== undefined && !known) {
        // The count so far becomes the start of a bar with its percentage.
        bar.stop();
        known = true;
        bar = make(true);
        bar.start(Math.max(total, done), done);
        return;
      }
      if (total !== undefined) bar.setTotal(Math.max(total, done));
      bar.update(done);
    },
    stop: () => bar.stop(),
  };
}
