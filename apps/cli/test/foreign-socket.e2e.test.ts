/**
 * The CLI talks only to admin sockets its own user (or root) owns, unless told otherwise: a socket
 * someone else put at the path would receive the commands. Changing a socket's owner needs root,
 * so these run when the tests do (CI containers do); elsewhere they are reported as skipped.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chownSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, STACK } from './support/cli.js';
import { daemonMain, freshDir } from './support/folders.js';

const root = process.getuid?.() === 0;
const NOBODY = 65534;
let daemon: ChildProcess | undefined;
let socket: string;

beforeAll(async () => {
  if (!root) return;
  const dir = freshDir();
  socket = join(dir, 'admin.sock');
  daemon = spawn(
    process.execPath,
    [daemonMain, '--data', join(dir, 'store'), '--socket', socket, '--port', '0', '--log-level', 'warn'],
    { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
  );
  await new Promise<void>((resolve, reject) => {
    daemon?.once('message', () => resolve());
    daemon?.once('exit', (code) => reject(new Error(`the daemon exited ${code} before it was ready`)));
  });
  chownSync(socket, NOBODY, NOBODY);
});

afterAll(async () => {
  if (daemon === undefined) return;
  daemon.kill('SIGTERM');
  await new Promise((resolve) => daemon?.once('exit', resolve));
});

describe.skipIf(!root)('an admin socket owned by another user', () => {
  it('is refused by every live command with exit 5, naming the owner and the way out', async () => {
    for (const args of [['actors'], ['evict', 'account', 'alice'], ['metrics']]) {
      const r = await cli([...args, '--socket', socket]);
      expect(r.code, args.join(' ')).toBe(5);
      expect(r.stderr).toContain(
        `the admin socket ${socket} belongs to another user (uid ${NOBODY}, you are uid 0)`,
      );
      expect(r.stderr).toContain('--allow-foreign-socket');
      expect(r.stderr).not.toMatch(STACK);
    }
  });

  it('is used when told to, by flag (before or after the command) or by ACTORFOLD_ALLOW_FOREIGN_SOCKET=1', async () => {
    expect((await cli(['actors', '--socket', socket, '--allow-foreign-socket'])).code).toBe(0);
    expect((await cli(['--allow-foreign-socket', 'metrics', '--socket', socket])).code).toBe(0);
    const env = await new Promise<number | null>((resolve) => {
      const child = spawn(
        process.execPath,
        [join(import.meta.dirname, '../bin/actorfold.js'), 'actors', '--socket', socket],
        {
          stdio: 'ignore',
          env: { ...process.env, ACTORFOLD_ALLOW_FOREIGN_SOCKET: '1' },
        },
      );
      child.once('close', resolve);
    });
    expect(env).toBe(0);
  });
});
