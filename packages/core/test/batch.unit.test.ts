/**
 * Batched appends on one aggregate (docs/architecture.md, "Batches"): the commands waiting in an
 * actor's mailbox are decided together, each on the state the ones before it leave, and stored
 * in one append; every caller is answered once that append is durable.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createRuntime,
  defineAggregate,
  type ExecuteResult,
  memoryStore,
  type Runtime,
  type RuntimeOptions,
  SimulatedClock,
  StoreError,
} from '../src/index.js';
import { counter } from './support/counter.js';
import { collect, flush, ProbeStore, tagOf } from './support/probe-store.js';

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.shutdown({ timeoutMs: 1000 });
  runtime = undefined;
});

/** A promise to hold an append on until `open()`. */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

/**
 * A runtime whose first append waits for `first.open()`, so the commands sent meanwhile queue
 * up behind it and form the next batch. The append numbered `control.failAt` (0-based) fails
 * with a StoreError; `control.beforeAppend` runs before each append.
 */
async function held(options: Partial<RuntimeOptions> = {}, hooks: { hideKnownVersion?: boolean } = {}) {
  const first = gate();
  let appends = 0;
  const control = {
    failAt: -1,
    beforeAppend: undefined as (() => Promise<void>) | undefined,
  };
  const store = new ProbeStore(memoryStore(), {
    ...hooks,
    beforeAppend: async () => {
      const n = appends++;
      if (n === 0) await first.promise;
      await control.beforeAppend?.();
      if (n === control.failAt) throw new StoreError('IO', 'disk unplugged');
    },
  });
  runtime = await createRuntime({ store, aggregates: [counter], ...options });
  return { runtime, store, first, control, h: runtime.get(counter, 'c1') };
}

/** Settles every promise, keeping outcomes: `{ ok }` or `{ err }` with the error's code. */
function outcomes(ps: Promise<ExecuteResult>[]) {
  return Promise.all(
    ps.map((p) =>
      p.then(
        (ok) => ({ ok }),
        (err: { code?: string }) => ({ err: err.code }),
      ),
    ),
  );
}

const add = (tag: string, by = 1) => ({ type: 'add' as const, by, tag });

describe('batched appends', () => {
  it('stores the commands waiting in one mailbox with one append, each decided on the state the ones before it leave', async () => {
    const { store, first, h } = await held();
    const running = h.execute(add('r'));
    await flush();
    const waiting = Array.from({ length: 10 }, (_, i) => h.execute(add(`w${i}`, i + 1)));
    first.open();
    await running;
    const results = await Promise.all(waiting);
    expect(store.calls.append).toBe(2);
    expect(results.map((r) => r.version)).toEqual(Array.from({ length: 10 }, (_, i) => i + 2));
    // Each caller gets the state right after its own command, and its own events only.
    let n = 1;
    results.forEach((r, i) => {
      n += i + 1;
      expect(r.state.n).toBe(n);
      expect(r.events.map((e) => [e.version, tagOf(e)])).toEqual([[i + 2, `w${i}`]]);
    });
    const stored = await collect(store.readStream('counter/c1'));
    expect(stored.map(tagOf)).toEqual(['r', ...Array.from({ length: 10 }, (_, i) => `w${i}`)]);
    expect(runtime?.metrics().counters.batches).toBe(2);
    expect(runtime?.metrics().batchSize).toMatchObject({ count: 2, min: 1, max: 10 });
  });

  it('keeps each command’s own metadata (commandId, fingerprint, correlation) on its events', async () => {
    const { store, first, h } = await held();
    const running = h.execute(add('r'));
    await flush();
    const a = h.execute(add('a'), { commandId: 'id-a', correlationId: 'corr-a' });
    const b = h.execute(add('b'), { causationId: 'cause-b', metadata: { user: 'u' } });
    first.open();
    await Promise.all([running, a, b]);
    const [, ea, eb] = await collect(store.readStream('counter/c1'));
    expect(ea?.metadata).toMatchObject({ commandId: 'id-a', correlationId: 'corr-a' });
    expect(typeof ea?.metadata.fingerprint).toBe('string');
    expect(eb?.metadata).toEqual({ causationId: 'cause-b', user: 'u' });
  });

  it('batches injected events the same way, each inject with its own metadata', async () => {
    const { store, first, h } = await held();
    const running = h.execute(add('r'));
    await flush();
    const a = h.inject([{ type: 'Added', by: 2, tag: 'ia' }], { commandId: 'inj-a' });
    const b = h.execute(add('b'));
    const c = h.inject([{ type: 'Added', by: 3, tag: 'ic' }], { correlationId: 'corr-c' });
    first.open();
    await running;
    const [ra, rb, rc] = await Promise.all([a, b, c]);
    expect([ra.version, rb.version, rc.version]).toEqual([2, 3, 4]);
    expect(rc.state).toEqual({ n: 1 + 2 + 1 + 3, tags: ['r', 'ia', 'b', 'ic'] });
    expect(store.calls.append).toBe(2);
    const stored = await collect(store.readStream('counter/c1'));
    expect(stored[1]?.metadata.commandId).toBe('inj-a');
    expect(stored[3]?.metadata).toEqual({ correlationId: 'corr-c' });
  });

  it('awaits an async decide inside a batch, in order, each on the state the ones before it leave', async () => {
    const slow = defineAggregate<
      { seen: number[] },
      { type: 'push'; n: number },
      { type: 'Pushed'; n: number; after: number }
    >({
      type: 'slow',
      initialState: () => ({ seen: [] }),
      async decide(state, cmd) {
        // Later commands resolve sooner: order must still follow the mailbox.
        await new Promise((r) => setTimeout(r, 10 - cmd.n));
        return [{ type: 'Pushed', n: cmd.n, after: state.seen.length }];
      },
      evolve: (state, e) => ({ seen: [...state.seen, e.n] }),
    });
    const first = gate();
    let appends = 0;
    const store = new ProbeStore(memoryStore(), {
      beforeAppend: async () => {
        if (appends++ === 0) await first.promise;
      },
    });
    runtime = await createRuntime({ store, aggregates: [slow] });
    const h = runtime.get(slow, 's');
    const running = h.execute({ type: 'push', n: 0 });
    await new Promise((r) => setTimeout(r, 30));
    const waiting = [1, 2, 3, 4].map((n) => h.execute({ type: 'push', n }));
    first.open();
    await running;
    const results = await Promise.all(waiting);
    expect(results.map((r) => r.events[0]?.data)).toEqual(
      [1, 2, 3, 4].map((n) => ({ type: 'Pushed', n, after: n })),
    );
    expect(results.at(-1)?.state).toEqual({ seen: [0, 1, 2, 3, 4] });
    expect(store.calls.append).toBe(2);
  });

  it('maxBatchCommands: 1 stores every command with its own append (the behaviour before batches)', async () => {
    const { store, first, h } = await held({ maxBatchCommands: 1 });
    const all = Array.from({ length: 6 }, (_, i) => h.execute(add(`c${i}`)));
    first.open();
    expect((await Promise.all(all)).map((r) => r.version)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(store.calls.append).toBe(6);
    expect(runtime?.metrics().batchSize).toMatchObject({ count: 6, max: 1 });
  });

  it('takes at most maxBatchCommands commands into one batch', async () => {
    const { store, first, h } = await held({ maxBatchCommands: 4 });
    const running = h.execute(add('r'));
    await flush();
    const waiting = Array.from({ length: 10 }, (_, i) => h.execute(add(`w${i}`)));
    first.open();
    await Promise.all([running, ...waiting]);
    expect(store.calls.append).toBe(1 + 3); // 4 + 4 + 2
    expect(runtime?.metrics().batchSize.max).toBe(4);
  });

  it('splits a batch by maxBatchBytes, and runs a command larger than the limit alone', async () => {
    const { store, first, h } = await held({ maxBatchBytes: 200 });
    const running = h.execute(add('r'));
    await flush();
    const big = 'x'.repeat(500);
    // Each small event is about 45 bytes of JSON: four fit in 200, a fifth does not.
    const waiting = [
      ...Array.from({ length: 6 }, (_, i) => h.execute(add(`s${i}`))),
      h.execute(add(big)),
      h.execute(add('after')),
    ];
    first.open();
    const results = await Promise.all([running, ...waiting]);
    expect(results.map((r) => r.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // r | s0..s3 | s4 s5 | big | after
    expect(store.calls.append).toBe(5);
    const tags = (await collect(store.readStream('counter/c1'))).map(tagOf);
    expect(tags).toEqual(['r', 's0', 's1', 's2', 's3', 's4', 's5', big, 'after']);
  });

  it('fails a refused command alone: rejection, decide failure, a wrong expectedVersion, a reused commandId; the others are stored', async () => {
    const { store, first, h } = await held();
    const running = h.execute(add('r'), { commandId: 'known' });
    await flush();
    const waiting = [
      h.execute(add('a')), // lands at 2
      h.execute({ type: 'refuse' }),
      h.execute(add('b')), // lands at 3
      h.execute({ type: 'fail' }),
      h.execute(add('c'), { expectedVersion: 3 }), // lands at 4: matches the version it lands on
      h.execute(add('d'), { expectedVersion: 1 }), // the stream will be at 4 by then
      h.execute(add('other'), { commandId: 'known' }), // a different command under an accepted id
      h.execute(add('r'), { commandId: 'known' }), // a retry of the accepted one
      h.execute(add('e')), // lands at 5
    ];
    first.open();
    await running;
    const got = await outcomes(waiting);
    expect(got.map((o) => ('ok' in o ? o.ok.version : o.err))).toEqual([
      2,
      'REJECTED',
      3,
      'DECIDE_FAILED',
      4,
      'VERSION_CONFLICT',
      'IDEMPOTENCY_CONFLICT',
      1,
      5,
    ]);
    const retry = got[7] as { ok: ExecuteResult };
    expect(retry.ok.deduplicated).toBe(true);
    expect(retry.ok.events.map(tagOf)).toEqual(['r']);
    expect((await collect(store.readStream('counter/c1'))).map(tagOf)).toEqual(['r', 'a', 'b', 'c', 'e']);
    expect(store.calls.append).toBe(2);
  });

  it('answers a commandId used twice in one batch: the second is a duplicate of the first, or a conflict if it differs', async () => {
    const { store, first, h } = await held();
    const running = h.execute(add('r'));
    await flush();
    const waiting = [
      h.execute(add('x'), { commandId: 'twice' }),
      h.execute(add('x'), { commandId: 'twice' }),
      h.execute(add('y'), { commandId: 'twice' }),
      h.execute({ type: 'noop' }, { commandId: 'none' }),
      h.execute({ type: 'noop' }, { commandId: 'none' }),
    ];
    first.open();
    await running;
    const [x1, x2, y, n1, n2] = await outcomes(waiting);
    expect(x1).toMatchObject({ ok: { version: 2, deduplicated: false } });
    expect(x2).toMatchObject({ ok: { version: 2, deduplicated: true } });
    if (x1 && 'ok' in x1 && x2 && 'ok' in x2) expect(x2.ok.events).toEqual(x1.ok.events);
    expect(y).toEqual({ err: 'IDEMPOTENCY_CONFLICT' });
    expect(n1).toMatchObject({ ok: { version: 2, deduplicated: false, events: [] } });
    expect(n2).toMatchObject({ ok: { version: 2, deduplicated: true, events: [] } });
    expect((await collect(store.readStream('counter/c1'))).map(tagOf)).toEqual(['r', 'x']);
    // After the batch, the id is remembered like any other.
    expect(await h.execute(add('x'), { commandId: 'twice' })).toMatchObject({
      deduplicated: true,
      version: 2,
    });
  });

  it('fails every command of a batch when its append fails, and leaves state, version and dedupe window as they were', async () => {
    const { store, first, control, h } = await held();
    control.failAt = 1;
    const running = h.execute(add('r'));
    await flush();
    const waiting = [
      h.execute(add('a'), { commandId: 'a' }),
      h.execute({ type: 'refuse' }), // decided on state holding 'a', which never became true
      h.execute({ type: 'noop' }, { commandId: 'n' }),
      h.execute(add('b')),
    ];
    first.open();
    await running;
    expect(await outcomes(waiting)).toEqual([
      { err: 'STORE_ERROR' },
      { err: 'STORE_ERROR' },
      { err: 'STORE_ERROR' },
      { err: 'STORE_ERROR' },
    ]);
    expect(await h.state()).toEqual({ version: 1, state: { n: 1, tags: ['r'] } });
    // Nothing of the failed batch was remembered: the same commandIds run anew.
    expect(await h.execute(add('a'), { commandId: 'a' })).toMatchObject({ version: 2, deduplicated: false });
    expect(await h.execute({ type: 'noop' }, { commandId: 'n' })).toMatchObject({ deduplicated: false });
    expect((await collect(store.readStream('counter/c1'))).map(tagOf)).toEqual(['r', 'a']);
  });

  it('on another writer’s conflict, catches up and decides the whole batch again; commands with an expectedVersion fail with the conflict', async () => {
    const { store, first, control, h } = await held({}, { hideKnownVersion: true });
    let appends = 0;
    control.beforeAppend = async () => {
      // Another writer appends right before the batch's append: it conflicts.
      if (++appends !== 2) return;
      await store.inner.append('counter/c1', [{ data: { type: 'Added', by: 100, tag: 'other' } }], {
        expectedVersion: 1,
      });
    };
    const running = h.execute(add('r'));
    await flush();
    const waiting = [
      h.execute(add('a')),
      h.execute(add('b'), { expectedVersion: 2 }), // matched before the other writer's event
      h.execute(add('c'), { commandId: 'c' }),
    ];
    first.open();
    await running;
    const got = await outcomes(waiting);
    expect(got[0]).toMatchObject({ ok: { version: 3, state: { n: 102 } } });
    expect(got[1]).toEqual({ err: 'VERSION_CONFLICT' });
    expect(got[2]).toMatchObject({ ok: { version: 4 } });
    expect((await collect(store.readStream('counter/c1'))).map(tagOf)).toEqual(['r', 'other', 'a', 'c']);
    expect(runtime?.metrics().counters.conflictRetries).toBe(1);
  });

  it('fails every command of the batch with ACTOR_CRASHED when evolve throws, and stores none of them', async () => {
    const { store, first, h } = await held();
    const running = h.execute(add('r'));
    await flush();
    const waiting = [h.execute(add('a')), h.execute({ type: 'poison' }), h.execute(add('b'))];
    first.open();
    await running;
    expect(await outcomes(waiting)).toEqual([
      { err: 'ACTOR_CRASHED' },
      { err: 'ACTOR_CRASHED' },
      { err: 'ACTOR_CRASHED' },
    ]);
    expect((await collect(store.readStream('counter/c1'))).map(tagOf)).toEqual(['r']);
    expect(await h.execute(add('next'))).toMatchObject({ version: 2 });
  });

  it('ends a batch at a state request, so it sees exactly the commands sent before it', async () => {
    const { first, h } = await held();
    const running = h.execute(add('r'));
    await flush();
    const a = h.execute(add('a'));
    const state = h.state();
    const b = h.execute(add('b'));
    first.open();
    await Promise.all([running, a, b]);
    expect(await state).toMatchObject({ version: 2, state: { tags: ['r', 'a'] } });
  });
});

describe('onMailboxFull', () => {
  it("'fail' (the default) refuses a command past mailboxCapacity with MAILBOX_FULL", async () => {
    const { first, h } = await held({ mailboxCapacity: 2 });
    const all = Array.from({ length: 4 }, (_, i) => h.execute(add(`c${i}`)));
    first.open();
    const got = await outcomes(all);
    expect(got.map((o) => ('ok' in o ? 'ok' : o.err))).toEqual(['ok', 'ok', 'MAILBOX_FULL', 'MAILBOX_FULL']);
  });

  it("'wait' lets callers wait for room, first come first served", async () => {
    const { store, first, h } = await held({ mailboxCapacity: 2, onMailboxFull: 'wait' });
    const all = Array.from({ length: 12 }, (_, i) => h.execute(add(`c${i}`)));
    await flush();
    expect(runtime?.metrics().gauges.mailboxWaiting).toBe(10);
    first.open();
    const results = await Promise.all(all);
    expect(results.map((r) => r.version)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect((await collect(store.readStream('counter/c1'))).map(tagOf)).toEqual(
      Array.from({ length: 12 }, (_, i) => `c${i}`),
    );
    expect(runtime?.metrics().counters.mailboxWaits).toBe(10);
    expect(runtime?.metrics().gauges.mailboxWaiting).toBe(0);
  });

  it("'wait' gives up after the command timeout with COMMAND_TIMEOUT, and the timed-out command never runs", async () => {
    const clock = new SimulatedClock();
    const { store, first, h } = await held({
      mailboxCapacity: 1,
      onMailboxFull: 'wait',
      clock,
      commandTimeoutMs: 500,
    });
    const running = h.execute(add('running'));
    const waiting = h.execute(add('waiting'));
    await flush();
    clock.advance(500);
    await expect(waiting).rejects.toMatchObject({ code: 'COMMAND_TIMEOUT' });
    first.open();
    await running.catch(() => undefined); // timed out too, but it had started: it lands
    expect(await h.execute(add('later'))).toMatchObject({ version: 2 });
    expect((await collect(store.readStream('counter/c1'))).map(tagOf)).toEqual(['running', 'later']);
  });

  it("'wait': callers waiting for an actor that crashes are served, in order, by its successor", async () => {
    const { store, first, h } = await held({ mailboxCapacity: 1, onMailboxFull: 'wait' });
    const running = h.execute(add('r'));
    const poisoned = h.execute({ type: 'poison' });
    const waiting = [h.execute(add('w1')), h.execute(add('w2'))];
    await flush();
    expect(runtime?.metrics().gauges.mailboxWaiting).toBe(3);
    first.open();
    await running;
    await expect(poisoned).rejects.toMatchObject({ code: 'ACTOR_CRASHED' });
    expect((await Promise.all(waiting)).map((r) => r.version)).toEqual([2, 3]);
    expect((await collect(store.readStream('counter/c1'))).map(tagOf)).toEqual(['r', 'w1', 'w2']);
    expect(runtime?.metrics().counters.crashes).toBe(1);
  });

  it("'wait': callers waiting for an actor that is evicted are served, in order, by its successor", async () => {
    const { store, first, h } = await held({ mailboxCapacity: 1, onMailboxFull: 'wait' });
    const busy = h.execute(add('busy'));
    const behind = [h.execute(add('e1')), h.execute(add('e2'))];
    await flush();
    const evicted = runtime?.evict(counter, 'c1');
    first.open();
    await Promise.all([busy, evicted]);
    expect((await Promise.all(behind)).map((r) => r.version)).toEqual([2, 3]);
    expect((await collect(store.readStream('counter/c1'))).map(tagOf)).toEqual(['busy', 'e1', 'e2']);
    expect(runtime?.metrics().counters.evictions).toBe(1);
  });

  it("'wait': shutdown fails the callers still waiting with RUNTIME_CLOSED", async () => {
    const { first, h } = await held({ mailboxCapacity: 1, onMailboxFull: 'wait' });
    const running = h.execute(add('running'));
    const waiting = h.execute(add('waiting'));
    await flush();
    const closing = runtime?.shutdown();
    await expect(waiting).rejects.toMatchObject({ code: 'RUNTIME_CLOSED' });
    first.open();
    await running;
    await closing;
  });
});

describe('batch options', () => {
  it.each([
    [{ maxBatchCommands: 0 }, /maxBatchCommands must be a positive integer, got 0/],
    [{ maxBatchCommands: 1.5 }, /maxBatchCommands/],
    [{ maxBatchBytes: 0 }, /maxBatchBytes must be a positive integer \(bytes\) or Infinity, got 0/],
    [{ maxBatchBytes: Number.NaN }, /maxBatchBytes/],
    [{ onMailboxFull: 'block' }, /onMailboxFull must be 'fail' or 'wait', got block/],
  ])('refuses %o with INVALID_ARGUMENT naming it', async (options, message) => {
    await expect(createRuntime({ aggregates: [counter], ...(options as object) })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(message),
    });
  });
});
