#!/usr/bin/env node
/**
 * Each package's `prepack` (npm pack, npm publish): an empty dist/ rebuilt by `tsc -b`, so no
 * file of an older layout (a module since moved or deleted) is published with the new one.
 * Runs in the package's folder.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const tsc = join(fileURLToPath(new URL('..', import.meta.url)), 'node_modules', '.bin', 'tsc');
rmSync('dist', { recursive: true, force: true });
execFileSync(tsc, ['-b'], { stdio: 'inherit' });
