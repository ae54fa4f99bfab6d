import { defineConfig } from 'vitest/config';

// The examples run as real processes (node --import tsx): generous ceilings, no timed assertions.
export default defineConfig({ test: { testTimeout: 60_000 } });
