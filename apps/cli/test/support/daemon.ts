/** A real example daemon process on a fresh folder, for the live tests: its socket, API and stop. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { daemonMain, freshDir } from './folders.js';

export interface RunningDaemon {
  socket: string;
  data: string;
  /** The command API's base URL. */
  api: string;
  /** Sends one command; throws on a non-2xx answer. */
  command(type: string, id: string, cmd: Record<string, unknown>): Promise<void>;
  /** SIGTERM, and waits for the exit. */
  stop(): Promise<void>;
}

/**
 * The example daemon's arguments for a test: a fresh folder and socket, any free port, and an
 * hour's idle timeout (the tests count resident actors, and a loaded machine can stretch a file's
 * run past the default minute, evicting the ones it opened first).
 */
export function daemonArgs(data: string, socket: string): string[] {
  return [
    daemonMain,
    '--data',
    data,
    '--socket',
    socket,
    '--port',
    '0',
    '--log-level',
    'warn',
    '--idle-timeout-ms',
    '3600000',
  ];
}

export async function startDaemon(): Promise<RunningDaemon> {
  const dir = freshDir();
  const socket = join(dir, 'admin.sock');
  const data = join(dir, 'store');
  const child = spawn(process.execPath, daemonArgs(data, socket), {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const ready = await new Promise<{ port: number }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { port: number }));
    child.once('exit', (code) => reject(new Error(`the daemon exited ${code} before it was ready`)));
  });
  const api = `http://127.0.0.1:${ready.port}`;
  return {
    socket,
    data,
    api,
    async command(type, id, cmd) {
      const res = await fetch(`${api}/v1/commands/${type}/${id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ command: cmd }),
      });
      if (!res.ok) throw new Error(`${type}/${id} ${cmd.type}: ${res.status} ${await res.text()}`);
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
