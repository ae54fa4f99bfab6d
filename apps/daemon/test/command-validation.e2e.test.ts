/**
 * The daemon refuses bad input before anything is stored: commands are checked against their
 * schema (400 INVALID_COMMAND naming the field), bodies that are no JSON object are 400, and an
 * oversized body gets its 413 before the connection closes. Against the real daemon process on
 * a real LevelDB folder, restarted where what is stored matters.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CommandClient, CommandFailed } from '../src/command-client.js';
import { distFile, freshDir, isReady, type Ready, type Spawned, spawnNode } from './support/processes.js';

const running: Spawned[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) {
    p.process.kill('SIGKILL');
    await p.exited;
  }
});

async function startDaemon(dir = freshDir()): Promise<{ daemon: Spawned; base: string; dir: string }> {
  const daemon = spawnNode(distFile('daemon-main'), [
    ...['--data', join(dir, 'store'), '--socket', join(dir, 'admin.sock'), '--port', '0'],
  ]);
  running.push(daemon);
  const ready = await daemon.message<Ready>(isReady);
  return { daemon, base: `http://127.0.0.1:${ready.port}`, dir };
}

async function stop(daemon: Spawned): Promise<void> {
  daemon.process.kill('SIGTERM');
  expect((await daemon.exited).code).toBe(0);
}

interface ErrorBody {
  error: {
    code: string;
    message: string;
    reason?: string;
    issues?: Array<{ path?: string; message: string }>;
  };
}

/** POSTs a raw body (exactly these bytes: `1e309` stays `1e309`) and returns status and JSON answer. */
async function post(base: string, path: string, body: string): Promise<{ status: number; body: ErrorBody }> {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return { status: res.status, body: (await res.json()) as ErrorBody };
}

async function failure(p: Promise<unknown>): Promise<CommandFailed> {
  const e = await p.then(
    () => new Error('expected the command to fail'),
    (error: unknown) => error,
  );
  if (e instanceof CommandFailed) return e;
  throw e;
}

async function balances(base: string): Promise<{ total: number; openAccounts: number }> {
  const res = await fetch(`${base}/v1/read-models/balances`);
  return ((await res.json()) as { model: { total: number; openAccounts: number } }).model;
}

describe('the daemon validates commands', () => {
  it('refuses {"amount":"5"} twice with 400 naming amount: the balance stays a number, no "051"', async () => {
    const { daemon, base, dir } = await startDaemon();
    const api = new CommandClient(base);
    await api.execute('account', 'ada', { type: 'open', owner: 'Ada' });
    await api.execute('account', 'ada', { type: 'deposit', amount: 5 });
    for (let i = 0; i < 2; i++) {
      const answer = await post(
        base,
        '/v1/commands/account/ada',
        '{"command":{"type":"deposit","amount":"5"}}',
      );
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('INVALID_COMMAND');
      expect(answer.body.error.message).toMatch(/amount: expected a number/);
      expect(answer.body.error.issues).toEqual([{ path: 'amount', message: 'amount: expected a number' }]);
    }
    // The client hands the issues on, too.
    const typed = await failure(api.execute('account', 'ada', { type: 'deposit', amount: '5' }));
    expect(typed).toMatchObject({ status: 400, code: 'INVALID_COMMAND', issues: [{ path: 'amount' }] });
    await api.execute('account', 'ada', { type: 'deposit', amount: 1 });
    expect(await api.state('account', 'ada')).toMatchObject({ version: 3, state: { balance: 6 } });
    // What was stored replays to the same: restart on the same folder.
    await stop(daemon);
    const again = await startDaemon(dir);
    expect(await new CommandClient(again.base).state('account', 'ada')).toMatchObject({
      version: 3,
      state: { balance: 6 },
    });
  });

  it('refuses 1e309 (JSON for Infinity) with 400; a withdrawal of 1000 is then refused and balances never go negative', async () => {
    const { daemon, base, dir } = await startDaemon();
    const api = new CommandClient(base);
    await api.execute('account', 'ada', { type: 'open', owner: 'Ada' });
    await api.execute('account', 'ada', { type: 'deposit', amount: 5 });
    const huge = await post(
      base,
      '/v1/commands/account/ada',
      '{"command":{"type":"deposit","amount":1e309}}',
    );
    expect(huge.status).toBe(400);
    expect(huge.body.error).toMatchObject({ code: 'INVALID_COMMAND', issues: [{ path: 'amount' }] });
    expect(huge.body.error.message).toMatch(/amount: expected a whole number/);
    const withdraw = await failure(api.execute('account', 'ada', { type: 'withdraw', amount: 1000 }));
    expect(withdraw).toMatchObject({ status: 422, code: 'REJECTED', reason: 'insufficient-funds' });
    const last = await api.execute('account', 'ada', { type: 'withdraw', amount: 5 });
    const position = last.events[0]?.position as number;
    const read = await fetch(`${base}/v1/read-models/balances?atLeast=${position}`);
    expect(((await read.json()) as { model: unknown }).model).toEqual({ total: 0, openAccounts: 1 });
    await stop(daemon);
    const again = await startDaemon(dir);
    expect((await new CommandClient(again.base).state('account', 'ada')).state).toMatchObject({ balance: 0 });
    expect((await balances(again.base)).total).toBeGreaterThanOrEqual(0);
  });

  it('answers unknown command types, wrong types, extra fields and domain refusals with the right status', async () => {
    const { base } = await startDaemon();
    const api = new CommandClient(base);
    await api.execute('account', 'bo', { type: 'open', owner: 'Bo' });
    const cases: Array<[string, string, number, string, string | RegExp]> = [
      ['account', '{"type":"fly"}', 400, 'INVALID_COMMAND', /type: expected one of "open", .* got "fly"/],
      [
        'account',
        '{"type":"deposit","amount":1.5}',
        400,
        'INVALID_COMMAND',
        /amount: expected a whole number/,
      ],
      ['account', '{"type":"deposit"}', 400, 'INVALID_COMMAND', /amount: /],
      ['account', '{"type":"deposit","amount":5,"note":"x"}', 400, 'INVALID_COMMAND', /note: /],
      ['account', '{"type":"open","owner":""}', 400, 'INVALID_COMMAND', /owner: must not be empty/],
      ['account', '{"type":"deposit","amount":-5}', 422, 'REJECTED', /invalid-amount/],
      ['account', '{"type":"deposit","amount":0}', 422, 'REJECTED', /invalid-amount/],
      ['supplier-switch', '{"type":"fly"}', 400, 'INVALID_COMMAND', /type: expected one of "requestSwitch"/],
      [
        'supplier-switch',
        '{"type":"requestSwitch","meteringPoint":"123","newSupplier":"1","oldSupplier":"2","gridOperator":"3","switchDate":"x"}',
        400,
        'INVALID_COMMAND',
        /meteringPoint: expected a MaLo-ID/,
      ],
      [
        'supplier-switch',
        '{"type":"cancelSwitch","reason":7}',
        400,
        'INVALID_COMMAND',
        /reason: expected a string/,
      ],
    ];
    for (const [type, command, status, code, message] of cases) {
      const answer = await post(base, `/v1/commands/${type}/bo`, `{"command":${command}}`);
      expect({ command, status: answer.status, code: answer.body.error.code }).toEqual({
        command,
        status,
        code,
      });
      expect(answer.body.error.message).toMatch(message);
    }
    expect(await api.state('account', 'bo')).toMatchObject({ version: 1, state: { balance: 0 } });
    expect(await balances(base)).toEqual({ total: 0, openAccounts: 1 });
  });

  it('answers a body that is not a JSON object with 400, never 500', async () => {
    const { base } = await startDaemon();
    for (const body of ['null', '5', '"deposit"', '[]', 'true', '{"command":null}', '{"command":[]}']) {
      const answer = await post(base, '/v1/commands/account/cy', body);
      expect({ body, status: answer.status, code: answer.body.error.code }).toEqual({
        body,
        status: 400,
        code: 'BAD_REQUEST',
      });
    }
    expect((await post(base, '/v1/commands/account/cy', 'null')).body.error.message).toMatch(
      /the body must be a JSON object .* not null/,
    );
  });
});

describe('an oversized body', () => {
  /** Sends `size` bytes with node:http, as a real client streams them, and reads the answer. */
  function sendLarge(
    base: string,
    size: number,
    opts: { chunked: boolean },
  ): Promise<{ status: number; body: string; connection: string | undefined }> {
    return new Promise((resolve, reject) => {
      const url = new URL('/v1/commands/account/big', base);
      const req = request(url, {
        method: 'POST',
        headers: opts.chunked ? { 'content-type': 'application/json' } : { 'content-length': String(size) },
      });
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let sent = 0;
      const pump = () => {
        while (sent < size) {
          const n = Math.min(chunk.length, size - sent);
          sent += n;
          if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n)))
            return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
  }

  it('gets its 413 before the connection closes, declared or streamed, and the daemon goes on serving', async () => {
    const { base } = await startDaemon();
    const api = new CommandClient(base);
    for (const chunked of [false, true]) {
      for (let i = 0; i < 20; i++) {
        const answer = await sendLarge(base, 3 * 1024 * 1024, { chunked });
        expect(answer.status).toBe(413);
        expect(answer.connection).toBe('close');
        expect(JSON.parse(answer.body)).toEqual({
          error: { code: 'PAYLOAD_TOO_LARGE', message: 'the body exceeds 1048576 bytes' },
        });
      }
    }
    // fetch, the client most callers use, reads it too.
    const res = await fetch(`${base}/v1/commands/account/big`, {
      method: 'POST',
      body: JSON.stringify({ command: { type: 'open', owner: 'x'.repeat(2 * 1024 * 1024) } }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as ErrorBody).error.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await api.execute('account', 'big', { type: 'open', owner: 'Big' })).version).toBe(1);
  });
});
