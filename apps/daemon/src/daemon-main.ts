/**
 * The daemon process: `node dist/daemon-main.js [options]` (see DAEMON_USAGE). Logs pino JSON to
 * stdout. Readiness: when spawned with an IPC channel it sends `{ type: 'ready', pid, port, socket,
 * data }` once the store is open and both ports listen. SIGTERM, SIGINT, or the supervisor going
 * away (IPC disconnect) stop it cleanly: exit 0, or 1 if stopping outlived its deadline. A store
 * that refuses every write until reopened (a write failed with an unknown outcome) stops it the
 * same way, with exit 6, so that whatever supervises it restarts it and the store is reopened.
 *
 * Exit codes (DAEMON_EXIT): 0 stopped cleanly; 1 failed (start, crash, or a stop past its
 * deadline); 2 bad usage; 3 the store folder is locked by another process; 4 the port or the admin
 * socket is in use; 5 the store folder is damaged or holds no store; 6 the store refused writes
 * until reopened. The supervisor restarts neither 2, 4 nor 5.
 */
import { isAdminError } from '@actorfold/admin';
import { isActorfoldError } from '@actorfold/core';
import { pino } from 'pino';
import { startDaemon } from './daemon.js';
import { DAEMON_USAGE, type DaemonOptions, parseDaemonOptions, UsageError } from './daemon-options.js';
import { DAEMON_EXIT } from './exit-codes.js';

/** The message sent to the supervisor over IPC once the daemon serves. */
export interface ReadyMessage {
  type: 'ready';
  pid: number;
  port: number;
  socket: string;
  data: string;
  /** The metrics listener's port, when `--metrics-port` asked for one. */
  metricsPort?: number;
}

let options: ReturnType<typeof parseDaemonOptions>;
try {
  options = parseDaemonOptions(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof UsageError)) throw e;
  process.stderr.write(`daemon: ${e.message}\n\n${DAEMON_USAGE}`);
  process.exit(DAEMON_EXIT.USAGE);
}
if (options === undefined) {
  process.stdout.write(DAEMON_USAGE);
  process.exit(0);
}
const opts = options;
// Synchronous writes: every line is out before process.exit (an async logger can lose or reorder
// the last lines at exit), and the daemon logs little.
const logger = pino({ name: 'daemon', level: opts.logLevel }, pino.destination({ dest: 1, sync: true }));

process.on('uncaughtException', (err) => {
  logger.fatal({ err }, 'uncaught exception: exiting');
  process.exit(1);
});
process.on('unhandledRejection', (err) => {
  logger.fatal({ err }, 'unhandled rejection: exiting');
  process.exit(1);
});

let daemon: Awaited<ReturnType<typeof startDaemon>>;
try {
  daemon = await startDaemon(opts, logger);
} catch (e) {
  const failed = startFailure(e, opts);
  if (failed === undefined) {
    logger.fatal({ err: e, data: opts.data }, 'start failed');
    process.exit(DAEMON_EXIT.FAILED);
  }
  // A known cause: one clear line in the log and on stderr, no stack trace.
  logger.fatal(
    { data: opts.data, port: opts.port, socket: opts.socket, exitCode: failed.code },
    failed.message,
  );
  process.stderr.write(`daemon: ${failed.message}\n`);
  process.exit(failed.code);
}

/** The exit code and message of a start failure an operator can act on; undefined for the rest. */
function startFailure(e: unknown, o: DaemonOptions): { code: number; message: string } | undefined {
  const err = e as { code?: unknown; reason?: unknown; message?: unknown; syscall?: unknown };
  if (isActorfoldError(e) && e.code === 'STORE_ERROR') {
    if (err.reason === 'LOCKED')
      return { code: DAEMON_EXIT.LOCKED, message: 'the store folder is locked by another process' };
    if (err.reason === 'DAMAGED' || err.reason === 'NOT_FOUND')
      return { code: DAEMON_EXIT.STORE_UNUSABLE, message: String(err.message) };
  }
  if (err?.code === 'EADDRINUSE' && err.syscall === 'listen') {
    return {
      code: DAEMON_EXIT.ADDRESS_IN_USE,
      message: `port ${o.port} on ${o.host} is in use by another process: stop it or start with another --port`,
    };
  }
  if (isAdminError(e) && e.code === 'SOCKET_IN_USE') {
    return {
      code: DAEMON_EXIT.ADDRESS_IN_USE,
      message: `the admin socket ${o.socket} is in use by another live process: stop it or give another --socket`,
    };
  }
  return undefined;
}

let stopping = false;
/** Drains and exits with `exitCode` (a failed or overdue stop: 1, or `exitCode` when it is not 0). */
async function stop(why: string, exitCode: number = DAEMON_EXIT.OK): Promise<void> {
  // Repeated signals (a terminal's Ctrl-C reaches a whole process group) change nothing.
  if (stopping) return;
  stopping = true;
  // Stopping for a reason other than a request keeps that reason's code whatever happens next.
  const failedCode = exitCode === DAEMON_EXIT.OK ? DAEMON_EXIT.FAILED : exitCode;
  logger.info({ why }, 'stopping: refusing new commands, draining mailboxes');
  const deadline = setTimeout(() => {
    logger.error(
      { deadlineMs: opts.shutdownTimeoutMs + 5000 },
      `stop outlived its deadline: exiting ${failedCode}`,
    );
    process.exit(failedCode);
  }, opts.shutdownTimeoutMs + 5000);
  deadline.unref();
  try {
    await daemon.stop();
  } catch (err) {
    logger.error({ err, exitCode: failedCode }, 'stop failed');
    process.exit(failedCode);
  }
  if (exitCode === DAEMON_EXIT.OK) logger.info('stopped cleanly: store closed');
  else logger.info({ exitCode }, `stopped: store closed, exiting ${exitCode}`);
  process.exit(exitCode);
}

// A store that refuses every write until it is reopened leaves this daemon able only to fail
// commands: stop, and exit with a code its supervisor restarts, so that the store is reopened.
daemon.onStoreRefusal((refusal) => {
  logger.fatal(
    { err: refusal, data: opts.data, exitCode: DAEMON_EXIT.STORE_REFUSES_WRITES },
    `the store refuses writes until it is reopened: stopping, exiting ${DAEMON_EXIT.STORE_REFUSES_WRITES} to be restarted`,
  );
  void stop('the store refuses writes', DAEMON_EXIT.STORE_REFUSES_WRITES);
});

process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
// The supervisor died (even by SIGKILL): stop rather than run on unsupervised.
process.on('disconnect', () => void stop('supervisor gone (IPC channel closed)'));

logger.info(
  { port: daemon.port, socket: opts.socket, data: opts.data, metricsPort: daemon.metricsPort },
  'ready',
);
const ready: ReadyMessage = {
  type: 'ready',
  pid: process.pid,
  port: daemon.port,
  socket: opts.socket,
  data: opts.data,
  ...(daemon.metricsPort === undefined ? {} : { metricsPort: daemon.metricsPort }),
};
process.send?.(ready);
