/**
 * The daemon's settings: every flag also as an `ACTORFOLD_*` environment variable (`--data` as
 * ACTORFOLD_DATA, `--shutdown-timeout-ms` as ACTORFOLD_SHUTDOWN_TIMEOUT_MS, …); a flag wins over
 * its variable. A bad value is a UsageError: the entry point prints it and exits 2, never with a
 * stack trace.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { GRID_OPERATOR_DEFAULTS, type GridOperatorOptions } from './grid-operator.js';

export interface DaemonOptions {
  /** The LevelDB store folder. */
  data: string;
  /** The admin socket path (created with mode 0600). */
  socket: string;
  host: string;
  /** The command API's port; 0 picks a free one (reported in the ready message). */
  port: number;
  logLevel: string;
  durability: 'fsync' | 'os';
  idleTimeoutMs: number;
  /** How long mailboxes may drain on SIGTERM/SIGINT; the process exits by this plus 5 s whatever happens. */
  shutdownTimeoutMs: number;
  /** A TCP listener for Prometheus (`GET /metrics`), when asked for; 0 picks a free port. */
  metrics?: { host: string; port: number };
  /**
   * Where events live: the embedded LevelDB folder (`--data`), or a PostgreSQL database shared with
   * other daemons (`--postgres <url>`, docs/scale-out.md).
   */
  postgres?: {
    url: string;
    schema: string;
    ownership: 'optimistic' | 'lease';
    nodeId: string | undefined;
  };
  /** Export traces over OTLP/HTTP to this URL (a collector's `/v1/traces`), when asked for (docs/tracing.md). */
  otelEndpoint?: string;
  /** The simulated grid operator the supplier switch's registration effect calls (grid-operator.ts). */
  grid: GridOperatorOptions;
  /** How the runtime runs effects: attempts per effect, and the first back-off (doubling, jittered). */
  effects: { maxAttempts: number; backoffMs: number; timeoutMs: number };
}

/** A wrong flag or value; the message says which and what is expected. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The flags, each with its value placeholder, what it does and its default (as printed). */
const FLAGS = [
  ['data', '<dir>', 'store folder', 'data/store'],
  ['socket', '<path>', 'admin socket, mode 0600', 'data/admin.sock'],
  ['host', '<addr>', 'command API address', '127.0.0.1'],
  ['port', '<n>', 'command API port, 0 = any', '3100'],
  ['log-level', '<level>', 'pino level (also LOG_LEVEL)', 'info'],
  ['durability', 'fsync|os', 'store durability', 'fsync'],
  ['idle-timeout-ms', '<n>', 'evict idle actors after', '60000'],
  ['shutdown-timeout-ms', '<n>', 'drain deadline on SIGTERM', '10000'],
  ['metrics-port', '<n>', 'serve GET /metrics for Prometheus on TCP', 'off'],
  ['metrics-host', '<addr>', 'the metrics listener address', '127.0.0.1'],
  ['postgres', '<url>', 'a shared PostgreSQL store instead of --data', 'off'],
  ['pg-schema', '<name>', 'its schema (migrated at start)', 'actorfold'],
  ['ownership', 'optimistic|lease', 'lease: one daemon at a time hosts an aggregate', 'optimistic'],
  ['node-id', '<id>', 'this daemon in lease errors', 'host:pid'],
  ['otel-endpoint', '<url>', 'export traces over OTLP/HTTP (…/v1/traces)', 'off'],
  [
    'grid-failure-rate',
    '<0..1>',
    'simulated grid operator: attempts that fail',
    String(GRID_OPERATOR_DEFAULTS.failureRate),
  ],
  [
    'grid-refusal-rate',
    '<0..1>',
    'simulated grid operator: registrations refused',
    String(GRID_OPERATOR_DEFAULTS.refusalRate),
  ],
  [
    'grid-latency-ms',
    '<n>',
    'simulated grid operator: time per answer',
    String(GRID_OPERATOR_DEFAULTS.latencyMs),
  ],
  ['effect-attempts', '<n>', 'attempts per effect, the first included', '5'],
  ['effect-backoff-ms', '<n>', 'first back-off between attempts (doubles)', '200'],
  [
    'effect-timeout-ms',
    '<n>',
    'per attempt; after a crash, its effects run again this plus 10 s later',
    '30000',
  ],
] as const;

type Flag = (typeof FLAGS)[number][0];

/** The daemon's flag names (without `--`), for the supervisor to pass them through. */
export const DAEMON_FLAGS: readonly Flag[] = FLAGS.map(([name]) => name);

/** The environment variable of a flag: `shutdown-timeout-ms` → ACTORFOLD_SHUTDOWN_TIMEOUT_MS. */
export function envName(flag: string): string {
  return `ACTORFOLD_${flag.toUpperCase().replace(/-/g, '_')}`;
}

export const DAEMON_USAGE = `actorfold example daemon

usage: node apps/daemon/dist/daemon-main.js [options]     (or from the repository root: npm run daemon -- [options])

Every flag can also be set as an environment variable; the flag wins.

${FLAGS.map(([name, value, what, fallback]) => {
  const flag = `  --${name} ${value}`.padEnd(34);
  return `${flag}${what}\n${' '.repeat(34)}(env ${envName(name)}, default ${fallback})`;
}).join('\n')}
  -h, --help                      this text

The PostgreSQL URL is also read from ACTORFOLD_POSTGRES_URL.
`;

/** Parses `argv` (without node and script); returns undefined when --help was asked for. */
export function parseDaemonOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): DaemonOptions | undefined {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(FLAGS.map(([name]) => [name, { type: 'string' as const }])),
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help === true) return undefined;
  /** The flag's value, else its variable's (an empty variable counts as unset), else undefined. */
  const given = (name: Flag, ...aliases: string[]): string | undefined => {
    const v = values[name];
    if (typeof v === 'string') return v;
    for (const key of [envName(name), ...aliases]) {
      const e = env[key];
      if (e !== undefined && e !== '') return e;
    }
    return undefined;
  };
  const str = (name: Flag, fallback: string, ...aliases: string[]) => given(name, ...aliases) ?? fallback;
  const durability = str('durability', 'fsync');
  if (durability !== 'fsync' && durability !== 'os')
    throw new UsageError(`--durability must be fsync or os, got ${durability}`);
  const ownership = str('ownership', 'optimistic');
  if (ownership !== 'optimistic' && ownership !== 'lease')
    throw new UsageError(`--ownership must be optimistic or lease, got ${ownership}`);
  const url = str('postgres', '', 'ACTORFOLD_POSTGRES_URL');
  if (url === '' && (given('pg-schema') !== undefined || given('ownership') !== undefined)) {
    throw new UsageError('--pg-schema and --ownership need --postgres <url>');
  }
  const otelEndpoint = given('otel-endpoint');
  if (otelEndpoint !== undefined && !/^https?:\/\/[^/]/.test(otelEndpoint))
    throw new UsageError(`--otel-endpoint must be an http(s) URL, got ${JSON.stringify(otelEndpoint)}`);
  const metricsPort = given('metrics-port');
  if (metricsPort === undefined && given('metrics-host') !== undefined) {
    throw new UsageError('--metrics-host needs --metrics-port <n>');
  }
  return {
    grid: {
      failureRate: rate(
        '--grid-failure-rate',
        str('grid-failure-rate', String(GRID_OPERATOR_DEFAULTS.failureRate)),
      ),
      refusalRate: rate(
        '--grid-refusal-rate',
        str('grid-refusal-rate', String(GRID_OPERATOR_DEFAULTS.refusalRate)),
      ),
      latencyMs: integer(
        '--grid-latency-ms',
        str('grid-latency-ms', String(GRID_OPERATOR_DEFAULTS.latencyMs)),
        0,
        600_000,
      ),
    },
    effects: {
      maxAttempts: integer('--effect-attempts', str('effect-attempts', '5'), 1, 1000),
      backoffMs: integer('--effect-backoff-ms', str('effect-backoff-ms', '200'), 1, 2 ** 31 - 1),
      timeoutMs: integer('--effect-timeout-ms', str('effect-timeout-ms', '30000'), 1, 2 ** 31 - 1),
    },
    ...(otelEndpoint === undefined ? {} : { otelEndpoint }),
    ...(url === ''
      ? {}
      : {
          postgres: {
            url,
            schema: str('pg-schema', 'actorfold'),
            ownership,
            nodeId: given('node-id'),
          },
        }),
    ...(metricsPort === undefined
      ? {}
      : {
          metrics: {
            host: str('metrics-host', '127.0.0.1'),
            port: integer('--metrics-port', metricsPort, 0, 65_535),
          },
        }),
    data: resolve(str('data', 'data/store')),
    socket: resolve(str('socket', 'data/admin.sock')),
    host: str('host', '127.0.0.1'),
    port: integer('--port', str('port', '3100'), 0, 65_535),
    logLevel: str('log-level', 'info', 'LOG_LEVEL'),
    durability,
    idleTimeoutMs: integer('--idle-timeout-ms', str('idle-timeout-ms', '60000'), 1, 2 ** 31 - 1),
    shutdownTimeoutMs: integer('--shutdown-timeout-ms', str('shutdown-timeout-ms', '10000'), 0, 2 ** 31 - 1),
  };
}

/** Reads an integer flag value within [min, max]. */
export function integer(flag: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max)
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

/** Reads a share from 0 to 1. */
function rate(flag: string, raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    throw new UsageError(`${flag} must be a number from 0 to 1, got ${JSON.stringify(raw)}`);
  return n;
}
