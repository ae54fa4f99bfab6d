/** Fresh store folders under the OS temp dir, removed after the test file. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'actorfold-level-'));
let n = 0;
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A path for a new, not yet existing store folder. */
export function freshFolder(name = 'store'): string {
  n++;
  return join(root, `${name}-${n}`);
}
