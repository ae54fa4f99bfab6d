import { defineConfig } from 'vitest/config';

// The e2e tests spawn real processes (the CLI, a daemon, a supervisor) and wait for them: generous ceilings,
// never timed assertions.
export default defineConfig({ test: { testTimeout: 60_000, hookTimeout: 30_000 } });
