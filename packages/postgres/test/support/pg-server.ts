/**
 * Vitest global setup: starts one throwaway PostgreSQL server (initdb + pg_ctl in a temporary
 * folder, as the `postgres` user when we are root) for all test files, and stops and removes it
 * afterwards. ACTORFOLD_TEST_PG_URL points the tests at an existing server instead (its user
 * must be allowed to create databases). Without server binaries the tests are skipped with the
 * reason printed, except under CI, where that is a failure: CI must run them.
 */
import type { TestProject } from 'vitest/node';
import { startTemporaryServer, temporaryServerUnavailable } from '../../src/testing/index.js';

/** Either a server's admin URL, or why there is none. */
export type PostgresForTests = { url: string; skip?: undefined } | { url?: undefined; skip: string };

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: PostgresForTests;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const external = process.env.ACTORFOLD_TEST_PG_URL;
  if (external !== undefined && external !== '') {
    project.provide('postgres', { url: external });
    return undefined;
  }
  const why = temporaryServerUnavailable();
  if (why !== undefined) {
    if (process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false') {
      throw new Error(`the PostgreSQL tests must run in CI, but cannot: ${why}`);
    }
    console.warn(`\n@actorfold/postgres: SKIPPED every PostgreSQL test: ${why}\n`);
    project.provide('postgres', { skip: why });
    return undefined;
  }
  const server = await startTemporaryServer();
  project.provide('postgres', { url: server.url() });
  return () => server.stop();
}
