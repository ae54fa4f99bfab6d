/**
 * Runs a TypeScript script as a real child process (under tsx) and reads its stdout line by line:
 * what crash tests need to SIGKILL a process mid-work and still hold every line it printed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface Child {
  readonly process: ChildProcess;
  readonly lines: string[];
  /** Resolves with the first line matching, or rejects if the child exits first. */
  waitFor(prefix: string): Promise<string>;
  /** Resolves with the exit code or signal once the child is gone. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/**
 * Starts the TypeScript file `script` (a path or file URL) under `node --import tsx` with `args`;
 * `wrap` prefixes the command (for example `unshare -rm sh -c '…' sh`). tsx must be installed.
 */
export function startScript(
  script: string | URL,
  args: string[],
  opts: { cwd?: string; wrap?: string[] } = {},
): Child {
  const file = typeof script === 'string' ? script : fileURLToPath(script);
  const node = [process.execPath, '--import', 'tsx', file, ...args];
  const [command, ...rest] = opts.wrap === undefined ? node : [...opts.wrap, ...node];
  const child = spawn(command as string, rest, { stdio: ['ignore', 'pipe', 'pipe'], cwd: opts.cwd });
  const lines: string[] = [];
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const waiters: Array<{ prefix: string; resolve: (l: string) => void }> = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    lines.push(line);
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i] as (typeof waiters)[number];
      if (line.startsWith(w.prefix)) {
        waiters.splice(i, 1);
        w.resolve(line);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close' fires after stdout has ended, so every line the child wrote has been read.
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  return {
    process: child,
    lines,
    exited,
    stderr: () => err,
    waitFor(prefix) {
      const seen = lines.find((l) => l.startsWith(prefix));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ prefix, resolve });
        void exited.then(({ code, signal }) =>
          reject(new Error(`child ${file} exited (${code ?? signal}) before printing ${prefix}: ${err}`)),
        );
      });
    },
  };
}
