/**
 * A throwaway PostgreSQL server for tests and benchmarks: `initdb` into a temporary folder, a
 * free port on 127.0.0.1, the Unix socket inside that folder, fsync on (the default), stopped
 * and removed by `stop()`. `halt()` and `resume()` stop it (as a crash would, by default) and
 * start it again on the same port, for outage tests. initdb refuses to run as root, so when this process is root the
 * server runs as the `postgres` system user (through `runuser`), in a folder owned by it.
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where Debian and Ubuntu put the server binaries, newest major version first. */
const BINARY_ROOT = '/usr/lib/postgresql';

export interface TemporaryServerOptions {
  /** The folder holding initdb, pg_ctl and postgres. Default: `ACTORFOLD_PG_BIN`, else the newest `/usr/lib/postgresql/<major>/bin`. */
  binDir?: string;
  /** Extra `postgres -c name=value` settings. */
  settings?: Readonly<Record<string, string | number>>;
}

/** A running throwaway server. */
export interface TemporaryServer {
  readonly host: string;
  readonly port: number;
  /** The superuser every connection uses (authentication is `trust`, on 127.0.0.1 only). */
  readonly user: string;
  /** `postgres://user@127.0.0.1:port/<database>` (default database `postgres`). */
  url(database?: string): string;
  /** Creates a database (a no-op when it exists) and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /**
   * Stops the server without removing its folder, by default with `-m immediate`: every backend
   * is killed at once, nothing is checkpointed, and the next start recovers from the WAL, as after
   * a power cut or a crash (committed transactions survive; fsync is on). `'fast'` is a clean
   * shutdown. A no-op when it is not running.
   */
  halt(mode?: 'immediate' | 'fast'): Promise<void>;
  /** Starts a halted server again, on the same port. A no-op when it is running. */
  resume(): Promise<void>;
  /** Stops the server (fast shutdown) and removes its folder. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Why no server can be started here, or undefined when the binaries are present. Lets a test
 * suite say clearly that it skipped, and why.
 */
export function temporaryServerUnavailable(binDir = findBinDir()): string | undefined {
  if (binDir === undefined) {
    return `no PostgreSQL server binaries: none under ${BINARY_ROOT}/<major>/bin and ACTORFOLD_PG_BIN is unset (Debian/Ubuntu: apt-get install postgresql)`;
  }
  for (const tool of ['initdb', 'pg_ctl', 'postgres']) {
    if (!existsSync(join(binDir, tool))) return `${join(binDir, tool)} is missing`;
  }
  if (isRoot() && runAsPostgres() === undefined) {
    return 'running as root, but there is no `postgres` system user to start the server as (initdb refuses root)';
  }
  return undefined;
}

/**
 * Starts a server and resolves once it accepts connections.
 * @example
 * const server = await startTemporaryServer();
 * const url = await server.createDatabase('t1');
 * // ... postgresStore({ connectionString: url }) ...
 * await server.stop();
 */
export async function startTemporaryServer(opts: TemporaryServerOptions = {}): Promise<TemporaryServer> {
  const binDir = opts.binDir ?? findBinDir();
  const unavailable = temporaryServerUnavailable(binDir);
  if (unavailable !== undefined || binDir === undefined) throw new Error(unavailable);
  const owner = isRoot() ? runAsPostgres() : undefined;
  const wrap = (argv: string[]): [string, string[]] =>
    owner === undefined ? [argv[0] as string, argv.slice(1)] : ['runuser', ['-u', 'postgres', '--', ...argv]];

  const root = mkdtempSync(join(tmpdir(), 'actorfold-pg-'));
  if (owner !== undefined) chownSync(root, owner.uid, owner.gid);
  chmodSync(root, 0o700);
  const data = join(root, 'data');
  const user = 'postgres';
  let started = false;
  let removed = false;
  const halt = async (mode: 'immediate' | 'fast' = 'immediate'): Promise<void> => {
    if (!started) return;
    started = false;
    await run(...wrap([join(binDir, 'pg_ctl'), 'stop', '-D', data, '-m', mode, '-w'])).catch(() => {
      // Already gone (killed from outside): nothing left to stop.
    });
  };
  const stop = async (): Promise<void> => {
    await halt('fast');
    removed = true;
    rmSync(root, { recursive: true, force: true });
  };
  const settings: Record<string, string | number> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: root,
    max_connections: 200,
    // Lease mode holds one advisory lock per resident actor in the shared lock table.
    max_locks_per_transaction: 256,
    fsync: 'on',
    ...opts.settings,
  };
  const start = async (port: number): Promise<void> => {
    const options = Object.entries({ ...settings, port })
      .map(([k, v]) => `-c ${k}=${v}`)
      .join(' ');
    await run(
      ...wrap([
        join(binDir, 'pg_ctl'),
        'start',
        '-D',
        data,
        '-w',
        '-t',
        '60',
        '-l',
        join(root, 'server.log'),
        '-o',
        options,
      ]),
    );
    started = true;
  };
  try {
    await run(
      ...wrap([
        join(binDir, 'initdb'),
        '-D',
        data,
        '-U',
        user,
        '--auth=trust',
        '-E',
        'UTF8',
        '--locale=C',
        '--no-instructions',
      ]),
    );
    for (let attempt = 0; ; attempt++) {
      const port = await freePort();
      try {
        await start(port);
        const resume = async (): Promise<void> => {
          if (removed) throw new Error('the temporary server was stopped and removed');
          if (started) return;
          try {
            await start(port);
          } catch (e) {
            throw new Error(`pg_ctl start failed: ${serverLog(root) || String(e)}`);
          }
        };
        return server(port, user, { halt, resume, stop });
      } catch (e) {
        // Another process took the port between our probe and the server's bind: try another.
        if (attempt >= 3) throw new Error(`pg_ctl start failed: ${serverLog(root) || String(e)}`);
      }
    }
  } catch (e) {
    await stop();
    throw e;
  }
}

function server(
  port: number,
  user: string,
  control: Pick<TemporaryServer, 'halt' | 'resume' | 'stop'>,
): TemporaryServer {
  const host = '127.0.0.1';
  const url = (database = 'postgres') => `postgres://${user}@${host}:${port}/${database}`;
  return {
    host,
    port,
    user,
    url,
    async createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name))
        throw new Error(`database name ${name} must be a lowercase identifier`);
      // Imported here, so that only users of a server load the client.
      const { default: pg } = await import('pg');
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (rowCount === 0) await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    ...control,
  };
}

function findBinDir(): string | undefined {
  const fromEnv = process.env.ACTORFOLD_PG_BIN;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!existsSync(BINARY_ROOT)) return undefined;
  const majors = readdirSync(BINARY_ROOT)
    .filter((d) => /^\d+$/.test(d) && existsSync(join(BINARY_ROOT, d, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] === undefined ? undefined : join(BINARY_ROOT, majors[0], 'bin');
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The `postgres` system user's ids, when it exists and `runuser` is there to switch to it. */
function runAsPostgres(): { uid: number; gid: number } | undefined {
  if (!existsSync('/usr/sbin/runuser') && !existsSync('/sbin/runuser') && !existsSync('/usr/bin/runuser'))
    return undefined;
  try {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('postgres:'));
    if (line === undefined) return undefined;
    const [, , uid, gid] = line.split(':');
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    return undefined;
  }
}

function serverLog(root: string): string {
  try {
    return readFileSync(join(root, 'server.log'), 'utf8').slice(-2000);
  } catch {
    return '';
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject()));
    });
  });
}
