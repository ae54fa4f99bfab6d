/**
 * The daemon's edges as real processes: a configuration error (port taken, store damaged) ends it
 * with a code the supervisor does not restart, and keep-alive clients get a 503 with
 * `Connection: close` during the drain instead of a reset connection.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CommandClient } from '../src/command-client.js';
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
const servers: Server[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) {
    p.process.kill('SIGKILL');
    await p.exited;
  }
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

const STACK = /\n\s+at /;

function daemonArgs(dir: string, port: number | string): string[] {
  return ['--data', join(dir, 'store'), '--socket', join(dir, 'admin.sock'), '--port', String(port)];
}

/** A port another process-like holder listens on. */
async function takenPort(): Promise<number> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

describe('configuration errors', () => {
  it('a taken port ends the daemon with exit 4 and one clear line, no stack trace', async () => {
    const port = await takenPort();
    const daemon = spawnNode(distFile('daemon-main'), daemonArgs(freshDir(), port));
    running.push(daemon);
    expect((await daemon.exited).code).toBe(4);
    const message = `port ${port} on 127.0.0.1 is in use by another process: stop it or start with another --port`;
    expect(daemon.stderr()).toBe(`daemon: ${message}\n`);
    const fatal = logEntries(daemon.lines).find((l) => l.level === 60);
    expect(fatal).toMatchObject({ msg: message, exitCode: 4 });
    expect(daemon.lines.join('\n')).not.toMatch(STACK);
  });

  it('under the supervisor: a taken port is not restarted, the supervisor exits 4 at once', async () => {
    const port = await takenPort();
    const dir = freshDir();
    const supervisor = spawnNode(distFile('supervise'), [...daemonArgs(dir, port), '--no-demo'], {
      cwd: dir,
    });
    running.push(supervisor);
    expect((await supervisor.exited).code).toBe(4);
    const msgs = logEntries(supervisor.lines).map((l) => l.msg);
    expect(msgs.filter((m) => m === 'daemon spawned')).toHaveLength(1);
    expect(msgs).toContain('daemon stopped on a configuration error: not restarting');
    expect(msgs).not.toContain('restarting after backoff');
    expect(supervisor.lines.join('\n')).not.toMatch(STACK);
  });

  it('a damaged store folder ends the daemon with exit 5 pointing to actorfold repair, not restarted', async () => {
    const dir = freshDir();
    const store = join(dir, 'store');
    mkdirSync(store);
    writeFileSync(join(store, '000005.ldb'), 'a table file whose CURRENT is gone');
    const daemon = spawnNode(distFile('daemon-main'), daemonArgs(dir, 0));
    running.push(daemon);
    expect((await daemon.exited).code).toBe(5);
    expect(daemon.stderr()).toContain(`actorfold repair --data ${store}`);

    const supervisor = spawnNode(distFile('supervise'), [...daemonArgs(dir, 0), '--no-demo'], { cwd: dir });
    running.push(supervisor);
    expect((await supervisor.exited).code).toBe(5);
    expect(logEntries(supervisor.lines).filter((l) => l.msg === 'daemon spawned')).toHaveLength(1);
  });
});

interface ProbeResult {
  status?: number;
  connection?: string;
  code?: string;
  error?: string;
}

/** One GET on the keep-alive agent. */
function get(agent: Agent, port: number, path: string): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => {
        const code =
          res.statusCode === 200 ? undefined : (JSON.parse(body) as { error: { code: string } }).error.code;
        resolve({
          status: res.statusCode as number,
          connection: String(res.headers.connection),
          ...(code === undefined ? {} : { code }),
        });
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end();
  });
}

describe('the drain on SIGTERM', () => {
  it('answers a keep-alive client 503 RUNTIME_CLOSED with Connection: close, never a reset', async () => {
    const dir = freshDir();
    const daemon = spawnNode(distFile('daemon-main'), daemonArgs(dir, 0));
    running.push(daemon);
    const { port } = await daemon.message<Ready>(isReady);
    const api = new CommandClient(`http://127.0.0.1:${port}`);
    await api.execute('account', 'dr', { type: 'open', owner: 'Dr' });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const first = await get(agent, port, '/v1/health');
    expect(first).toMatchObject({ status: 200, connection: 'keep-alive' });

    // Work queued in one mailbox keeps the drain going for a while.
    const load = Array.from({ length: 100 }, () =>
      api.execute('account', 'dr', { type: 'deposit', amount: 1 }).catch(() => undefined),
    );
    // The keep-alive client goes on asking, one request after the other on its one connection.
    const seen: ProbeResult[] = [];
    const probing = (async () => {
      for (;;) {
        const r = await get(agent, port, '/v1/health');
        seen.push(r);
        if (r.error !== undefined || r.connection === 'close') return;
      }
    })();
    await daemon.waitForLine('"msg":"ready"');
    await new Promise((r) => setTimeout(r, 20));
    daemon.process.kill('SIGTERM');
    await probing;
    expect((await daemon.exited).code).toBe(0);
    await Promise.all(load);
    agent.destroy();

    const last = seen.at(-1);
    expect(last).toEqual({ status: 503, connection: 'close', code: 'RUNTIME_CLOSED' });
    expect(seen.slice(0, -1).every((r) => r.status === 200 && r.connection === 'keep-alive')).toBe(true);
  });
});
