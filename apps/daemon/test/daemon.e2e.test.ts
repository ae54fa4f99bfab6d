/**
 * The daemon as a process: readiness over IPC, the command API with commandIds, the admin socket,
 * and the clean stop on SIGTERM and SIGINT. Spawns the built dist/daemon-main.js.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { createRuntime } from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import { afterEach, describe, expect, it } from 'vitest';
import { CommandClient, CommandFailed } from '../src/command-client.js';
import { aggregates } from '../src/domain/index.js';
import {
  distFile,
  freshDir,
  isReady,
  logEntries,
  type Ready,
  type Spawned,
  spawnNode,
} from './support/processes.js';

const running: Spawned[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) {
    p.process.kill('SIGKILL');
    await p.exited;
  }
});

async function startDaemon(
  dir = freshDir(),
  extra: string[] = [],
): Promise<{ daemon: Spawned; ready: Ready; dir: string }> {
  const daemon = spawnNode(distFile('daemon-main'), [
    '--data',
    join(dir, 'store'),
    '--socket',
    join(dir, 'admin.sock'),
    '--port',
    '0',
    ...extra,
  ]);
  running.push(daemon);
  const ready = await daemon.message<Ready>(isReady);
  return { daemon, ready, dir };
}

/** Fails the test with the failure's code when a command does not reject. */
async function failure(p: Promise<unknown>): Promise<CommandFailed> {
  try {
    await p;
  } catch (e) {
    if (e instanceof CommandFailed) return e;
    throw e;
  }
  throw new Error('expected the command to fail');
}

describe('the example daemon', () => {
  it('reports ready over IPC once the store is open and both ports listen', async () => {
    const { ready, daemon, dir } = await startDaemon();
    expect(ready).toMatchObject({ type: 'ready', pid: daemon.process.pid, socket: join(dir, 'admin.sock') });
    expect(ready.port).toBeGreaterThan(0);
    const health = await fetch(`http://127.0.0.1:${ready.port}/v1/health`);
    expect(await health.json()).toEqual({ ok: true });
    expect(statSync(ready.socket).mode & 0o777).toBe(0o600);
    expect(logEntries(daemon.lines).map((l) => l.msg)).toContain('ready');
  });

  it('executes commands over its API, deduplicating retries by commandId', async () => {
    const { ready } = await startDaemon();
    const api = new CommandClient(`http://127.0.0.1:${ready.port}`);
    const opened = await api.execute(
      'account',
      'ada',
      { type: 'open', owner: 'Ada' },
      { commandId: 'open-ada' },
    );
    expect(opened).toMatchObject({ streamId: 'account/ada', version: 1, deduplicated: false });
    const again = await api.execute(
      'account',
      'ada',
      { type: 'open', owner: 'Ada' },
      { commandId: 'open-ada' },
    );
    expect(again).toMatchObject({ version: 1, deduplicated: true });
    await api.execute('account', 'ada', { type: 'deposit', amount: 7 }, { commandId: 'd-1' });
    expect(await api.state('account', 'ada')).toMatchObject({
      version: 2,
      state: { balance: 7, status: 'open' },
    });
  });

  it('serves its read models, kept by projections, with read-your-writes through atLeast', async () => {
    const { ready } = await startDaemon();
    const base = `http://127.0.0.1:${ready.port}`;
    const api = new CommandClient(base);
    await api.execute('account', 'ada', { type: 'open', owner: 'Ada' });
    const last = await api.execute('account', 'ada', { type: 'deposit', amount: 40 });
    const position = (last as { events: Array<{ position: number }> }).events[0]?.position as number;
    const switchDate = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    const requested = await api.execute('supplier-switch', 'malo-1', {
      type: 'requestSwitch',
      meteringPoint: '51238696781',
      newSupplier: '9900000000011',
      oldSupplier: '9900000000028',
      gridOperator: '9900000000035',
      switchDate,
    });
    const switchAt = (requested as { events: Array<{ position: number }> }).events[0]?.position as number;

    type ReadModelAnswer = {
      name: string;
      caughtUp: boolean;
      status: { position: number };
      model: Record<string, unknown>;
    };
    const read = async (path: string) => (await (await fetch(`${base}${path}`)).json()) as ReadModelAnswer;
    const balances = await read(`/v1/read-models/balances?atLeast=${position}`);
    expect(balances).toMatchObject({
      name: 'balances',
      caughtUp: true,
      model: { total: 40, openAccounts: 1 },
    });
    expect(balances.status.position).toBeGreaterThanOrEqual(position);
    const switches = await read(`/v1/read-models/open-switches?atLeast=${switchAt}`);
    expect(switches.model.byState).toEqual({ requested: 1 });
    expect((switches.model.processes as Record<string, unknown>)['malo-1']).toMatchObject({
      state: 'requested',
      switchDate,
    });
    expect(switches.model.machines).toBeUndefined();

    const unknown = await fetch(`${base}/v1/read-models/nope`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { message: string } }).error.message).toMatch(
      /no read model 'nope' \(known: open-switches, balances\)/,
    );
    expect((await fetch(`${base}/v1/read-models/balances?atLeast=-1`)).status).toBe(400);
  });

  it('answers refusals and bad requests with a status and a JSON error, never a stack trace', async () => {
    const { ready } = await startDaemon();
    const base = `http://127.0.0.1:${ready.port}`;
    const api = new CommandClient(base);
    await api.execute('account', 'bob', { type: 'open', owner: 'Bob' });
    const overdraw = await failure(api.execute('account', 'bob', { type: 'withdraw', amount: 5 }));
    expect(overdraw).toMatchObject({ status: 422, code: 'REJECTED', reason: 'insufficient-funds' });
    expect(await failure(api.execute('nope', 'x', { type: 'open' }))).toMatchObject({
      status: 404,
      code: 'UNKNOWN_AGGREGATE',
    });
    expect(
      await failure(api.execute('account', 'bob', { type: 'deposit', amount: 1 }, { expectedVersion: 9 })),
    ).toMatchObject({
      status: 409,
      code: 'VERSION_CONFLICT',
    });
    const cases: Array<[string, RequestInit, number, string]> = [
      ['/v1/commands/account/bob', { method: 'POST', body: '{not json' }, 400, 'BAD_REQUEST'],
      ['/v1/commands/account/bob', { method: 'POST', body: '{"type":"deposit"}' }, 400, 'BAD_REQUEST'],
      [
        '/v1/commands/account/bob',
        { method: 'POST', body: '{"command":{"type":"open"},"color":"red"}' },
        400,
        'BAD_REQUEST',
      ],
      [
        '/v1/commands/account/bob',
        { method: 'POST', body: '{"command":{"amount":1}}' },
        400,
        'INVALID_COMMAND',
      ],
      ['/v1/commands/account/bob', { method: 'GET' }, 405, 'METHOD_NOT_ALLOWED'],
      ['/v1/elsewhere', { method: 'GET' }, 404, 'NOT_FOUND'],
      ['/v1/aggregates/account/%E0%A4%A', { method: 'GET' }, 400, 'BAD_REQUEST'],
    ];
    for (const [path, init, status, code] of cases) {
      const res = await fetch(base + path, init);
      const text = await res.text();
      expect({
        path,
        status: res.status,
        code: (JSON.parse(text) as { error: { code: string } }).error.code,
      }).toEqual({
        path,
        status,
        code,
      });
      expect(text).not.toMatch(/\n\s+at /);
    }
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`stops on ${signal}: drains, closes the store and the socket, exits 0`, async () => {
      const { daemon, ready, dir } = await startDaemon();
      const api = new CommandClient(`http://127.0.0.1:${ready.port}`);
      await api.execute('account', 'cy', { type: 'open', owner: 'Cy' }, { commandId: 'open-cy' });
      // Commands in flight when the signal lands are answered, not dropped.
      const inFlight = Array.from({ length: 20 }, (_, i) =>
        api.execute('account', 'cy', { type: 'deposit', amount: 1 }, { commandId: `dep-${i}` }).then(
          () => 'ok',
          (e: unknown) => (e instanceof CommandFailed ? e.code : 'network'),
        ),
      );
      await new Promise((r) => setTimeout(r, 5));
      daemon.process.kill(signal);
      expect(await daemon.exited).toEqual({ code: 0, signal: null });
      const outcomes = await Promise.all(inFlight);
      const ok = outcomes.filter((o) => o === 'ok').length;
      expect(outcomes.every((o) => o === 'ok' || o === 'RUNTIME_CLOSED' || o === 'network')).toBe(true);
      expect(logEntries(daemon.lines).map((l) => l.msg)).toContain('stopped cleanly: store closed');
      expect(() => statSync(join(dir, 'admin.sock'))).toThrow();
      // The folder is released, and holds every acknowledged deposit.
      const runtime = await createRuntime({ store: levelStore({ path: join(dir, 'store') }), aggregates });
      const { state } = await runtime.get('account', 'cy').state();
      expect((state as { balance: number }).balance).toBeGreaterThanOrEqual(ok);
      await runtime.shutdown();
    });
  }

  it('exits 3 with a clear log line when another process holds the store folder', async () => {
    const dir = freshDir();
    const holder = await levelStore({ path: join(dir, 'store') });
    try {
      const daemon = spawnNode(distFile('daemon-main'), [
        '--data',
        join(dir, 'store'),
        '--socket',
        join(dir, 'admin.sock'),
        '--port',
        '0',
      ]);
      running.push(daemon);
      expect((await daemon.exited).code).toBe(3);
      const fatal = logEntries(daemon.lines).find((l) => l.level === 60);
      expect(fatal?.msg).toBe('the store folder is locked by another process');
    } finally {
      await holder.close();
    }
  });

  it('exits 2 on a bad flag, with the usage and no stack trace', async () => {
    const daemon = spawnNode(distFile('daemon-main'), ['--port', 'eighty']);
    expect((await daemon.exited).code).toBe(2);
    expect(daemon.stderr()).toContain('--port must be an integer');
    expect(daemon.stderr()).toContain('usage:');
    expect(daemon.stderr()).not.toMatch(/\n\s+at /);
  });
});
