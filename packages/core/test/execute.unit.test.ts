import { afterEach, describe, expect, it } from 'vitest';
import {
  createRuntime,
  defineAggregate,
  type ExecuteResult,
  isRejection,
  memoryStore,
  type Runtime,
  type StandardSchemaV1,
} from '../src/index.js';
import { type CounterState, counter } from './support/counter.js';
import { collect, ProbeStore, tagOf } from './support/probe-store.js';

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.shutdown();
  runtime = undefined;
});

async function start(store = new ProbeStore(memoryStore())) {
  runtime = await createRuntime({ store, aggregates: [counter] });
  return { runtime, store };
}

describe('execute', () => {
  it('appends what decide returns, folds it, and replies with events, version and state', async () => {
    const { runtime } = await start();
    const h = runtime.get(counter, 'c1');
    const r = await h.execute(
      { type: 'add', by: 2, tag: 'a' },
      { correlationId: 'corr', metadata: { user: 'u1' } },
    );
    expect(r.version).toBe(1);
    expect(r.deduplicated).toBe(false);
    expect(r.state).toEqual({ n: 2, tags: ['a'] });
    expect(r.events).toHaveLength(1);
    expect(r.events[0]).toMatchObject({
      streamId: 'counter/c1',
      aggregateType: 'counter',
      aggregateId: 'c1',
      version: 1,
      type: 'Added',
      data: { type: 'Added', by: 2, tag: 'a' },
      schemaVersion: 1,
      metadata: { correlationId: 'corr', user: 'u1' },
    });
    expect(await h.state()).toEqual({ state: { n: 2, tags: ['a'] }, version: 1 });
  });

  it('lands 1,000 concurrent commands on one aggregate in arrival order', async () => {
    const { runtime, store } = await start();
    const h = runtime.get(counter, 'c1');
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => h.execute({ type: 'add', by: 1, tag: String(i) })),
    );
    expect(results.map((r) => r.version)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    const stored = await collect(store.readStream('counter/c1'));
    expect(stored.map(tagOf)).toEqual(Array.from({ length: 1000 }, (_, i) => String(i)));
    expect(store.overlaps).toEqual([]);
  });

  it('runs commands for different aggregates concurrently', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const store = new ProbeStore(memoryStore(), {
      beforeAppend: (id) => (id === 'counter/slow' ? gate : undefined),
    });
    const { runtime } = await start(store);
    const slow = runtime.get(counter, 'slow').execute({ type: 'add', by: 1 });
    const fast = await runtime.get(counter, 'fast').execute({ type: 'add', by: 1 });
    expect(fast.version).toBe(1);
    release();
    expect((await slow).version).toBe(1);
  });

  it('treats an empty decision as a successful no-op that appends nothing', async () => {
    const { runtime, store } = await start();
    const r = await runtime.get(counter, 'c1').execute({ type: 'noop' });
    expect(r).toEqual({ events: [], version: 0, state: { n: 0, tags: [] }, deduplicated: false });
    expect(store.calls.append).toBe(0);
  });

  it('rejects through reject() with reason and details, appending nothing', async () => {
    const { runtime, store } = await start();
    const err = await runtime
      .get(counter, 'c1')
      .execute({ type: 'refuse' })
      .catch((e: unknown) => e);
    expect(isRejection(err)).toBe(true);
    expect(err).toMatchObject({ code: 'REJECTED', reason: 'refused', details: { why: 'test' } });
    expect(store.calls.append).toBe(0);
  });

  it('turns a throw in decide into DECIDE_FAILED and keeps the actor alive with its state', async () => {
    const { runtime } = await start();
    const h = runtime.get(counter, 'c1');
    await h.execute({ type: 'add', by: 5 });
    await expect(h.execute({ type: 'fail' })).rejects.toMatchObject({ code: 'DECIDE_FAILED' });
    expect(h.isAlive()).toBe(true);
    expect((await h.execute({ type: 'add', by: 1 })).state.n).toBe(6);
    expect(runtime.stats().crashes).toBe(0);
  });

  it('fails a decide that returns something other than an array of events, without appending', async () => {
    const bad = defineAggregate<object, { type: 'x' }, { type: 'X' }>({
      type: 'bad',
      initialState: () => ({}),
      decide: () => [{ kind: 'no type' }] as never,
      evolve: (s) => s,
    });
    runtime = await createRuntime({ aggregates: [bad] });
    await expect(runtime.get(bad, '1').execute({ type: 'x' })).rejects.toMatchObject({
      code: 'DECIDE_FAILED',
      message: expect.stringMatching(/array of objects with a string `type`/),
    });
  });

  it('checks expectedVersion against the fresh stream version', async () => {
    const { runtime } = await start();
    const h = runtime.get(counter, 'c1');
    await h.execute({ type: 'add', by: 1 }, { expectedVersion: 0 });
    await expect(h.execute({ type: 'add', by: 1 }, { expectedVersion: 0 })).rejects.toMatchObject({
      code: 'VERSION_CONFLICT',
      expected: 0,
      actual: 1,
    });
    expect((await h.execute({ type: 'add', by: 1 }, { expectedVersion: 1 })).version).toBe(2);
  });

  it.each([
    ['a non-object command', 'add'],
    ['a command without a string type', { by: 1 }],
    ['an array', [{ type: 'add' }]],
  ])('refuses %s with INVALID_COMMAND', async (_name, command) => {
    const { runtime } = await start();
    await expect(runtime.get(counter, 'c1').execute(command as never)).rejects.toMatchObject({
      code: 'INVALID_COMMAND',
    });
  });

  it.each([
    ['an empty commandId', { commandId: '' }],
    ['a negative expectedVersion', { expectedVersion: -1 }],
    ['a fractional expectedVersion', { expectedVersion: 1.5 }],
    ['metadata that is not an object', { metadata: 'x' }],
  ])('refuses %s with INVALID_ARGUMENT', async (_name, options) => {
    const { runtime } = await start();
    await expect(
      runtime.get(counter, 'c1').execute({ type: 'add', by: 1 }, options as never),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('validates commands with any Standard Schema validator and passes its output to decide', async () => {
    const positiveAdd: StandardSchemaV1<unknown, { type: 'add'; by: number }> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate(value) {
          const v = value as { type?: unknown; by?: unknown };
          if (v.type !== 'add' || typeof v.by !== 'string' || !(Number(v.by) > 0)) {
            return { issues: [{ message: 'by must be a positive number', path: ['by'] }] };
          }
          return { value: { type: 'add', by: Number(v.by) } }; // coerces, as zod's z.coerce would
        },
      },
    };
    const asyncSchema: typeof positiveAdd = {
      '~standard': {
        ...positiveAdd['~standard'],
        validate: async (v) => positiveAdd['~standard'].validate(v),
      },
    };
    for (const schema of [positiveAdd, asyncSchema]) {
      const summed = defineAggregate<
        { n: number },
        { type: 'add'; by: number },
        { type: 'Added'; by: number }
      >({
        type: 'summed',
        initialState: () => ({ n: 0 }),
        decide: (_s, c) => [{ type: 'Added', by: c.by }],
        evolve: (s, e) => ({ n: s.n + e.by }),
        validateCommand: schema,
      });
      const rt = await createRuntime({ aggregates: [summed] });
      const h = rt.get(summed, 's');
      expect((await h.execute({ type: 'add', by: '3' } as never)).state.n).toBe(3);
      const err = await h.execute({ type: 'add', by: -1 }).catch((e: unknown) => e);
      expect(err).toMatchObject({
        code: 'INVALID_COMMAND',
        issues: [{ message: 'by must be a positive number' }],
      });
      await rt.shutdown();
    }
  });

  it('injects pre-validated events through the actor, skipping decide', async () => {
    const { runtime } = await start();
    const h = runtime.get(counter, 'c1');
    const r = await h.inject([{ type: 'Added', by: 7, tag: 'imported' }], { commandId: 'import-1' });
    expect(r.version).toBe(1);
    expect(r.state).toEqual({ n: 7, tags: ['imported'] });
    const again = await h.inject([{ type: 'Added', by: 7, tag: 'imported' }], { commandId: 'import-1' });
    expect(again.deduplicated).toBe(true);
    await expect(h.inject([{ type: 'Added', by: 7 }], { commandId: 'import-1' })).rejects.toMatchObject({
      code: 'IDEMPOTENCY_CONFLICT',
    });
    await expect(h.inject([{ by: 1 }] as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('refresh before each command', () => {
  it('sees events another writer appended since the last command', async () => {
    const { runtime, store } = await start();
    const h = runtime.get(counter, 'c1');
    await h.execute({ type: 'add', by: 1 });
    await store.inner.append('counter/c1', [{ data: { type: 'Added', by: 10, tag: 'outside' } }], {
      expectedVersion: 1,
    });
    const r: ExecuteResult<CounterState> = await h.execute({ type: 'add', by: 100, tag: 'inside' });
    expect(r.version).toBe(3);
    expect(r.state).toEqual({ n: 111, tags: ['outside', 'inside'] });
  });

  it('reads nothing from the store when the store knows the head and nothing changed', async () => {
    const { runtime, store } = await start();
    const h = runtime.get(counter, 'c1');
    for (let i = 0; i < 100; i++) await h.execute({ type: 'add', by: 1 });
    expect(store.calls.readStream).toBe(0);
    expect(store.calls.streamVersion).toBe(0);
  });

  it('reads the stream from its own newest event before each command when the store cannot know the head (shared store): one read, never a head read first', async () => {
    const store = new ProbeStore(memoryStore(), { hideKnownVersion: true });
    const { runtime } = await start(store);
    const h = runtime.get(counter, 'c1');
    for (let i = 0; i < 10; i++) await h.execute({ type: 'add', by: 1 });
    expect(store.calls.readStream).toBeGreaterThanOrEqual(10);
    expect(store.calls.streamVersion).toBe(0);
  });

  it('re-decides on fresh state when another writer appends between refresh and append', async () => {
    let interfere = true;
    const inner = memoryStore();
    const store = new ProbeStore(inner, {
      hideKnownVersion: true,
      async beforeAppend(id) {
        if (!interfere) return;
        interfere = false;
        const v = await inner.streamVersion(id);
        await inner.append(id, [{ data: { type: 'Added', by: 1000, tag: 'racer' } }], { expectedVersion: v });
      },
    });
    const { runtime } = await start(store);
    const r = await runtime.get(counter, 'c1').execute({ type: 'add', by: 1, tag: 'mine' });
    expect(r.state).toEqual({ n: 1001, tags: ['racer', 'mine'] });
    expect(r.version).toBe(2);
    expect(runtime.stats().conflictRetries).toBe(1);
  });
});

describe('handles never throw synchronously', () => {
  it('rejects the promise when the validator throws or the store was closed under the runtime', async () => {
    const throwing = defineAggregate<object, { type: 'x' }, { type: 'X' }>({
      type: 'throwing',
      initialState: () => ({}),
      decide: () => [{ type: 'X' }],
      evolve: (s) => s,
      validateCommand: {
        '~standard': {
          version: 1,
          vendor: 'test',
          validate: () => {
            throw new Error('validator bug');
          },
        },
      },
    });
    const store = memoryStore();
    runtime = await createRuntime({ store, aggregates: [throwing, counter] });
    let promise: Promise<unknown> | undefined;
    expect(() => {
      promise = runtime?.get(throwing, '1').execute({ type: 'x' });
    }).not.toThrow();
    await expect(promise).rejects.toThrow('validator bug');
    await store.close();
    expect(() => {
      promise = runtime?.get(counter, '1').execute({ type: 'add', by: 1 });
    }).not.toThrow();
    await expect(promise).rejects.toMatchObject({ code: 'STORE_ERROR', reason: 'CLOSED' });
  });
});
