/**
 * Projections controlled from where they should not be: a handler waiting for its own
 * projection, an object replaced by a later `runtime.project()` or outliving its runtime, a
 * handler that changes the read model in place and then throws, stop() racing a handler that
 * never settles. Public API only.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createRuntime,
  defineProjection,
  type EventStore,
  memoryStore,
  type Projection,
  type Runtime,
} from '../src/index.js';
import { counter } from './support/counter.js';
import { ProbeStore } from './support/probe-store.js';

const open: Runtime[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.shutdown({ timeoutMs: 100 });
});

const logger = pino({ level: 'silent' });

/** A memory store that survives runtime shutdowns, as a folder survives a restart. */
const disk = () => new ProbeStore(memoryStore(), { keepOnClose: true }) as unknown as EventStore;

async function start(store: EventStore = disk()): Promise<Runtime> {
  const rt = await createRuntime({ store, aggregates: [counter], logger });
  open.push(rt);
  return rt;
}

async function addMany(rt: Runtime, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await rt.get(counter, 'c').execute({ type: 'add', by: 1 });
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

type Seen = { n: number; seen: number[] };

describe('a handler that waits for its own projection', () => {
  it('awaiting stop() rejects at once with INVALID_ARGUMENT (no deadlock), and the projection stops after that event', async () => {
    const rt = await start();
    await addMany(rt, 4);
    const caught: unknown[] = [];
    let p!: Projection<Seen>;
    p = rt.project(
      defineProjection<Seen>({
        name: 'self-stop',
        init: () => ({ n: 0, seen: [] }),
        handlers: {
          async Added(s, e) {
            if (e.position === 2) await p.stop().catch((error: unknown) => caught.push(error));
            return { n: s.n + 1, seen: [...s.seen, e.position] };
          },
        },
      }),
    );
    await expect.poll(() => p.status().state, { timeout: 2000 }).toBe('stopped');
    expect(caught).toEqual([
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/own handler/) }),
    ]);
    expect(p.status()).toMatchObject({ position: 2, checkpoint: 2 });
    expect(p.state()).toEqual({ n: 2, seen: [1, 2] });
    await expect(p.stop()).resolves.toBeUndefined();
  });

  it('awaiting stop() after an await of its own is refused the same way', async () => {
    const rt = await start();
    await addMany(rt, 3);
    const caught: unknown[] = [];
    let p!: Projection<number>;
    p = rt.project(
      defineProjection<number>({
        name: 'self-stop-late',
        init: () => 0,
        handlers: {
          async Added(n, e) {
            await turn();
            if (e.position === 1) await p.stop().catch((error: unknown) => caught.push(error));
            return n + 1;
          },
        },
      }),
    );
    await expect.poll(() => p.status().state, { timeout: 2000 }).toBe('stopped');
    expect(caught).toEqual([expect.objectContaining({ code: 'INVALID_ARGUMENT' })]);
    expect(p.status()).toMatchObject({ position: 1, checkpoint: 1 });
  });

  it('awaiting waitFor() of its own event rejects with INVALID_ARGUMENT; rethrown, it fails the projection with PROJECTION_FAILED', async () => {
    const rt = await start();
    await addMany(rt, 3);
    let p!: Projection<number>;
    p = rt.project(
      defineProjection<number>({
        name: 'self-wait',
        init: () => 0,
        handlers: {
          async Added(n, e) {
            await p.waitFor(e.position - 1); // already handled: resolves
            if (e.position === 2) await p.waitFor(e.position);
            return n + 1;
          },
        },
      }),
    );
    await expect.poll(() => p.status().state, { timeout: 2000 }).toBe('failed');
    const error = p.status().error as Error & { code?: string; position?: number; cause?: unknown };
    expect(error).toMatchObject({ code: 'PROJECTION_FAILED', position: 2 });
    expect(error.cause).toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/own handler/),
    });
  });

  it('awaiting rebuild() rejects with INVALID_ARGUMENT, and the rebuild still happens once the handler returns', async () => {
    const rt = await start();
    await addMany(rt, 3);
    const caught: unknown[] = [];
    let rebuilt = false;
    let p!: Projection<number>;
    p = rt.project(
      defineProjection<number>({
        name: 'self-rebuild',
        init: () => 0,
        handlers: {
          async Added(n, e) {
            if (e.position === 2 && !rebuilt) {
              rebuilt = true;
              await p.rebuild().catch((error: unknown) => caught.push(error));
            }
            return n + 1;
          },
        },
      }),
    );
    await p.waitFor(3);
    await expect.poll(() => p.status().state, { timeout: 2000 }).toBe('caught-up');
    expect(caught).toEqual([expect.objectContaining({ code: 'INVALID_ARGUMENT' })]);
    expect(p.state()).toBe(3);
  });

  it('a stop() it does not await (fire and forget) still stops it after that event, with no unhandled rejection', async () => {
    const rt = await start();
    await addMany(rt, 3);
    let p!: Projection<number>;
    p = rt.project(
      defineProjection<number>({
        name: 'self-stop-void',
        init: () => 0,
        handlers: {
          Added(n, e) {
            if (e.position === 1) void p.stop();
            return n + 1;
          },
        },
      }),
    );
    await expect.poll(() => p.status().state, { timeout: 2000 }).toBe('stopped');
    expect(p.status()).toMatchObject({ position: 1, checkpoint: 1 });
    await turn(); // an unhandled rejection would be reported by now
  });

  it('code a handler started, calling stop() after that handler returned (during the next one), is not taken for it', async () => {
    const rt = await start();
    await addMany(rt, 3);
    let later: Promise<void> | undefined;
    let stopCalled!: () => void;
    const called = new Promise<void>((r) => {
      stopCalled = r;
    });
    let p!: Projection<number>;
    p = rt.project(
      defineProjection<number>({
        name: 'later-stop',
        init: () => 0,
        handlers: {
          async Added(n, e) {
            if (e.position === 1) {
              later = new Promise<void>((r) => setTimeout(r, 10)).then(() => {
                const stopping = p.stop();
                stopCalled();
                return stopping;
              });
            }
            // The next handler is in flight when the timer set by the first one calls stop().
            if (e.position === 2) await called;
            return n + 1;
          },
        },
      }),
    );
    await expect.poll(() => later !== undefined).toBe(true);
    await expect(later).resolves.toBeUndefined();
    expect(p.status()).toMatchObject({ state: 'stopped', position: 2, checkpoint: 2 });
  });
});

describe('a handler that shuts its runtime down', () => {
  it('holds up shutdown({ timeoutMs }) for timeoutMs at most, and the shutdown completes (the store closed)', async () => {
    const inner = memoryStore();
    const rt = await createRuntime({ store: inner, aggregates: [counter], logger });
    await addMany(rt, 2);
    let shutdown: Promise<void> | undefined;
    rt.project(
      defineProjection<number>({
        name: 'self-shutdown',
        init: () => 0,
        handlers: {
          async Added(n, e) {
            if (e.position === 1) {
              shutdown = rt.shutdown({ timeoutMs: 50 });
              await shutdown;
            }
            return n + 1;
          },
        },
      }),
    );
    await expect.poll(() => shutdown !== undefined).toBe(true);
    await expect(shutdown).resolves.toBeUndefined();
    await expect(inner.checkpoints.get('self-shutdown')).rejects.toMatchObject({ reason: 'CLOSED' });
  });
});

describe('a projection object replaced by runtime.project() of its name', () => {
  it('refuses start, restart and rebuild with INVALID_ARGUMENT, so one checkpoint never has two runs', async () => {
    const rt = await start();
    await addMany(rt, 3);
    const handled: number[] = [];
    const def = defineProjection<number>({
      name: 'replaced',
      init: () => 0,
      handlers: {
        Added(n, e) {
          handled.push(e.position);
          return n + 1;
        },
      },
      commitEvery: 1,
    });
    const old = rt.project(def);
    await old.waitFor(3);
    await old.stop();
    const current = rt.project(def);
    await current.waitFor(3);
    const replaced = expect.objectContaining({
      code: 'INVALID_ARGUMENT',
      message: expect.stringMatching(/replaced/),
    });
    expect(() => old.restart()).toThrow(replaced);
    expect(() => old.start()).toThrow(replaced);
    await expect(old.rebuild()).rejects.toEqual(replaced);
    expect(old.status().state).toBe('stopped');
    await addMany(rt, 2);
    await current.waitFor(5);
    await expect.poll(() => current.status().state).toBe('caught-up');
    // Each event once, by the one run: the old object's rebuild did not delete the checkpoint either.
    expect(handled).toEqual([1, 2, 3, 4, 5]);
    expect(current.state()).toBe(5);
    expect(await rt.store.checkpoints.getState?.('replaced')).toEqual({ position: 5, state: 5 });
  });

  it('a failed one, replaced, refuses restart too', async () => {
    const rt = await start();
    await addMany(rt, 2);
    let broken = true;
    const def = defineProjection<number>({
      name: 'failed-then-replaced',
      init: () => 0,
      handlers: {
        Added(n) {
          if (broken) throw new Error('bug');
          return n + 1;
        },
      },
    });
    const old = rt.project(def);
    await expect.poll(() => old.status().state).toBe('failed');
    broken = false;
    const current = rt.project(def);
    await current.waitFor(2);
    expect(() => old.restart()).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(old.status().state).toBe('failed');
  });
});

describe('a projection of a runtime that shut down', () => {
  it('refuses start, restart and rebuild with RUNTIME_CLOSED rather than running against a closed store', async () => {
    const rt = await start();
    await addMany(rt, 2);
    const p = rt.project(
      defineProjection<number>({ name: 'closed', init: () => 0, handlers: { Added: (n) => n + 1 } }),
    );
    await p.waitFor(2);
    await rt.shutdown();
    expect(() => p.restart()).toThrow(expect.objectContaining({ code: 'RUNTIME_CLOSED' }));
    expect(() => p.start()).toThrow(expect.objectContaining({ code: 'RUNTIME_CLOSED' }));
    await expect(p.rebuild()).rejects.toMatchObject({ code: 'RUNTIME_CLOSED' });
    expect(p.status()).toMatchObject({ state: 'stopped', position: 2 });
    await expect(p.stop()).resolves.toBeUndefined();
  });
});

describe('exactly-once: a handler that changed the read model in place and then threw', () => {
  const fragile = (name: string, failAt: number) =>
    defineProjection<Seen>({
      name,
      init: () => ({ n: 0, seen: [] }),
      handlers: {
        Added(s, e) {
          s.seen.push(e.position);
          s.n++;
          if (e.position === failAt) throw new Error('half-way');
          return undefined;
        },
      },
      commitEvery: 2,
    });

  it('leaves state() the last committed read model, at the checkpoint, not the half-changed one', async () => {
    const rt = await start();
    await addMany(rt, 5);
    const p = rt.project(fragile('half-changed', 4));
    await expect.poll(() => p.status().state).toBe('failed');
    expect(p.status()).toMatchObject({ position: 2, checkpoint: 2 });
    expect(p.state()).toEqual({ n: 2, seen: [1, 2] });
    expect(await rt.store.checkpoints.getState?.('half-changed')).toEqual({
      position: 2,
      state: { n: 2, seen: [1, 2] },
    });
    await expect(p.waitFor(3)).rejects.toMatchObject({ code: 'PROJECTION_FAILED', position: 4 });
  });

  it('leaves state() as init() when it fails before its first checkpoint', async () => {
    const rt = await start();
    await addMany(rt, 3);
    const p = rt.project(fragile('first-fails', 1));
    await expect.poll(() => p.status().state).toBe('failed');
    expect(p.status()).toMatchObject({ position: 0, checkpoint: 0 });
    expect(p.state()).toEqual({ n: 0, seen: [] });
  });

  it('restarted from a read model loaded from the store, still shows that one after the next failure', async () => {
    const store = disk();
    const rt = await start(store);
    await addMany(rt, 2);
    const first = rt.project(fragile('reloaded', 99));
    await first.waitFor(2);
    await rt.shutdown();
    const rt2 = await start(store);
    await addMany(rt2, 2);
    const p = rt2.project(fragile('reloaded', 3));
    await expect.poll(() => p.status().state).toBe('failed');
    expect(p.status()).toMatchObject({ position: 2, checkpoint: 2 });
    expect(p.state()).toEqual({ n: 2, seen: [1, 2] });
  });
});

describe('waitFor', () => {
  it('resolves for a position the checkpoint it resumes from already covers, without waiting for a new event', async () => {
    const store = disk();
    const rt = await start(store);
    await addMany(rt, 3);
    const def = defineProjection<number>({
      name: 'resumed',
      init: () => 0,
      handlers: { Added: (n) => n + 1 },
    });
    const p = rt.project(def);
    await p.waitFor(3);
    await p.stop();
    p.restart();
    await expect(p.waitFor(3)).resolves.toBeUndefined();
    await rt.shutdown();
    const rt2 = await start(store);
    await expect(rt2.project(def).waitFor(3)).resolves.toBeUndefined();
  });
});

describe('hostile handlers', () => {
  it('a handler throwing what is not an Error (null, a string, a rejected thenable) fails the projection with PROJECTION_FAILED', async () => {
    const rt = await start();
    await addMany(rt, 1);
    const thrown: Array<() => unknown> = [
      () => {
        throw null;
      },
      () => {
        throw 'text';
      },
      // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is what is tested
      () => ({ then: (_: unknown, reject: (e: unknown) => void) => reject(undefined) }),
      () => ({
        // biome-ignore lint/suspicious/noThenProperty: a hostile thenable is what is tested
        get then() {
          throw Symbol('getter');
        },
      }),
    ];
    for (const [i, handler] of thrown.entries()) {
      const p = rt.project(
        defineProjection<number>({
          name: `non-error-${i}`,
          init: () => 0,
          handlers: { Added: handler as never },
        }),
      );
      await expect.poll(() => p.status().state).toBe('failed');
      expect(p.status().error, String(i)).toMatchObject({ code: 'PROJECTION_FAILED', position: 1 });
      expect(p.state()).toBe(0);
    }
  });

  it('init() throwing what cannot be turned into text (a null-prototype object) when the run starts fails the projection, not hangs it in starting', async () => {
    const rt = await start();
    await addMany(rt, 1);
    let calls = 0;
    const p = rt.project(
      defineProjection<number>({
        name: 'bad-init',
        init: () => {
          // The first call (when projected) passes; the one loading the run's start throws.
          if (++calls === 2) throw Object.create(null);
          return 0;
        },
        handlers: { Added: (n) => n + 1 },
      }),
    );
    await expect.poll(() => p.status().state).toBe('failed');
    expect(p.status().error).toBeInstanceOf(Error);
    await expect(p.stop()).resolves.toBeUndefined();
    await expect(p.waitFor(1)).rejects.toBe(p.status().error);
  });

  it('stop() twice at once while a handler has not settled: both wait for it, and both resolve once it does', async () => {
    const rt = await start();
    await addMany(rt, 2);
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const p = rt.project(
      defineProjection<number>({
        name: 'gated',
        init: () => 0,
        handlers: {
          async Added(n, e) {
            if (e.position === 1) await gate;
            return n + 1;
          },
        },
      }),
    );
    await expect.poll(() => p.status().state).toBe('running');
    let stopped = 0;
    const first = p.stop().then(() => stopped++);
    const second = p.stop().then(() => stopped++);
    await turn();
    expect(stopped).toBe(0);
    release();
    await Promise.all([first, second]);
    expect(p.status()).toMatchObject({ state: 'stopped', position: 1, checkpoint: 1 });
  });
});
