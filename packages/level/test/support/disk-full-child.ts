/**
 * Runs in a tiny tmpfs (the test mounts it in a private mount namespace): appends commands with
 * growing payloads until the disk is full, then prints one JSON line with what happened.
 * argv: folder
 */
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
const runtime = await createRuntime({ store: levelStore({ path: folder }), aggregates: [blobs] });
const h = runtime.get(blobs, 'b1');
let acked = 0;
let failure: { code?: string; reason?: string | undefined; message: string } | undefined;
const blob = 'x'.repeat(64 * 1024);
for (let i = 0; i < 10_000 && failure === undefined; i++) {
  try {
    await h.execute({ type: 'put', blob: `${i}${blob}` });
    acked++;
  } catch (e) {
    failure = isActorfoldError(e)
      ? { code: e.code, reason: (e as { reason?: string }).reason, message: e.message }
      : { message: String(e) };
  }
}
const after = await h.state().then(
  (s) => ({ version: s.version, count: s.state.count }),
  (e: unknown) => ({ error: String(e) }),
);
process.stdout.write(`${JSON.stringify({ acked, failure, after, alive: h.isAlive() })}\n`);
process.exit(0);
