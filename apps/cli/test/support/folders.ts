/** Temp folders, and store folders seeded with the example domain through a real runtime. */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRuntime } from '@actorfold/core';
import { account, aggregates } from '@actorfold/example-daemon/domain';
import { levelStore } from '@actorfold/level';

// This module stays loaded across test files (isolate: false), so each file gets its own root,
// made on first use and removed after that file by vitest.setup.ts.
let root: string | undefined;
let n = 0;

function fileRoot(): string {
  if (root !== undefined) return root;
  const made = mkdtempSync(join(tmpdir(), 'af-cli-'));
  root = made;
  afterThisFile(() => {
    rmSync(made, { recursive: true, force: true });
    root = undefined;
    seeded = undefined;
  });
  return made;
}

/** A fresh, empty folder (short, so socket paths stay under the Unix limit). */
export function freshDir(): string {
  const dir = join(fileRoot(), `c${++n}`);
  mkdirSync(dir);
  return dir;
}

const daemonPackage = dirname(
  createRequire(import.meta.url).resolve('@actorfold/example-daemon/package.json'),
);
/** The example daemon's built entry point and its domain module. */
export const daemonMain = join(daemonPackage, 'dist', 'daemon-main.js');
export const supervise = join(daemonPackage, 'dist', 'supervise.js');
export const domainModule = join(daemonPackage, 'dist', 'domain', 'index.js');

/**
 * A store folder holding: account/alice (opened, 120 deposits of 1..120: snapshots at 50 and
 * 100), account/bob (opened, 3 deposits), account/acct-0..acct-29 (opened), and nothing else.
 * Each call returns a folder of its own (tests damage or lock theirs): the first one is written
 * through a real runtime, the later ones are copies of it, made while no process has it open.
 */
export async function seededStore(): Promise<string> {
  seeded ??= seed();
  const path = join(freshDir(), 'store');
  cpSync(await seeded, path, { recursive: true });
  return path;
}

let seeded: Promise<string> | undefined;

async function seed(): Promise<string> {
  const path = join(freshDir(), 'seed');
  const runtime = await createRuntime({ store: levelStore({ path }), aggregates });
  const alice = runtime.get(account, 'alice');
  await alice.execute({ type: 'open', owner: 'Alice' }, { commandId: 'open-alice' });
  for (let i = 1; i <= 120; i++) await alice.execute({ type: 'deposit', amount: i }, { commandId: `a-${i}` });
  const bob = runtime.get(account, 'bob');
  await bob.execute({ type: 'open', owner: 'Bob' });
  for (let i = 0; i < 3; i++) await bob.execute({ type: 'deposit', amount: 10 });
  await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      runtime.get(account, `acct-${i}`).execute({ type: 'open', owner: `o${i}` }),
    ),
  );
  await runtime.shutdown();
  return path;
}

/** Runs `cleanup` once the test file running now is done (vitest.setup.ts). */
function afterThisFile(cleanup: () => void): void {
  const files = globalThis as { [key: symbol]: Array<() => void> | undefined };
  const list = files[Symbol.for('actorfold.test.afterFile')];
  if (list === undefined) throw new Error('vitest.setup.ts (setupFiles in vitest.shared.ts) did not run');
  list.push(cleanup);
}
