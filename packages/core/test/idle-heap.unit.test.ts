/**
 * Interceptors and an observer add nothing to an idle actor: measured in a child process with
 * `--expose-gc` (the heap of N idle resident actors minus the heap once they are evicted), on a
 * runtime without them and on one with runtime and aggregate interceptors and an observer.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
/** The idle-actor budget (docs/internals.md): heap per resident idle actor beyond its state. */
const BUDGET_BYTES = 512;

describe('the idle-actor memory budget', () => {
  it('is the same with interceptors and an observer registered as without, and within 512 B', async () => {
    const fixture = fileURLToPath(new URL('./support/idle-heap.ts', import.meta.url));
    const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', fixture, '10000'], {
      timeout: 240_000,
    });
    const { plain, hooked } = JSON.parse(stdout) as { plain: number[]; hooked: number[] };
    const [bestPlain, bestHooked] = [Math.min(...plain), Math.min(...hooked)];
    expect(bestPlain).toBeGreaterThan(100); // the measurement sees the actors at all
    // Noise only adds bytes (garbage not yet collected), so the smaller sample is the measurement.
    expect(bestHooked).toBeLessThanOrEqual(BUDGET_BYTES);
    // No per-actor field: any difference is measurement noise (a pointer would be 8 B per actor).
    expect(bestHooked - bestPlain).toBeLessThanOrEqual(24);
  }, 300_000);
});
