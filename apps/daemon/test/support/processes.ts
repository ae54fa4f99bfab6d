/**
 * Spawns the daemon's built entry points (dist/) as real processes with an IPC channel, and
 * reads their stdout line by line: the tests look at them from outside, like an operator would.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';

export interface Spawned {
  readonly process: ChildProcess;
  readonly lines: string[];
  /** Resolves with the next IPC message matching, or rejects if the process exits first. */
  message<T = unknown>(match: (m: unknown) => boolean): Promise<T>;
  /** Resolves with the first stdout line containing `text` (seen already or later). */
  waitForLine(text: string): Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/** The built file `dist/<name>.js` of this package. */
export function distFile(name: string): string {
  return fileURLToPath(new URL(`../../dist/${name}.js`, import.meta.url));
}

/** Starts `node <file> ...args` with an IPC channel. */
export function spawnNode(
  file: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Spawned {
  const child = spawn(process.execPath, [file, ...args], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
    ...(opts.env === undefined ? {} : { env: opts.env }),
  });
  const lines: string[] = [];
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const lineWaiters: Array<{ text: string; resolve: (l: string) => void }> = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    lines.push(line);
    for (let i = lineWaiters.length - 1; i >= 0; i--) {
      const w = lineWaiters[i] as (typeof lineWaiters)[number];
      if (line.includes(w.text)) {
        lineWaiters.splice(i, 1);
        w.resolve(line);
      }
    }
  });
  const messages: unknown[] = [];
  const msgWaiters: Array<{ match: (m: unknown) => boolean; resolve: (m: unknown) => void }> = [];
  child.on('message', (m) => {
    const i = msgWaiters.findIndex((w) => w.match(m));
    if (i >= 0) msgWaiters.splice(i, 1)[0]?.resolve(m);
    else messages.push(m);
  });
  // 'close' fires after stdout has ended, so every line the child wrote has been read.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  const gone = (what: string) => (x: { code: number | null; signal: NodeJS.Signals | null }) =>
    new Error(
      `${file} exited (${x.code ?? x.signal}) before ${what}\nstdout:\n${lines.join('\n')}\nstderr:\n${err}`,
    );
  return {
    process: child,
    lines,
    exited,
    stderr: () => err,
    message<T>(match: (m: unknown) => boolean) {
      const i = messages.findIndex(match);
      if (i >= 0) return Promise.resolve(messages.splice(i, 1)[0] as T);
      return new Promise<T>((resolve, reject) => {
        msgWaiters.push({ match, resolve: resolve as (m: unknown) => void });
        void exited.then((x) => reject(gone('the expected IPC message')(x)));
      });
    },
    waitForLine(text) {
      const seen = lines.find((l) => l.includes(text));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        lineWaiters.push({ text, resolve });
        void exited.then((x) => reject(gone(`printing ${JSON.stringify(text)}`)(x)));
      });
    },
  };
}

/** A ready message from a daemon (relayed by the supervisor too). */
export interface Ready {
  type: 'ready';
  pid: number;
  port: number;
  socket: string;
  data: string;
}

export const isReady = (m: unknown): m is Ready => (m as { type?: unknown } | null)?.type === 'ready';

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Polls until `check` is true (for things only visible from outside, like a pid going away):
 * vi.waitUntil with the shared ceiling and poll (vitest.setup.ts), a ceiling fit for a loaded
 * machine (a 10 s one of its own timed out at load 25).
 */
export async function eventually(check: () => boolean, timeoutMs?: number): Promise<void> {
  await vi.waitUntil(check, timeoutMs === undefined ? undefined : { timeout: timeoutMs });
}

// This module stays loaded across test files (isolate: false), so each file gets its own root,
// made on first use and removed after that file by vitest.setup.ts.
let root: string | undefined;
let n = 0;

function fileRoot(): string {
  if (root !== undefined) return root;
  const made = mkdtempSync(join(tmpdir(), 'af-daemon-'));
  root = made;
  afterThisFile(() => {
    rmSync(made, { recursive: true, force: true });
    root = undefined;
  });
  return made;
}

/** A fresh, empty working folder (short, so socket paths stay under the Unix limit). */
export function freshDir(): string {
  n++;
  const dir = join(fileRoot(), `w${n}`);
  mkdirSync(dir);
  return dir;
}

/** Parses pino JSON lines, skipping anything else (the demo's plain text). */
export function logEntries(lines: readonly string[]): Array<Record<string, unknown>> {
  return lines.flatMap((l) => {
    if (!l.startsWith('{')) return [];
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** A TCP port free on 127.0.0.1 right now (for settings that cannot say 0). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** Runs `cleanup` once the test file running now is done (vitest.setup.ts). */
function afterThisFile(cleanup: () => void): void {
  const files = globalThis as { [key: symbol]: Array<() => void> | undefined };
  const list = files[Symbol.for('actorfold.test.afterFile')];
  if (list === undefined) throw new Error('vitest.setup.ts (setupFiles in vitest.shared.ts) did not run');
  list.push(cleanup);
}
