import { defineConfig } from 'vitest/config';
import { processTestWorkers, sharedTest } from '../../vitest.shared.js';

export default defineConfig({
  test: {
    ...sharedTest,
    // Its two longest files are a heap measurement in a child process (idle-heap) and a property
    // test; with one worker they and everything else ran one after another, and core was still
    // running on one core after most packages had finished (vitest.shared.ts).
    maxWorkers: processTestWorkers,
  },
});
