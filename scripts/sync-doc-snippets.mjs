#!/usr/bin/env node
/**
 * Code in README.md and docs/*.md comes from files that are typechecked and run by the tests.
 * A code block preceded by `<!-- snippet: <path>#<region> -->` (path from the repository root)
 * gets the lines between `// #region <region>` and `// #endregion <region>` of that file,
 * dedented. `node scripts/sync-doc-snippets.mjs` rewrites the blocks; `--check` (CI) changes
 * nothing and exits 1 naming every block that differs from its source.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');
const MARKER = /^<!-- snippet: (\S+?)#([\w-]+) -->\n```(\w*)\n[\s\S]*?^```$/gm;

/** The region's lines, without the region comments, dedented. */
function region(file, name) {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const start = lines.findIndex(
    (l) => l.trim() === `// #region ${name}` || l.trim().startsWith(`// #region ${name} `),
  );
  const end = lines.findIndex((l, i) => i > start && l.trim() === `// #endregion ${name}`);
  if (start < 0 || end < 0) throw new Error(`${file} has no region ${name}`);
  const body = lines.slice(start + 1, end);
  const indent = Math.min(...body.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)[0].length));
  return body.map((l) => l.slice(indent)).join('\n');
}

const docs = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
let stale = 0;
let blocks = 0;
for (const doc of docs) {
  const text = readFileSync(join(root, doc), 'utf8');
  const synced = text.replace(MARKER, (_, file, name, lang) => {
    blocks++;
    return `<!-- snippet: ${file}#${name} -->\n\`\`\`${lang}\n${region(file, name)}\n\`\`\``;
  });
  if (synced === text) continue;
  stale++;
  if (check)
    process.stdout.write(
      `${doc}: a snippet differs from its source (run node scripts/sync-doc-snippets.mjs)\n`,
    );
  else {
    writeFileSync(join(root, doc), synced);
    process.stdout.write(`${doc}: snippets updated\n`);
  }
}
if (check && stale > 0) process.exit(1);
process.stdout.write(`sync-doc-snippets: ${blocks} snippet(s) ${check ? 'in sync' : 'synced'}\n`);
