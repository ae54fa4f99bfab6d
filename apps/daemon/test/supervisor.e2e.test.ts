/**
 * The whole path with real processes: the supervisor (dist/supervise.js) spawns the daemon on a
 * temp folder; the daemon is SIGKILLed under load and restarted with nothing acknowledged lost;
 * SIGTERM to the supervisor then stops both cleanly. And the README's main command, bounded.
 */
import { join } from 'node:path';
import { createRuntime } from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import { afterEach, describe, expect, it } from 'vitest';
import { CommandClient } from '../src/command-client.js';
import { aggregates } from '../src/domain/index.js';
import {
  alive,
  distFile,
  eventually,
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

function startSupervisor(dir: string, args: string[]): Spawned {
  const s = spawnNode(
    distFile('supervise'),
    ['--data', join(dir, 'store'), '--socket', join(dir, 'admin.sock'), ...args],
    {
      cwd: dir,
    },
  );
  running.push(s);
  return s;
}

describe('the supervisor running the example daemon', () => {
  it('restarts the daemon after a SIGKILL with no acknowledged command lost, and stops both on SIGTERM', async () => {
    const dir = freshDir();
    const supervisor = startSupervisor(dir, ['--no-demo', '--port', '0']);
    const first = await supervisor.message<Ready>(isReady);
    let api = new CommandClient(`http://127.0.0.1:${first.port}`);
    await api.execute('account', 'load', { type: 'open', owner: 'load' }, { commandId: 'open-load' });

    // Eight clients deposit 1 each, every command with its own commandId, until the kill.
    const acked = new Set<string>();
    const unknown = new Set<string>();
    let next = 0;
    let killed = false;
    const client = async () => {
      while (!killed || unknown.size === 0) {
        const id = `dep-${next++}`;
        try {
          await api.execute('account', 'load', { type: 'deposit', amount: 1 }, { commandId: id });
          acked.add(id);
        } catch {
          unknown.add(id); // sent, outcome unknown: the daemon died under it
          return;
        }
      }
    };
    const clients = Array.from({ length: 8 }, client);
    await eventually(() => acked.size >= 150);
    process.kill(first.pid, 'SIGKILL');
    killed = true;
    await Promise.all(clients);

    const second = await supervisor.message<Ready>(isReady);
    expect(second.pid).not.toBe(first.pid);
    expect(alive(first.pid)).toBe(false);
    api = new CommandClient(`http://127.0.0.1:${second.port}`);
    // Every acknowledged command is in the store: its retry is answered from the dedupe window.
    for (const id of acked) {
      const r = await api.execute('account', 'load', { type: 'deposit', amount: 1 }, { commandId: id });
      expect(r.deduplicated, `acknowledged ${id} was lost`).toBe(true);
    }
    // Those whose answer was lost are applied at most once, whatever happened before the kill.
    for (const id of unknown)
      await api.execute('account', 'load', { type: 'deposit', amount: 1 }, { commandId: id });
    const { state, version } = await api.state<{ balance: number }>('account', 'load');
    expect(state.balance).toBe(acked.size + unknown.size);
    expect(version).toBe(1 + acked.size + unknown.size);

    supervisor.process.kill('SIGTERM');
    expect(await supervisor.exited).toEqual({ code: 0, signal: null });
    expect(alive(second.pid)).toBe(false);
    const logs = logEntries(supervisor.lines);
    const transitions = logs.filter((l) => l.name === 'supervisor').map((l) => l.msg);
    expect(transitions).toEqual([
      'daemon spawned',
      'daemon ready',
      'daemon crashed',
      'restarting after backoff',
      'daemon spawned',
      'daemon ready',
      'stopping: signal forwarded to the daemon',
      'daemon stopped cleanly',
      'supervisor stopped',
    ]);
    expect(logs.find((l) => l.msg === 'daemon crashed')).toMatchObject({
      daemonPid: first.pid,
      signal: 'SIGKILL',
    });
    expect(logs.filter((l) => l.name === 'daemon').map((l) => l.msg)).toContain(
      'stopped cleanly: store closed',
    );
  });

  it('runs the demo load, prints how to look at it with the CLI, and stops cleanly with --exit-after-demo', async () => {
    const dir = freshDir();
    const supervisor = startSupervisor(dir, ['--exit-after-demo', '--port', '0']);
    expect(await supervisor.exited).toEqual({ code: 0, signal: null });
    const text = supervisor.lines.filter((l) => !l.startsWith('{')).join('\n');
    expect(text).toContain('100 concurrent deposits    -> versions 2..101, contiguous: true');
    expect(text).toContain('overdraw                   -> refused (422): insufficient-funds');
    expect(text).toContain('start supply now           -> refused (422): invalid-state');
    expect(text).toContain('npx actorfold actors --socket admin.sock');
    expect(text).toContain('npx actorfold events account/alice --socket admin.sock');
    expect(text).toContain('--exit-after-demo: stopping the daemon as SIGTERM would');
    expect(logEntries(supervisor.lines).at(-1)).toMatchObject({ msg: 'supervisor stopped', exitCode: 0 });

    // The folder was released and holds the demo's data.
    const runtime = await createRuntime({ store: levelStore({ path: join(dir, 'store') }), aggregates });
    expect(await runtime.get('account', 'alice').state()).toMatchObject({
      version: 101,
      state: { balance: 5050 },
    });
    await runtime.shutdown();
  });

  it('gives up with exit 1 when the daemon cannot start, after its restart budget', async () => {
    const dir = freshDir();
    const holder = await levelStore({ path: join(dir, 'store') });
    try {
      const supervisor = startSupervisor(dir, ['--no-demo', '--port', '0', '--max-restarts', '2']);
      expect((await supervisor.exited).code).toBe(1);
      const msgs = logEntries(supervisor.lines).map((l) => l.msg);
      expect(msgs.filter((m) => m === 'the store folder is locked by another process')).toHaveLength(3);
      expect(msgs).toContain('restart budget exhausted: giving up');
    } finally {
      await holder.close();
    }
  });

  it('exits 2 with its usage on a bad flag', async () => {
    const supervisor = startSupervisor(freshDir(), ['--max-restarts', 'many']);
    expect((await supervisor.exited).code).toBe(2);
    expect(supervisor.stderr()).toContain('--max-restarts must be an integer');
    expect(supervisor.stderr()).not.toMatch(/\n\s+at /);
  });
});
