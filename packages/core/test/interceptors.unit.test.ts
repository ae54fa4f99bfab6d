import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AfterAppendContext,
  createRuntime,
  defineAggregate,
  type Interceptor,
  memoryStore,
  type RefusalContext,
  type Runtime,
  reject,
} from '../src/index.js';
import { type CounterCommand, type CounterEvent, type CounterState, counter } from './support/counter.js';
import { flush, ProbeStore } from './support/probe-store.js';

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.shutdown();
  runtime = undefined;
});

/** An interceptor that writes each hook call to `log` as `name:hook`. */
function recorder(name: string, log: string[]): Interceptor {
  return {
    name,
    beforeDecide: () => {
      log.push(`${name}:before`);
    },
    afterAppend: () => {
      log.push(`${name}:after`);
    },
    onRefusal: () => {
      log.push(`${name}:refusal`);
    },
  };
}

/** The counter with its own interceptors (the runtime's wrap them). */
function counterWith(interceptors: Interceptor<CounterState, CounterCommand, CounterEvent>[]) {
  return defineAggregate<CounterState, CounterCommand, CounterEvent>({
    type: 'counter',
    initialState: counter.initialState,
    decide: counter.decide,
    evolve: counter.evolve,
    interceptors,
  });
}

/** Resolves once pending microtasks and one macrotask ran (hooks run after the reply). */
const settle = () => new Promise((r) => setImmediate(r));

describe('interceptor order', () => {
  it('runs beforeDecide outside in (runtime then aggregate, each in order) and afterAppend inside out', async () => {
    const log: string[] = [];
    const def = counterWith([recorder('agg1', log), recorder('agg2', log)]);
    runtime = await createRuntime({
      aggregates: [def],
      interceptors: [recorder('rt1', log), recorder('rt2', log)],
    });
    await runtime.get(def, 'a').execute({ type: 'add', by: 1 });
    await settle();
    expect(log).toEqual([
      'rt1:before',
      'rt2:before',
      'agg1:before',
      'agg2:before',
      'agg2:after',
      'agg1:after',
      'rt2:after',
      'rt1:after',
    ]);
  });

  it('runs onRefusal inside out, once the refusal is settled', async () => {
    const log: string[] = [];
    const def = counterWith([recorder('agg', log)]);
    runtime = await createRuntime({ aggregates: [def], interceptors: [recorder('rt', log)] });
    const refused = runtime.get(def, 'a').execute({ type: 'refuse' });
    await expect(refused).rejects.toMatchObject({ code: 'REJECTED', reason: 'refused' });
    log.push('caller:rejected');
    await settle();
    expect(log).toEqual(['rt:before', 'agg:before', 'agg:refusal', 'rt:refusal', 'caller:rejected']);
  });

  it('gives beforeDecide the refreshed state and version, and lets it enrich the stored metadata', async () => {
    const seen: Array<{ n: number; version: number }> = [];
    const stamp: Interceptor<CounterState, CounterCommand, CounterEvent> = {
      beforeDecide(ctx) {
        seen.push({ n: ctx.state.n, version: ctx.version });
        ctx.metadata.receivedBy = 'api-1';
      },
    };
    const def = counterWith([stamp]);
    runtime = await createRuntime({ aggregates: [def] });
    const h = runtime.get(def, 'a');
    await h.execute({ type: 'add', by: 2 });
    const r = await h.execute({ type: 'add', by: 3 }, { correlationId: 'corr' });
    expect(seen).toEqual([
      { n: 0, version: 0 },
      { n: 2, version: 1 },
    ]);
    expect(r.events[0]?.metadata).toEqual({ correlationId: 'corr', receivedBy: 'api-1' });
    const stored = [];
    for await (const e of runtime.store.readStream('counter/a')) stored.push(e.metadata.receivedBy);
    expect(stored).toEqual(['api-1', 'api-1']);
  });
});

describe('metadata an interceptor keeps', () => {
  it('stores the metadata as it was when beforeDecide finished, whatever the interceptor changes later', async () => {
    let kept: Record<string, unknown> | undefined;
    const stamp: Interceptor = {
      beforeDecide(ctx) {
        ctx.metadata.user = { id: 'u1', roles: ['reader'] };
        kept = ctx.metadata;
      },
    };
    let open!: () => void;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const seen: unknown[] = [];
    const slow = defineAggregate<CounterState, CounterCommand, CounterEvent>({
      type: 'counter',
      initialState: counter.initialState,
      async decide(s, c, ctx) {
        await gate;
        seen.push(ctx.metadata.user);
        return counter.decide(s, c, ctx);
      },
      evolve: counter.evolve,
      interceptors: [stamp],
    });
    runtime = await createRuntime({ aggregates: [slow] });
    const sent = runtime.get(slow, 'a').execute({ type: 'add', by: 1 });
    await flush();
    expect(kept).toBeDefined();
    const user = (kept as { user: { id: string; roles: string[] } }).user;
    user.id = 'changed';
    user.roles.push('admin');
    (kept as Record<string, unknown>).later = true;
    open();
    const r = await sent;
    const expected = { user: { id: 'u1', roles: ['reader'] } };
    expect(seen).toEqual([expected.user]);
    expect(r.events[0]?.metadata).toEqual(expected);
    const stored = [];
    for await (const e of runtime.store.readStream('counter/a')) stored.push(e.metadata);
    expect(stored).toEqual([expected]);
  });
});

describe('refusals by an interceptor', () => {
  it('refuses a command with a Rejection: REJECTED to the caller, nothing stored, decide never called', async () => {
    let decided = 0;
    const def = defineAggregate<CounterState, CounterCommand, CounterEvent>({
      ...counterWith([]),
      decide: (s, c, ctx) => {
        decided++;
        return counter.decide(s, c, ctx);
      },
      interceptors: [
        {
          name: 'guard',
          beforeDecide: (ctx) => {
            if (ctx.metadata.tenantId !== 't1')
              reject('forbidden', 'wrong tenant', { tenant: ctx.metadata.tenantId });
          },
        },
      ],
    });
    runtime = await createRuntime({ aggregates: [def] });
    const h = runtime.get(def, 'a');
    await expect(h.execute({ type: 'add', by: 1 }, { tenantId: 't2' })).rejects.toMatchObject({
      code: 'REJECTED',
      reason: 'forbidden',
      details: { tenant: 't2' },
    });
    expect(decided).toBe(0);
    expect(await runtime.store.streamVersion('counter/a')).toBe(0);
    await h.execute({ type: 'add', by: 1 }, { tenantId: 't1' });
    expect(decided).toBe(1);
    expect(runtime.metrics().counters.commandsRejected).toBe(1);
    expect(runtime.metrics().byAggregateType.counter?.commandsRejected).toBe(1);
  });

  it('authorises a retry again: a refused retry of an accepted commandId gets no original result', async () => {
    let allow = true;
    const def = counterWith([
      {
        beforeDecide: () => {
          if (!allow) reject('forbidden');
        },
      },
    ]);
    runtime = await createRuntime({ aggregates: [def] });
    const h = runtime.get(def, 'a');
    await h.execute({ type: 'add', by: 1 }, { commandId: 'c1' });
    allow = false;
    await expect(h.execute({ type: 'add', by: 1 }, { commandId: 'c1' })).rejects.toMatchObject({
      code: 'REJECTED',
    });
    allow = true;
    const retry = await h.execute({ type: 'add', by: 1 }, { commandId: 'c1' });
    expect(retry.deduplicated).toBe(true);
  });
});

describe('errors inside an interceptor', () => {
  it('fails that one command with INTERCEPTOR_FAILED naming the interceptor; the actor lives on with its state', async () => {
    let armed = false;
    const def = counterWith([
      {
        name: 'buggy',
        beforeDecide: () => {
          if (armed) throw new TypeError('oops');
        },
      },
    ]);
    runtime = await createRuntime({ aggregates: [def] });
    const h = runtime.get(def, 'a');
    await h.execute({ type: 'add', by: 5 });
    armed = true;
    const error = await h.execute({ type: 'add', by: 1 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INTERCEPTOR_FAILED', interceptor: 'buggy', streamId: 'counter/a' });
    expect((error as Error).cause).toBeInstanceOf(TypeError);
    expect(h.isAlive()).toBe(true);
    const { counters } = runtime.metrics();
    expect(counters.crashes).toBe(0);
    expect(counters.commandsFailed).toBe(1);
    armed = false;
    const r = await h.execute({ type: 'add', by: 1 });
    expect(r.state.n).toBe(6);
    expect(r.version).toBe(2);
  });

  it('fails the command when an async beforeDecide rejects, and when one changes the commandId', async () => {
    const def = counterWith([
      {
        name: 'async-bug',
        beforeDecide: async (ctx) => {
          await Promise.resolve();
          if (ctx.command.type === 'noop') throw new Error('late bug');
          if (ctx.command.type === 'add' && ctx.command.by === 7) ctx.metadata.commandId = 'stolen';
        },
      },
    ]);
    runtime = await createRuntime({ aggregates: [def] });
    const h = runtime.get(def, 'a');
    await expect(h.execute({ type: 'noop' })).rejects.toMatchObject({ code: 'INTERCEPTOR_FAILED' });
    await expect(h.execute({ type: 'add', by: 7 }, { commandId: 'mine' })).rejects.toMatchObject({
      code: 'INTERCEPTOR_FAILED',
      interceptor: 'async-bug',
    });
    expect(await runtime.store.streamVersion('counter/a')).toBe(0);
    expect((await h.execute({ type: 'add', by: 1 })).version).toBe(1);
  });

  it('logs and counts a throwing afterAppend or onRefusal without touching the durable command', async () => {
    const lines: Array<{ msg: string; interceptor?: string }> = [];
    const logger = pino({ level: 'error' }, { write: (s: string) => lines.push(JSON.parse(s)) });
    const def = counterWith([
      {
        name: 'listener',
        afterAppend: () => {
          throw new Error('listener bug');
        },
        onRefusal: async () => {
          throw new Error('async listener bug');
        },
      },
    ]);
    runtime = await createRuntime({ aggregates: [def], logger });
    const h = runtime.get(def, 'a');
    const r = await h.execute({ type: 'add', by: 1 });
    expect(r.version).toBe(1);
    await expect(h.execute({ type: 'refuse' })).rejects.toMatchObject({ code: 'REJECTED' });
    await settle();
    expect(runtime.metrics().counters.listenerFailures).toBe(2);
    expect(lines.filter((l) => l.interceptor === 'listener').map((l) => l.msg)).toEqual([
      'interceptor afterAppend failed (ignored)',
      'interceptor onRefusal failed (ignored)',
    ]);
    expect((await h.state()).version).toBe(1);
    expect(h.isAlive()).toBe(true);
  });
});

describe('async beforeDecide', () => {
  it('is awaited in order: the next command of the aggregate waits for it, other aggregates do not', async () => {
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const def = counterWith([
      {
        beforeDecide: async (ctx) => {
          if (ctx.aggregateId === 'slow' && ctx.command.type === 'add' && ctx.command.tag === 'first')
            await gate;
          order.push(`${ctx.aggregateId}:${ctx.command.type === 'add' ? ctx.command.tag : '?'}`);
        },
      },
    ]);
    runtime = await createRuntime({ aggregates: [def] });
    const slow = runtime.get(def, 'slow');
    const first = slow.execute({ type: 'add', by: 1, tag: 'first' });
    const second = slow.execute({ type: 'add', by: 1, tag: 'second' });
    await runtime.get(def, 'fast').execute({ type: 'add', by: 1, tag: 'other' });
    expect(order).toEqual(['fast:other']);
    release();
    const [a, b] = await Promise.all([first, second]);
    expect(order).toEqual(['fast:other', 'slow:first', 'slow:second']);
    expect([a.version, b.version]).toEqual([1, 2]);
    expect(b.state.tags).toEqual(['first', 'second']);
  });

  it('awaits only what returns a promise: synchronous hooks keep a synchronous decide free of awaits', async () => {
    const seen: string[] = [];
    const def = counterWith([
      { beforeDecide: () => void seen.push('sync') },
      {
        beforeDecide: (ctx) =>
          ctx.command.type === 'noop' ? Promise.resolve().then(() => void seen.push('async')) : undefined,
      },
      { beforeDecide: () => void seen.push('after') },
    ]);
    runtime = await createRuntime({ aggregates: [def] });
    const h = runtime.get(def, 'a');
    await h.execute({ type: 'add', by: 1 });
    await h.execute({ type: 'noop' });
    expect(seen).toEqual(['sync', 'after', 'sync', 'async', 'after']);
  });
});

describe('afterAppend: at most once', () => {
  it('is called once per command that appended, never for a deduplicated retry, a no-op or a refusal', async () => {
    const calls: AfterAppendContext[] = [];
    const refusals: RefusalContext[] = [];
    runtime = await createRuntime({
      aggregates: [counter],
      interceptors: [
        {
          afterAppend: (ctx) => void calls.push(ctx),
          onRefusal: (ctx) => void refusals.push(ctx),
        },
      ],
    });
    const h = runtime.get(counter, 'a');
    await h.execute({ type: 'addTwice', by: 1 }, { commandId: 'c1' });
    await h.execute({ type: 'addTwice', by: 1 }, { commandId: 'c1' });
    await h.execute({ type: 'noop' });
    await h.inject([{ type: 'Added', by: 10 }]);
    await expect(h.execute({ type: 'fail' })).rejects.toMatchObject({ code: 'DECIDE_FAILED' });
    await settle();
    expect(calls.map((c) => [c.kind, c.command?.type, c.events.map((e) => e.version), c.version])).toEqual([
      ['execute', 'addTwice', [1, 2], 2],
      ['inject', undefined, [3], 3],
    ]);
    expect(calls[1]?.state).toEqual({ n: 12, tags: [] });
    expect(refusals.map((r) => [r.command?.type, (r.error as { code: string }).code, r.rejected])).toEqual([
      ['fail', 'DECIDE_FAILED', false],
    ]);
  });

  it('is not called again after a restart: an append whose process died before the hook is simply never notified', async () => {
    const store = memoryStore();
    const first = await createRuntime({ store, aggregates: [counter] });
    // The "process" that appended had no listener (or died before it ran): the event is durable.
    await first.get(counter, 'a').execute({ type: 'add', by: 1 });
    const calls: number[] = [];
    runtime = await createRuntime({
      store,
      aggregates: [counter],
      interceptors: [{ afterAppend: (ctx) => void calls.push(ctx.version) }],
    });
    const h = runtime.get(counter, 'a');
    expect((await h.state()).version).toBe(1);
    await h.execute({ type: 'add', by: 1 });
    await settle();
    // Recovery replays version 1 without calling the hook: only the new append is notified.
    expect(calls).toEqual([2]);
  });

  it('runs once the reply is settled, and a listener that never finishes holds up nothing', async () => {
    const log: string[] = [];
    runtime = await createRuntime({
      aggregates: [counter],
      interceptors: [
        {
          afterAppend: async (ctx) => {
            log.push(`listener:${ctx.version}`);
            await new Promise(() => {}); // never settles
          },
        },
      ],
    });
    const h = runtime.get(counter, 'a');
    const r1 = await h.execute({ type: 'add', by: 1 });
    log.push(`caller:${r1.version}`);
    const r2 = await h.execute({ type: 'add', by: 1 });
    log.push(`caller:${r2.version}`);
    expect(log).toEqual(['listener:1', 'caller:1', 'listener:2', 'caller:2']);
  });
});

describe('registration', () => {
  it('refuses interceptors that are not objects with function hooks', async () => {
    await expect(
      createRuntime({ aggregates: [counter], interceptors: [{ beforeDecide: 3 } as never] }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(() => counterWith('nope' as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('counts commands, latency and activations per aggregate type', async () => {
    const other = defineAggregate<{ n: number }, { type: 'x' }, { type: 'X' }>({
      type: 'other',
      initialState: () => ({ n: 0 }),
      decide: () => [{ type: 'X' }],
      evolve: (s) => ({ n: s.n + 1 }),
    });
    runtime = await createRuntime({ aggregates: [counter, other] });
    await runtime.get(counter, 'a').execute({ type: 'add', by: 1 });
    await runtime.get(counter, 'b').execute({ type: 'add', by: 1 });
    await expect(runtime.get(counter, 'a').execute({ type: 'fail' })).rejects.toThrow();
    const m = runtime.metrics().byAggregateType;
    expect(m.counter).toMatchObject({
      commandsOk: 2,
      commandsFailed: 1,
      commandsRejected: 0,
      activations: 2,
    });
    expect(m.counter?.latency.count).toBe(3);
    expect(m.other).toMatchObject({ commandsOk: 0, activations: 0, latency: { count: 0 } });
  });
});

describe('inside a batch', () => {
  it('runs beforeDecide per command on the state the batch reached, afterAppend per command once the append is durable', async () => {
    let open!: () => void;
    const held = new Promise<void>((r) => {
      open = r;
    });
    let appends = 0;
    const durable: number[] = [];
    const store = new ProbeStore(memoryStore(), {
      beforeAppend: async () => {
        if (appends++ === 0) await held;
      },
    });
    const log: string[] = [];
    const def = counterWith([
      {
        beforeDecide(ctx) {
          const tag = ctx.command.type === 'add' ? ctx.command.tag : ctx.command.type;
          log.push(`before ${tag} n=${ctx.state.n} v=${ctx.version}`);
          if (tag === 'w2') reject('not-w2');
          ctx.metadata.seenBy = tag;
        },
        afterAppend(ctx) {
          log.push(`after ${ctx.command?.type === 'add' ? ctx.command.tag : '?'} v=${ctx.version}`);
          durable.push(store.calls.append);
        },
        onRefusal(ctx) {
          log.push(`refused ${ctx.command?.type === 'add' ? ctx.command.tag : '?'}`);
        },
      },
    ]);
    runtime = await createRuntime({ store, aggregates: [def] });
    const h = runtime.get(def, 'c1');
    const running = h.execute({ type: 'add', by: 1, tag: 'r' });
    await flush();
    const waiting = ['w1', 'w2', 'w3'].map((tag) =>
      h.execute({ type: 'add', by: 10, tag }).catch((e: { code: string }) => e.code),
    );
    open();
    await running;
    const results = await Promise.all(waiting);
    expect(results[1]).toBe('REJECTED');
    // One append for the three waiting commands: the batch.
    expect(store.calls.append).toBe(2);
    expect(log).toEqual([
      'before r n=0 v=0',
      'after r v=1',
      'before w1 n=1 v=1',
      'before w2 n=11 v=2',
      'before w3 n=11 v=2',
      'after w1 v=2',
      'refused w2',
      'after w3 v=3',
    ]);
    expect(durable).toEqual([1, 2, 2]);
    const stored = [];
    for await (const e of runtime.store.readStream('counter/c1')) stored.push(e.metadata.seenBy);
    expect(stored).toEqual(['r', 'w1', 'w3']);
  });

  it('runs beforeDecide once per command when another writer forces the batch to be decided again', async () => {
    const inner = memoryStore();
    let interfered = false;
    const store = new ProbeStore(inner, {
      beforeAppend: async () => {
        if (interfered) return;
        interfered = true;
        // Another writer gets there first: the actor's append conflicts, it catches up and decides again.
        await inner.append('counter/c1', [{ data: { type: 'Added', by: 100 } }], { expectedVersion: 0 });
      },
    });
    const before: number[] = [];
    const after: number[] = [];
    const def = counterWith([
      {
        beforeDecide: (ctx) => {
          before.push(ctx.version);
          ctx.metadata.checked = true;
        },
        afterAppend: (ctx) => void after.push(ctx.version),
      },
    ]);
    runtime = await createRuntime({ store, aggregates: [def] });
    const r = await runtime.get(def, 'c1').execute({ type: 'add', by: 1 });
    await settle();
    expect(r).toMatchObject({ version: 2, state: { n: 101 } });
    expect(runtime.metrics().counters.conflictRetries).toBe(1);
    expect(before).toEqual([0]);
    expect(after).toEqual([2]);
    expect(r.events[0]?.metadata.checked).toBe(true);
  });
});
