/**
 * The supplier switch's registration effect through the real daemon process: SIGKILLed while
 * registrations are in flight at a slow grid operator, then restarted on the same folder, every
 * requested registration is sent again and its receipt recorded exactly once.
 */
import { join } from 'node:path';
import { adminClient } from '@actorfold/admin';
import { afterEach, describe, expect, it } from 'vitest';
import { CommandClient } from '../src/command-client.js';
import { distFile, freshDir, isReady, type Ready, type Spawned, spawnNode } from './support/processes.js';

const running: Spawned[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) {
    p.process.kill('SIGKILL');
    await p.exited;
  }
});

async function startDaemon(dir: string, grid: string[]): Promise<{ daemon: Spawned; api: CommandClient }> {
  const daemon = spawnNode(distFile('daemon-main'), [
    ...['--data', join(dir, 'store'), '--socket', join(dir, 'admin.sock'), '--port', '0'],
    ...[
      '--log-level',
      'warn',
      '--grid-refusal-rate',
      '0',
      '--effect-backoff-ms',
      '20',
      '--effect-attempts',
      '50',
    ],
    // Effects leased by the killed daemon run again this plus 10 s after it took them.
    ...['--effect-timeout-ms', '2000'],
    ...grid,
  ]);
  running.push(daemon);
  const ready = await daemon.message<Ready>(isReady);
  return { daemon, api: new CommandClient(`http://127.0.0.1:${ready.port}`) };
}

interface SwitchState {
  value: string;
  context: { registration: { status: string; receiptId?: string } | null };
}

const SWITCHES = 20;

describe('the registration effect across a crash', () => {
  it('sends every registration requested before a SIGKILL after the restart, and records each receipt once', async () => {
    const dir = freshDir();
    // A grid operator that takes 30 s: every registration is in flight when the daemon dies.
    const first = await startDaemon(dir, ['--grid-latency-ms', '30000', '--grid-failure-rate', '0']);
    const ids = Array.from({ length: SWITCHES }, (_, i) => `s${i}`);
    await Promise.all(
      ids.map((id) =>
        first.api.execute('supplier-switch', id, {
          type: 'requestSwitch',
          meteringPoint: '51238696781',
          newSupplier: '9900000000011',
          oldSupplier: '9900000000028',
          gridOperator: '9900000000035',
          switchDate: '2099-12-31',
        }),
      ),
    );
    first.daemon.process.kill('SIGKILL');
    await first.daemon.exited;
    running.splice(0);

    // Now fast, and failing some attempts (retried).
    const second = await startDaemon(dir, ['--grid-latency-ms', '0', '--grid-failure-rate', '0.3']);
    // The killed daemon's leases run out 12 s after it took them; the rest is the machine's load.
    const until = Date.now() + 100_000;
    let pending = ids;
    while (pending.length > 0 && Date.now() < until) {
      const states = await Promise.all(
        pending.map((id) => second.api.state<SwitchState>('supplier-switch', id)),
      );
      pending = pending.filter((_, i) => states[i]?.state.context.registration === null);
      if (pending.length > 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(pending).toEqual([]);
    const admin = adminClient(join(dir, 'admin.sock'));
    for (const id of ids) {
      const { state } = await second.api.state<SwitchState>('supplier-switch', id);
      expect(state.value).toBe('requested');
      expect(state.context.registration).toMatchObject({ status: 'accepted' });
      const { events } = await admin.events({ stream: `supplier-switch/${id}` });
      expect(events.filter((e) => e.type === 'GridReceiptRecorded')).toHaveLength(1);
    }
  }, 150_000);
});
