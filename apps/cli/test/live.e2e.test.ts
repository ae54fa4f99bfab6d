/**
 * The live commands against a running example daemon's admin socket (a real process on a real
 * LevelDB folder), and the offline commands' answer while that daemon holds the folder.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type {
  ActorsView,
  EventsView,
  InspectView,
  MetricsView,
  ProjectionsView,
  SnapshotTakenView,
  StatsView,
} from '@actorfold/admin';
import type { EventEnvelope } from '@actorfold/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamsResult } from '../src/commands/streams.js';
import { cli, cliJson, STACK } from './support/cli.js';
import { daemonArgs } from './support/daemon.js';
import { freshDir } from './support/folders.js';

let daemon: ChildProcess;
let socket: string;
let data: string;
let api: string;

/** Sends a command to the daemon's command API. */
async function command(
  type: string,
  id: string,
  cmd: Record<string, unknown>,
  commandId?: string,
): Promise<void> {
  const res = await fetch(`${api}/v1/commands/${type}/${id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ command: cmd, ...(commandId === undefined ? {} : { commandId }) }),
  });
  if (!res.ok) throw new Error(`${type}/${id} ${cmd.type}: ${res.status} ${await res.text()}`);
}

beforeAll(async () => {
  const dir = freshDir();
  socket = join(dir, 'admin.sock');
  data = join(dir, 'store');
  daemon = spawn(process.execPath, daemonArgs(data, socket), {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const ready = await new Promise<{ port: number }>((resolve, reject) => {
    daemon.once('message', (m) => resolve(m as { port: number }));
    daemon.once('exit', (code) => reject(new Error(`the daemon exited ${code} before it was ready`)));
  });
  api = `http://127.0.0.1:${ready.port}`;
  await command('account', 'alice', { type: 'open', owner: 'Alice' }, 'open-alice');
  for (let i = 1; i <= 60; i++) await command('account', 'alice', { type: 'deposit', amount: i });
  await command('account', 'bob', { type: 'open', owner: 'Bob' });
});

afterAll(async () => {
  daemon.kill('SIGTERM');
  await new Promise((resolve) => daemon.once('exit', resolve));
});

describe('the live commands (--socket)', () => {
  it('talk to a socket the daemon created with mode 0600', () => {
    expect(statSync(socket).mode & 0o777).toBe(0o600);
  });

  it('actors: lists resident actors as a table and as JSON', async () => {
    const table = await cli(['actors', '--socket', socket]);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^type +id +status +version +mailbox +idle for$/);
    expect(lines[1]).toMatch(/^account +alice +ready +61 +0 +\S+$/);
    expect(lines[2]).toMatch(/^account +bob +ready +1 +0 +\S+$/);
    expect(lines[3]).toBe('2 resident actors');

    const json = await cliJson<ActorsView>(['actors', '--socket', socket, '--state-size']);
    expect(json.total).toBe(2);
    expect(json.actors[0]).toMatchObject({
      type: 'account',
      id: 'alice',
      version: 61,
      mailboxDepth: 0,
      status: 'ready',
    });
    expect(json.actors[0]?.stateBytes).toBe(
      Buffer.byteLength(JSON.stringify({ status: 'open', owner: 'Alice', balance: 1830 })),
    );
  });

  it('inspect: shows state, actor and newest events', async () => {
    const table = await cli(['inspect', 'account', 'alice', '--socket', socket, '--events', '2']);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('"balance": 1830');
    expect(table.stdout).toMatch(/stream +account\/alice/);
    expect(table.stdout).toMatch(/ +60 +\d+ +Deposited .*"amount":59/);
    const json = await cliJson<InspectView>([
      'inspect',
      'account',
      'alice',
      '--socket',
      socket,
      '--events',
      '1',
    ]);
    expect(json).toMatchObject({ version: 61, state: { balance: 1830 }, wasResident: true });
    expect(json.recentEvents.map((e) => e.version)).toEqual([61]);
  });

  it('events, streams, snapshots and stats: the same views as offline, from the daemon', async () => {
    const page = await cliJson<EventsView & { next: number | null }>([
      'events',
      'account/alice',
      '--socket',
      socket,
      '--limit',
      '10',
    ]);
    expect(page.events.map((e) => e.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(page.next).toBe(11);
    const last = await cli(['events', 'account/alice', '--socket', socket, '--last', '1']);
    expect(last.stdout).toMatch(/^ +61 +61 +Deposited /m);
    const streams = await cliJson<StreamsResult>(['streams', '--socket', socket]);
    expect(streams.streams.map((s) => [s.streamId, s.version])).toEqual([
      ['account/alice', 61],
      ['account/bob', 1],
    ]);
    expect(streams.total).toBe(null);
    const snaps = await cliJson<{ snapshots: Array<{ version: number }> }>([
      'snapshots',
      'account/alice',
      '--socket',
      socket,
    ]);
    expect(snaps.snapshots.map((s) => s.version)).toEqual([50]);
    const stats = await cliJson<StatsView>(['stats', '--socket', socket]);
    expect(stats.runtime).toMatchObject({ liveActors: 2, commandsOk: 62 });
    expect(stats.aggregateTypes).toEqual(['account', 'supplier-switch', 'offer']);
  });

  it('metrics: counters as a table, JSON, and Prometheus text', async () => {
    const table = await cli(['metrics', '--socket', socket]);
    expect(table.stdout).toMatch(/^commandsOk +\d+$/m);
    const json = await cliJson<MetricsView>(['metrics', '--socket', socket]);
    expect(json.counters.commandsOk).toBeGreaterThanOrEqual(62);
    const prom = await cli(['metrics', '--socket', socket, '--prometheus']);
    expect(prom.stdout).toContain('# TYPE actorfold_commands_ok_total counter\n');
    expect(prom.stdout).toMatch(/^actorfold_command_latency_seconds\{quantile="0.99"\} [0-9.e-]+$/m);
  });

  it("projections: the daemon's read models, caught up with the log", async () => {
    const caughtUp = async () => {
      const json = await cliJson<ProjectionsView>(['projections', '--socket', socket]);
      return json.projections.map((p) => `${p.name}:${p.state}:${p.lag}:${p.position > 0}`);
    };
    await expect.poll(caughtUp).toEqual(['open-switches:caught-up:0:true', 'balances:caught-up:0:true']);
    const table = await cli(['projections', '--socket', socket]);
    expect(table.stdout).toMatch(/^balances +(running|caught-up) +\d+/m);
    expect(table.stderr).not.toMatch(STACK);
  });

  it('tail: follows events from a position as NDJSON and stops after --limit', async () => {
    const r = await cli(['tail', '--socket', socket, '--from', '60', '--limit', '2', '--json']);
    expect(r.code).toBe(0);
    const events = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as EventEnvelope);
    expect(events.map((e) => [e.position, e.streamId, e.version])).toEqual([
      [60, 'account/alice', 60],
      [61, 'account/alice', 61],
    ]);
    const readable = await cli(['tail', '--socket', socket, '--from', '62', '--limit', '1']);
    expect(readable.stdout).toBe('#62 account/bob v1 Opened {"type":"Opened","owner":"Bob"}\n');
  });

  it('tail: shows events appended while it runs', async () => {
    const tail = cli([
      'tail',
      '--socket',
      socket,
      '--type',
      'account',
      '--event',
      'Deposited',
      '--limit',
      '1',
      '--json',
    ]);
    // Deposit until the tail (started from the end) has seen one: it cannot know the past.
    let done = false;
    void tail.then(() => {
      done = true;
    });
    for (let i = 0; !done && i < 200; i++) {
      await command('account', 'bob', { type: 'deposit', amount: 1 });
      await new Promise((r) => setTimeout(r, 25));
    }
    const r = await tail;
    expect(JSON.parse(r.stdout)).toMatchObject({ streamId: 'account/bob', type: 'Deposited' });
  });

  it('snapshot and evict: act on one actor and say what happened', async () => {
    const snap = await cliJson<SnapshotTakenView>(['snapshot', 'account', 'alice', '--socket', socket]);
    expect(snap).toEqual({ streamId: 'account/alice', version: 61, saved: true });
    const evicted = await cli(['evict', 'account', 'alice', '--socket', socket]);
    expect(evicted.stdout).toBe('account/alice: evicted (the next command respawns it)\n');
    const again = await cli(['evict', 'account', 'alice', '--socket', socket]);
    expect(again.stdout).toBe('account/alice: not resident, nothing to evict\n');
    const actors = await cliJson<ActorsView>(['actors', '--socket', socket]);
    expect(actors.actors.map((a) => a.id)).toEqual(['bob']);
  });

  it('answers errors from the daemon plainly with an exit code, never a stack trace', async () => {
    const unknownType = await cli(['inspect', 'widget', 'w1', '--socket', socket]);
    expect(unknownType.code).toBe(4);
    expect(unknownType.stderr).toContain("UNKNOWN_AGGREGATE: no aggregate of type 'widget' is registered");
    const noEvents = await cli(['inspect', 'account', 'nobody', '--socket', socket]);
    expect(noEvents.code).toBe(4);
    expect(noEvents.stderr).toContain('NOT_FOUND: account/nobody has no events');
    const noPolicy = await cli(['snapshot', 'widget', 'x', '--socket', socket]);
    expect(noPolicy.code).toBe(4);
    const gone = await cli(['actors', '--socket', join(freshDir(), 'none.sock')]);
    expect(gone.code).toBe(5);
    expect(gone.stderr).toContain('no admin socket at');
    expect(gone.stderr).toContain('is the daemon running?');
    for (const r of [unknownType, noEvents, noPolicy, gone]) expect(r.stderr).not.toMatch(STACK);
  });
});

describe('the offline commands while the daemon runs', () => {
  it('say plainly that a running daemon holds the folder and point to --socket (exit 3)', async () => {
    const r = await cli(['events', 'account/alice', '--data', data]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(
      `actorfold events: the store folder ${data} is locked: a running daemon (or another process) has it open\n` +
        '  ask the running daemon through its admin socket instead: actorfold events account/alice --socket <path>\n' +
        "  (the example daemon's socket is data/admin.sock), or stop the daemon and run this again\n",
    );
  });
});
