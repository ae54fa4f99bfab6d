import { configDefaults, defineConfig } from 'vitest/config';

// The Decider tests through the runtime run by default now that async decide, domainErrors and
// the codec boundary are in. The replay-fidelity property stays opt-in (ACTORFOLD_AFTER_MERGE=1):
// a state holding an object with a `toJSON` function compares unequal after replay.
export default defineConfig({
  test: {
    exclude: process.env.ACTORFOLD_AFTER_MERGE
      ? configDefaults.exclude
      : [...configDefaults.exclude, '**/*replay-fidelity.after-merge.test.ts'],
  },
});
