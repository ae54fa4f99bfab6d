import { configDefaults, defineConfig } from 'vitest/config';

// `*.after-merge.test.ts` need runtime features other branches bring (async decide, domainErrors,
// the codec boundary): left out of the default run until then; ACTORFOLD_AFTER_MERGE=1 runs them.
export default defineConfig({
  test: {
    exclude: process.env.ACTORFOLD_AFTER_MERGE
      ? configDefaults.exclude
      : [...configDefaults.exclude, '**/*.after-merge.test.ts'],
  },
});
