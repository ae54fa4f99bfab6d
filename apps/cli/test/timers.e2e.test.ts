/**
 * `actorfold timers` against a real example daemon (a child process on a LevelDB folder, the
 * system clock): live listing, firing and cancelling through the admin socket, the timer
 * metrics in the Prometheus output, then the same folder offline once the daemon has stopped.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { TimerCancelledView, TimerFiredView, TimersView } from '@actorfold/admin';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cli, cliJson } from './support/cli.js';
import { daemonMain, freshDir } from './support/folders.js';

let daemon: ChildProcess | undefined;
let socket: string;
let data: string;
let api: string;

async function command(type: string, id: string, cmd: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${api}/v1/commands/${type}/${id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ command: cmd }),
  });
  if (!res.ok) throw new Error(`${type}/${id} ${cmd.type}: ${res.status} ${await res.text()}`);
}

async function offerStatus(id: string): Promise<string> {
  const res = await fetch(`${api}/v1/aggregates/offer/${id}`);
  return ((await res.json()) as { state: { status: string } }).state.status;
}

const make = (validFor: string) => ({ type: 'makeOffer', customer: 'C-1', pricePerKwh: 312, validFor });

async function stopDaemon(): Promise<void> {
  const d = daemon;
  if (d === undefined) return;
  daemon = undefined;
  d.kill('SIGTERM');
  await new Promise((resolve) => d.once('exit', resolve));
}

beforeAll(async () => {
  const dir = freshDir();
  socket = join(dir, 'admin.sock');
  data = join(dir, 'store');
  const child = spawn(
    process.execPath,
    [daemonMain, '--data', data, '--socket', socket, '--port', '0', '--log-level', 'warn'],
    { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
  );
  daemon = child;
  const ready = await new Promise<{ port: number }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { port: number }));
    child.once('exit', (code) => reject(new Error(`the daemon exited ${code} before it was ready`)));
  });
  api = `http://127.0.0.1:${ready.port}`;
  await command('offer', 'soon', make('PT0.2S'));
  await command('offer', 'hour', make('PT1H'));
  await command('offer', 'day', make('P1D'));
  await command('offer', 'month', make('P30D'));
  // 'soon' expires by itself within moments, by the daemon's own clock.
  await vi.waitFor(async () => expect(await offerStatus('soon')).toBe('expired'), { timeout: 10_000 });
});

afterAll(stopDaemon);

describe('actorfold timers (live, --socket)', () => {
  it('lists the pending timers, earliest due first, as JSON and as a table', async () => {
    const view = await cliJson<TimersView>(['timers', '--socket', socket]);
    expect(view.status).toBe('pending');
    expect(view.pending).toBe(3);
    expect(view.timers.map((t) => [t.streamId, t.name, t.command.type, t.lateMs])).toEqual([
      ['offer/hour', 'expiry', 'expire', 0],
      ['offer/day', 'expiry', 'expire', 0],
      ['offer/month', 'expiry', 'expire', 0],
    ]);
    const table = await cli(['timers', '--socket', socket]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^stream +name +due at +late by +command +missed\n/);
    expect(table.stdout).toMatch(/offer\/hour +expiry +\S+Z +expire +fire/);
  });

  it('filters by aggregate, due time and count; nothing is due or overdue', async () => {
    const inTwoDays = new Date(Date.now() + 2 * 86_400_000).toISOString();
    const early = await cliJson<TimersView>(['timers', '--socket', socket, '--due-before', inTwoDays]);
    expect(early.timers.map((t) => t.streamId)).toEqual(['offer/hour', 'offer/day']);
    const one = await cliJson<TimersView>(['timers', '--socket', socket, '--limit', '1']);
    expect(one.timers.map((t) => t.streamId)).toEqual(['offer/hour']);
    const mine = await cliJson<TimersView>(['timers', '--socket', socket, '--aggregate', 'offer/day']);
    expect(mine.timers.map((t) => t.streamId)).toEqual(['offer/day']);
    expect((await cliJson<TimersView>(['timers', 'due', '--socket', socket])).timers).toEqual([]);
    expect((await cliJson<TimersView>(['timers', 'overdue', '--socket', socket])).timers).toEqual([]);
  });

  it("lists an aggregate's fired timers with the event their firing recorded", async () => {
    const view = await cliJson<TimersView>([
      'timers',
      'fired',
      '--socket',
      socket,
      '--aggregate',
      'offer/soon',
    ]);
    expect(view.fired).toEqual([
      expect.objectContaining({
        streamId: 'offer/soon',
        name: 'expiry',
        scheduledAt: 1,
        version: 2,
        eventType: 'OfferExpired',
      }),
    ]);
  });

  it('fires one timer by hand, through its aggregate, and cancels another', async () => {
    const fired = await cliJson<TimerFiredView>([
      'timers',
      '--socket',
      socket,
      '--aggregate',
      'offer/hour',
      '--fire',
      'expiry',
    ]);
    expect(fired).toEqual({ streamId: 'offer/hour', name: 'expiry', outcome: 'fired', version: 2 });
    expect(await offerStatus('hour')).toBe('expired');
    const cancelled = await cliJson<TimerCancelledView>([
      'timers',
      '--socket',
      socket,
      '--aggregate',
      'offer/day',
      '--cancel',
      'expiry',
    ]);
    expect(cancelled).toEqual({ streamId: 'offer/day', name: 'expiry', cancelled: true });
    expect(await offerStatus('day')).toBe('open');
    const again = await cli(['timers', '--socket', socket, '--aggregate', 'offer/day', '--fire', 'expiry']);
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(/offer\/day has no pending timer 'expiry'/);
    expect((await cliJson<TimersView>(['timers', '--socket', socket])).pending).toBe(1);
  });

  it('shows the timer metrics in the Prometheus output', async () => {
    const r = await cli(['metrics', '--socket', socket, '--prometheus']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^actorfold_timers_fired_total 2$/m);
    expect(r.stdout).toMatch(/^actorfold_timers_pending \d+$/m);
    // The lag is measured for firings that came due (soon's), not for one fired early by hand.
    expect(r.stdout).toMatch(/^actorfold_timer_lag_seconds_count 1$/m);
    expect(r.stdout).toMatch(/^# HELP actorfold_timer_lag_seconds From a durable timer's due time/m);
  });
});

describe('actorfold timers (offline, --data)', () => {
  it('lists the same folder once the daemon has stopped, and refuses to act on it', async () => {
    await stopDaemon();
    const view = await cliJson<TimersView>(['timers', '--data', data]);
    expect(view.timers.map((t) => [t.streamId, t.name])).toEqual([['offer/month', 'expiry']]);
    const fired = await cliJson<TimersView>(['timers', 'fired', '--data', data, '--aggregate', 'offer/hour']);
    expect(fired.fired.map((f) => [f.name, f.eventType])).toEqual([['expiry', 'OfferExpired']]);
    const act = await cli(['timers', '--data', data, '--aggregate', 'offer/month', '--cancel', 'expiry']);
    expect(act.code).toBe(2);
    expect(act.stderr).toMatch(/give the daemon with --socket/);
    const bad = await cli(['timers', 'late', '--data', data]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/must be one of pending, due, overdue, fired/);
  });
});
