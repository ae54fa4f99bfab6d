/** A runtime on a real LevelDB folder with its admin socket, in a temp dir removed after the file. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, defineAggregate, type EventStore, type Runtime, reject } from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import { type AdminServer, serveAdmin } from '../../src/index.js';

export type CounterCommand = { type: 'add'; by: number } | { type: 'fail' };
export type CounterEvent = { type: 'Added'; by: number };

/** A counter that snapshots every 5 events. */
export const counter = defineAggregate<{ n: number }, CounterCommand, CounterEvent>({
  type: 'counter',
  initialState: () => ({ n: 0 }),
  decide: (_s, c) => {
    if (c.type === 'fail') reject('refused');
    return [{ type: 'Added', by: c.by }];
  },
  evolve: (s, e) => ({ n: s.n + e.by }),
  snapshots: { every: 5, schemaVersion: 1 },
});

/** Without a snapshot policy. */
export const note = defineAggregate<{ lines: number }, { type: 'write' }, { type: 'Written' }>({
  type: 'note',
  initialState: () => ({ lines: 0 }),
  decide: () => [{ type: 'Written' }],
  evolve: (s) => ({ lines: s.lines + 1 }),
});

// This module stays loaded across test files (isolate: false), so each file gets its own root,
// made on first use and removed after that file by vitest.setup.ts.
let root: string | undefined;
let n = 0;

function fileRoot(): string {
  if (root !== undefined) return root;
  const made = mkdtempSync(join(tmpdir(), 'af-admin-'));
  root = made;
  afterThisFile(() => {
    rmSync(made, { recursive: true, force: true });
    root = undefined;
  });
  return made;
}

/** A fresh, empty folder. */
export function freshDir(): string {
  const dir = join(fileRoot(), `t${++n}`);
  mkdirSync(dir);
  return dir;
}

export interface Served {
  runtime: Runtime;
  admin: AdminServer;
  socketPath: string;
  close(): Promise<void>;
}

/** A runtime on a LevelDB folder (a fresh one unless `dir` is given; its store seen through `wrap`, when given), served on an admin socket. */
export async function served(dir = freshDir(), wrap?: (store: EventStore) => EventStore): Promise<Served> {
  const store = await levelStore({ path: join(dir, 'store') });
  const runtime = await createRuntime({
    store: wrap === undefined ? store : wrap(store),
    aggregates: [counter, note],
    idleTimeoutMs: 60_000,
    storeRetry: { initialMs: 5, maxMs: 50 },
  });
  const admin = await serveAdmin(runtime, { socketPath: join(dir, 'admin.sock') });
  return {
    runtime,
    admin,
    socketPath: admin.socketPath,
    async close() {
      await runtime.shutdown();
      await admin.close();
    },
  };
}

/** A raw HTTP request on the socket: status, content type and body text. */
export function raw(
  socketPath: string,
  method: string,
  path: string,
): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** Runs `cleanup` once the test file running now is done (vitest.setup.ts). */
function afterThisFile(cleanup: () => void): void {
  const files = globalThis as { [key: symbol]: Array<() => void> | undefined };
  const list = files[Symbol.for('actorfold.test.afterFile')];
  if (list === undefined) throw new Error('vitest.setup.ts (setupFiles in vitest.shared.ts) did not run');
  list.push(cleanup);
}
