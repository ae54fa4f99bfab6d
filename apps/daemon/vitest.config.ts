import { defineConfig } from 'vitest/config';
import { processTestWorkers, sharedTest } from '../../vitest.shared.js';

// The e2e tests spawn real processes (daemon, supervisor) and wait for them: generous ceilings,
// never timed assertions.
export default defineConfig({
  test: {
    ...sharedTest,
    testTimeout: 60_000,
    hookTimeout: 30_000,
    // Their files mostly wait for processes: several at once (vitest.shared.ts).
    maxWorkers: processTestWorkers,
  },
});
