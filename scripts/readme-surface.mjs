#!/usr/bin/env node
/**
 * Each package README lists its whole public surface: every name an entry point exports (values
 * and types, read from the entry's source) must appear in the README as code (`name` or
 * `name(...)`). CI runs it; `node scripts/readme-surface.mjs` prints what is missing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const PACKAGES = [
  'packages/core',
  'packages/level',
  'packages/xstate',
  'packages/postgres',
  'packages/testing',
  'packages/admin',
  'packages/otel',
];

/** The names an entry's source exports: `export { a, type B } from`, `export type { C }`, `export function d`. */
export function exportedNames(source) {
  const names = new Set();
  for (const [, list] of source.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g))
    for (const item of list.split(',')) {
      const name = item
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/)
        .at(-1)
        ?.trim();
      if (name) names.add(name);
    }
  for (const [, name] of source.matchAll(
    /export\s+(?:declare\s+)?(?:async\s+)?(?:function|class|const|let|interface|type|enum)\s+([A-Za-z_$][\w$]*)/g,
  ))
    names.add(name);
  return [...names];
}

let missing = 0;
for (const dir of PACKAGES) {
  const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
  const readme = readFileSync(join(root, dir, 'README.md'), 'utf8');
  const prose = readme.replace(/^```[^\n]*\n[\s\S]*?^```/gm, '');
  const code = new Set(
    [...prose.matchAll(/`([^`\n]+)`/g)].flatMap(([, c]) => c.match(/[A-Za-z_$][\w$]*/g) ?? []),
  );
  for (const [sub, target] of Object.entries(manifest.exports)) {
    if (typeof target !== 'object') continue;
    const source = join(root, dir, target.default.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
    const absent = exportedNames(readFileSync(source, 'utf8')).filter((n) => !code.has(n));
    if (absent.length > 0) {
      missing += absent.length;
      process.stdout.write(
        `${manifest.name}${sub === '.' ? '' : sub.slice(1)}: README misses ${absent.join(', ')}\n`,
      );
    }
  }
}
if (missing > 0) {
  process.stderr.write(`readme-surface: ${missing} exported name(s) missing from package READMEs\n`);
  process.exit(1);
}
process.stdout.write('readme-surface: every exported name is in its package README\n');
