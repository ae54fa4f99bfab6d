/**
 * The Supervisor against stand-in daemons (test/support/fixture-daemon.mjs): restarts with
 * backoff, the restart budget, SIGKILL after the grace period, and what it logs on the way.
 */
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Supervisor, type SupervisorOptions } from '../src/supervisor.js';
import { alive } from './support/processes.js';

const fixture = fileURLToPath(new URL('./support/fixture-daemon.mjs', import.meta.url));

/** A supervisor of the fixture in `mode`, logging into an array. */
function supervise(args: string[], options: Partial<SupervisorOptions> = {}) {
  const logs: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) });
  const supervisor = new Supervisor({
    script: fixture,
    args,
    logger,
    restart: { initialDelayMs: 20, maxRestarts: 3, windowMs: 60_000 },
    ...options,
  });
  const readies: number[] = [];
  supervisor.on('ready', (r) => readies.push(r.pid));
  supervisor.start();
  return { supervisor, logs, readies, messages: () => logs.map((l) => l.msg) };
}

const nextReady = (s: Supervisor) => new Promise<number>((resolve) => s.once('ready', (r) => resolve(r.pid)));

describe('the supervisor', () => {
  it('forwards SIGTERM and exits 0 when the daemon stops cleanly', async () => {
    const { supervisor, messages } = supervise(['ready']);
    const pid = await nextReady(supervisor);
    expect(supervisor.state).toBe('ready');
    expect(await supervisor.stop('SIGTERM')).toBe(0);
    expect(alive(pid)).toBe(false);
    expect(messages()).toEqual([
      'daemon spawned',
      'daemon ready',
      'stopping: signal forwarded to the daemon',
      'daemon stopped cleanly',
      'supervisor stopped',
    ]);
  });

  it('restarts a crashed daemon after a growing backoff, then gives up when the budget is spent', async () => {
    const { supervisor, logs, readies } = supervise(['crash-after', '10']);
    expect(await supervisor.done).toBe(1);
    expect(supervisor.state).toBe('failed');
    expect(readies).toHaveLength(4); // the first run and three restarts
    expect(new Set(readies).size).toBe(4);
    const delays = logs.filter((l) => l.msg === 'restarting after backoff').map((l) => l.delayMs);
    expect(delays).toEqual([20, 40, 80]);
    expect(logs.at(-2)).toMatchObject({ msg: 'restart budget exhausted: giving up', restartsInWindow: 3 });
  });

  it('counts a daemon that dies before it is ready as a crash', async () => {
    const { supervisor, messages } = supervise(['never-ready'], {
      restart: { initialDelayMs: 10, maxRestarts: 1 },
    });
    expect(await supervisor.done).toBe(1);
    expect(messages().filter((m) => m === 'daemon crashed')).toHaveLength(2);
  });

  it('escalates to SIGKILL when the daemon ignores the signal past the grace period', async () => {
    const { supervisor, logs } = supervise(['stubborn'], { graceMs: 200 });
    const pid = await nextReady(supervisor);
    expect(await supervisor.stop('SIGINT')).toBe(1);
    expect(alive(pid)).toBe(false);
    expect(logs.find((l) => l.msg === 'escalating to SIGKILL')).toMatchObject({ daemonPid: pid });
    expect(logs.find((l) => l.msg === 'daemon stopped uncleanly')).toMatchObject({ signal: 'SIGKILL' });
  });

  it('sends SIGKILL at once on a second stop request', async () => {
    const { supervisor } = supervise(['stubborn'], { graceMs: 60_000 });
    const pid = await nextReady(supervisor);
    void supervisor.stop('SIGTERM');
    expect(await supervisor.stop('SIGTERM')).toBe(1);
    expect(alive(pid)).toBe(false);
  });

  it('does not restart a daemon that exits 0 on its own', async () => {
    const { supervisor, messages } = supervise(['done']);
    expect(await supervisor.done).toBe(0);
    expect(messages()).toContain('daemon exited 0 on its own: not restarting');
    expect(messages()).not.toContain('restarting after backoff');
  });

  it('stops at once when asked between a crash and its restart', async () => {
    const { supervisor, messages } = supervise(['crash-after', '0'], {
      restart: { initialDelayMs: 60_000, maxRestarts: 5 },
    });
    await new Promise<void>((resolve) => supervisor.on('state', (s) => s === 'backoff' && resolve()));
    expect(await supervisor.stop('SIGTERM')).toBe(0);
    expect(messages()).toContain('stopped while waiting to restart');
  });
});
