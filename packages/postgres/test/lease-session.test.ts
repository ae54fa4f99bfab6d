/**
 * The lease session carries one statement at a time: many actors activating at once take their
 * leases through it in order, without stacking queries on the client (node-postgres deprecates
 * that and will refuse it in pg 9).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrate, postgresStore } from '../src/index.js';
import { freshDatabase, freshSchema, skipReason } from './support/database.js';

describe.skipIf(skipReason !== undefined)(`the lease session ${skipReason ?? ''}`, () => {
  let url: string;
  const cleanup: Array<() => Promise<unknown>> = [];
  beforeAll(async () => {
    url = await freshDatabase('leasesession');
  });
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  it('takes and releases 50 leases requested at once without stacking queries on the session', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarning);
    cleanup.push(async () => process.off('warning', onWarning));
    const schema = freshSchema('l');
    await migrate({ connectionString: url, schema });
    const store = await postgresStore({ connectionString: url, schema, ownership: 'lease', nodeId: 'n1' });
    cleanup.push(() => store.close());
    const other = await postgresStore({ connectionString: url, schema, ownership: 'lease', nodeId: 'n2' });
    cleanup.push(() => other.close());
    const ids = Array.from({ length: 50 }, (_, i) => `counter/${i}`);
    const releases = await Promise.all(ids.map((id) => store.acquire?.(id)));
    expect(store.leases().sort()).toEqual([...ids].sort());
    // Held: the other node is refused, naming the holder.
    await expect(other.acquire?.('counter/7')).rejects.toMatchObject({ code: 'NOT_OWNER', owner: 'n1' });
    await Promise.all(releases.map((r) => r?.()));
    expect(store.leases()).toEqual([]);
    const again = await other.acquire?.('counter/7');
    await again?.();
    // Deprecation warnings are emitted asynchronously.
    await new Promise((r) => setImmediate(r));
    expect(warnings.filter((m) => m.includes('already executing a query'))).toEqual([]);
  });
});
