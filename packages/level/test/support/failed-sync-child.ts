/**
 * Runs with the failing-sync library preloaded (failing-sync.ts): records `c1`, makes the next
 * fsync fail (creates the flag file) while recording `c2`, removes the flag and tries `c3`, then
 * tries a raw LevelDB write, and prints one JSON line with what each call did.
 * argv: folder flag
 */
import { rmSync, writeFileSync } from 'node:fs';
import { createRuntime, isActorfoldError } from '@actorfold/core';
import { ClassicLevel } from 'classic-level';
import { levelStore } from '../../src/index.js';
import { DEDUPE_WINDOW, ledger } from './ledger.js';

const [folder, flag] = process.argv.slice(2) as [string, string];

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

const store = await levelStore({ path: folder, tailMarkIntervalMs: 3_600_000 });
const runtime = await createRuntime({ store, aggregates: [ledger], dedupeWindow: DEDUPE_WINDOW });
const h = runtime.get(ledger, 'l1');
const record = (tag: string) => () => h.execute({ type: 'record', tag, parts: 2 }, { commandId: tag });
const c1 = await attempt(record('c1'));
writeFileSync(flag, '');
const c2 = await attempt(record('c2'));
rmSync(flag);
const c3 = await attempt(record('c3'));
const state = await h.state();
await runtime.shutdown();
await store.close();

// LevelDB itself, after a failed sync: does it take another write?
const raw = new ClassicLevel<string, string>(`${folder}-raw`);
await raw.open();
await raw.put('a', '1', { sync: true });
writeFileSync(flag, '');
const rawFailed = await attempt(() => raw.batch().put('b', '2').write({ sync: true }));
rmSync(flag);
const rawAfter = await attempt(() => raw.put('c', '3'));
await raw.close();

process.stdout.write(`${JSON.stringify({ c1, c2, c3, version: state.version, rawFailed, rawAfter })}\n`);
process.exit(0);
