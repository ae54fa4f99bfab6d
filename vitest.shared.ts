/**
 * What every package's vitest.config.ts shares.
 *
 * The workspace packages a test imports (`@actorfold/core`, `@actorfold/testing`, the example
 * daemon...) resolve through node_modules symlinks to their built `dist/` folders, which lie
 * outside node_modules: Vitest would then run every one of their modules through Vite's
 * transform pipeline again in every test file's worker (most of a run's CPU went there). They
 * are plain, already compiled ESM, so Node loads them natively instead, like any installed
 * dependency. The package's own `src/` and `test/` still go through Vite. One copy of each
 * module either way: every importer, native or not, resolves the same real path.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ViteUserConfig } from 'vitest/config';

type TestConfig = NonNullable<ViteUserConfig['test']>;

/** Built workspace packages (`packages/<name>/dist`, `apps/<name>/dist`), loaded natively. */
export const workspaceBuilds: RegExp[] = [/\/(packages|apps)\/[^/]+\/dist\//];

/**
 * The shared `test` settings; a package spreads them and adds its own. The ceilings are generous
 * because 2 cores run every package's tests at once (and other work besides): a test that hangs
 * still fails, but a slow machine does not fail a test, which never asserts wall-clock speed.
 * `expect.poll`, `vi.waitFor` and `vi.waitUntil` get a ceiling fit for a loaded machine and a
 * short poll (vitest.setup.ts).
 */
export const sharedTest: TestConfig = {
  server: { deps: { external: workspaceBuilds } },
  // The files of a package share their workers' module cache instead of each starting a fresh
  // worker process and loading Vitest and the package's modules again: measured alone, core's
  // run went from 61 s to 36 s of CPU (xstate's from 21 s to 8 s). Every file still gets its
  // own test module and setup file (vitest.setup.ts); a support module shared by several files
  // registers its per-file cleanups through vitest.setup.ts's afterThisFile, never with a
  // top-level afterAll/afterEach (that would be bound to the first file that imported it).
  isolate: false,
  testTimeout: 30_000,
  hookTimeout: 30_000,
  setupFiles: [fileURLToPath(new URL('./vitest.setup.ts', import.meta.url))],
  expect: { poll: { timeout: 15_000, interval: 10 } },
};

/**
 * Workers for a package whose test files mostly wait (for the processes they start and kill, for
 * fsyncs, for a PostgreSQL server: the CLI's and the daemon's end-to-end files, level's and
 * postgres' crash tests), or whose longest files would otherwise run back to back at the end of
 * `npm test` (core): one per core, at least 2. Vitest's default is one less than the
 * cores, so on a 2-core machine those files ran one after another, and the CLI's (the longest sum)
 * kept `npm test` going alone on one core after every other package had finished. Packages whose
 * tests compute keep the default: `npm test` already runs every package at once.
 */
export const processTestWorkers: number = Math.max(2, availableParallelism());
