/**
 * Runs in a tiny tmpfs (the test mounts it in a private mount namespace): appends commands with
 * growing payloads until the disk is full, frees some room (a filler file written first), tries
 * one more command, reopens the store, then prints one JSON line with what happened (and what
 * `writeRefusal()` and `onWriteRefusal` said, before and after reopening).
 * argv: folder
 */
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRuntime, defineAggregate, isActorfoldError } from '@actorfold/core';
import { levelStore } from '../../src/index.js';

type Cmd = { type: 'put'; blob: string };
type Ev = { type: 'Put'; blob: string };
const blobs = defineAggregate<{ count: number; bytes: number }, Cmd, Ev>({
  type: 'blobs',
  initialState: () => ({ count: 0, bytes: 0 }),
  decide: (_s, c) => [{ type: 'Put', blob: c.blob }],
  evolve: (s, e) => ({ count: s.count + 1, bytes: s.bytes + e.blob.length }),
});

const [folder] = process.argv.slice(2) as [string];
const filler = join(dirname(folder), 'filler');
writeFileSync(filler, Buffer.alloc(256 * 1024));
const store = await levelStore({ path: folder });
const runtime = await createRuntime({ store, aggregates: [blobs] });
const h = runtime.get(blobs, 'b1');
let acked = 0;
type Failure = {
  code?: string;
  reason?: string | undefined;
  outcomeUnknown?: boolean | undefined;
  message: string;
};
const failureOf = (e: unknown): Failure =>
  isActorfoldError(e)
    ? {
        code: e.code,
        reason: (e as { reason?: string }).reason,
        outcomeUnknown: (e as { outcomeUnknown?: boolean }).outcomeUnknown,
        message: e.message,
      }
    : { message: String(e) };
let failure: Failure | undefined;
const heard: Failure[] = [];
store.onWriteRefusal((refusal) => heard.push(failureOf(refusal)));
const blob = 'x'.repeat(64 * 1024);
for (let i = 0; i < 10_000 && failure === undefined; i++) {
  try {
    await h.execute({ type: 'put', blob: `${i}${blob}` });
    acked++;
  } catch (e) {
    failure = failureOf(e);
  }
}
const after = await h.state().then(
  (s) => ({ version: s.version, count: s.state.count }),
  (e: unknown) => ({ error: String(e) }),
);
const alive = h.isAlive();
const refusal = failureOf(store.writeRefusal());
// With room again LevelDB itself takes writes, but its log holds the torn record of the failed one.
rmSync(filler);
let afterFree: Failure | undefined;
let ackedAfterFree = false;
try {
  await h.execute({ type: 'put', blob: 'small' });
  ackedAfterFree = true;
} catch (e) {
  afterFree = failureOf(e);
}
await runtime.shutdown();
await store.close();
const reopened = await levelStore({ path: folder });
const stored = await reopened.streamVersion('blobs/b1');
const reopenedRefusal = reopened.writeRefusal() ?? null;
await reopened.close();
process.stdout.write(
  `${JSON.stringify({ acked, failure, after, alive, afterFree, ackedAfterFree, stored, refusal, heard, reopenedRefusal })}\n`,
);
process.exit(0);
