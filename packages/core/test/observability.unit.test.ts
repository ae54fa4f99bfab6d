import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, memoryStore, type Runtime, SimulatedClock, type WatchUpdate } from '../src/index.js';
import { type CounterState, counter } from './support/counter.js';
import { flush, ProbeStore } from './support/probe-store.js';

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.shutdown();
  runtime = undefined;
});

describe('handles', () => {
  it('are cheap values: by definition, by type name or by identity, all reaching the same actor', async () => {
    runtime = await createRuntime({ aggregates: [counter] });
    const a = runtime.get(counter, 'x');
    expect(a.identity).toEqual({ type: 'counter', id: 'x' });
    expect(JSON.parse(JSON.stringify(a.identity))).toEqual(a.identity);
    expect(Object.isFrozen(a)).toBe(true);
    await a.execute({ type: 'add', by: 1 });
    expect((await runtime.get('counter', 'x').state()).version).toBe(1);
    expect((await runtime.get(a.identity).state()).version).toBe(1);
    expect(runtime.get(counter, 'never-used').isAlive()).toBe(false);
  });

  it('refuses unknown types with UNKNOWN_AGGREGATE and empty ids with INVALID_ARGUMENT', async () => {
    runtime = await createRuntime({ aggregates: [counter] });
    const rt = runtime;
    expect(() => rt.get('nope', '1')).toThrow(expect.objectContaining({ code: 'UNKNOWN_AGGREGATE' }));
    expect(() => rt.get(counter, '')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => rt.get({ type: 'counter', id: 3 } as never)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('createRuntime options', () => {
  it.each([
    ['mailboxCapacity 0', { mailboxCapacity: 0 }],
    ['maxConcurrentRecoveries 1.5', { maxConcurrentRecoveries: 1.5 }],
    ['negative commandTimeoutMs', { commandTimeoutMs: -1 }],
    ['idleTimeoutMs 0', { idleTimeoutMs: 0 }],
    ['a duplicate aggregate type', { aggregates: [counter, counter] }],
    ['a hand-made definition', { aggregates: [{ type: 'x', decide() {}, evolve() {} }] }],
  ])('refuses %s with INVALID_ARGUMENT', async (_name, extra) => {
    await expect(createRuntime({ aggregates: [counter], ...extra } as never)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('watch', () => {
  it('yields the state now, then after each change: never a version twice, never backwards, reaching the latest', async () => {
    runtime = await createRuntime({ aggregates: [counter] });
    const h = runtime.get(counter, 'w');
    await h.execute({ type: 'add', by: 1 });
    const seen: WatchUpdate<CounterState>[] = [];
    const watching = (async () => {
      for await (const u of h.watch()) {
        seen.push(u);
        await flush(); // a slow reader
        if (u.version === 51) break;
      }
    })();
    for (let i = 0; i < 50; i++) await h.execute({ type: 'add', by: 1 });
    await watching;
    const versions = seen.map((u) => u.version);
    expect(versions[0]).toBe(1);
    expect(versions.at(-1)).toBe(51);
    expect(versions.every((v, i) => i === 0 || v > (versions[i - 1] as number))).toBe(true);
    expect(seen.at(-1)?.state.n).toBe(51);
  });

  it('keeps watching across eviction and respawn, and ends when the runtime shuts down', async () => {
    runtime = await createRuntime({ aggregates: [counter] });
    const h = runtime.get(counter, 'w');
    const seen: number[] = [];
    const watching = (async () => {
      for await (const u of h.watch()) seen.push(u.version);
    })();
    await flush();
    await h.execute({ type: 'add', by: 1 });
    await runtime.evict(counter, 'w');
    await h.execute({ type: 'add', by: 1 });
    await flush();
    await runtime.shutdown();
    await watching;
    expect(seen).toEqual([0, 1, 2]);
  });

  it('delivers a change that lands while the watch is being set up', async () => {
    runtime = await createRuntime({ aggregates: [counter] });
    const h = runtime.get(counter, 'w');
    const it = h.watch()[Symbol.asyncIterator]();
    const first = it.next(); // registers, then queues a state read behind...
    const racing = h.execute({ type: 'add', by: 1 }); // ...this command, already on its way
    await racing;
    const seen = [(await first).value?.version];
    if (seen[0] !== 1) seen.push((await it.next()).value?.version);
    expect(seen.at(-1)).toBe(1);
    await it.return?.();
  });
});

describe('metrics and logs', () => {
  it('counts commands by outcome and reports latency percentiles', async () => {
    runtime = await createRuntime({ aggregates: [counter] });
    const h = runtime.get(counter, 'm');
    for (let i = 0; i < 20; i++) await h.execute({ type: 'add', by: 1 });
    await h.execute({ type: 'refuse' }).catch(() => {});
    await h.execute({ type: 'fail' }).catch(() => {});
    const m = runtime.metrics();
    expect(m.counters).toMatchObject({
      commandsOk: 20,
      commandsRejected: 1,
      commandsFailed: 1,
      eventsAppended: 20,
    });
    expect(m.gauges).toMatchObject({ liveActors: 1, mailboxDepth: 0 });
    expect(m.latency.command.count).toBe(22);
    expect(m.latency.command.p50).toBeGreaterThan(0);
    expect(m.latency.command.p99).toBeGreaterThanOrEqual(m.latency.command.p50);
  });

  it('logs activation, eviction and crashes through child loggers naming the aggregate', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s)) });
    const store = new ProbeStore(memoryStore());
    await store.inner.append('counter/l', [{ data: { type: 'Added', by: 1 } }], { expectedVersion: 0 });
    runtime = await createRuntime({ aggregates: [counter], logger, store });
    const h = runtime.get(counter, 'l');
    await h.execute({ type: 'add', by: 1 });
    await runtime.evict(counter, 'l');
    await h.execute({ type: 'poison' }).catch(() => {});
    const msgs = lines.map((l) => `${l.msg}:${l.aggregateId}`);
    expect(msgs).toEqual(expect.arrayContaining(['activated:l', 'evicted:l', 'actor crashed:l']));
    expect(lines.find((l) => l.msg === 'actor crashed')).toMatchObject({
      level: 50,
      aggregateType: 'counter',
    });
  });

  it('warns about slow commands', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'warn' }, { write: (s: string) => lines.push(JSON.parse(s)) });
    const store = new ProbeStore(memoryStore(), {
      beforeAppend: () => new Promise((r) => setTimeout(r, 30)),
    });
    runtime = await createRuntime({
      aggregates: [counter],
      logger,
      store,
      slowCommandMs: 20,
      clock: new SimulatedClock(),
    });
    await runtime.get(counter, 's').execute({ type: 'add', by: 1 });
    expect(lines.find((l) => l.msg === 'slow command')).toMatchObject({ command: 'add', aggregateId: 's' });
  });

  it('lists resident actors with status, version and mailbox depth', async () => {
    const clock = new SimulatedClock(1000);
    runtime = await createRuntime({ aggregates: [counter], clock });
    await runtime.get(counter, 'a').execute({ type: 'add', by: 1 });
    await flush();
    clock.advance(250);
    expect(runtime.actors()).toEqual([
      {
        type: 'counter',
        id: 'a',
        streamId: 'counter/a',
        status: 'ready',
        version: 1,
        mailboxDepth: 0,
        idleForMs: 250,
      },
    ]);
  });
});
