/**
 * Runs a TypeScript script as a real child process and reads its stdout line by line: what
 * crash tests need to SIGKILL a process mid-work and still hold every line it printed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
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
 * Starts the TypeScript file `script` (a path or file URL) with `args`; `wrap` prefixes the
 * command (for example `unshare -rm sh -c '…' sh`). tsx must be installed. The script and the
 * files it imports by relative path are compiled once per test process into one ESM file (with
 * tsx's own esbuild, packages left to Node), which plain `node` then runs at every start: a
 * crash test starts dozens of children, and each one loading tsx cost about a second of CPU.
 * A script that reads `import.meta`, or anything esbuild cannot bundle, runs under
 * `node --import tsx` as it is.
 */
export function startScript(
  script: string | URL,
  args: string[],
  opts: { cwd?: string; wrap?: string[] } = {},
): Child {
  const file = typeof script === 'string' ? script : fileURLToPath(script);
  const compiled = compiledScript(file);
  const node =
    compiled === undefined
      ? [process.execPath, '--import', 'tsx', file, ...args]
      : [process.execPath, compiled, ...args];
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

/** The compiled file of each script, built once per process (undefined: run it under tsx). */
const compiledScripts = new Map<string, string | undefined>();

/** The minimal part of esbuild's API used here. */
interface Esbuild {
  buildSync(options: Record<string, unknown>): {
    outputFiles?: Array<{ text: string }>;
    metafile?: { inputs: Record<string, unknown> };
  };
}

function compiledScript(file: string): string | undefined {
  if (!compiledScripts.has(file)) compiledScripts.set(file, compile(file));
  return compiledScripts.get(file);
}

/**
 * Bundles `file` and its relative imports into `<package>/node_modules/.cache/actorfold-children/`:
 * inside the script's package, so that its bare imports (`@actorfold/core`, `classic-level`,
 * `pg`) resolve from there exactly as they do from the script. The name carries a hash of the
 * output, so concurrent test processes and later runs never read a half-written or stale file.
 */
function compile(file: string): string | undefined {
  const esbuild = loadEsbuild(file);
  const root = packageRoot(dirname(file));
  if (esbuild === undefined || root === undefined) return undefined;
  try {
    const result = esbuild.buildSync({
      entryPoints: [file],
      absWorkingDir: root,
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      target: `node${process.versions.node}`,
      packages: 'external',
      // As tsx runs them: every module's side effects kept (no "sideEffects": false pruning) and
      // class and function names as written (errors are told apart by name).
      ignoreAnnotations: true,
      keepNames: true,
      logLevel: 'silent',
    });
    const text = result.outputFiles?.[0]?.text;
    const inputs = Object.keys(result.metafile?.inputs ?? {});
    if (text === undefined) return undefined;
    // import.meta.url would name the bundle, not the module that reads it.
    if (inputs.some((input) => readFileSync(join(root, input), 'utf8').includes('import.meta')))
      return undefined;
    const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
    const dir = join(root, 'node_modules', '.cache', 'actorfold-children');
    const out = join(dir, `${basename(file).replace(/\.[cm]?tsx?$/, '')}-${hash}.mjs`);
    if (!existsSync(out)) {
      mkdirSync(dir, { recursive: true });
      const partial = `${out}.${process.pid}.tmp`;
      writeFileSync(partial, text);
      renameSync(partial, out);
    }
    return out;
  } catch {
    return undefined;
  }
}

/** tsx's own esbuild (tsx depends on it), or undefined when tsx is not installed. */
function loadEsbuild(file: string): Esbuild | undefined {
  try {
    const tsx = createRequire(file).resolve('tsx/package.json');
    return createRequire(tsx)('esbuild') as Esbuild;
  } catch {
    return undefined;
  }
}

/** The nearest folder at or above `dir` holding a package.json. */
function packageRoot(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) return d;
    if (dirname(d) === d) return undefined;
  }
}
