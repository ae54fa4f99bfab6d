/**
 * The append function's set-based path (batches of more than 4 appends on distinct streams: all
 * heads in one statement, all events in one INSERT, to keep the order lock short) answers and
 * writes exactly what its per-append loop does: a property test over random batches (right and
 * wrong expected versions, empty appends, repeated streams, which take the loop) run against the
 * function and against a copy of it forced onto the loop, on two schemas holding the same log.
 */
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/index.js';
import { freshDatabase, freshSchema, skipReason } from './support/database.js';

interface Append {
  stream: number;
  /** Offset from the stream's actual head: 0 is right, anything else a conflict. */
  off: number;
  count: number;
}

const appendArb = fc.record({
  stream: fc.integer({ min: 0, max: 11 }),
  off: fc.oneof(fc.constant(0), fc.constant(0), fc.constant(0), fc.integer({ min: -2, max: 2 })),
  count: fc.integer({ min: 0, max: 3 }),
});

describe.skipIf(skipReason !== undefined)(`the append function ${skipReason ?? ''}`, () => {
  let client: pg.Client;
  beforeAll(async () => {
    const url = await freshDatabase('appendfn');
    client = new pg.Client({ connectionString: url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
  });

  it('writes and answers the same on its set-based path as on its per-append loop', async () => {
    const setSchema = freshSchema('fs');
    const loopSchema = freshSchema('fl');
    for (const schema of [setSchema, loopSchema]) await migrate({ connectionString: clientUrl(), schema });
    // The loop-only copy: the same function with its set-based branch switched off.
    const { rows } = await client.query<{ def: string }>(
      `SELECT pg_get_functiondef('${loopSchema}.append_events_v3'::regproc) AS def`,
    );
    const def = (rows[0] as { def: string }).def;
    expect(def).toContain('IF v_appends > 4 AND');
    await client.query(def.replace('IF v_appends > 4 AND', 'IF false AND'));

    const heads = new Map<number, number>();
    let batchNo = 0;
    let setBased = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.array(appendArb, { minLength: 1, maxLength: 12 }),
          fc.uniqueArray(appendArb, { minLength: 5, maxLength: 12, selector: (a) => a.stream }),
        ),
        async (batch: Append[]) => {
          batchNo++;
          if (batch.length > 4 && new Set(batch.map((a) => a.stream)).size === batch.length) setBased++;
          // Expected versions from the heads before the batch (a repeated stream's second append is
          // checked against the head the first one left, as in the function).
          const params = [
            batch.map((a) => `s/${a.stream}`),
            batch.map((a) => Math.max(0, (heads.get(a.stream) ?? 0) + a.off)),
            batch.map((a) => a.count),
            [] as string[],
            [] as string[],
            [] as string[],
            [] as number[],
            [] as string[],
          ];
          batch.forEach((a, i) => {
            for (let k = 0; k < a.count; k++) {
              (params[3] as string[]).push(`T${k}`);
              (params[4] as string[]).push(JSON.stringify({ type: `T${k}`, batch: batchNo, i, k }));
              (params[5] as string[]).push('{}');
              (params[6] as number[]).push(1 + k);
              (params[7] as string[]).push(`2026-01-01T00:00:0${k}.000Z`);
            }
          });
          const call = async (schema: string) =>
            (
              await client.query(
                `SELECT matched, head, first_position FROM ${schema}.append_events_v3($1, $2, $3, $4, $5, $6, $7, $8)`,
                params,
              )
            ).rows;
          const [set, loop] = [await call(setSchema), await call(loopSchema)];
          expect(set).toEqual(loop);
          expect(set).toHaveLength(batch.length);
          for (const [i, r] of set.entries()) heads.set((batch[i] as Append).stream, Number(r.head));
        },
      ),
      { numRuns: 120 },
    );
    // Both paths were exercised.
    expect(setBased).toBeGreaterThan(10);
    expect(batchNo - setBased).toBeGreaterThan(10);
    const dump = async (schema: string) =>
      (
        await client.query(
          `SELECT position, stream_id, version, type, data, metadata, schema_version, event_timestamp
           FROM ${schema}.events ORDER BY position`,
        )
      ).rows;
    const [setRows, loopRows] = [await dump(setSchema), await dump(loopSchema)];
    expect(setRows).toEqual(loopRows);
    expect(setRows.length).toBeGreaterThan(100);
    // Contiguous positions and per-stream versions.
    expect(setRows.map((r: { position: string }) => Number(r.position))).toEqual(
      setRows.map((_: unknown, i: number) => i + 1),
    );
    const head = await client.query(`SELECT position FROM ${setSchema}.log_head`);
    expect(Number(head.rows[0].position)).toBe(setRows.length);
  });

  function clientUrl(): string {
    const { user, host, port, database } = client;
    return `postgres://${user}@${host}:${port}/${database}`;
  }
});
