import { defineConfig } from 'vitest/config';
import { processTestWorkers, sharedTest } from '../../vitest.shared.js';

// Several tests start child processes (tsx) and write thousands of synced commands on real folders:
// generous ceilings for a busy machine, never timed assertions.
export default defineConfig({
  test: {
    ...sharedTest,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Most of its files' time is spent waiting for fsyncs and for the processes they kill and
    // restart: several files at once (vitest.shared.ts).
    maxWorkers: processTestWorkers,
  },
});
