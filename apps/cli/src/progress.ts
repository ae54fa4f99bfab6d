/**
 * A progress bar for long scans (`verify`, `streams`, `stats` on large stores), drawn on stderr
 * and only when stdout is a terminal and the output is not JSON: scripts and pipes see nothing.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** Sets how far the scan is; `total` may grow as it learns more. */
  update(done: number, total?: number): void;
  stop(): void;
}

const NONE: Progress = { update: () => undefined, stop: () => undefined };

/** Updates are drawn at most this often. */
const FPS = 10;

/**
 * A bar labelled `label` when the terminal can show one; a no-op otherwise. With `total`
 * undefined the bar counts without a percentage.
 */
export function progress(label: string, opts: { json: boolean; total?: number }): Progress {
  if (opts.json || process.stdout.isTTY !== true || process.stderr.isTTY !== true) return NONE;
  const known = opts.total !== undefined;
  const bar = new cliProgress.SingleBar(
    {
      format: known ? `${label} [{bar}] {percentage}% {value}/{total}` : `${label} {value}`,
      fps: FPS,
      clearOnComplete: true,
      hideCursor: true,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(opts.total ?? 0, 0);
  return {
    update(done, total) {
      if (total !== undefined) bar.setTotal(total);
      bar.update(done);
    },
    stop: () => bar.stop(),
  };
}
