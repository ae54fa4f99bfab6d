/**
 * Issue 12's cases that live in core: every bad input is refused clearly before anything is
 * stored, and "zero" options mean "off".
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAggregate, memoryStore, type Runtime } from '../src/index.js';
import { counter } from './support/counter.js';
import { ProbeStore } from './support/probe-store.js';

const open: Runtime[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.shutdown();
});

async function start(options: Partial<Parameters<typeof createRuntime>[0]> = {}) {
  const rt = await createRuntime({ aggregates: [counter], ...options });
  open.push(rt);
  return rt;
}

describe('createRuntime checks every option at creation', () => {
  it.each([
    ['a logger that is a string', { logger: 'nope' }, /logger/],
    ['a logger without child()', { logger: { info() {}, warn() {} } }, /logger has no child/],
    ['a clock without methods', { clock: {} }, /clock has no now, setTimeout, clearTimeout/],
    ['a store without methods', { store: {} }, /store has no append/],
    ['a store without a snapshot store', { store: { ...memoryStore(), snapshots: undefined } }, /snapshots/],
    ['idleTimeoutMs past what timers allow', { idleTimeoutMs: 2 ** 31 }, /idleTimeoutMs .* 2147483647/],
    ['commandTimeoutMs past what timers allow', { commandTimeoutMs: 2 ** 40 }, /commandTimeoutMs/],
    ['a negative dedupeWindow', { dedupeWindow: -1 }, /dedupeWindow/],
  ])('refuses %s with INVALID_ARGUMENT naming it', async (_name, options, message) => {
    const attempt = createRuntime({ aggregates: [counter], ...(options as object) });
    await expect(attempt).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(message),
    });
  });

  it('accepts Infinity where it means "never" and a pino logger', async () => {
    const rt = await start({
      idleTimeoutMs: Infinity,
      commandTimeoutMs: Infinity,
      logger: pino({ level: 'silent' }),
    });
    expect((await rt.get(counter, 'c').execute({ type: 'add', by: 1 })).version).toBe(1);
  });

  it('refuses a shutdown timeout past what timers allow, and waits without a timer for Infinity', async () => {
    const rt = await createRuntime({ aggregates: [counter] });
    await expect(rt.shutdown({ timeoutMs: 2 ** 31 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await rt.shutdown({ timeoutMs: Infinity });
    expect(rt.closed).toBe(true);
  });
});

describe('ids every store can keep', () => {
  it.each([
    ['U+0000', 'a\u0000b'],
    ['a lone high surrogate', 'a\uD800'],
    ['a lone low surrogate', '\uDC00b'],
    ['the empty string', ''],
  ])('refuses an aggregate id with %s at runtime.get(), before any store sees it', async (_name, id) => {
    const rt = await start();
    expect(() => rt.get(counter, id)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('keeps ids with surrogate pairs and other Unicode', async () => {
    const h = (await start()).get(counter, 'kunde-😀-ü');
    expect((await h.execute({ type: 'add', by: 1 })).version).toBe(1);
  });

  it('refuses such an aggregate type at defineAggregate, and the memory store refuses such a stream id', async () => {
    expect(() => defineAggregate({ ...counter, type: 'a\u0000' })).toThrow(/U\+0000/);
    await expect(
      memoryStore().append('t/a\u0000', [{ data: { type: 'E' } }], { expectedVersion: 0 }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('idempotency', () => {
  it('refuses metadata keys the runtime owns, so a commandId cannot be forged through metadata', async () => {
    const rt = await start();
    const h = rt.get(counter, 'c');
    for (const key of ['commandId', 'codec', 'fingerprint', 'correlationId', 'causationId', 'tenantId']) {
      await expect(h.execute({ type: 'add', by: 1 }, { metadata: { [key]: 'pay-1' } })).rejects.toMatchObject(
        {
          code: 'INVALID_ARGUMENT',
          message: expect.stringContaining(`metadata.${key}`),
        },
      );
    }
    expect((await h.state()).version).toBe(0);
  });

  it('refuses the same commandId with a different command (IDEMPOTENCY_CONFLICT, not retryable), also after a restart; the same command gets the original result', async () => {
    const store = new ProbeStore(memoryStore(), { keepOnClose: true });
    const first = await start({ store });
    const original = await first.get(counter, 'c').execute({ type: 'add', by: 5 }, { commandId: 'pay-1' });
    expect(original.events[0]?.metadata.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    await first.shutdown();
    const h = (await start({ store })).get(counter, 'c');
    const conflict = await h
      .execute({ type: 'add', by: 500 }, { commandId: 'pay-1' })
      .catch((e: unknown) => e);
    expect(conflict).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT', commandId: 'pay-1' });
    const { isRetryable } = await import('../src/index.js');
    expect(isRetryable(conflict)).toBe(false);
    const again = await h.execute({ type: 'add', by: 5 }, { commandId: 'pay-1' });
    expect(again).toMatchObject({ deduplicated: true, version: 1, events: original.events });
    expect((await h.state()).state).toEqual({ n: 5, tags: [] });
  });

  it('stores a fingerprint only with a commandId (nothing to compare it with otherwise)', async () => {
    const h = (await start()).get(counter, 'c');
    const plain = await h.execute({ type: 'add', by: 1 });
    expect(plain.events[0]?.metadata).not.toHaveProperty('fingerprint');
    const keyed = await h.execute({ type: 'add', by: 1 }, { commandId: 'k1' });
    expect(keyed.events[0]?.metadata.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('gives the same fingerprint whatever the order of the command keys', async () => {
    const h = (await start()).get(counter, 'c');
    await h.execute({ type: 'add', by: 5, tag: 'x' }, { commandId: 'k' });
    const reordered = { tag: 'x', by: 5, type: 'add' } as const;
    expect((await h.execute(reordered, { commandId: 'k' })).deduplicated).toBe(true);
  });
});

describe('zero means off', () => {
  it('dedupeWindow: 0 remembers no commandId (a retry runs again)', async () => {
    const h = (await start({ dedupeWindow: 0 })).get(counter, 'c');
    await h.execute({ type: 'add', by: 1 }, { commandId: 'a' });
    const again = await h.execute({ type: 'add', by: 1 }, { commandId: 'a' });
    expect(again).toMatchObject({ deduplicated: false, version: 2 });
  });

  it('snapshots.every: 0 snapshots only on eviction and by hand', async () => {
    const store = new ProbeStore(memoryStore(), { keepOnClose: true });
    const manual = defineAggregate({ ...counter, type: 'manual', snapshots: { every: 0, schemaVersion: 1 } });
    const rt = await start({ store, aggregates: [manual] });
    const h = rt.get(manual, 'm');
    for (let i = 0; i < 5; i++) await h.execute({ type: 'add', by: 1 });
    expect(await store.snapshots.list('manual/m')).toEqual([]);
    expect(await rt.snapshot(manual, 'm')).toEqual({ version: 5, saved: true });
    await h.execute({ type: 'add', by: 1 });
    await rt.evict(manual, 'm');
    expect((await store.snapshots.list('manual/m')).map((s) => s.version)).toEqual([6, 5]);
  });
});
