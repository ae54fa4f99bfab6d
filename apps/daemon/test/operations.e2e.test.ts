/**
 * The daemon in operation, as real processes: readiness distinct from health on both the command
 * API and the admin socket, the Prometheus listener on TCP, settings from ACTORFOLD_* variables
 * (also through the supervisor), and `npm run daemon -- --help`.
 */
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  distFile,
  freePort,
  freshDir,
  isReady,
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

type ReadyWithMetrics = Ready & { metricsPort?: number };

function start(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Spawned {
  const p = spawnNode(distFile(file), args, { env: { ...process.env, ...env } });
  running.push(p);
  return p;
}

/** GET over the admin socket: status and parsed body. */
function adminGet(socketPath: string, path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    request({ socketPath, path }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    })
      .on('error', reject)
      .end();
  });
}

describe('the daemon in operation', () => {
  it('answers /v1/ready apart from /v1/health, and serves Prometheus metrics on TCP from its variables', async () => {
    const dir = freshDir();
    const socket = join(dir, 'admin.sock');
    const daemon = start('daemon-main', ['--port', '0', '--log-level', 'warn'], {
      ACTORFOLD_DATA: join(dir, 'store'),
      ACTORFOLD_SOCKET: socket,
      ACTORFOLD_METRICS_PORT: '0',
    });
    const ready = await daemon.message<ReadyWithMetrics>(isReady);
    expect(ready.data).toBe(join(dir, 'store'));
    expect(ready.socket).toBe(socket);
    const api = `http://127.0.0.1:${ready.port}`;
    expect(await (await fetch(`${api}/v1/health`)).json()).toEqual({ ok: true });
    // The projections catch up with an empty log at once; until then the answer would be 503.
    let answer = await fetch(`${api}/v1/ready`);
    for (let i = 0; i < 100 && answer.status === 503; i++) {
      await new Promise((r) => setTimeout(r, 20));
      answer = await fetch(`${api}/v1/ready`);
    }
    expect({ status: answer.status, body: await answer.json() }).toEqual({
      status: 200,
      body: { ready: true },
    });
    expect(await adminGet(socket, '/v1/ready')).toEqual({ status: 200, body: { ready: true } });

    for (const [id, command] of [
      ['alice', { type: 'open', owner: 'Alice' }],
      ['alice', { type: 'deposit', amount: 5 }],
      ['alice', { type: 'withdraw', amount: 500 }],
    ] as const) {
      await fetch(`${api}/v1/commands/account/${id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ command }),
      });
    }
    await fetch(`${api}/v1/commands/nosuchtype/x`, { method: 'POST', body: '{"command":{"type":"a"}}' });
    expect(ready.metricsPort).toBeGreaterThan(0);
    const res = await fetch(`http://127.0.0.1:${ready.metricsPort}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain(
      'actorfold_command_duration_seconds_count{aggregate_type="account",outcome="ok"} 2\n',
    );
    expect(text).toContain(
      'actorfold_command_duration_seconds_count{aggregate_type="account",outcome="rejected"} 1\n',
    );
    expect(text).toContain(
      'actorfold_command_duration_seconds_bucket{aggregate_type="account",outcome="ok",le="+Inf"} 2\n',
    );
    expect(text).toMatch(
      /actorfold_command_duration_seconds_count\{aggregate_type="unknown",outcome="\w+"\} 1\n/,
    );
    expect(text).toContain('actorfold_resident_actors{aggregate_type="account"} 1\n');
    expect(text).toMatch(/^actorfold_projection_lag_events\{projection="[\w-]+"\} \d+$/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+$/m);
    expect(text).toContain('actorfold_ready 1\n');

    daemon.process.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
    await expect(fetch(`http://127.0.0.1:${ready.metricsPort}/metrics`)).rejects.toThrow();
  });

  it('has the supervisor honour ACTORFOLD_PORT and pass daemon flags through', async () => {
    const dir = freshDir();
    const port = await freePort();
    const supervisor = start(
      'supervise',
      ['--no-demo', '--socket', join(dir, 'admin.sock'), '--metrics-port', '0', '--log-level', 'warn'],
      { ACTORFOLD_PORT: String(port), ACTORFOLD_DATA: join(dir, 'store') },
    );
    const ready = await supervisor.message<ReadyWithMetrics>(isReady);
    expect(ready.port).toBe(port);
    expect(ready.data).toBe(join(dir, 'store'));
    expect(ready.metricsPort).toBeGreaterThan(0);
    supervisor.process.kill('SIGTERM');
    expect((await supervisor.exited).code).toBe(0);
  });

  it('prints its usage for npm run daemon -- --help, and the supervisor exits 2 on a bad variable', async () => {
    const cwd = fileURLToPath(new URL('..', import.meta.url));
    const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'daemon', '--', '--help'], {
      cwd,
    });
    expect(stdout).toContain('--metrics-port <n>');
    expect(stdout).toContain('env ACTORFOLD_SHUTDOWN_TIMEOUT_MS');
    const bad = start('supervise', ['--no-demo'], { ACTORFOLD_PORT: 'http' });
    expect((await bad.exited).code).toBe(2);
    expect(bad.stderr()).toContain('--port must be an integer from 0 to 65535, got "http"');
  });
});
