/** The admin socket itself: owner-only mode, stale files replaced, live ones never stolen. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRuntime } from '@actorfold/core';
import { afterEach, describe, expect, it } from 'vitest';
import { adminClient, serveAdmin } from '../src/index.js';
import { counter, freshDir, type Served, served } from './support/fixture.js';

const open: Served[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

async function serve(): Promise<Served> {
  const s = await served();
  open.push(s);
  return s;
}

/** The process umask, read without changing it. */
function umask(): number {
  const current = process.umask(0o022);
  process.umask(current);
  return current;
}

describe('the admin socket', () => {
  it('is created with mode 0600, so only its owner may connect, and leaves the umask as it was', async () => {
    const before = umask();
    const { socketPath } = await serve();
    const st = statSync(socketPath);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(umask()).toBe(before);
  });

  it('replaces a stale socket file left by a crashed process', async () => {
    const path = join(freshDir(), 'admin.sock');
    const crashed = spawn(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`,
    ]);
    await new Promise((resolve) => crashed.stdout.once('data', resolve));
    crashed.kill('SIGKILL');
    await new Promise((resolve) => crashed.once('close', resolve));
    expect(statSync(path).isSocket()).toBe(true); // a SIGKILLed process cannot remove its socket

    const runtime = await createRuntime({ aggregates: [counter] });
    const admin = await serveAdmin(runtime, { socketPath: path });
    expect((await adminClient(path).health()).ok).toBe(true);
    await admin.close();
    await runtime.shutdown();
  });

  it('refuses to take over a socket a live server answers on', async () => {
    const first = await serve();
    const runtime = await createRuntime({ aggregates: [counter] });
    await expect(serveAdmin(runtime, { socketPath: first.socketPath })).rejects.toMatchObject({
      code: 'SOCKET_IN_USE',
      message: expect.stringContaining('a live process is listening'),
    });
    // The first server is untouched.
    expect((await adminClient(first.socketPath).health()).pid).toBe(process.pid);
    await runtime.shutdown();
  });

  it('refuses to replace a path that is not a socket, and a path too long for one', async () => {
    const runtime = await createRuntime({ aggregates: [counter] });
    const file = join(freshDir(), 'admin.sock');
    writeFileSync(file, 'precious');
    await expect(serveAdmin(runtime, { socketPath: file })).rejects.toMatchObject({
      code: 'BAD_SOCKET_PATH',
    });
    expect(readFileSync(file, 'utf8')).toBe('precious');
    const long = join(freshDir(), `${'x'.repeat(120)}.sock`);
    await expect(serveAdmin(runtime, { socketPath: long })).rejects.toMatchObject({
      code: 'BAD_SOCKET_PATH',
      message: expect.stringContaining('too long'),
    });
    await runtime.shutdown();
  });

  it('removes its socket file on close, once however often close is called', async () => {
    const s = await served();
    await Promise.all([s.admin.close(), s.admin.close()]);
    expect(existsSync(s.socketPath)).toBe(false);
    await expect(adminClient(s.socketPath).health()).rejects.toMatchObject({
      code: 'UNREACHABLE',
      message: expect.stringContaining('is the daemon running?'),
    });
    await s.runtime.shutdown();
  });
});
