/**
 * Vitest is an optional peer: `describeEventStore`, `describeReplayFidelity` and `verifyLedger` use its API, the
 * given/when/then helpers use none. It is loaded here once, so that importing this package
 * without Vitest installed works and only those three functions fail, saying what to install.
 * (The top-level await makes this package ESM-only for `require()`: import it.)
 */
import type * as Vitest from 'vitest';
import { MissingPeer } from './missing-peer.js';

const loaded: typeof Vitest | undefined = await import('vitest').catch((e: unknown) => {
  const notInstalled =
    (e as { code?: unknown } | null)?.code === 'ERR_MODULE_NOT_FOUND' && /'vitest'/.test(String(e));
  if (notInstalled) return undefined;
  throw e;
});

/** Vitest's API for `needer`, or a MissingPeer error when Vitest is not installed. */
export function vitest(needer: string): typeof Vitest {
  if (loaded === undefined) throw new MissingPeer('vitest', needer);
  return loaded;
}
