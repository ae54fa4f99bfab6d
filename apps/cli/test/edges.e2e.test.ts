/**
 * The command line's edges, as a user meets them: typo suggestions, both spellings of an
 * aggregate, filters on events, ACTORFOLD_SOCKET, --no-color/NO_COLOR, offline-only commands
 * given a socket, and TypeScript modules for `state`. Real processes, real folders and sockets.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EventsView, InspectView } from '@actorfold/admin';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventsResult } from '../src/commands/events.js';
import type { StateResult } from '../src/commands/state.js';
import { cli, STACK } from './support/cli.js';
import { type RunningDaemon, startDaemon } from './support/daemon.js';
import { domainModule, freshDir, seededStore } from './support/folders.js';

// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for color codes is the point
const ANSI = /\u001b\[/;

let data: string;
let daemon: RunningDaemon;
beforeAll(async () => {
  [data, daemon] = await Promise.all([seededStore(), startDaemon()]);
  await daemon.command('account', 'alice', { type: 'open', owner: 'Alice' });
  for (let i = 1; i <= 5; i++) await daemon.command('account', 'alice', { type: 'deposit', amount: i });
  await daemon.command('account', 'alice', { type: 'withdraw', amount: 2 });
});
afterAll(() => daemon.stop());

async function json<T>(args: string[], env?: Record<string, string | undefined>): Promise<T> {
  const r = await cli([...args, '--json'], env === undefined ? {} : { env });
  if (r.code !== 0) throw new Error(`actorfold ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

describe('typo suggestions', () => {
  it('suggest the nearest command or option, exiting 2', async () => {
    const cases: Array<[string[], string]> = [
      [['stream'], '(Did you mean streams?)'],
      [['inspct'], '(Did you mean inspect?)'],
      [['evnts', 'account/alice'], '(Did you mean events?)'],
      [['streams', '--dat', 'x'], '(Did you mean --data?)'],
      [['streams', '--data', 'x', '--jsn'], '(Did you mean --json?)'],
      [['actors', '--socket', 's', '--limt', '3'], '(Did you mean --limit?)'],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(args)));
    runs.forEach((r, i) => {
      expect({ args: cases[i]?.[0], code: r.code }).toEqual({ args: cases[i]?.[0], code: 2 });
      expect(r.stderr).toContain(cases[i]?.[1]);
    });
  });
});

describe('both spellings of an aggregate', () => {
  it('are accepted by inspect, events, snapshots, state, evict and snapshot', async () => {
    const s = ['--socket', daemon.socket];
    const slash = await json<InspectView>(['inspect', 'account/alice', ...s]);
    const words = await json<InspectView>(['inspect', 'account', 'alice', ...s]);
    expect(slash.streamId).toBe('account/alice');
    expect(words.version).toBe(slash.version);
    const e1 = await json<EventsResult>(['events', 'account', 'alice', ...s]);
    expect(e1.events).toHaveLength(7);
    expect((await json<EventsResult>(['events', 'account', 'bob', '--data', data])).events).toHaveLength(4);
    const st = await json<StateResult>(['state', 'account', 'bob', '--data', data, '--module', domainModule]);
    expect(st.version).toBe(4);
    expect((await cli(['snapshots', 'account', 'alice', '--data', data])).code).toBe(0);
    expect(await json(['snapshot', 'account/alice', ...s])).toMatchObject({ streamId: 'account/alice' });
    expect(await json(['evict', 'account/alice', ...s])).toEqual({
      streamId: 'account/alice',
      evicted: true,
    });
  });
});

describe('events filters', () => {
  it('--type keeps only those event types, offline and live', async () => {
    const off = await json<EventsResult>(['events', 'account/alice', '--data', data, '--type', 'Opened']);
    expect(off.events.map((e) => [e.version, e.type])).toEqual([[1, 'Opened']]);
    const page = await json<EventsResult>([
      'events',
      'account/alice',
      '--data',
      data,
      '--type',
      'Deposited',
      '--limit',
      '10',
    ]);
    expect(page.events.map((e) => e.version)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(page.next).toBe(12);
    const live = await json<EventsView>([
      'events',
      'account/alice',
      '--socket',
      daemon.socket,
      '--type',
      'Withdrawn,Opened',
    ]);
    expect(live.events.map((e) => e.type)).toEqual(['Opened', 'Withdrawn']);
    const table = await cli([
      'events',
      'account',
      'alice',
      '--socket',
      daemon.socket,
      '--type',
      'Withdrawn,Opened',
    ]);
    expect(table.stdout).toMatch(/^ +1 +1 +Opened /m);
    expect(table.stdout).toContain('2 matching events in versions 1..7');
    const text = await cli(['events', 'account/alice', '--data', data, '--type', 'Closed']);
    expect(text.stdout).toContain('no matching events from version 1');
  });

  it('--since and --until bound the events by timestamp (since inclusive, until exclusive)', async () => {
    const all = (await json<EventsResult>(['events', 'account/alice', '--socket', daemon.socket])).events;
    const third = all[2]?.timestamp as string;
    const since = await json<EventsResult>([
      'events',
      'account/alice',
      '--socket',
      daemon.socket,
      '--since',
      third,
    ]);
    expect(since.events.map((e) => e.version)).toEqual(
      all.filter((e) => Date.parse(e.timestamp) >= Date.parse(third)).map((e) => e.version),
    );
    expect(since.events.map((e) => e.version)).toContain(3);
    const until = await json<EventsResult>([
      'events',
      'account/alice',
      '--socket',
      daemon.socket,
      '--until',
      third,
    ]);
    expect(until.events.every((e) => Date.parse(e.timestamp) < Date.parse(third))).toBe(true);
    expect(until.events.map((e) => e.version)).not.toContain(3);
    const none = await json<EventsResult>([
      'events',
      'account/alice',
      '--data',
      data,
      '--until',
      '2000-01-01',
    ]);
    expect(none.events).toEqual([]);
    const bad = await cli(['events', 'account/alice', '--data', data, '--since', 'last week']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('must be an ISO 8601 time');
  });
});

describe('ACTORFOLD_SOCKET', () => {
  it('is the default --socket, and an explicit --data still reads offline', async () => {
    const env = { ACTORFOLD_SOCKET: daemon.socket };
    expect(await json<InspectView>(['inspect', 'account/alice'], env)).toMatchObject({
      streamId: 'account/alice',
      version: 7,
    });
    const offline = await json<EventsResult>(['events', 'account/bob', '--data', data], env);
    expect(offline.version).toBe(4);
    const wrong = await cli(['actors'], { env: { ACTORFOLD_SOCKET: join(freshDir(), 'none.sock') } });
    expect(wrong.code).toBe(5);
    expect((await cli(['actors', '--help'])).stdout).toContain('(env: ACTORFOLD_SOCKET)');
  });
});

describe('colors', () => {
  const args = ['events', 'account/alice', '--data', '', '--limit', '2'];
  it('are on when forced, and off with --no-color (before or after the command) or NO_COLOR', async () => {
    args[3] = data;
    const forced = { FORCE_COLOR: '1', NO_COLOR: undefined };
    const on = await cli(args, { env: forced });
    expect(on.code).toBe(0);
    expect(on.stdout).toMatch(ANSI);
    for (const r of [
      await cli(['--no-color', ...args], { env: forced }),
      await cli([...args, '--no-color'], { env: forced }),
      await cli(args, { env: { NO_COLOR: '1' } }),
    ]) {
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('versions 1..2');
      expect(r.stdout).not.toMatch(ANSI);
    }
  });
});

describe('offline-only commands given a socket', () => {
  it('say they work offline and point at the live form', async () => {
    const verify = await cli(['verify', '--socket', daemon.socket]);
    expect(verify.code).toBe(2);
    expect(verify.stderr).toContain('verify works offline');
    expect(verify.stderr).toContain(`actorfold stats --socket ${daemon.socket}`);
    expect(verify.stderr).not.toContain('required option');
    const state = await cli(['state', 'account/alice', '--socket', daemon.socket, '--module', domainModule]);
    expect(state.code).toBe(2);
    expect(state.stderr).toContain('state works offline');
    expect(state.stderr).toContain(`actorfold inspect account alice --socket ${daemon.socket}`);
  });
});

describe('state --module with TypeScript', () => {
  it('loads a .ts module through tsx when it is installed', async () => {
    const dir = freshDir();
    // As in a user's ESM project.
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
    const file = join(dir, 'domain.ts');
    writeFileSync(
      file,
      `import { aggregates as all } from ${JSON.stringify(domainModule)};\nconst note: string = 'typed';\nexport const aggregates: readonly unknown[] = note.length > 0 ? all : [];\n`,
    );
    const r = await json<StateResult>(['state', 'account/bob', '--data', data, '--module', file]);
    expect(r).toMatchObject({ aggregateType: 'account', version: 4 });
  });

  it('explains how to load a module Node cannot import, without a stack trace', async () => {
    const file = join(freshDir(), 'domain.coffee');
    writeFileSync(file, 'aggregates = []\n');
    const r = await cli(['state', 'account/bob', '--data', data, '--module', file]);
    expect(r.code).toBe(6);
    expect(r.stderr).toContain('Unknown file extension');
    expect(r.stderr).toContain('give a built .js module');
    expect(r.stderr).toContain('node --import tsx');
    expect(r.stderr).not.toMatch(STACK);
  });
});
