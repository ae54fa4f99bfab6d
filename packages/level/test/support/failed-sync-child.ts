/**
 * Runs with the failing-sync library preloaded (failing-sync.ts): records `c1`, makes the next
 * fsync fail (creates the flag file) while recording `c2`, removes the flag and tries `c3`, then
 * tries a raw LevelDB write, and prints one JSON line with what each call did and what the
 * store said of its writes (`writeRefusal()` before, after, and after close; `onWriteRefusal`).
 * With a third argument `checkpoint`, the fsync fails under a checkpoint write instead, followed by
 * an append, a snapshot and another checkpoint (and a refusal listener throws).
 * argv: folder flag [checkpoint]
 */
import { rmSync, writeFileSync } from 'node:fs';
import { createRuntime, isActorfoldError } from '@actorfold/core';
import { ClassicLevel } from 'classic-level';
import { levelStore } from '../../src/index.js';
import { DEDUPE_WINDOW, ledger } from './ledger.js';

const [folder, flag, scenario] = process.argv.slice(2) as [string, string, string | undefined];

function outcome(e: unknown): Record<string, unknown> {
  return isActorfoldError(e)
    ? { ...e, code: e.code, message: e.message }
    : { message: e instanceof Error ? e.message : String(e) };
}

async function attempt(call: () => Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await call();
    return { ok: true };
  } catch (e) {
    return { ok: false, ...outcome(e) };
  }
}

if (scenario === 'checkpoint') {
  const store = await levelStore({ path: folder, tailMarkIntervalMs: 3_600_000 });
  // A listener's bug surfaces as an uncaught error and disturbs neither the store nor other listeners.
  const uncaught: string[] = [];
  process.on('uncaughtException', (e) => uncaught.push(String(e)));
  store.onWriteRefusal(() => {
    throw new Error('a listener bug');
  });
  const heard: Array<Record<string, unknown>> = [];
  store.onWriteRefusal((refusal) => heard.push(outcome(refusal)));
  const cp1 = await attempt(() => store.checkpoints.set('p', 1));
  writeFileSync(flag, '');
  const cp2 = await attempt(() => store.checkpoints.set('p', 2));
  rmSync(flag);
  const refusal = outcome(store.writeRefusal());
  const append = await attempt(() => store.append('s/1', [{ data: { type: 'x' } }], { expectedVersion: 0 }));
  const snapshot = await attempt(() =>
    store.snapshots.save({
      streamId: 's/1',
      version: 1,
      schemaVersion: 1,
      state: {},
      timestamp: new Date().toISOString(),
    }),
  );
  const cp3 = await attempt(() => store.checkpoints.set('p', 3));
  await store.close();
  process.stdout.write(`${JSON.stringify({ cp1, cp2, refusal, heard, append, snapshot, cp3, uncaught })}\n`);
  process.exit(0);
}

const store = await levelStore({ path: folder, tailMarkIntervalMs: 3_600_000 });
const runtime = await createRuntime({ store, aggregates: [ledger], dedupeWindow: DEDUPE_WINDOW });
const h = runtime.get(ledger, 'l1');
const record = (tag: string) => () => h.execute({ type: 'record', tag, parts: 2 }, { commandId: tag });
const heard: Array<Record<string, unknown>> = [];
store.onWriteRefusal((refusal) => heard.push(outcome(refusal)));
const c1 = await attempt(record('c1'));
const refusalBefore = store.writeRefusal() ?? null;
writeFileSync(flag, '');
const c2 = await attempt(record('c2'));
rmSync(flag);
const refusal = outcome(store.writeRefusal());
const c3 = await attempt(record('c3'));
const state = await h.state();
await runtime.shutdown();
await store.close();
const refusalAfterClose = store.writeRefusal()?.message ?? null;

// LevelDB itself, after a failed sync: does it take another write?
const raw = new ClassicLevel<string, string>(`${folder}-raw`);
await raw.open();
await raw.put('a', '1', { sync: true });
writeFileSync(flag, '');
const rawFailed = await attempt(() => raw.batch().put('b', '2').write({ sync: true }));
rmSync(flag);
const rawAfter = await attempt(() => raw.put('c', '3'));
await raw.close();

process.stdout.write(
  `${JSON.stringify({ c1, c2, c3, version: state.version, rawFailed, rawAfter, refusalBefore, refusal, heard, refusalAfterClose })}\n`,
);
process.exit(0);
