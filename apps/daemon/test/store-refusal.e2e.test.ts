/**
 * A store that refuses writes until it is reopened stops the daemon with exit 6, which the
 * supervisor restarts: real processes, a real failed fsync (the LD_PRELOAD library of
 * @actorfold/testing/crash makes fsync fail with EIO while a flag file exists).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { failingSyncLibrary } from '@actorfold/testing/crash';
import { afterEach, describe, expect, it } from 'vitest';
import { CommandClient } from '../src/command-client.js';
import { DAEMON_EXIT } from '../src/exit-codes.js';
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

const shim = failingSyncLibrary(join(freshDir(), 'failing-sync'));

/** Starts `entry` (daemon-main or supervise) on `dir` with the failing-sync library preloaded. */
function start(entry: string, dir: string, flag: string, args: string[] = []): Spawned {
  const p = spawnNode(
    distFile(entry),
    ['--data', join(dir, 'store'), '--socket', join(dir, 'admin.sock'), '--port', '0', ...args],
    { cwd: dir, env: { ...process.env, LD_PRELOAD: shim as string, AF_FAIL_SYNC: flag } },
  );
  running.push(p);
  return p;
}

/** Resolves once the daemon on `port` answers 200 on /v1/ready (its projections caught up). */
async function becomesReady(port: number): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const res = await fetch(`http://127.0.0.1:${port}/v1/ready`);
    if (res.status === 200) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the daemon on port ${port} never became ready`);
}

/**
 * Resolves once both projections have saved their checkpoint at `position` or later: with no
 * checkpoint write in flight, the next fsync that fails is the next command's.
 */
async function checkpointsSaved(port: number, position: number): Promise<void> {
  for (const name of ['open-switches', 'balances']) {
    for (let i = 0; ; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/v1/read-models/${name}`);
      const { status } = (await res.json()) as { status: { checkpoint: number } };
      if (status.checkpoint >= position) break;
      if (i >= 1000) throw new Error(`${name} never saved its checkpoint at ${position}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Makes the daemon's next fsync fail while `deposit` runs; resolves with how the deposit failed. */
async function depositDuringFailedSync(api: CommandClient, flag: string): Promise<unknown> {
  writeFileSync(flag, '');
  try {
    return await api.execute('account', 'a', { type: 'deposit', amount: 5 }, { commandId: 'dep-1' }).then(
      () => 'acknowledged',
      (e: unknown) => e,
    );
  } finally {
    rmSync(flag, { force: true });
  }
}

describe.skipIf(shim === undefined)('a store that refuses writes', () => {
  it('stops the daemon with exit 6 and a fatal log line naming the refusal, after failing the command whose fsync failed', async () => {
    const dir = freshDir();
    const flag = join(dir, 'fail-sync');
    const daemon = start('daemon-main', dir, flag);
    const { port } = await daemon.message<Ready>(isReady);
    const api = new CommandClient(`http://127.0.0.1:${port}`);
    const opened = await api.execute('account', 'a', { type: 'open', owner: 'A' }, { commandId: 'open-a' });
    await becomesReady(port);
    await checkpointsSaved(port, opened.events.at(-1)?.position ?? 0);

    const failure = await depositDuringFailedSync(api, flag);
    expect(failure).toMatchObject({ status: 503, code: 'STORE_ERROR', reason: 'IO', outcomeUnknown: true });
    expect((failure as Error).message).toMatch(/outcome is unknown/);

    expect((await daemon.exited).code).toBe(DAEMON_EXIT.STORE_REFUSES_WRITES);
    const logs = logEntries(daemon.lines);
    const fatal = logs.find((l) => l.level === 60);
    expect(fatal).toMatchObject({
      msg: 'the store refuses writes until it is reopened: stopping, exiting 6 to be restarted',
      exitCode: 6,
    });
    expect((fatal?.err as { message?: string } | undefined)?.message).toMatch(
      /refuses writes since a write failed with an unknown outcome \(.*Input\/output error.*\): reopen it/,
    );
    expect(logs.map((l) => l.msg)).toContain('stopping: refusing new commands, draining mailboxes');
  });

  it('under the supervisor: the daemon is restarted, the store reopened, and the command resent with its commandId counts once', async () => {
    const dir = freshDir();
    const flag = join(dir, 'fail-sync');
    const supervisor = start('supervise', dir, flag, ['--no-demo']);
    const first = await supervisor.message<Ready>(isReady);
    let api = new CommandClient(`http://127.0.0.1:${first.port}`);
    const opened = await api.execute('account', 'a', { type: 'open', owner: 'A' }, { commandId: 'open-a' });
    await checkpointsSaved(first.port, opened.events.at(-1)?.position ?? 0);

    const failure = await depositDuringFailedSync(api, flag);
    expect(failure).toMatchObject({ status: 503, code: 'STORE_ERROR', reason: 'IO', outcomeUnknown: true });

    const second = await supervisor.message<Ready>(isReady);
    expect(second.pid).not.toBe(first.pid);
    api = new CommandClient(`http://127.0.0.1:${second.port}`);
    // Whether the failed deposit was stored is unknown (LevelDB's log may hold it, or the failed
    // fsync of a checkpoint write before it made LevelDB refuse it): resent, it counts once.
    const resent = await api.execute('account', 'a', { type: 'deposit', amount: 5 }, { commandId: 'dep-1' });
    expect(resent).toMatchObject({ version: 2, state: { balance: 5 } });
    const again = await api.execute('account', 'a', { type: 'deposit', amount: 5 }, { commandId: 'dep-1' });
    expect(again).toMatchObject({ deduplicated: true, version: 2, state: { balance: 5 } });
    await becomesReady(second.port);

    const crashed = logEntries(supervisor.lines).find((l) => l.msg === 'daemon crashed');
    expect(crashed).toMatchObject({ daemonPid: first.pid, code: DAEMON_EXIT.STORE_REFUSES_WRITES });
    expect(logEntries(supervisor.lines).map((l) => l.msg)).toContain('restarting after backoff');

    supervisor.process.kill('SIGTERM');
    expect((await supervisor.exited).code).toBe(0);
  });
});
