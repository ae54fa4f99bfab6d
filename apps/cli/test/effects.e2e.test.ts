/**
 * `actorfold effects` against a real example daemon (a child process on a LevelDB folder, its
 * real admin socket): the supplier switch's registration effects to a grid operator that fails
 * every attempt are listed as retrying with their last error; one is retried and one abandoned by
 * hand; the effect metrics are exposed. Then a daemon on the same folder whose grid operator
 * answers still has the remaining effect, and a retry by hand gets its receipt recorded.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  adminClient,
  type EffectAbandonedView,
  type EffectRetriedView,
  type EffectsView,
  type MetricsView,
} from '@actorfold/admin';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cli, cliJson } from './support/cli.js';
import { daemonMain, freshDir } from './support/folders.js';

let daemon: ChildProcess | undefined;
let socket: string;
let data: string;
let api: string;

const request = (meteringPoint: string) => ({
  type: 'requestSwitch',
  meteringPoint,
  newSupplier: '9900000000011',
  oldSupplier: '9900000000028',
  gridOperator: '9900000000035',
  switchDate: '2099-12-31',
});

async function command(type: string, id: string, cmd: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${api}/v1/commands/${type}/${id}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ command: cmd }),
  });
  if (!res.ok) throw new Error(`${type}/${id} ${cmd.type}: ${res.status} ${await res.text()}`);
}

interface SwitchView {
  state: {
    value: string;
    context: { registration: { status: string; error?: string; receiptId?: string } | null };
  };
}

async function switchState(id: string): Promise<SwitchView['state']> {
  const res = await fetch(`${api}/v1/aggregates/supplier-switch/${id}`);
  return ((await res.json()) as SwitchView).state;
}

/** Starts the example daemon on `data` with the grid operator failing every attempt, or none. */
async function startDaemon(gridFailureRate: string): Promise<void> {
  const child = spawn(
    process.execPath,
    [
      daemonMain,
      ...['--data', data, '--socket', socket, '--port', '0', '--log-level', 'warn'],
      ...['--grid-failure-rate', gridFailureRate, '--grid-refusal-rate', '0', '--grid-latency-ms', '0'],
      // Back-off far beyond the test: a failed registration waits for a retry by hand.
      ...['--effect-attempts', '50', '--effect-backoff-ms', '3600000'],
    ],
    { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
  );
  daemon = child;
  const ready = await new Promise<{ port: number }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { port: number }));
    child.once('exit', (code) => reject(new Error(`the daemon exited ${code} before it was ready`)));
  });
  api = `http://127.0.0.1:${ready.port}`;
}

async function stopDaemon(): Promise<void> {
  const d = daemon;
  if (d === undefined) return;
  daemon = undefined;
  d.kill('SIGTERM');
  await new Promise((resolve) => d.once('exit', resolve));
}

/** Polling goes through the admin client itself; the CLI is run for what is under test. */
const admin = () => adminClient(socket);
const started = async () => (await admin().metrics()).counters.effectsStarted;

beforeAll(async () => {
  const dir = freshDir();
  socket = join(dir, 'admin.sock');
  data = join(dir, 'store');
  await startDaemon('1');
  await command('supplier-switch', 'a', request('51238696781'));
  await command('supplier-switch', 'b', request('51238696781'));
  // Both first attempts fail at once; then each waits for its next attempt.
  await vi.waitFor(
    async () => {
      const view = await admin().effects({ state: 'retrying' });
      expect(view.effects).toHaveLength(2);
    },
    { timeout: 10_000 },
  );
}, 30_000);

afterAll(stopDaemon);

describe('actorfold effects (live, --socket)', () => {
  it('lists the retrying registrations with their last error, as JSON and as a table', async () => {
    const view = await cliJson<EffectsView>(['effects', '--socket', socket]);
    expect(view.state).toBeNull();
    expect(view.unsettled).toBe(2);
    expect(view.effects.map((e) => [e.streamId, e.id, e.name, e.state, e.resultType])).toEqual(
      expect.arrayContaining([
        ['supplier-switch/a', 'registration', 'grid.requestSwitch', 'retrying', 'recordGridReceipt'],
        ['supplier-switch/b', 'registration', 'grid.requestSwitch', 'retrying', 'recordGridReceipt'],
      ]),
    );
    for (const e of view.effects) {
      expect(e.attempts).toBeGreaterThanOrEqual(1);
      expect(e.lastError).toMatchObject({ code: 'GRID_UNAVAILABLE' });
      expect(e.input).toMatchObject({ meteringPoint: '51238696781', switchDate: '2099-12-31' });
    }
    const table = await cli(['effects', '--socket', socket, '--aggregate', 'supplier-switch/a']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^stream +effect +name +state +attempts +next at +age +last error\n/);
    expect(table.stdout).toMatch(
      /supplier-switch\/a +registration +grid\.requestSwitch +retrying +\d+ +\S+Z +.+GRID_UNAVAILABLE: grid operator/,
    );
    expect(table.stdout).not.toMatch(/supplier-switch\/b/);
    const none = await cliJson<EffectsView>(['effects', 'pending', '--socket', socket]);
    expect(none.effects).toEqual([]);
  });

  it('exposes the effect metrics, in the JSON and as Prometheus text', async () => {
    // The gauges are refreshed from the store at most once a second.
    await vi.waitFor(
      async () => {
        const m: MetricsView = await admin().metrics();
        expect(m.counters.effectsStarted).toBeGreaterThanOrEqual(2);
        expect(m.counters.effectsRetried).toBeGreaterThanOrEqual(2);
        expect(m.gauges.effectsPending).toBe(2);
        expect(m.gauges.effectsOldestAgeMs).toBeGreaterThan(0);
      },
      { timeout: 30_000, interval: 200 },
    );
    const text = await cli(['metrics', '--socket', socket, '--prometheus']);
    expect(text.stdout).toMatch(/^# TYPE actorfold_effects_started_total counter$/m);
    expect(text.stdout).toMatch(/^actorfold_effects_retried_total \d+$/m);
    expect(text.stdout).toMatch(/^actorfold_effects_failed_total 0$/m);
    expect(text.stdout).toMatch(/^actorfold_effects_pending 2$/m);
    expect(text.stdout).toMatch(/^# TYPE actorfold_effects_in_flight gauge$/m);
    expect(text.stdout).toMatch(/^actorfold_effects_oldest_age_ms \d+$/m);
  });

  it('retries one by hand: it runs again at once', async () => {
    const before = await started();
    const r = await cliJson<EffectRetriedView>([
      'effects',
      'retry',
      'supplier-switch/a',
      'registration',
      '--socket',
      socket,
    ]);
    expect(r).toEqual({ streamId: 'supplier-switch/a', id: 'registration', retried: true });
    await vi.waitFor(async () => expect(await started()).toBeGreaterThan(before), { timeout: 10_000 });
    // The grid operator still fails: the effect is retrying again, not settled.
    const view = await admin().effects({ stream: 'supplier-switch/a' });
    expect(view.effects).toHaveLength(1);
    const plain = await cli(['effects', 'retry', 'supplier-switch/a', 'registration', '--socket', socket]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe(
      "supplier-switch/a: effect 'registration' runs again now, with a fresh budget\n",
    );
  });

  it('abandons one by hand: the switch records the registration as undelivered, with the reason', async () => {
    const r = await cliJson<EffectAbandonedView>([
      ...['effects', 'abandon', 'supplier-switch/b', 'registration'],
      ...['--reason', 'sent by fax', '--socket', socket],
    ]);
    expect(r).toEqual({
      streamId: 'supplier-switch/b',
      id: 'registration',
      abandoned: true,
      reason: 'sent by fax',
    });
    await vi.waitFor(
      async () => expect((await switchState('b')).context.registration?.status).toBe('undelivered'),
      {
        timeout: 10_000,
      },
    );
    const b = await switchState('b');
    expect(b.value).toBe('requested'); // the answer period still runs
    expect(b.context.registration?.error).toContain('sent by fax');
    const view = await admin().effects();
    expect(view.effects.map((e) => e.streamId)).toEqual(['supplier-switch/a']);
  });

  it('says plainly what is wrong with bad input or an unknown effect', async () => {
    const unknown = await cli(['effects', 'retry', 'supplier-switch/b', 'registration', '--socket', socket]);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toMatch(/supplier-switch\/b has no pending effect 'registration'/);
    expect(unknown.stderr).toMatch(/list them with actorfold effects/);
    const state = await cli(['effects', 'stuck', '--socket', socket]);
    expect(state.code).toBe(2);
    expect(state.stderr).toMatch(/must be one of pending, running, retrying, delivering, failed/);
    const target = await cli(['effects', 'retry', 'supplier-switch', 'registration', '--socket', socket]);
    expect(target.code).toBe(2);
    expect(target.stderr).toMatch(/cannot tell the aggregate/);
    const noSocket = await cli(['effects', 'retry', 'supplier-switch/a', 'registration'], {
      env: { ACTORFOLD_SOCKET: undefined },
    });
    expect(noSocket.code).toBe(2);
    expect(noSocket.stderr).toMatch(/--socket/);
  });

  it('keeps the unsettled effect over a restart, and a retry by hand on a working grid records the receipt', async () => {
    await stopDaemon();
    await startDaemon('0');
    const view = await cliJson<EffectsView>(['effects', '--socket', socket]);
    expect(view.effects.map((e) => [e.streamId, e.state])).toEqual([['supplier-switch/a', 'retrying']]);
    await cliJson(['effects', 'retry', 'supplier-switch/a', 'registration', '--socket', socket]);
    await vi.waitFor(
      async () => expect((await switchState('a')).context.registration?.status).toBe('accepted'),
      {
        timeout: 10_000,
      },
    );
    expect((await switchState('a')).context.registration?.receiptId).toMatch(/^R-[0-9a-f]{8}$/);
    expect((await admin().effects()).effects).toEqual([]);
  });
});
