import { defineConfig } from 'vitest/config';

// Several tests start child processes (tsx) and write thousands of synced commands on real folders:
// generous ceilings for a busy machine, never timed assertions.
export default defineConfig({ test: { testTimeout: 30_000, hookTimeout: 30_000 } });
