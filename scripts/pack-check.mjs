#!/usr/bin/env node
/**
 * What a user gets from npm, checked before anything is published (CI runs it): packs every
 * publishable package exactly as `npm publish` would (prepack builds it), checks each tarball's
 * contents, installs all tarballs into a scratch project in the temp folder (without Vitest,
 * which @actorfold/testing only needs for describeEventStore and verifyLedger), then in that
 * project: imports every entry point (ESM), require()s them where Node can require ESM (Node
 * ≥ 20.19; @actorfold/testing is import-only), typechecks a file that uses them, runs a command
 * through a runtime on a LevelDB folder, and runs `npx actorfold --help`.
 *
 * `node scripts/pack-check.mjs [--keep]` (--keep leaves the scratch folder for a look).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const keep = process.argv.includes('--keep');

/** Every publishable package, its entry points and a few names each must export. */
const PACKAGES = [
  {
    dir: 'packages/core',
    entries: {
      '.': ['createRuntime', 'defineAggregate', 'memoryStore', 'reject'],
      './errors': ['isActorfoldError', 'StoreError'],
    },
  },
  { dir: 'packages/level', entries: { '.': ['levelStore'] } },
  { dir: 'packages/xstate', entries: { '.': ['fromMachine'] } },
  {
    dir: 'packages/postgres',
    entries: { '.': ['postgresStore', 'migrate'], './testing': ['startTemporaryServer'] },
  },
  {
    dir: 'packages/testing',
    entries: { '.': ['given', 'describeEventStore', 'MissingPeer'], './crash': ['ledger'] },
    importOnly: true,
  },
  {
    dir: 'packages/admin',
    entries: { '.': ['serveAdmin', 'adminClient'], './client': ['adminClient', 'isAdminError'] },
  },
  { dir: 'packages/otel', entries: { '.': ['otelObserver', 'traceContextOf'] } },
  { dir: 'apps/cli', entries: {} },
];

let failures = 0;
function check(ok, what) {
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${what}\n`);
  if (!ok) failures++;
}
function run(command, args, cwd, env = process.env) {
  return execFileSync(command, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const scratch = mkdtempSync(join(tmpdir(), 'actorfold-pack-'));
const tarballs = join(scratch, 'tarballs');
mkdirSync(tarballs);
try {
  // 1. Pack, as npm publish would: prepack builds each package.
  const packed = [];
  for (const p of PACKAGES) {
    const [info] = JSON.parse(
      run('npm', ['pack', '--json', '--pack-destination', tarballs, '-w', p.dir], root).replace(
        /^[^[]*/s,
        '',
      ),
    );
    const files = new Set(info.files.map((f) => f.path));
    const manifest = JSON.parse(readFileSync(join(root, p.dir, 'package.json'), 'utf8'));
    packed.push({ ...p, name: info.name, file: join(tarballs, info.filename), manifest });
    check(
      ['LICENSE', 'README.md', 'package.json'].every((f) => files.has(f)),
      `${info.name}: LICENSE, README.md`,
    );
    check(![...files].some((f) => f.endsWith('.tsbuildinfo')), `${info.name}: no build info`);
    const targets = Object.values(manifest.exports ?? {})
      .filter((v) => typeof v === 'object')
      .flatMap((v) => Object.values(v).filter((f) => typeof f === 'string'))
      .concat(Object.values(manifest.bin ?? {}), manifest.types ?? [], manifest.main ?? [])
      .map((f) => f.replace(/^\.\//, ''));
    const missing = targets.filter((f) => !files.has(f));
    check(missing.length === 0, `${info.name}: every exports/bin/types target packed ${missing.join(' ')}`);
    // Source maps point at sources that are in the tarball.
    const tgz = join(tarballs, info.filename);
    const maps = [...files].filter((f) => f.endsWith('.map'));
    const dangling = [];
    for (const map of maps) {
      const text = run('tar', ['-xzOf', tgz, `package/${map}`], scratch);
      for (const source of JSON.parse(text).sources) {
        const resolved = join(map, '..', source);
        if (!files.has(resolved)) dangling.push(`${map} -> ${source}`);
      }
    }
    check(
      maps.length > 0 && dangling.length === 0,
      `${info.name}: ${maps.length} source maps, sources shipped`,
    );
  }

  // 2. A user's project: the tarballs only, no Vitest.
  const project = join(scratch, 'project');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'scratch', private: true, type: 'module' }, null, 2),
  );
  run('npm', ['install', '--no-audit', '--no-fund', ...packed.map((p) => p.file)], project);
  check(!existsSync(join(project, 'node_modules', 'vitest')), 'installed without vitest');

  // 3. ESM: every entry point, the names it must export, and a real run.
  const imports = packed.flatMap((p) =>
    Object.entries(p.entries).map(([sub, names]) => ({
      specifier: sub === '.' ? p.name : `${p.name}/${sub.slice(2)}`,
      names,
      importOnly: p.importOnly === true,
    })),
  );
  writeFileSync(
    join(project, 'esm.mjs'),
    `${imports
      .map(
        (i, n) =>
          `const m${n} = await import(${JSON.stringify(i.specifier)});\n` +
          `for (const name of ${JSON.stringify(i.names)}) if (m${n}[name] === undefined) throw new Error(${JSON.stringify(i.specifier)} + ' lacks ' + name);`,
      )
      .join('\n')}
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, defineAggregate } from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import { describeEventStore, given } from '@actorfold/testing';
const counter = defineAggregate({
  type: 'counter',
  initialState: () => ({ n: 0 }),
  decide: (_s, c) => [{ type: 'Added', by: c.by }],
  evolve: (s, e) => ({ n: s.n + e.by }),
});
const runtime = await createRuntime({ store: levelStore({ path: join(mkdtempSync(join(tmpdir(), 'af-')), 'store') }), aggregates: [counter] });
const r = await runtime.get(counter, 'c1').execute({ type: 'add', by: 2 });
await runtime.shutdown();
if (r.state.n !== 2 || r.version !== 1) throw new Error('unexpected result ' + JSON.stringify(r));
await given(counter).when({ type: 'add', by: 1 }).then([{ type: 'Added', by: 1 }]);
try { describeEventStore('x', () => { throw new Error('unreachable'); }); throw new Error('no MissingPeer'); }
catch (e) { if (e.code !== 'MISSING_PEER') throw e; }
console.log('esm ok');
`,
  );
  check(
    run(process.execPath, ['esm.mjs'], project).includes('esm ok'),
    'ESM: every entry point imports; a command runs on LevelDB; given() runs without vitest',
  );

  // 4. require(): Node ≥ 20.19 (and ≥ 22.12) loads these ES modules from CommonJS.
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major > 22 || (major === 22 && minor >= 12) || (major === 20 && minor >= 19)) {
    writeFileSync(
      join(project, 'cjs.cjs'),
      `${imports
        .filter((i) => !i.importOnly)
        .map(
          (i) =>
            `{ const m = require(${JSON.stringify(i.specifier)}); for (const name of ${JSON.stringify(i.names)}) if (m[name] === undefined) throw new Error(${JSON.stringify(i.specifier)} + ' lacks ' + name); }`,
        )
        .join('\n')}\nconsole.log('cjs ok');\n`,
    );
    check(
      run(process.execPath, ['cjs.cjs'], project).includes('cjs ok'),
      'require(): every entry point but @actorfold/testing',
    );
  } else {
    process.stdout.write(`skip require() checks: Node ${process.versions.node} cannot require ES modules\n`);
  }

  // 5. Types: the packed declarations, resolved through the exports maps.
  writeFileSync(
    join(project, 'types.ts'),
    `import { createRuntime, defineAggregate, type EventEnvelope } from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import { given } from '@actorfold/testing';
import { serveAdmin } from '@actorfold/admin';
import { otelObserver } from '@actorfold/otel';
import { postgresStore } from '@actorfold/postgres';
import { fromMachine } from '@actorfold/xstate';
type Cmd = { type: 'add'; by: number };
type Evt = { type: 'Added'; by: number };
const counter = defineAggregate<{ n: number }, Cmd, Evt>({
  type: 'counter',
  initialState: () => ({ n: 0 }),
  decide: (_s, c) => [{ type: 'Added', by: c.by }],
  evolve: (s, e) => ({ n: s.n + e.by }),
});
export async function use(): Promise<number> {
  const runtime = await createRuntime({ store: levelStore({ path: 'data' }), aggregates: [counter] });
  const { state, events } = await runtime.get(counter, 'c').execute({ type: 'add', by: 1 });
  const first: EventEnvelope | undefined = events[0];
  await given(counter).when({ type: 'add', by: 1 }).then([{ type: 'Added', by: 1 }]);
  void [serveAdmin, postgresStore, fromMachine, first, otelObserver];
  return state.n;
}
`,
  );
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2023',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        typeRoots: [join(root, 'node_modules', '@types')],
        types: ['node'],
      },
      files: ['types.ts'],
    }),
  );
  let typeErrors = '';
  try {
    run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], project);
  } catch (e) {
    typeErrors = `${e.stdout ?? ''}${e.stderr ?? ''}`;
  }
  check(typeErrors === '', `types: a user's strict TypeScript file typechecks ${typeErrors}`);

  // 6. The CLI, as a user runs it from their project.
  const help = run('npx', ['--no-install', 'actorfold', '--help'], project);
  check(/Usage: actorfold/.test(help), 'npx actorfold --help');
} finally {
  if (keep) process.stdout.write(`scratch project kept: ${scratch}\n`);
  else rmSync(scratch, { recursive: true, force: true });
}
if (failures > 0) {
  process.stderr.write(`pack-check: ${failures} check(s) failed\n`);
  process.exit(1);
}
process.stdout.write('pack-check: every package packs, installs, imports and runs\n');
