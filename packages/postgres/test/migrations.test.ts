/** The schema is created only by migrate() or the CLI, idempotently, and checked on open. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, postgresStore, SCHEMA_VERSION } from '../src/index.js';
import { freshDatabase, freshSchema, skipReason } from './support/database.js';

describe.skipIf(skipReason !== undefined)(`migrations ${skipReason ?? ''}`, () => {
  let url: string;
  let admin: pg.Client;
  beforeAll(async () => {
    url = await freshDatabase('migrations');
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
  });

  it('creates the schema once and applies nothing when run again', async () => {
    const schema = freshSchema('m');
    expect(await migrate({ connectionString: url, schema })).toEqual({
      schema,
      from: 0,
      to: SCHEMA_VERSION,
      applied: [
        { version: 1, description: expect.any(String) },
        { version: 2, description: expect.any(String) },
        { version: 3, description: expect.any(String) },
        { version: 4, description: expect.any(String) },
      ],
    });
    expect(await migrate({ connectionString: url, schema })).toEqual({
      schema,
      from: SCHEMA_VERSION,
      to: SCHEMA_VERSION,
      applied: [],
    });
    const { rows } = await admin.query(`SELECT version FROM ${schema}.schema_migrations`);
    expect(rows).toEqual([{ version: 1 }, { version: 2 }, { version: 3 }, { version: 4 }]);
  });

  it('upgrades a database written at schema version 1 to timers, keeping its events', async () => {
    const schema = freshSchema('m');
    await migrate({ connectionString: url, schema });
    const before = await postgresStore({ connectionString: url, schema });
    await before.append('a/1', [{ data: { type: 'A' } }, { data: { type: 'B' } }], { expectedVersion: 0 });
    await before.close();
    // Back to exactly what version 1 created (its migration is unchanged): no timers table, no version 3 append.
    await admin.query(`DROP TABLE ${schema}.timers`);
    await admin.query(`DROP FUNCTION ${schema}.timers_forget_stale_json`);
    await admin.query(`DROP PROCEDURE ${schema}.append_durably, ${schema}.append_settle`);
    await admin.query(`DROP FUNCTION ${schema}.append_events_v3`);
    await admin.query(`DELETE FROM ${schema}.schema_migrations WHERE version >= 2`);
    await expect(postgresStore({ connectionString: url, schema })).rejects.toThrow(/at version 1/);
    expect(await migrate({ connectionString: url, schema })).toEqual({
      schema,
      from: 1,
      to: SCHEMA_VERSION,
      applied: [
        { version: 2, description: expect.stringContaining('timers') },
        { version: 3, description: expect.stringContaining('WAL flush') },
        { version: 4, description: expect.stringContaining('JSON text') },
      ],
    });
    const after = await postgresStore({ connectionString: url, schema });
    try {
      expect(await after.streamVersion('a/1')).toBe(2);
      const timer = {
        streamId: 'a/1',
        name: 't',
        dueAt: 10,
        version: 3,
        missed: 'fire' as const,
        command: { type: 'T' },
      };
      await after.append('a/1', [{ data: { type: 'C' } }], {
        expectedVersion: 2,
        timers: [{ op: 'schedule', timer }],
      });
      expect(await after.timers.due(10, 5)).toEqual([timer]);
    } finally {
      await after.close();
    }
  });

  it('applies the migrations exactly once when several processes migrate the same schema at once', async () => {
    const schema = freshSchema('m');
    const results = await Promise.all(
      Array.from({ length: 6 }, () => migrate({ connectionString: url, schema })),
    );
    expect(results.filter((r) => r.applied.length > 0)).toHaveLength(1);
  });

  it('migrates through a caller-owned pool and leaves the pool usable', async () => {
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    try {
      const schema = freshSchema('m');
      expect((await migrate({ pool, schema })).applied).toHaveLength(SCHEMA_VERSION);
      const store = await postgresStore({ pool, schema });
      await store.append('a/1', [{ data: { type: 'A' } }], { expectedVersion: 0 });
      await store.close();
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });

  it('refuses to open a schema that was not migrated, saying what to run', async () => {
    const schema = freshSchema('m');
    const error = await postgresStore({ connectionString: url, schema }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STORE_ERROR', reason: 'IO' });
    expect((error as Error).message).toContain(`actorfold-postgres migrate --url <url> --schema ${schema}`);
  });

  it('refuses to open or migrate a schema newer than this package', async () => {
    const schema = freshSchema('m');
    await migrate({ connectionString: url, schema });
    await admin.query(
      `INSERT INTO ${schema}.schema_migrations (version, description) VALUES (99, 'from the future')`,
    );
    for (const attempt of [
      () => postgresStore({ connectionString: url, schema }),
      () => migrate({ connectionString: url, schema }),
    ]) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'STORE_ERROR', reason: 'IO' });
      expect((error as Error).message).toMatch(/version 99, newer than/);
    }
  });

  it('keeps stores in different schemas of one database apart', async () => {
    const [x, y] = [freshSchema('m'), freshSchema('m')];
    const sx = await postgresStore({ connectionString: url, schema: x, migrate: true });
    const sy = await postgresStore({ connectionString: url, schema: y, migrate: true });
    try {
      await sx.append('a/1', [{ data: { type: 'X' } }], { expectedVersion: 0 });
      expect(await sy.streamVersion('a/1')).toBe(0);
      const [e] = await sy.append('a/1', [{ data: { type: 'Y' } }], { expectedVersion: 0 });
      expect(e?.position).toBe(1);
    } finally {
      await sx.close();
      await sy.close();
    }
  });

  it('rejects a schema name that is not a plain lowercase identifier', async () => {
    for (const schema of ['Upper', 'with-dash', '1digit', 'x; DROP TABLE y', '']) {
      await expect(migrate({ connectionString: url, schema })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    }
  });

  it('has a command line: `actorfold-postgres migrate` migrates, is idempotent, and explains bad usage', async () => {
    const schema = freshSchema('cli');
    const first = await cli(['migrate', '--url', url, '--schema', schema]);
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout).toContain(`schema ${schema} is now at version ${SCHEMA_VERSION}`);
    const again = await cli(['migrate', '--schema', schema, '--json'], { DATABASE_URL: url });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ schema, applied: [] });
    const bad = await cli(['frobnicate', '--url', url]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('usage: actorfold-postgres migrate');
    const unreachable = await cli(['migrate', '--url', 'postgres://nobody@127.0.0.1:1/none']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('cannot connect to PostgreSQL');
  });
});

function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  // The installed entry point, as users run it (it loads dist/, which turbo builds before tests).
  const file = fileURLToPath(new URL('../bin/actorfold-postgres.js', import.meta.url));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [file, ...args], {
      env: { ...process.env, DATABASE_URL: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
