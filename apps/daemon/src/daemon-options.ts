/**
 * The daemon's settings, from command-line flags with environment fallbacks. A bad value is a
 * UsageError: the entry point prints it and exits 2, never with a stack trace.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

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
}

/** A wrong flag or value; the message says which and what is expected. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const DAEMON_USAGE = `actorfold example daemon

usage: npm run daemon -- [options]     (or: node apps/daemon/dist/daemon-main.js [options])

  --data <dir>                store folder               (env ACTORFOLD_DATA, default data/store)
  --socket <path>             admin socket, mode 0600    (env ACTORFOLD_SOCKET, default data/admin.sock)
  --host <addr>               command API address        (default 127.0.0.1)
  --port <n>                  command API port, 0 = any  (env ACTORFOLD_PORT, default 3100)
  --log-level <level>         pino level                 (env LOG_LEVEL, default info)
  --durability fsync|os       store durability           (default fsync)
  --idle-timeout-ms <n>       evict idle actors after    (default 60000)
  --shutdown-timeout-ms <n>   drain deadline on SIGTERM  (default 10000)
  --postgres <url>            use a shared PostgreSQL store instead of --data (env ACTORFOLD_POSTGRES_URL);
                              the schema is migrated at start
  --pg-schema <name>          its schema                 (default actorfold)
  --ownership optimistic|lease  lease: one daemon at a time hosts an aggregate (default optimistic)
  --node-id <id>              this daemon's name in lease errors (default host:pid)
  -h, --help                  this text
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
        data: { type: 'string' },
        socket: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        'log-level': { type: 'string' },
        durability: { type: 'string' },
        'idle-timeout-ms': { type: 'string' },
        'shutdown-timeout-ms': { type: 'string' },
        postgres: { type: 'string' },
        'pg-schema': { type: 'string' },
        ownership: { type: 'string' },
        'node-id': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help === true) return undefined;
  const str = (name: string, fallback: string) => {
    const v = values[name];
    return typeof v === 'string' ? v : fallback;
  };
  const durability = str('durability', 'fsync');
  if (durability !== 'fsync' && durability !== 'os')
    throw new UsageError(`--durability must be fsync or os, got ${durability}`);
  const ownership = str('ownership', 'optimistic');
  if (ownership !== 'optimistic' && ownership !== 'lease')
    throw new UsageError(`--ownership must be optimistic or lease, got ${ownership}`);
  const url = str('postgres', env.ACTORFOLD_POSTGRES_URL ?? '');
  if (url === '' && (values['pg-schema'] !== undefined || values.ownership !== undefined)) {
    throw new UsageError('--pg-schema and --ownership need --postgres <url>');
  }
  const nodeId = values['node-id'];
  return {
    ...(url === ''
      ? {}
      : {
          postgres: {
            url,
            schema: str('pg-schema', 'actorfold'),
            ownership,
            nodeId: typeof nodeId === 'string' ? nodeId : undefined,
          },
        }),
    data: resolve(str('data', env.ACTORFOLD_DATA ?? 'data/store')),
    socket: resolve(str('socket', env.ACTORFOLD_SOCKET ?? 'data/admin.sock')),
    host: str('host', '127.0.0.1'),
    port: integer('--port', str('port', env.ACTORFOLD_PORT ?? '3100'), 0, 65_535),
    logLevel: str('log-level', env.LOG_LEVEL ?? 'info'),
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
