/**
 * Listening on a Unix domain socket that only the owner may connect to (mode 0600), replacing a
 * stale socket file left by a crashed process but never stealing one a live process answers on.
 */
import { chmod, lstat, unlink } from 'node:fs/promises';
import { connect, type Server } from 'node:net';
import { isMainThread } from 'node:worker_threads';
import { AdminError } from './admin-error.js';

/** sun_path holds 108 bytes on Linux, the terminating NUL included (104 on macOS). */
const MAX_SOCKET_PATH_BYTES = 107;

/**
 * Binds `server` to `socketPath` with mode 0600. The umask is narrowed around the synchronous
 * bind so the file is never, even briefly, reachable by others; a chmod and a check follow.
 */
export async function listenPrivately(server: Server, socketPath: string): Promise<void> {
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    throw new AdminError(
      'BAD_SOCKET_PATH',
      `the admin socket path is too long (${Buffer.byteLength(socketPath)} bytes; Unix sockets allow ${MAX_SOCKET_PATH_BYTES}): ${socketPath}`,
    );
  }
  // process.umask is process-wide and refused in worker threads, where this guarantee cannot hold.
  if (!isMainThread)
    throw new AdminError('NOT_SUPPORTED', 'serveAdmin must run on the main thread (it sets the umask)');
  await clearStaleSocket(socketPath);
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      reject(
        e.code === 'EADDRINUSE'
          ? new AdminError('SOCKET_IN_USE', `another process took the admin socket ${socketPath}`, {
              cause: e,
            })
          : e,
      );
    };
    server.once('error', onError);
    const previous = process.umask(0o177);
    try {
      // net.Server binds a pipe synchronously inside listen(), so the umask covers the bind alone.
      server.listen(socketPath, () => {
        server.off('error', onError);
        resolve();
      });
    } finally {
      process.umask(previous);
    }
  });
  await chmod(socketPath, 0o600);
  const mode = (await lstat(socketPath)).mode & 0o777;
  if (mode !== 0o600) {
    await new Promise((resolve) => server.close(resolve));
    throw new AdminError('INTERNAL', `the admin socket ${socketPath} has mode ${mode.toString(8)}, not 600`);
  }
}

/**
 * Removes a socket file nobody answers on (ECONNREFUSED: its process is gone). Fails when a live
 * server answers, or when the path holds something other than a socket.
 */
export async function clearStaleSocket(socketPath: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(socketPath)).isSocket();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (!isSocket) {
    throw new AdminError(
      'BAD_SOCKET_PATH',
      `${socketPath} exists and is not a socket; refusing to replace it`,
    );
  }
  const answer = await probe(socketPath);
  if (answer === 'live') {
    throw new AdminError(
      'SOCKET_IN_USE',
      `a live process is listening on the admin socket ${socketPath} (is another daemon running on it?)`,
    );
  }
  await unlink(socketPath).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
}

/** 'live' when something accepts a connection on the path, 'stale' when it is refused. */
function probe(socketPath: string): Promise<'live' | 'stale'> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve('live');
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      socket.destroy();
      if (e.code === 'ECONNREFUSED' || e.code === 'ENOENT') resolve('stale');
      else if (e.code === 'EACCES')
        reject(
          new AdminError('SOCKET_IN_USE', `the admin socket ${socketPath} belongs to another user`, {
            cause: e,
          }),
        );
      else reject(e);
    });
  });
}
