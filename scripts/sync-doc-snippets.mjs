#!/usr/bin/env node
/**
 * Code in README.md and docs/*.md comes from files that are typechecked and run by the tests.
 * A code block preceded by `<!-- snippet: <path>#<region> -->` (path from the repository root)
 * gets the lines between `// #region <region>` and `// #endregion <region>` of that file,
 * dedented (a region in several parts: see region()). `node scripts/sync-doc-snippets.mjs`
 * rewrites the blocks; `--check` (CI) changes nothing and exits 1 naming every block that
 * differs from its source.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');
const MARKER = /^<!-- snippet: (\S+?)#([\w-]+) -->\n```(\w*)\n[\s\S]*?^```$/gm;

/**
 * The region's lines, without region comments, each part dedented. A region may be opened and closed
 * several times in one file (to leave out what lies between): its parts are joined by a blank line.
 */
function region(file, name) {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const opens = (l) => l.trim() === `// #region ${name}` || l.trim().startsWith(`// #region ${name} `);
  const parts = [];
  for (let start = lines.findIndex(opens); start >= 0; ) {
    const end = lines.findIndex((l, i) => i > start && l.trim() === `// #endregion ${name}`);
    if (end < 0) break;
    parts.push(dedent(lines.slice(start + 1, end).filter((l) => !/^\s*\/\/ #(end)?region\b/.test(l))));
    start = lines.findIndex((l, i) => i > end && opens(l));
  }
  if (parts.length === 0) throw new Error(`${file} has no region ${name}`);
  return parts.flatMap((p, i) => (i === 0 ? p : ['', ...p])).join('\n');
}

function dedent(lines) {
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => /^ */.exec(l)[0].length));
  return lines.map((l) => l.slice(indent));
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
