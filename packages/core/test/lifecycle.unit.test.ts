import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAggregate, memoryStore, type Runtime, SimulatedClock } from '../src/index.js';
import { counter, crashSwitch } from './support/counter.js';
import { collect, flush, ProbeStore, tagOf } from './support/probe-store.js';

let runtime: Runtime | undefined;
afterEach(async () => {
  crashSwitch.armed = 0;
  await runtime?.shutdown({ timeoutMs: 100 });
  runtime = undefined;
});

/** A gate that holds appends (or reads) until opened. */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

describe('idle eviction', () => {
  it('evicts an actor after idleTimeoutMs without requests, and the next call respawns it with its state', async () => {
    const clock = new SimulatedClock();
    runtime = await createRuntime({ aggregates: [counter], clock, idleTimeoutMs: 1000 });
    const h = runtime.get(counter, 'c1');
    await h.execute({ type: 'add', by: 3 });
    await flush(); // the actor goes idle just after it replied
    clock.advance(999);
    expect(h.isAlive()).toBe(true);
    clock.advance(1);
    await flush();
    expect(h.isAlive()).toBe(false);
    expect(runtime.stats()).toMatchObject({ liveActors: 0, evictions: 1 });
    const r = await h.execute({ type: 'add', by: 1 });
    expect(r).toMatchObject({ version: 2, state: { n: 4 } });
    expect(h.isAlive()).toBe(true);
  });

  it('does not evict an actor that keeps getting requests', async () => {
    const clock = new SimulatedClock();
    runtime = await createRuntime({ aggregates: [counter], clock, idleTimeoutMs: 1000 });
    const h = runtime.get(counter, 'c1');
    for (let i = 0; i < 10; i++) {
      await h.execute({ type: 'add', by: 1 });
      clock.advance(600);
      await flush();
    }
    expect(h.isAlive()).toBe(true);
    expect(runtime.stats().evictions).toBe(0);
  });

  // 10,000 activations: about 2 s on a quiet machine, beyond vitest's 5 s default on a busy one.
  it('leaves no resident actors and no timers behind after 10,000 aggregates go idle', async () => {
    const clock = new SimulatedClock();
    runtime = await createRuntime({ aggregates: [counter], clock, idleTimeoutMs: 50 });
    const rt = runtime;
    await Promise.all(
      Array.from({ length: 10_000 }, (_, i) => rt.get(counter, `c${i}`).execute({ type: 'add', by: 1 })),
    );
    expect(rt.stats().liveActors).toBe(10_000);
    await flush();
    clock.advance(50);
    for (let i = 0; i < 5 && rt.stats().liveActors > 0; i++) await flush();
    expect(rt.stats()).toMatchObject({ liveActors: 0, idleActors: 0, mailboxDepth: 0, evictions: 10_000 });
    expect(rt.actors()).toEqual([]);
    clock.advance(30_000); // lets the command-timeout timer find nothing left to watch
    expect(clock.pendingTimers).toBe(0);
  }, 60_000);

  it('never keeps the process alive: a script that forgets shutdown still exits', async () => {
    const { spawnSync } = await import('node:child_process');
    const script = `
      import { createRuntime, defineAggregate } from '${new URL('../dist/index.js', import.meta.url).href}';
      const c = defineAggregate({ type: 'c', initialState: () => 0, decide: () => [{ type: 'X' }], evolve: (s) => s + 1 });
      const rt = await createRuntime({ aggregates: [c], idleTimeoutMs: 600000, commandTimeoutMs: 600000 });
      await rt.get(c, '1').execute({ type: 'x' });
      console.log('done', rt.stats().liveActors);
    `;
    // A timer holding the loop would keep the child alive for 600 s: the timeout kills it first.
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(out.signal).toBeNull();
    expect(out.stderr).toBe('');
    expect(out.stdout.trim()).toBe('done 1');
    expect(out.status).toBe(0);
  }, 90_000);
});

describe('explicit eviction and the single writer', () => {
  it('evict() passivates now; requests arriving meanwhile go to a successor that starts after it stopped', async () => {
    const hold = gate();
    let holding = false;
    const store = new ProbeStore(memoryStore(), { beforeAppend: () => (holding ? hold.promise : undefined) });
    runtime = await createRuntime({ store, aggregates: [counter] });
    const h = runtime.get(counter, 'c1');
    await h.execute({ type: 'add', by: 1, tag: 'first' });
    holding = true;
    const inFlight = h.execute({ type: 'add', by: 1, tag: 'second' });
    await flush();
    const evicted = runtime.evict(counter, 'c1');
    const after = h.execute({ type: 'add', by: 1, tag: 'third' }); // routed to the successor
    await flush();
    expect(runtime.stats().liveActors).toBe(2); // predecessor evicting, successor waiting for it
    holding = false;
    hold.open();
    expect(await evicted).toBe(true);
    expect((await inFlight).version).toBe(2);
    expect((await after).version).toBe(3);
    expect(store.overlaps).toEqual([]);
    const tags = (await collect(store.readStream('counter/c1'))).map(tagOf);
    expect(tags).toEqual(['first', 'second', 'third']);
    expect(runtime.stats().liveActors).toBe(1);
  });

  it('evict() of an aggregate that is not resident resolves false', async () => {
    runtime = await createRuntime({ aggregates: [counter] });
    expect(await runtime.evict('counter', 'nobody')).toBe(false);
  });
});

describe('crash containment', () => {
  it('a throw in evolve crashes only that actor, appends nothing, and the next call respawns it from the store', async () => {
    const store = new ProbeStore(memoryStore());
    runtime = await createRuntime({ store, aggregates: [counter] });
    const h = runtime.get(counter, 'c1');
    const other = runtime.get(counter, 'c2');
    await h.execute({ type: 'add', by: 2 });
    await other.execute({ type: 'add', by: 5 });
    await expect(h.execute({ type: 'poison' })).rejects.toMatchObject({ code: 'ACTOR_CRASHED' });
    expect(h.isAlive()).toBe(false);
    expect(other.isAlive()).toBe(true);
    expect(await store.streamVersion('counter/c1')).toBe(1);
    expect(await h.execute({ type: 'add', by: 1 })).toMatchObject({ version: 2, state: { n: 3 } });
    expect(runtime.stats().crashes).toBe(1);
  });

  it('fails every waiting command of a crashing actor with ACTOR_CRASHED', async () => {
    const hold = gate();
    const store = new ProbeStore(memoryStore(), { beforeAppend: () => hold.promise });
    runtime = await createRuntime({ store, aggregates: [counter] });
    const h = runtime.get(counter, 'c1');
    const first = h.execute({ type: 'add', by: 1 });
    await flush();
    crashSwitch.armed = 1;
    const crashing = h.execute({ type: 'add', by: 1 });
    const waiting = [h.execute({ type: 'add', by: 1 }), h.execute({ type: 'add', by: 1 })];
    hold.open();
    expect((await first).version).toBe(1);
    await expect(crashing).rejects.toMatchObject({ code: 'ACTOR_CRASHED' });
    for (const w of waiting) await expect(w).rejects.toMatchObject({ code: 'ACTOR_CRASHED' });
    expect(runtime.stats().mailboxDepth).toBe(0);
    expect(await h.execute({ type: 'add', by: 1 })).toMatchObject({ version: 2 });
  });

  it('a crash during recovery fails the waiting commands, and a later call recovers once the cause is gone', async () => {
    const inner = memoryStore();
    await inner.append('counter/c1', [{ data: { type: 'Added', by: 1 } }], { expectedVersion: 0 });
    runtime = await createRuntime({ store: inner, aggregates: [counter] });
    crashSwitch.armed = 1;
    const h = runtime.get(counter, 'c1');
    await expect(h.execute({ type: 'add', by: 1 })).rejects.toMatchObject({ code: 'ACTOR_CRASHED' });
    expect(h.isAlive()).toBe(false);
    expect(await h.execute({ type: 'add', by: 1 })).toMatchObject({ version: 2, state: { n: 2 } });
  });

  it('a store failure during append rejects that command with STORE_ERROR and leaves the state unchanged', async () => {
    let failNext = false;
    const store = new ProbeStore(memoryStore(), {
      beforeAppend: () => (failNext ? Promise.reject(new Error('disk full')) : undefined),
    });
    runtime = await createRuntime({ store, aggregates: [counter] });
    const h = runtime.get(counter, 'c1');
    await h.execute({ type: 'add', by: 1 });
    failNext = true;
    await expect(h.execute({ type: 'add', by: 100 })).rejects.toMatchObject({
      code: 'STORE_ERROR',
      reason: 'IO',
    });
    failNext = false;
    expect(await h.state()).toEqual({ state: { n: 1, tags: [] }, version: 1 });
    expect(h.isAlive()).toBe(true);
  });
});

describe('nothing silently lost', () => {
  it('raises CORRUPT_DATA naming stream and version when the store skips a version, and never folds past it', async () => {
    const inner = memoryStore();
    await inner.append(
      'counter/g',
      [1, 2, 3].map((by) => ({ data: { type: 'Added', by } })),
      { expectedVersion: 0 },
    );
    const gappy = new ProbeStore(inner, { hideKnownVersion: true });
    gappy.readStream = async function* (id, opts) {
      for await (const e of inner.readStream(id, opts)) if (e.version !== 2) yield e;
    };
    runtime = await createRuntime({ store: gappy, aggregates: [counter] });
    const err = await runtime
      .get(counter, 'g')
      .execute({ type: 'add', by: 1 })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CORRUPT_DATA', streamId: 'counter/g', version: 2 });
    expect(await inner.streamVersion('counter/g')).toBe(3);
  });
});

describe('bounded resources', () => {
  it('rejects with MAILBOX_FULL past the mailbox capacity, and accepts again once it drains', async () => {
    const hold = gate();
    const store = new ProbeStore(memoryStore(), { beforeAppend: () => hold.promise });
    runtime = await createRuntime({ store, aggregates: [counter], mailboxCapacity: 3 });
    const h = runtime.get(counter, 'c1');
    const accepted = [1, 2, 3].map(() => h.execute({ type: 'add', by: 1 }));
    const err = await h.execute({ type: 'add', by: 1 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MAILBOX_FULL', streamId: 'counter/c1', capacity: 3 });
    hold.open();
    expect((await Promise.all(accepted)).map((r) => r.version)).toEqual([1, 2, 3]);
    expect((await h.execute({ type: 'add', by: 1 })).version).toBe(4);
    expect(runtime.stats().mailboxFull).toBe(1);
  });

  it('limits concurrent recoveries to maxConcurrentRecoveries', async () => {
    const inner = memoryStore();
    for (let i = 0; i < 20; i++) {
      await inner.append(`counter/c${i}`, [{ data: { type: 'Added', by: 1 } }], { expectedVersion: 0 });
    }
    let reading = 0;
    let maxReading = 0;
    const store = new ProbeStore(inner, {
      async beforeRead(_id, kind) {
        // Only recovery replays the stream here: the store knows every head, so refreshes read nothing.
        if (kind !== 'readStream') return;
        reading++;
        maxReading = Math.max(maxReading, reading);
        await flush();
        reading--;
      },
    });
    runtime = await createRuntime({ store, aggregates: [counter], maxConcurrentRecoveries: 3 });
    const rt = runtime;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => rt.get(counter, `c${i}`).execute({ type: 'add', by: 1 })),
    );
    expect(results.every((r) => r.version === 2)).toBe(true);
    expect(maxReading).toBeGreaterThan(1);
    expect(maxReading).toBeLessThanOrEqual(3);
  });

  it('fails a caller with COMMAND_TIMEOUT after commandTimeoutMs; a queued command that timed out never runs', async () => {
    const clock = new SimulatedClock();
    const hold = gate();
    const store = new ProbeStore(memoryStore(), { beforeAppend: () => hold.promise });
    runtime = await createRuntime({ store, aggregates: [counter], clock, commandTimeoutMs: 500 });
    const h = runtime.get(counter, 'c1');
    const running = h.execute({ type: 'add', by: 1, tag: 'running' });
    const queued = h.execute({ type: 'add', by: 1, tag: 'queued' });
    clock.advance(500);
    await expect(running).rejects.toMatchObject({ code: 'COMMAND_TIMEOUT', streamId: 'counter/c1' });
    await expect(queued).rejects.toMatchObject({ code: 'COMMAND_TIMEOUT' });
    hold.open();
    const later = await h.execute({ type: 'add', by: 1, tag: 'later' });
    const tags = (await collect(store.readStream('counter/c1'))).map(tagOf);
    expect(tags).toEqual(['running', 'later']); // "running" had started: it may still land, as documented
    expect(later.version).toBe(2);
    expect(runtime.stats().commandTimeouts).toBe(2);
  });

  it('counts the caller’s wait from the call: a slow decide that ran inside it is part of it', async () => {
    const clock = new SimulatedClock();
    const hold = gate();
    const store = new ProbeStore(memoryStore(), { beforeAppend: () => hold.promise });
    const slow = defineAggregate<{ n: number }, { type: 'add' }, { type: 'Added' }>({
      type: 'slow',
      initialState: () => ({ n: 0 }),
      decide: () => {
        clock.advance(200); // decide takes 200 ms of the caller's 500
        return [{ type: 'Added' }];
      },
      evolve: (s) => ({ n: s.n + 1 }),
    });
    runtime = await createRuntime({ store, aggregates: [slow], clock, commandTimeoutMs: 500 });
    let outcome = 'pending';
    const running = runtime.get(slow, 's1').execute({ type: 'add' });
    running.then(
      () => (outcome = 'ok'),
      (e: { code?: string }) => (outcome = e.code ?? 'failed'),
    );
    clock.advance(299);
    await flush();
    expect(outcome).toBe('pending');
    clock.advance(1);
    await flush();
    expect(outcome).toBe('COMMAND_TIMEOUT');
    hold.open();
  });
});

describe('shutdown', () => {
  it('drains mailboxes, refuses new commands with RUNTIME_CLOSED, and closes the store', async () => {
    const inner = memoryStore();
    runtime = await createRuntime({ store: inner, aggregates: [counter] });
    const h = runtime.get(counter, 'c1');
    const pending = Array.from({ length: 50 }, () => h.execute({ type: 'add', by: 1 }));
    const closing = runtime.shutdown();
    await expect(h.execute({ type: 'add', by: 1 })).rejects.toMatchObject({ code: 'RUNTIME_CLOSED' });
    await closing;
    expect((await Promise.all(pending)).at(-1)?.version).toBe(50);
    expect(runtime.stats()).toMatchObject({ liveActors: 0, closed: true });
    await expect(inner.streamVersion('counter/c1')).rejects.toMatchObject({
      code: 'STORE_ERROR',
      reason: 'CLOSED',
    });
    expect(runtime.shutdown()).toBe(closing);
  });

  it('fails commands still queued at the deadline with RUNTIME_CLOSED', async () => {
    const clock = new SimulatedClock();
    const hold = gate();
    const store = new ProbeStore(memoryStore(), { beforeAppend: () => hold.promise });
    runtime = await createRuntime({ store, aggregates: [counter], clock, commandTimeoutMs: 0 });
    const h = runtime.get(counter, 'c1');
    const running = h.execute({ type: 'add', by: 1 });
    const queued = h.execute({ type: 'add', by: 1 });
    const closing = runtime.shutdown({ timeoutMs: 1000 });
    await flush();
    clock.advance(1000);
    await expect(queued).rejects.toMatchObject({ code: 'RUNTIME_CLOSED' });
    hold.open();
    expect((await running).version).toBe(1);
    await closing;
    expect(clock.pendingTimers).toBe(0);
  });
});
