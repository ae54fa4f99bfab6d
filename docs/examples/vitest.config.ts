import { defineConfig } from 'vitest/config';
import { sharedTest } from '../../vitest.shared.js';

// The examples run as real processes (node --import tsx): generous ceilings, no timed assertions.
export default defineConfig({ test: { ...sharedTest, testTimeout: 60_000 } });
