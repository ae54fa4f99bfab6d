/**
 * The daemon process: `node dist/daemon-main.js [options]` (see DAEMON_USAGE). Logs pino JSON to
 * stdout. Readiness: when spawned with an IPC channel it sends `{ type: 'ready', pid, port, socket,
 * data }` once the store is open and both ports listen. SIGTERM, SIGINT, or the supervisor going
 * away (IPC disconnect) stop it cleanly: exit 0, or 1 if stopping outlived its deadline.
 *
 * Exit codes: 0 stopped cleanly; 1 failed (start, crash, or a stop past its deadline); 2 bad usage;
 * 3 the store folder is locked by another process.
 */
import { isActorfoldError } from '@actorfold/core';
import { pino } from 'pino';
import { startDaemon } from './daemon.js';
import { DAEMON_USAGE, parseDaemonOptions, UsageError } from './daemon-options.js';

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
  process.exit(2);
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
  const locked =
    isActorfoldError(e) && e.code === 'STORE_ERROR' && (e as { reason?: string }).reason === 'LOCKED';
  logger.fatal(
    { err: e, data: opts.data },
    locked ? 'the store folder is locked by another process' : 'start failed',
  );
  process.exit(locked ? 3 : 1);
}

let stopping = false;
async function stop(why: string): Promise<void> {
  // Repeated signals (a terminal's Ctrl-C reaches a whole process group) change nothing.
  if (stopping) return;
  stopping = true;
  logger.info({ why }, 'stopping: refusing new commands, draining mailboxes');
  const deadline = setTimeout(() => {
    logger.error({ deadlineMs: opts.shutdownTimeoutMs + 5000 }, 'stop outlived its deadline: exiting 1');
    process.exit(1);
  }, opts.shutdownTimeoutMs + 5000);
  deadline.unref();
  try {
    await daemon.stop();
  } catch (err) {
    logger.error({ err }, 'stop failed');
    process.exit(1);
  }
  logger.info('stopped cleanly: store closed');
  process.exit(0);
}

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
