/**
 * The deploy files (deploy/) as far as this machine can check them without a Docker engine or a
 * running systemd: each file's command runs as a real process with the file's own settings
 * (paths moved to a temp folder, a free port), answers readiness through the image's
 * HEALTHCHECK command, and stops with exit 0 on the file's stop signal; each file's stop timeout
 * covers the drain; the unit passes `systemd-analyze verify` when that tool is installed.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freePort, freshDir } from './support/processes.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const deploy = (file: string) => join(root, 'deploy', file);
const run = promisify(execFile);

/** What a deploy file says about running the daemon. */
interface Recipe {
  command: string[];
  env: Record<string, string>;
  stopSignal: NodeJS.Signals;
  /** How long the supervisor of the process waits after the stop signal before SIGKILL. */
  stopTimeoutMs: number;
}

function dockerfile(): Recipe & { healthcheck: string[]; user: string; volumes: string[] } {
  const text = readFileSync(deploy('Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
  const runtime = text.slice(text.lastIndexOf('\nFROM '));
  const env: Record<string, string> = {};
  for (const [, k, v] of runtime.matchAll(/^ENV (\w+)=(\S+)$/gm)) env[k as string] = v as string;
  const json = (re: RegExp) => JSON.parse(runtime.match(re)?.[1] ?? 'null') as string[];
  const compose = readFileSync(deploy('compose.yaml'), 'utf8');
  return {
    command: json(/^CMD (\[.*\])$/m),
    healthcheck: json(/^HEALTHCHECK .*CMD (\[.*\])$/m),
    env,
    stopSignal: runtime.match(/^STOPSIGNAL (\w+)$/m)?.[1] as NodeJS.Signals,
    stopTimeoutMs: Number(compose.match(/stop_grace_period: (\d+)s/)?.[1]) * 1000,
    user: runtime.match(/^USER (\S+)$/m)?.[1] ?? 'root',
    volumes: json(/^VOLUME (\[.*\])$/m),
  };
}

function systemdUnit(): Recipe {
  const text = readFileSync(deploy('actorfold.service'), 'utf8');
  const env: Record<string, string> = {};
  for (const [, k, v] of text.matchAll(/^Environment=(\w+)=(\S+)$/gm)) env[k as string] = v as string;
  return {
    command: (text.match(/^ExecStart=(.+)$/m)?.[1] ?? '')
      .split(' ')
      .map((w) => (w === '/usr/bin/node' ? 'node' : w)),
    env,
    stopSignal: text.match(/^KillSignal=(\w+)$/m)?.[1] as NodeJS.Signals,
    stopTimeoutMs: Number(text.match(/^TimeoutStopSec=(\d+)$/m)?.[1]) * 1000,
  };
}

function pm2File(): Recipe {
  const { apps } = createRequire(import.meta.url)(deploy('ecosystem.config.cjs')) as {
    apps: Array<{ script: string; env: Record<string, string>; kill_timeout: number }>;
  };
  const app = apps[0] as (typeof apps)[number];
  // pm2 stops with SIGINT (its default kill signal), then SIGKILL after kill_timeout.
  return {
    command: ['node', app.script],
    env: app.env,
    stopSignal: 'SIGINT',
    stopTimeoutMs: app.kill_timeout,
  };
}

/** The file's settings with its paths under `dir` and a free port, as this machine allows. */
async function localEnv(env: Record<string, string>, dir: string): Promise<NodeJS.ProcessEnv> {
  const local: NodeJS.ProcessEnv = { ...process.env, ...env, ACTORFOLD_PORT: String(await freePort()) };
  for (const key of ['ACTORFOLD_DATA', 'ACTORFOLD_SOCKET'])
    local[key] = join(dir, (env[key] ?? '').replace(/^\/+/, '').replace(/\//g, '_'));
  return local;
}

const healthcheck = (env: NodeJS.ProcessEnv) =>
  run(process.execPath, [join(root, 'apps/daemon/dist/healthcheck.js')], { cwd: root, env }).then(
    () => 0,
    (e: { code?: number }) => e.code ?? -1,
  );

/** Runs the recipe's command until healthy, stops it with its signal, returns the exit. */
async function runRecipe(recipe: Recipe): Promise<{ code: number | null; before: number; during: number }> {
  const env = await localEnv(recipe.env, freshDir());
  const before = await healthcheck(env);
  const [exe, ...args] = recipe.command;
  expect(exe).toBe('node');
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let during = 1;
  for (let i = 0; i < 200 && during !== 0 && child.exitCode === null; i++) {
    during = await healthcheck(env);
    if (during !== 0) await new Promise((r) => setTimeout(r, 50));
  }
  child.kill(recipe.stopSignal);
  const code = await exited;
  if (code !== 0) throw new Error(`exited ${code}: ${stderr}`);
  return { code, before, during };
}

/** The daemon's own deadline: the drain, then it exits by itself 5 s later. */
const daemonDeadline = (env: Record<string, string>) =>
  Number(env.ACTORFOLD_SHUTDOWN_TIMEOUT_MS ?? 10_000) + 5_000;

describe('deploy/', () => {
  it('Dockerfile: non-root, data on a volume, SIGTERM, a stop timeout past the drain; its CMD runs, turns healthy, stops with 0', async () => {
    const d = dockerfile();
    expect(d.user).not.toBe('root');
    expect(d.volumes).toContain('/data');
    expect(d.env.ACTORFOLD_DATA?.startsWith('/data/')).toBe(true);
    expect(d.env.ACTORFOLD_SOCKET?.startsWith('/data/')).toBe(true);
    expect(d.stopSignal).toBe('SIGTERM');
    expect(d.stopTimeoutMs).toBeGreaterThan(daemonDeadline(d.env));
    expect(d.healthcheck).toEqual(['node', 'apps/daemon/dist/healthcheck.js']);
    expect(await runRecipe(d)).toEqual({ code: 0, before: 1, during: 0 });
  });

  it('systemd unit: KillSignal SIGTERM, TimeoutStopSec past the drain; its ExecStart runs and stops with 0', async () => {
    const u = systemdUnit();
    expect(u.stopSignal).toBe('SIGTERM');
    expect(u.stopTimeoutMs).toBeGreaterThan(daemonDeadline(u.env));
    expect(await runRecipe(u)).toMatchObject({ code: 0, during: 0 });
  });

  it('pm2 file: kill_timeout past the drain; its script runs and stops with 0 on SIGINT', async () => {
    const p = pm2File();
    expect(p.stopTimeoutMs).toBeGreaterThan(daemonDeadline(p.env));
    expect(await runRecipe(p)).toMatchObject({ code: 0, during: 0 });
  });

  const analyze = (() => {
    try {
      execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  it.skipIf(!analyze)(
    `systemd unit: systemd-analyze verify finds nothing to say${analyze ? '' : ' (skipped: systemd-analyze is not installed)'}`,
    async () => {
      // verify exits 0 even for values it ignores, so its output is the verdict.
      const r = await run('systemd-analyze', ['verify', deploy('actorfold.service')]).catch(
        (e: { code: number; stderr: string }) => e,
      );
      expect(r.stderr).toBe('');
    },
  );
});
