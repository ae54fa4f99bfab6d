#!/usr/bin/env node
/**
 * `npm run bench` and `npm run bench:quick` (arguments go to bench/src/run.ts: `--quick`,
 * `--only a,b`). The benchmarks' peers (Emmett, emmett-sqlite with its native sqlite3, vega,
 * vega-lite) are not part of the repository's install: bench/ is its own npm project with its
 * own lock file, installed here on first use and again whenever that lock file changes; so is
 * bench/peers/emmett-postgresql (Emmett's PostgreSQL store, which needs a newer Emmett). Everything
 * else the scenarios import (@actorfold/*, classic-level, p-queue, pg, tsx) resolves from the
 * root's node_modules, one folder up.
 *
 * Steps: build the packages the scenarios import, install bench/ if needed, typecheck bench/,
 * then run the harness with SIGINT/SIGTERM handed to it; exits with its exit code.
 * `--install-only` installs bench/'s peers if needed and stops there, building nothing: CI runs it
 * in the background from the start, so compiling sqlite3 overlaps the steps before the bench.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bench = join(root, 'bench');
const bin = (name) => join(root, 'node_modules', '.bin', name);

/** Runs a step to completion; a failed step ends the script with its exit code. */
function step(command, args, cwd = root) {
  const r = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`bench: \`${command} ${args.join(' ')}\` failed\n`);
    process.exit(r.status ?? 1);
  }
}

// What the scenarios take from the root install: a clear message instead of ERR_MODULE_NOT_FOUND.
for (const name of ['classic-level', 'p-queue', 'pg', 'tsx']) {
  if (!existsSync(join(root, 'node_modules', name, 'package.json'))) {
    process.stderr.write(
      `bench: ${name} is missing from the root's node_modules: run \`npm ci\` at the root\n`,
    );
    process.exit(1);
  }
}

const installOnly = process.argv.includes('--install-only');

if (!installOnly)
  step(bin('turbo'), [
    'run',
    'build',
    '--filter=@actorfold/core',
    '--filter=@actorfold/level',
    '--filter=@actorfold/postgres',
    '--filter=@actorfold/otel',
    '--output-logs=errors-only',
  ]);

// Installed means: node_modules was made by `npm ci` from exactly this lock file. bench/peers/*
// are peers that cannot share bench/'s install (emmett-postgresql needs another Emmett than
// emmett-sqlite): each is its own npm project with its own lock file.
for (const project of [bench, join(bench, 'peers', 'emmett-postgresql')]) {
  const lock = readFileSync(join(project, 'package-lock.json'));
  const stamp = join(project, 'node_modules', '.installed-from-lock');
  const digest = createHash('sha256').update(lock).digest('hex');
  if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== digest) {
    const where = relative(root, join(project, 'node_modules'));
    process.stdout.write(`bench: installing the benchmarks’ peers into ${where} (npm ci)\n`);
    step('npm', ['ci', '--no-audit', '--no-fund'], project);
    writeFileSync(stamp, digest);
  }
}

if (installOnly) process.exit(0);
step(bin('tsc'), ['-p', join(bench, 'tsconfig.json'), '--noEmit']);

const child = spawn(
  process.execPath,
  ['--expose-gc', '--import', 'tsx', 'src/run.ts', ...process.argv.slice(2)],
  { cwd: bench, stdio: 'inherit' },
);
// `kill <npm's pid>` reaches only npm, which forwards it here: hand it on to the harness.
const forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP'];
for (const signal of forwarded) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  if (signal === null) process.exit(code ?? 1);
  // Die of the same signal, so npm and shells report what happened.
  for (const s of forwarded) process.removeAllListeners(s);
  process.kill(process.pid, signal);
});
