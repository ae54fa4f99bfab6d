/**
 * What a command loads: each command imports only the modules it uses, because start-up is most
 * of what a short command costs. `--help`, `--version` and the live commands never load the
 * LevelDB store, the PostgreSQL store, xstate or the runtime's logger. Checked on the real bin
 * with a preload that lists every module file the process loaded (fixtures/module-trace.mjs);
 * nothing here measures time.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './support/cli.js';
import { type RunningDaemon, startDaemon } from './support/daemon.js';
import { freshDir, seededStore } from './support/folders.js';

const preload = pathToFileURL(join(import.meta.dirname, 'fixtures', 'module-trace.mjs')).href;

/** Runs `actorfold ...args` and returns its exit code and the module files it loaded. */
async function loadedBy(args: readonly string[]): Promise<{ code: number | null; modules: string[] }> {
  const trace = join(freshDir(), 'modules.txt');
  const r = await cli(args, {
    env: {
      MODULE_TRACE: trace,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${preload}`.trim(),
    },
  });
  const modules = readFileSync(trace, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
  return { code: r.code, modules };
}

/** A package, installed (node_modules/name) or a workspace of this repository (packages/dir). */
function pkg(name: string, workspace?: string): RegExp {
  const installed = `[/\\\\]node_modules[/\\\\]${name.replace('/', '[/\\\\]')}[/\\\\]`;
  return new RegExp(
    workspace === undefined ? installed : `${installed}|[/\\\\]packages[/\\\\]${workspace}[/\\\\]`,
  );
}

const HEAVY = {
  'the LevelDB store': [pkg('@actorfold/level', 'level'), pkg('classic-level'), pkg('abstract-level')],
  'the PostgreSQL store': [pkg('@actorfold/postgres', 'postgres'), pkg('pg')],
  xstate: [pkg('@actorfold/xstate', 'xstate'), pkg('xstate')],
  'the logger (pino)': [pkg('pino')],
};

/** The heavy things among the modules, by name. */
function heavyIn(modules: readonly string[]): string[] {
  return Object.entries(HEAVY)
    .filter(([, patterns]) => modules.some((m) => patterns.some((p) => p.test(m))))
    .map(([name]) => name);
}

describe('start-up', () => {
  let daemon: RunningDaemon;
  beforeAll(async () => {
    daemon = await startDaemon();
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('--help and --version load no store, no xstate and no logger', async () => {
    for (const args of [['--help'], ['--version'], ['stats', '--help']]) {
      const { code, modules } = await loadedBy(args);
      expect(code, args.join(' ')).toBe(0);
      expect(heavyIn(modules), args.join(' ')).toEqual([]);
    }
  });

  it('a command on a daemon socket loads no store, no xstate and no logger', async () => {
    for (const args of [
      ['stats', '--socket', daemon.socket],
      ['actors', '--socket', daemon.socket, '--json'],
      ['timers', '--socket', daemon.socket],
    ]) {
      const { code, modules } = await loadedBy(args);
      expect(code, args.join(' ')).toBe(0);
      expect(heavyIn(modules), args.join(' ')).toEqual([]);
    }
  });

  it('a command on a store folder loads the LevelDB store (the trace sees it)', async () => {
    const { code, modules } = await loadedBy(['stats', '--data', await seededStore(), '--json']);
    expect(code).toBe(0);
    expect(heavyIn(modules)).toContain('the LevelDB store');
  });
});
