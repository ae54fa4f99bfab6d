/**
 * The daemon on a shared PostgreSQL store by configuration (`--postgres <url>`): two daemon
 * processes on one database serve the same aggregates, and both see each other's commands.
 * Starts a throwaway PostgreSQL server (skipped, saying why, where there is none; CI has one).
 */
import { join } from 'node:path';
import {
  startTemporaryServer,
  type TemporaryServer,
  temporaryServerUnavailable,
} from '@actorfold/postgres/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CommandClient } from '../src/command-client.js';
import { distFile, freshDir, isReady, type Ready, type Spawned, spawnNode } from './support/processes.js';

const unavailable = temporaryServerUnavailable();
if (unavailable !== undefined && process.env.CI !== undefined)
  throw new Error(`PostgreSQL is required in CI: ${unavailable}`);

describe.skipIf(unavailable !== undefined)(`the daemon on PostgreSQL ${unavailable ?? ''}`, () => {
  let server: TemporaryServer;
  const running: Spawned[] = [];
  beforeAll(async () => {
    server = await startTemporaryServer();
  }, 60_000);
  afterAll(async () => {
    for (const p of running) {
      p.process.kill('SIGKILL');
      await p.exited;
    }
    await server?.stop();
  });

  async function daemon(url: string, node: string): Promise<CommandClient> {
    const dir = freshDir();
    const p = spawnNode(distFile('daemon-main'), [
      ...['--postgres', url, '--node-id', node, '--port', '0'],
      ...['--socket', join(dir, 'admin.sock'), '--data', join(dir, 'unused')],
    ]);
    running.push(p);
    const ready = await p.message<Ready>(isReady);
    return new CommandClient(`http://127.0.0.1:${ready.port}`);
  }

  it('serves one set of aggregates from two daemons sharing one database', async () => {
    const url = await server.createDatabase('daemons');
    const [a, b] = await Promise.all([daemon(url, 'node-a'), daemon(url, 'node-b')]);
    await a.execute('account', 'shared', { type: 'open', owner: 'Both' }, { commandId: 'open' });
    await b.execute('account', 'shared', { type: 'deposit', amount: 5 });
    await a.execute('account', 'shared', { type: 'deposit', amount: 7 });
    // Each daemon refreshes from the shared store before each command: both see all three events.
    expect(await b.state('account', 'shared')).toMatchObject({ version: 3, state: { balance: 12 } });
    expect(await a.state('account', 'shared')).toMatchObject({ version: 3, state: { balance: 12 } });
    // A retry on the other daemon is deduplicated by the commandId stored with the event.
    expect(
      await b.execute('account', 'shared', { type: 'open', owner: 'Both' }, { commandId: 'open' }),
    ).toMatchObject({
      deduplicated: true,
    });
  }, 60_000);
});
