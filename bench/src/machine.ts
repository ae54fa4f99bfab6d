/**
 * What the numbers were measured on: the machine, the disk under the scratch folders, and the
 * versions of everything measured, read from the installed packages rather than typed in.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, freemem, release, tmpdir, totalmem, type } from 'node:os';

/** Packages whose versions the page names: the contestants and what draws the charts. */
const PACKAGES = [
  '@actorfold/core',
  '@actorfold/level',
  'classic-level',
  'p-queue',
  '@event-driven-io/emmett',
  '@event-driven-io/emmett-sqlite',
  'sqlite3',
  'vega',
  'vega-lite',
] as const;

/** The installed version of `name`: the bench's own node_modules first, then the hoisted root one. */
function installedVersion(name: string): string {
  for (const base of ['../node_modules/', '../../node_modules/']) {
    const file = new URL(`${base}${name}/package.json`, import.meta.url);
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return 'not installed';
}

/** `df`'s view of the file system under the scratch folders (Linux); unknown elsewhere. */
function scratchDisk(): string {
  try {
    const out = execFileSync('df', ['-T', '-h', tmpdir()], { encoding: 'utf8' }).trim().split('\n');
    const [, fsType, size] = (out[1] ?? '').split(/\s+/);
    return `${tmpdir()} on ${fsType ?? '?'} (${size ?? '?'})`;
  } catch {
    return `${tmpdir()} (file system unknown)`;
  }
}

const GIB = 1024 ** 3;

/** Rows for the page's header table. */
export function machineRows(): string[][] {
  const cpu = cpus();
  const npm = /npm\/(\S+)/.exec(process.env.npm_config_user_agent ?? '')?.[1] ?? 'not run through npm';
  return [
    ['OS', `${type()} ${release()}`],
    ['CPU', `${cpu[0]?.model.trim() ?? 'unknown'}, ${cpu.length} cores`],
    ['memory', `${(totalmem() / GIB).toFixed(0)} GiB (${(freemem() / GIB).toFixed(0)} GiB free at the end)`],
    ['scratch disk', scratchDisk()],
    ['node / npm', `${process.version} (${process.arch}) / ${npm}`],
    ['packages', PACKAGES.map((p) => `${p} ${installedVersion(p)}`).join(', ')],
  ];
}

/** The installed version of one of the measured packages (for method texts). */
export function versionOf(name: (typeof PACKAGES)[number]): string {
  return installedVersion(name);
}
