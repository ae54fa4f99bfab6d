/**
 * The offline commands against real store folders: tables and `--json`, paging, replay with a
 * user module, stats, and `verify` finding deliberately damaged records.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { levelStore } from '@actorfold/level';
import { ClassicLevel } from 'classic-level';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EventsResult } from '../src/commands/events.js';
import type { SnapshotsResult } from '../src/commands/snapshots.js';
import type { StateResult } from '../src/commands/state.js';
import type { StoreStats } from '../src/commands/stats.js';
import type { StreamsResult } from '../src/commands/streams.js';
import type { VerifyReport } from '../src/store-verifier.js';
import { cli, cliJson, STACK } from './support/cli.js';
import { domainModule, freshDir, seededStore } from './support/folders.js';

let data: string;
beforeAll(async () => {
  data = await seededStore();
});

/** Edits raw LevelDB keys of a copy of the seeded folder (the layout is the store's business). */
async function damaged(damage: (db: ClassicLevel<string, string>) => Promise<void>): Promise<string> {
  const path = await seededStore();
  const db = new ClassicLevel<string, string>(path);
  await db.open();
  await damage(db);
  await db.close();
  return path;
}

/** The raw key under `prefix` whose trailing 14 hex digits are `n`. */
async function keyOf(db: ClassicLevel<string, string>, prefix: string, n: number): Promise<string> {
  const keys = await db.keys({ gte: prefix, lt: `${prefix}\uffff` }).all();
  const key = keys.find((k) => Number.parseInt(k.slice(-14), 16) === n);
  if (key === undefined) throw new Error(`no key under ${JSON.stringify(prefix)} ending in ${n}`);
  return key;
}

describe('actorfold streams (offline)', () => {
  it('lists streams with their event counts, as a table and as JSON', async () => {
    const table = await cli(['streams', '--data', data, '--limit', '3']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n').slice(0, 4)).toEqual([
      'stream           type     id       events',
      'account/acct-0   account  acct-0        1',
      'account/acct-1   account  acct-1        1',
      'account/acct-10  account  acct-10       1',
    ]);
    expect(table.stdout).toContain('32 streams, 155 events (showing 3)');
    expect(table.stdout).toContain('next page: --after "account/acct-10"');

    const json = await cliJson<StreamsResult>(['streams', '--data', data, '--limit', '100']);
    expect(json.total).toBe(32);
    expect(json.events).toBe(155);
    expect(json.next).toBe(null);
    expect(json.streams.find((s) => s.streamId === 'account/alice')).toEqual({
      streamId: 'account/alice',
      aggregateType: 'account',
      aggregateId: 'alice',
      version: 121,
    });
  });

  it('filters by type, prefix and size, and pages with --after', async () => {
    const big = await cliJson<StreamsResult>(['streams', '--data', data, '--min-events', '2']);
    expect(big.streams.map((s) => [s.streamId, s.version])).toEqual([
      ['account/alice', 121],
      ['account/bob', 4],
    ]);
    expect(big.total).toBe(2);
    const prefixed = await cliJson<StreamsResult>([
      'streams',
      '--data',
      data,
      '--type',
      'account',
      '--prefix',
      'acct-2',
    ]);
    expect(prefixed.streams.map((s) => s.aggregateId)).toEqual([
      'acct-2',
      ...Array.from({ length: 10 }, (_, i) => `acct-2${i}`),
    ]);
    const page = await cliJson<StreamsResult>([
      'streams',
      '--data',
      data,
      '--after',
      'account/acct-9',
      '--limit',
      '1',
    ]);
    expect(page.streams.map((s) => s.streamId)).toEqual(['account/alice']);
    expect(page.next).toBe('account/alice');
    expect((await cliJson<StreamsResult>(['streams', '--data', data, '--type', 'nope'])).total).toBe(0);
  });
});

describe('actorfold events, snapshots, state and stats (offline)', () => {
  it("pages through a stream's events and points to the next page", async () => {
    const first = await cliJson<EventsResult>(['events', 'account/alice', '--data', data, '--limit', '50']);
    expect(first.version).toBe(121);
    expect(first.events.map((e) => e.version)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(first.events[1]).toMatchObject({
      type: 'Deposited',
      data: { amount: 1 },
      metadata: { commandId: 'a-1' },
    });
    expect(first.next).toBe(51);
    const end = await cliJson<EventsResult>([
      'events',
      'account/alice',
      '--data',
      data,
      '--from',
      '101',
      '--limit',
      '50',
    ]);
    expect(end.events.map((e) => e.version)).toEqual(Array.from({ length: 21 }, (_, i) => i + 101));
    expect(end.next).toBe(null);
    const newest = await cliJson<EventsResult>(['events', 'account/alice', '--data', data, '--last', '2']);
    expect(newest.events.map((e) => e.version)).toEqual([120, 121]);

    const table = await cli(['events', 'account/bob', '--data', data, '--limit', '2']);
    expect(table.stdout).toMatch(/^version {2}position {2}type +timestamp +commandId {2}data\n/);
    expect(table.stdout).toContain('Opened');
    expect(table.stdout).toContain('versions 1..2 of 4');
    expect(table.stdout).toContain(
      `next page: actorfold events account/bob --from 3 --limit 2 --data ${data}`,
    );
  });

  it('says so when a stream has no events (exit 4)', async () => {
    const r = await cli(['events', 'account/nobody', '--data', data]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('stream account/nobody has no events');
  });

  it("lists a stream's snapshots, newest first", async () => {
    const json = await cliJson<SnapshotsResult>(['snapshots', 'account/alice', '--data', data]);
    expect(json.version).toBe(121);
    expect(json.snapshots.map((s) => s.version)).toEqual([121, 100]);
    expect(json.snapshots[0]?.state).toEqual({ status: 'open', owner: 'Alice', balance: 7260 });
    const table = await cli(['snapshots', 'account/alice', '--data', data]);
    expect(table.stdout).toContain(
      '2 kept; the stream is at version 121, 0 events after the newest snapshot',
    );
  });

  it('replays a state with the aggregates a module exports, without writing anything', async () => {
    const before = await cliJson<SnapshotsResult>(['snapshots', 'account/alice', '--data', data]);
    const r = await cliJson<StateResult>([
      'state',
      'account/alice',
      '--data',
      data,
      '--module',
      domainModule,
    ]);
    expect(r).toEqual({
      stream: 'account/alice',
      aggregateType: 'account',
      version: 121,
      state: { status: 'open', owner: 'Alice', balance: 7260 },
    });
    const partial = await cliJson<StateResult>([
      'state',
      'account/alice',
      '--data',
      data,
      '--module',
      domainModule,
      '--to',
      '3',
    ]);
    expect(partial).toMatchObject({ version: 3, state: { balance: 3 } });
    expect(await cliJson<SnapshotsResult>(['snapshots', 'account/alice', '--data', data])).toEqual(before);

    const unknown = await cli(['state', 'widget/w1', '--data', data, '--module', domainModule]);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain(
      "exports no aggregate of type 'widget' (it has: account, supplier-switch, offer)",
    );
  });

  it('counts streams, events and snapshots per type', async () => {
    const s = await cliJson<StoreStats>(['stats', '--data', data]);
    expect(s).toMatchObject({
      streams: 32,
      events: 155,
      aggregateTypes: { account: { streams: 32, events: 155 } },
    });
    expect(s.largestStreams.slice(0, 2)).toEqual([
      { streamId: 'account/alice', version: 121 },
      { streamId: 'account/bob', version: 4 },
    ]);
    expect(s.snapshots).toBeGreaterThanOrEqual(32);
    expect(s.diskBytes).toBeGreaterThan(0);
  });

  it('refuses a folder that is not a store, creating nothing (exit 4)', async () => {
    const missing = join(freshDir(), 'nothing-here');
    const r = await cli(['streams', '--data', missing]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('is not a store folder');
    expect(existsSync(missing)).toBe(false);
  });
});

describe('actorfold verify', () => {
  it('passes a healthy store', async () => {
    const r = await cli(['verify', '--data', data]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`ok: 32 streams, 155 events, 155 log records, 33 snapshots in ${data}\n`);
  });

  it('finds a deliberately corrupted record, names its stream and version, and exits 1', async () => {
    const path = await damaged(async (db) => db.put(await keyOf(db, 'saccount/bob\u0000', 3), '{not json'));
    const r = await cli(['verify', '--data', path]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('account/bob');
    // The record is stored once: its damage shows in its stream and in the global log.
    expect(r.stdout).toContain('2 problems: 32 streams, 154 events, 154 log records');
    expect(r.stderr).toContain('verify found problems');
    expect(r.stderr).not.toMatch(STACK);

    const json = await cli(['verify', '--data', path, '--json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as VerifyReport;
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      {
        kind: 'stream',
        streamId: 'account/bob',
        version: 3,
        message: expect.stringContaining('CORRUPT_DATA: account/bob@3: the stored event is not valid JSON'),
      },
      {
        kind: 'log',
        position: expect.any(Number),
        message: expect.stringContaining('CORRUPT_DATA: account/bob@3: the stored event is not valid JSON'),
      },
    ]);
  });

  it('finds a gap in the global log and a snapshot that does not decode', async () => {
    const path = await damaged(async (db) => {
      await db.del(await keyOf(db, 'l', 7));
      await db.put(await keyOf(db, 'naccount/bob\u0000', 4), '{"broken');
    });
    const report = JSON.parse((await cli(['verify', '--data', path, '--json'])).stdout) as VerifyReport;
    expect(report.problems.map((p) => [p.kind, p.streamId, p.version ?? p.position])).toEqual([
      ['log', undefined, 7],
      ['log', 'account/alice', 8],
      ['snapshot', 'account/bob', 4],
    ]);
    // The record after the gap tells whose event went missing.
    expect(report.problems[1]?.message).toBe('the log holds version 8 of account/alice after version 6');
    expect(report.problems[2]?.message).toContain('the stored snapshot is not valid JSON');
  });

  it('refuses a folder a running process holds, pointing to the --socket form (exit 3)', async () => {
    const holder = await levelStore({ path: data });
    try {
      const r = await cli(['streams', '--data', data]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(
        `the store folder ${data} is locked: a running daemon (or another process) has it open`,
      );
      expect(r.stderr).toContain('actorfold streams --socket <path>');
      expect(r.stderr).not.toMatch(STACK);
      const v = await cli(['verify', '--data', data]);
      expect(v.code).toBe(3);
      expect(v.stderr).toContain('stop the daemon first');
    } finally {
      await holder.close();
    }
  });
});
