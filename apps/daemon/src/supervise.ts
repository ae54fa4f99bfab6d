/**
 * `npm start`: the example daemon under its supervisor, a short demo load, and how to look at
 * the result with the CLI. Runs until SIGTERM or Ctrl-C, or, with --exit-after-demo, stops the
 * daemon right after the demo the same way a signal would (that is how CI runs it).
 *
 * Exit codes: 0 stopped cleanly; 1 the daemon could not be kept running (restart budget spent),
 * needed SIGKILL, or the demo failed; 2 bad usage.
 * When spawned with an IPC channel, each `{ type: 'ready' }` of a (re)started daemon is relayed.
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { DAEMON_FLAGS, envName, integer, parseDaemonOptions, UsageError } from './daemon-options.js';
import { demoLoad } from './demo-load.js';
import { type ReadyInfo, Supervisor } from './supervisor.js';

const USAGE = `actorfold example: the daemon under its supervisor

usage: npm start -- [options]        (or: node apps/daemon/dist/supervise.js [options])

  --no-demo                 start without the demo load
  --exit-after-demo         stop cleanly after the demo load (what CI runs)
  --grace-ms <n>            SIGKILL the daemon this long after forwarding a stop signal
                            (env ACTORFOLD_GRACE_MS, default the drain deadline + 10000)
  --max-restarts <n>        restart budget per window     (env ACTORFOLD_MAX_RESTARTS, default 5)
  --restart-window-ms <n>   the budget's window           (env ACTORFOLD_RESTART_WINDOW_MS, default 60000)
  -h, --help                this text

Every daemon flag is passed through to the daemon (--data, --socket, --port, --log-level,
--metrics-port, --shutdown-timeout-ms, …; see npm run daemon -- --help), and every
ACTORFOLD_* variable reaches it too; a flag wins over its variable.
`;

function parse() {
  try {
    const { values: parsed } = parseArgs({
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(DAEMON_FLAGS.map((name) => [name, { type: 'string' as const }])),
        'no-demo': { type: 'boolean', default: false },
        'exit-after-demo': { type: 'boolean', default: false },
        'grace-ms': { type: 'string' },
        'max-restarts': { type: 'string' },
        'restart-window-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    const values = parsed as typeof parsed & Record<string, string | boolean | undefined>;
    if (values['no-demo'] && values['exit-after-demo'])
      throw new UsageError('--exit-after-demo needs the demo: drop --no-demo');
    // The daemon's own parse checks the whole set (flags and variables) before anything starts.
    const daemonArgs = DAEMON_FLAGS.flatMap((name) => {
      const v = values[name];
      return typeof v === 'string' ? [`--${name}`, v] : [];
    });
    const daemon = parseDaemonOptions(daemonArgs);
    if (daemon === undefined) throw new UsageError('unreachable: no --help here');
    const setting = (name: string, fallback: string) => {
      const v = values[name];
      return typeof v === 'string' ? v : process.env[envName(name)] || fallback;
    };
    return {
      help: values.help,
      daemonArgs,
      logLevel: daemon.logLevel,
      demo: !values['no-demo'],
      exitAfterDemo: values['exit-after-demo'],
      // The daemon exits by its drain deadline + 5 s on its own: SIGKILL only after that.
      graceMs: integer(
        '--grace-ms',
        setting('grace-ms', String(daemon.shutdownTimeoutMs + 10_000)),
        0,
        2 ** 31 - 1,
      ),
      maxRestarts: integer('--max-restarts', setting('max-restarts', '5'), 0, 1000),
      windowMs: integer('--restart-window-ms', setting('restart-window-ms', '60000'), 1, 2 ** 31 - 1),
    };
  } catch (e) {
    process.stderr.write(`supervisor: ${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
}

const o = parse();
if (o.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

// Synchronous writes, so the last transitions are out, in order, before process.exit.
const logger = pino({ name: 'supervisor', level: o.logLevel }, pino.destination({ dest: 1, sync: true }));
const supervisor = new Supervisor({
  script: fileURLToPath(new URL('./daemon-main.js', import.meta.url)),
  args: o.daemonArgs,
  graceMs: o.graceMs,
  restart: { maxRestarts: o.maxRestarts, windowMs: o.windowMs },
  logger,
});
process.on('SIGTERM', () => void supervisor.stop('SIGTERM'));
process.on('SIGINT', () => void supervisor.stop('SIGINT'));
supervisor.on('ready', (info) => process.send?.(info));

const firstReady = new Promise<ReadyInfo | undefined>((done) => {
  supervisor.once('ready', done);
  void supervisor.done.then(() => done(undefined));
});
supervisor.start();

if (o.demo) {
  const ready = await firstReady;
  if (ready !== undefined) {
    const print = (line: string) => process.stdout.write(`${line}\n`);
    try {
      await demoLoad(`http://127.0.0.1:${ready.port}`, print);
      print(hints(ready));
      if (o.exitAfterDemo) {
        print('--exit-after-demo: stopping the daemon as SIGTERM would');
        void supervisor.stop('SIGTERM');
      }
    } catch (err) {
      // A stop signal during the demo makes its requests fail: that is no demo failure.
      const stopping = ['stopping', 'stopped', 'failed'].includes(supervisor.state);
      if (!stopping) {
        logger.error({ err }, 'the demo load failed');
        process.exitCode = 1;
        void supervisor.stop('SIGTERM');
      }
    }
  }
}

const code = await supervisor.done;
process.exit(process.exitCode === 1 ? 1 : code);

/** What to type next: paths relative to here when they are below it. */
function hints(ready: ReadyInfo): string {
  const short = (p: string) => {
    const r = relative(process.cwd(), p);
    return r.startsWith('..') || r === '' ? p : r;
  };
  const socket = short(ready.socket);
  const data = short(ready.data);
  const url = `http://127.0.0.1:${ready.port}`;
  return `
The daemon runs (pid ${ready.pid}): commands on ${url}, admin socket ${socket}, store ${data}.
Look at it with the CLI, from another terminal in this folder:
  npx actorfold actors --socket ${socket}
  npx actorfold inspect account alice --socket ${socket}
  npx actorfold events account/alice --socket ${socket} --last 5
  npx actorfold tail --socket ${socket}
Send a command:
  curl -s -X POST ${url}/v1/commands/account/alice -H 'content-type: application/json' \\
       -d '{"command":{"type":"deposit","amount":5},"commandId":"my-first-deposit"}'
Stop with Ctrl-C (the daemon drains and closes the store); then read the folder offline:
  npx actorfold events account/alice --data ${data} --last 5
  npx actorfold verify --data ${data}
`;
}
