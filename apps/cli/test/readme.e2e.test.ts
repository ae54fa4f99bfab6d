/**
 * The README's walk-through, step by step, as a new user would do it: start the example daemon
 * under its supervisor (the entry point `npm start` runs once it has built), send a command, see
 * it with `actorfold actors` and `actorfold events`, stop it with Ctrl-C, read the folder offline.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './support/cli.js';
import { freshDir, supervise } from './support/folders.js';

const dir = freshDir();
let supervisor: ChildProcess | undefined;
afterAll(() => {
  supervisor?.kill('SIGKILL');
});

describe('the README, step by step', () => {
  it('starts, takes a command, shows it live, stops cleanly, and reads back offline', async () => {
    // 1. npm start: the supervisor, the daemon on data/store, the demo load, then the hints.
    const child = spawn(process.execPath, [supervise, '--port', '0'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    supervisor = child;
    const lines: string[] = [];
    const hintsShown = new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        lines.push(line);
        if (line.includes('npx actorfold verify --data data/store')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`npm start exited ${code}:\n${lines.join('\n')}`)));
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await hintsShown;
    const text = lines.join('\n');
    expect(text).toContain('npx actorfold actors --socket data/admin.sock');
    const url = /commands on (http:\/\/127\.0\.0\.1:\d+)/.exec(text)?.[1];
    expect(url).toBeDefined();

    // 2. Send a command, as the printed curl line does.
    const res = await fetch(`${url}/v1/commands/account/alice`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ command: { type: 'deposit', amount: 5 }, commandId: 'my-first-deposit' }),
    });
    expect(res.status).toBe(200);
    const { version } = (await res.json()) as { version: number };

    // 3. See it live with the CLI.
    const actors = await cli(['actors', '--socket', 'data/admin.sock'], { cwd: dir });
    expect(actors.code).toBe(0);
    expect(actors.stdout).toMatch(new RegExp(`^account +alice +ready +${version} `, 'm'));
    const events = await cli(['events', 'account/alice', '--socket', 'data/admin.sock', '--last', '5'], {
      cwd: dir,
    });
    expect(events.code).toBe(0);
    expect(events.stdout).toMatch(
      new RegExp(
        `^ *${version} +\\d+ +Deposited +\\S+ +my-first-deposit +\\{"type":"Deposited","amount":5\\}$`,
        'm',
      ),
    );

    // The read models: caught up, and the balance total includes the deposit.
    await expect
      .poll(async () => (await cli(['projections', '--socket', 'data/admin.sock'], { cwd: dir })).stdout)
      .toMatch(/^balances +caught-up /m);
    const balances = (await (await fetch(`${url}/v1/read-models/balances`)).json()) as {
      model: { total: number };
    };
    const alice = (await (await fetch(`${url}/v1/aggregates/account/alice`)).json()) as {
      state: { balance: number };
    };
    expect(balances.model.total).toBeGreaterThanOrEqual(alice.state.balance);

    // 4. Ctrl-C: the supervisor forwards SIGINT, the daemon drains and closes the store, both exit 0.
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(lines.some((l) => l.includes('"msg":"stopped cleanly: store closed"'))).toBe(true);

    // 5. Offline, the folder holds the command, and verifies.
    const offline = await cli(['events', 'account/alice', '--data', 'data/store', '--last', '1', '--json'], {
      cwd: dir,
    });
    expect(JSON.parse(offline.stdout).events[0]).toMatchObject({
      version,
      metadata: { commandId: 'my-first-deposit' },
    });
    const verify = await cli(['verify', '--data', 'data/store'], { cwd: dir });
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/^ok: /);
  });
});
