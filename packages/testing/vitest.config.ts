import { defineConfig } from 'vitest/config';

// The `*.after-merge.test.ts` files needed async decide, domainErrors and the codec boundary,
// which the runtime now has: they run by default.
export default defineConfig({ test: {} });
