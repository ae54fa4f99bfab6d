/**
 * Runs before every test file of every package (vitest.shared.ts lists it in `setupFiles`).
 *
 * `vi.waitFor` and `vi.waitUntil` default to a 1 s ceiling and a 50 ms poll. A ceiling that short
 * failed tests on the shared 2-core machine whenever the load went up (the condition came true
 * after 1.2 s), and a 50 ms poll adds up to 50 ms to every wait that does succeed. The defaults
 * here: a ceiling well past a loaded machine's delays and below the test's own, so a condition that
 * never comes true still fails, with the condition's last error; and a 10 ms poll. A call that
 * passes its own timeout or interval keeps it.
 *
 * Test files share their worker's modules (`isolate: false`), so this file runs again before
 * each of them while `vi` and the support modules stay loaded: the wrapping is done once, and
 * the per-file cleanups of support modules are run here (see AFTER_FILE).
 */
import { afterAll, vi } from 'vitest';

const TIMEOUT_MS = 15_000;
const INTERVAL_MS = 10;

type WaitOptions = number | { timeout?: number; interval?: number } | undefined;

function withDefaults(options: WaitOptions): { timeout: number; interval: number } {
  if (typeof options === 'number') return { timeout: options, interval: INTERVAL_MS };
  return { timeout: options?.timeout ?? TIMEOUT_MS, interval: options?.interval ?? INTERVAL_MS };
}

const WRAPPED = Symbol.for('actorfold.test.waitDefaults');
if (!(WRAPPED in vi)) {
  const { waitFor, waitUntil } = vi;
  vi.waitFor = ((callback: Parameters<typeof waitFor>[0], options?: WaitOptions) =>
    waitFor(callback, withDefaults(options))) as typeof waitFor;
  vi.waitUntil = ((callback: Parameters<typeof waitUntil>[0], options?: WaitOptions) =>
    waitUntil(callback, withDefaults(options))) as typeof waitUntil;
  Object.defineProperty(vi, WRAPPED, { value: true });
}

/**
 * Cleanups that shared support modules (temporary folders, ...) register for the test file
 * running now, through `globalThis[Symbol.for('actorfold.test.afterFile')]`: a top-level
 * `afterAll` in a support module would be bound to the first file that loaded it. Registered
 * here first, this `afterAll` runs after the file's own (hooks run in reverse order), so a file
 * stops its processes before their folders are removed.
 */
const AFTER_FILE = Symbol.for('actorfold.test.afterFile');
const registry = globalThis as { [AFTER_FILE]?: Array<() => unknown> };
registry[AFTER_FILE] ??= [];
const pending = registry[AFTER_FILE];
afterAll(async () => {
  for (const cleanup of pending.splice(0).reverse()) await cleanup();
});
