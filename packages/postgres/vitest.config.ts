import { defineConfig } from 'vitest/config';
import { processTestWorkers, sharedTest } from '../../vitest.shared.js';

// One throwaway PostgreSQL server (test/support/pg-server.ts) serves every test file; each file
// works in its own database. The crash and gap tests spawn processes and wait for them:
// generous ceilings, never timed assertions.
export default defineConfig({
  test: {
    ...sharedTest,
    globalSetup: ['test/support/pg-server.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Its files mostly wait for the server's answers and for the daemons they start and kill:
    // several files at once (vitest.shared.ts).
    maxWorkers: processTestWorkers,
  },
});
