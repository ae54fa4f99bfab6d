/**
 * `npm start` as Docker, pm2 or `kill <pid>` run it: the signal goes to the npm process only
 * (or, for Ctrl-C in a terminal, to npm's whole process group). The root's start script execs
 * the supervisor, so npm's forwarded signal reaches it; the daemon drains, both exit 0, npm exits
 * 0, nothing is left running and the LevelDB folder is free again.
 *
 * Runs the repository's real `npm start` (with --ignore-scripts: the prestart build is what this
 * package's test task already depends on). Linux: the checks read /proc.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { levelStore } from '@actorfold/level';
import { afterEach, describe, expect, it } from 'vitest';
import { freshDir, logEntries } from './support/processes.js';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

interface NpmStart {
  readonly npm: ChildProcess;
  /** The store folder it was given: every process of this start has it on its command line. */
  readonly store: string;
  readonly lines: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The supervisor's and the daemon's pids, once the daemon is ready. */
  readonly ready: Promise<{ supervisor: number; daemon: number }>;
}

const started: NpmStart[] = [];
afterEach(async () => {
  // A failed test must not leave a daemon behind: kill npm's whole group and the daemon's.
  for (const s of started.splice(0)) {
    for (const pid of processesMentioning(s.store)) kill(pid, 'SIGKILL');
    if (s.npm.pid !== undefined) kill(-s.npm.pid, 'SIGKILL');
    await s.exited;
  }
});

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** `npm start -- <flags>` from the repository root, in its own process group (like a terminal's job). */
function npmStart(dir: string): NpmStart {
  const store = join(dir, 'store');
  const npm = spawn(
    'npm',
    [
      'start',
      '--ignore-scripts',
      '--',
      '--data',
      store,
      '--socket',
      join(dir, 'admin.sock'),
      '--port',
      '0',
      '--no-demo',
    ],
    { cwd: repositoryRoot, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const lines: string[] = [];
  let stderr = '';
  npm.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    npm.on('close', (code, signal) => resolve({ code, signal })),
  );
  const ready = new Promise<{ supervisor: number; daemon: number }>((resolve, reject) => {
    createInterface({ input: npm.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      lines.push(line);
      const entry = logEntries([line])[0];
      if (entry?.msg === 'daemon ready')
        resolve({ supervisor: entry.pid as number, daemon: entry.daemonPid as number });
    });
    void exited.then((x) =>
      reject(
        new Error(`npm start exited (${x.code ?? x.signal}) before ready\n${lines.join('\n')}\n${stderr}`),
      ),
    );
  });
  const s = { npm, store, lines, exited, ready };
  started.push(s);
  return s;
}

/** Live processes (zombies excluded) whose command line contains `text`. */
function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
        return cmdline.includes(text) && !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      } catch {
        return false; // exited while we looked
      }
    })
    .map(Number);
}

/** Stops `npm start` with `send`, then checks the exit, the logs, /proc and the folder lock. */
async function stopsCleanly(send: (npmPid: number) => void): Promise<void> {
  const dir = freshDir();
  const s = npmStart(dir);
  const pids = await s.ready;
  expect(processesMentioning(s.store).sort()).toEqual(
    [s.npm.pid as number, pids.supervisor, pids.daemon].sort(),
  );

  send(s.npm.pid as number);

  expect(await s.exited).toEqual({ code: 0, signal: null });
  const logs = logEntries(s.lines);
  expect(logs.filter((l) => l.name === 'supervisor').map((l) => l.msg)).toEqual([
    'daemon spawned',
    'daemon ready',
    'stopping: signal forwarded to the daemon',
    'daemon stopped cleanly',
    'supervisor stopped',
  ]);
  expect(logs.filter((l) => l.name === 'daemon').map((l) => l.msg)).toContain(
    'stopped cleanly: store closed',
  );
  // Nothing orphaned: no live process mentions the folder.
  expect(existsSync(`/proc/${pids.supervisor}`)).toBe(false);
  expect(existsSync(`/proc/${pids.daemon}`)).toBe(false);
  expect(processesMentioning(s.store)).toEqual([]);
  // The LevelDB lock was released: this process can open the folder.
  const store = await levelStore({ path: s.store });
  await store.close();
}

describe('npm start under a process manager', () => {
  it('stops cleanly and exits 0 on SIGTERM to the npm process alone, leaving no process behind', async () => {
    await stopsCleanly((pid) => process.kill(pid, 'SIGTERM'));
  });

  it('stops cleanly and exits 0 on SIGINT to the npm process alone', async () => {
    await stopsCleanly((pid) => process.kill(pid, 'SIGINT'));
  });

  it("stops cleanly on a terminal's Ctrl-C: SIGINT to npm's whole process group, received twice by the supervisor", async () => {
    await stopsCleanly((pid) => process.kill(-pid, 'SIGINT'));
  });
});
