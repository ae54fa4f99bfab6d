/** Fresh store folders under the OS temp dir, removed after the test file. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// This module stays loaded across test files (isolate: false), so each file gets its own root,
// made on first use and removed after that file by vitest.setup.ts.
let root: string | undefined;
let n = 0;

/** A path for a new, not yet existing store folder. */
export function freshFolder(name = 'store'): string {
  n++;
  return join(fileRoot(), `${name}-${n}`);
}

function fileRoot(): string {
  if (root !== undefined) return root;
  const made = mkdtempSync(join(tmpdir(), 'actorfold-level-'));
  root = made;
  afterThisFile(() => {
    rmSync(made, { recursive: true, force: true });
    root = undefined;
  });
  return made;
}

/** Runs `cleanup` once the test file running now is done (vitest.setup.ts). */
function afterThisFile(cleanup: () => void): void {
  const files = globalThis as { [key: symbol]: Array<() => void> | undefined };
  const list = files[Symbol.for('actorfold.test.afterFile')];
  if (list === undefined) throw new Error('vitest.setup.ts (setupFiles in vitest.shared.ts) did not run');
  list.push(cleanup);
}
