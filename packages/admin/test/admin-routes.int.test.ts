/** Every admin route against a runtime on a real LevelDB folder, through the client and raw HTTP. */
import { type CheckpointStore, defineProjection, type EventStore, StoreError } from '@actorfold/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AdminClient, adminClient } from '../src/index.js';
import { counter, note, raw, type Served, served } from './support/fixture.js';

let s: Served;
let admin: AdminClient;
beforeEach(async () => {
  s = await served();
  admin = adminClient(s.socketPath);
});
afterEach(() => s.close());

async function add(id: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) await s.runtime.get(counter, id).execute({ type: 'add', by: 1 });
}

describe('the admin read views', () => {
  it('filters events by type and time, counting only matching events in a page', async () => {
    await add('a', 3);
    await s.runtime.get(counter, 'a').execute({ type: 'add', by: 0 });
    const all = (await admin.events({ stream: 'counter/a' })).events;
    expect(all).toHaveLength(4);
    const none = await admin.events({ stream: 'counter/a', type: ['Nope'] });
    expect(none).toEqual({ stream: 'counter/a', events: [], next: null });
    const page = await admin.events({ stream: 'counter/a', type: ['Added'], limit: 2 });
    expect(page.events.map((e) => e.version)).toEqual([1, 2]);
    expect(page.next).toBe(3);
    const second = all[1]?.timestamp as string;
    const since = await admin.events({ stream: 'counter/a', since: second });
    expect(since.events.every((e) => Date.parse(e.timestamp) >= Date.parse(second))).toBe(true);
    expect(since.events.map((e) => e.version)).toContain(2);
    const until = await admin.events({ stream: 'counter/a', until: second });
    expect(until.events.every((e) => Date.parse(e.timestamp) < Date.parse(second))).toBe(true);
    const lastTwo = await admin.events({ stream: 'counter/a', type: ['Added'], last: 2 });
    expect(lastTwo.events.map((e) => e.version)).toEqual([3, 4]);
    const log = await admin.events({ type: ['Added'], until: '2000-01-01' });
    expect(log.events).toEqual([]);
    await expect(admin.events({ stream: 'counter/a', since: 'tuesday' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringContaining('since must be an ISO 8601 time'),
    });
  });

  it('lists resident actors with type, id, version, mailbox depth and idle time, in stream order', async () => {
    await add('b', 2);
    await add('a', 3);
    await s.runtime.get(note, 'n1').execute({ type: 'write' });
    const view = await admin.actors();
    expect(view.total).toBe(3);
    expect(view.actors.map((a) => [a.streamId, a.type, a.id, a.version, a.mailboxDepth, a.status])).toEqual([
      ['counter/a', 'counter', 'a', 3, 0, 'ready'],
      ['counter/b', 'counter', 'b', 2, 0, 'ready'],
      ['note/n1', 'note', 'n1', 1, 0, 'ready'],
    ]);
    expect(view.actors.every((a) => typeof a.idleForMs === 'number' && a.stateBytes === undefined)).toBe(
      true,
    );
    expect((await admin.actors({ type: 'note' })).actors.map((a) => a.id)).toEqual(['n1']);
    expect(await admin.actors({ limit: 1 })).toMatchObject({ total: 3, actors: [{ id: 'a' }] });
  });

  it('sorts actors by mailbox depth on request and counts them per type', async () => {
    await add('a', 1);
    await s.runtime.get(note, 'n1').execute({ type: 'write' });
    const busy = Array.from({ length: 300 }, () =>
      s.runtime.get(counter, 'b').execute({ type: 'add', by: 1 }),
    );
    const view = await admin.actors({ sort: 'mailbox' });
    await Promise.all(busy);
    expect(view.byType).toEqual({ counter: 2, note: 1 });
    const depths = view.actors.map((a) => a.mailboxDepth);
    expect(depths).toEqual([...depths].sort((x, y) => y - x));
    expect((await admin.actors({ type: 'note' })).byType).toEqual({ counter: 2, note: 1 });
    await expect(raw(s.socketPath, 'GET', '/v1/actors?sort=size')).resolves.toMatchObject({ status: 400 });
  });

  it("measures each state's JSON size only when asked", async () => {
    await add('a', 12);
    const view = await admin.actors({ stateSize: true });
    expect(view.actors[0]?.stateBytes).toBe(Buffer.byteLength(JSON.stringify({ n: 12 })));
  });

  it('inspects one aggregate: state, size, its actor and its newest events', async () => {
    await add('a', 30);
    const view = await admin.inspect('counter', 'a', { events: 3 });
    expect(view).toMatchObject({
      type: 'counter',
      id: 'a',
      streamId: 'counter/a',
      wasResident: true,
      version: 30,
      state: { n: 30 },
      stateBytes: 8,
      actor: { status: 'ready', version: 30 },
    });
    expect(view.recentEvents.map((e) => e.version)).toEqual([28, 29, 30]);
  });

  it('answers 404 for an aggregate without events, without activating an actor for it', async () => {
    await expect(admin.inspect('counter', 'ghost')).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
    await expect(admin.inspect('nope', 'x')).rejects.toMatchObject({
      code: 'UNKNOWN_AGGREGATE',
      status: 404,
    });
    expect(s.runtime.actors()).toEqual([]);
  });

  it('pages through streams, a stream, the global log and lists snapshots', async () => {
    await add('a', 12);
    await add('b', 1);
    await add('c', 1);
    expect(await admin.streams({ limit: 2 })).toEqual({
      streams: [
        { streamId: 'counter/a', version: 12 },
        { streamId: 'counter/b', version: 1 },
      ],
      next: 'counter/b',
    });
    expect(await admin.streams({ after: 'counter/b' })).toEqual({
      streams: [{ streamId: 'counter/c', version: 1 }],
      next: null,
    });
    expect((await admin.streams({ prefix: 'counter/a' })).streams).toHaveLength(1);

    const page = await admin.events({ stream: 'counter/a', from: 5, limit: 4 });
    expect(page.events.map((e) => e.version)).toEqual([5, 6, 7, 8]);
    expect(page.next).toBe(9);
    expect((await admin.events({ stream: 'counter/a', from: 9, limit: 4 })).next).toBe(null);
    const log = await admin.events({ from: 13, limit: 10 });
    expect(log).toMatchObject({ stream: null, next: null });
    expect(log.events.map((e) => [e.position, e.streamId])).toEqual([
      [13, 'counter/b'],
      [14, 'counter/c'],
    ]);
    await expect(admin.events({ stream: 'counter/zz' })).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const snaps = await admin.snapshots('counter/a');
    expect(snaps.version).toBe(12);
    expect(snaps.snapshots.map((x) => x.version)).toEqual([10, 5]);
  });

  it('reports stats and metrics as JSON, and metrics as Prometheus text', async () => {
    await add('a', 2);
    const stats = await admin.stats();
    expect(stats).toMatchObject({ pid: process.pid, aggregateTypes: ['counter', 'note'] });
    expect(stats.runtime).toMatchObject({ liveActors: 1, commandsOk: 2, eventsAppended: 2 });
    expect(stats.store).toMatchObject({ appends: 2, events: 2 });
    const metrics = await admin.metrics();
    expect(metrics.counters.commandsOk).toBe(2);
    expect(metrics.latency.command.count).toBe(2);
    const text = await raw(s.socketPath, 'GET', '/metrics');
    expect(text.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(text.body).toContain('actorfold_commands_ok_total 2\n');
    expect(text.body).toContain('actorfold_resident_actors{aggregate_type="counter"} 1\n');
    expect(text.body).toContain('actorfold_resident_actors{aggregate_type="note"} 0\n');
    // Two commands sent one after the other: two batches of one.
    expect(text.body).toContain('actorfold_batches_total 2\n');
    expect(text.body).toContain('actorfold_batch_size{quantile="0.99"} 1\n');
    expect(text.body).toContain('actorfold_batch_size_count 2\n');
    expect(text.body).toMatch(/^process_cpu_seconds_total \d/m);
    // The same exposition through the client (process metrics move between two scrapes).
    const names = (t: string) => t.split('\n').filter((l) => l.startsWith('# TYPE'));
    expect(names(await admin.prometheus())).toEqual(names(text.body));
  });
});

describe('the admin actions', () => {
  it('evicts an actor now, and says so when none was resident', async () => {
    await add('a', 1);
    expect(await admin.evict('counter', 'a')).toEqual({ streamId: 'counter/a', evicted: true });
    expect(s.runtime.actors()).toEqual([]);
    expect(await admin.evict('counter', 'a')).toEqual({ streamId: 'counter/a', evicted: false });
  });

  it('takes a snapshot now, and refuses for an aggregate without a snapshot policy', async () => {
    await add('a', 3);
    expect(await admin.snapshot('counter', 'a')).toEqual({ streamId: 'counter/a', version: 3, saved: true });
    expect((await s.runtime.store.snapshots.load('counter/a'))?.version).toBe(3);
    await s.runtime.get(note, 'n').execute({ type: 'write' });
    await expect(admin.snapshot('note', 'n')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      status: 400,
    });
    await expect(admin.snapshot('counter', 'ghost')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('bad admin requests', () => {
  it('get a 4xx status with a JSON error naming the problem, never a stack trace', async () => {
    const cases: Array<[string, string, number, string]> = [
      ['GET', '/v1/nowhere', 404, 'NOT_FOUND'],
      ['GET', '/', 404, 'NOT_FOUND'],
      ['DELETE', '/v1/actors', 405, 'METHOD_NOT_ALLOWED'],
      ['GET', '/v1/actors/counter/a/evict', 405, 'METHOD_NOT_ALLOWED'],
      ['GET', '/v1/actors?limit=0', 400, 'BAD_REQUEST'],
      ['GET', '/v1/actors?limit=ten', 400, 'BAD_REQUEST'],
      ['GET', '/v1/actors?stateSize=maybe', 400, 'BAD_REQUEST'],
      ['GET', '/v1/actors?colour=red', 400, 'BAD_REQUEST'],
      ['GET', '/v1/actors/counter/%E0%A4%A', 400, 'BAD_REQUEST'],
      ['GET', '/v1/events?from=-3', 400, 'BAD_REQUEST'],
      ['GET', '/v1/events?stream=', 400, 'BAD_REQUEST'],
      ['GET', '/v1/events?stream=no-such-stream', 404, 'NOT_FOUND'],
      ['GET', '/v1/snapshots', 400, 'BAD_REQUEST'],
      ['GET', '/v1/tail?from=soon', 400, 'BAD_REQUEST'],
      ['GET', '/v1/tail?type=', 400, 'BAD_REQUEST'],
      ['GET', '/v1/actors?limit=1&limit=500', 400, 'BAD_REQUEST'],
      ['GET', '/v1/tail?from=end&from=1', 400, 'BAD_REQUEST'],
      ['POST', '/v1/actors/nope/x/evict', 404, 'UNKNOWN_AGGREGATE'],
    ];
    for (const [method, path, status, code] of cases) {
      const r = await raw(s.socketPath, method, path);
      expect({ path, status: r.status, type: r.type }).toEqual({
        path,
        status,
        type: 'application/json; charset=utf-8',
      });
      const body = JSON.parse(r.body) as { error: { code: string; message: string } };
      expect(body.error.code, path).toBe(code);
      expect(body.error.message.length).toBeGreaterThan(5);
      if (path.includes('limit=1&limit') || path.includes('from=end&from'))
        expect(body.error.message).toMatch(/is given 2 times; give it once/);
      expect(r.body).not.toMatch(/\bat .+:\d+:\d+/);
    }
  });

  it('cannot corrupt a stream: evictions, snapshots and bad requests racing commands leave it whole', async () => {
    const ids = ['a', 'b', 'c'];
    const commands = ids.flatMap((id) =>
      Array.from({ length: 40 }, () => s.runtime.get(counter, id).execute({ type: 'add', by: 1 })),
    );
    const meddling = Array.from({ length: 30 }, (_, i) => {
      const id = ids[i % 3] as string;
      return Promise.allSettled([
        admin.evict('counter', id),
        admin.snapshot('counter', id),
        admin.inspect('counter', id),
        admin.actors({ stateSize: true }),
        raw(s.socketPath, 'POST', `/v1/actors/counter/${id}/evict?junk=1`),
        raw(s.socketPath, 'GET', '/v1/events?stream=counter/a&limit=99999999'),
      ]);
    });
    await Promise.all([...commands, ...meddling]);
    for (const id of ids) {
      const versions: number[] = [];
      for await (const e of s.runtime.store.readStream(`counter/${id}`)) versions.push(e.version);
      expect(versions).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(await s.runtime.get(counter, id).state()).toEqual({ version: 40, state: { n: 40 } });
      for (const snap of await s.runtime.store.snapshots.list(`counter/${id}`)) {
        expect(snap.state).toEqual({ n: snap.version });
      }
    }
  });
});

describe('projections during a store outage', () => {
  it('lists a projection whose store is unreachable as retrying, with the last error and attempt, then caught up', async () => {
    let down = false;
    const gate = () => {
      if (down) throw new StoreError('CONNECTION', 'connection refused (the server is restarting)');
    };
    // The checkpoints fail while `down`, as a database's would: the projection's save is retried.
    const flaky = (store: EventStore): EventStore =>
      new Proxy(store, {
        get(target, key) {
          if (key === 'checkpoints') {
            const cp = target.checkpoints;
            return {
              get: async (name) => {
                gate();
                return cp.get(name);
              },
              set: async (name, position) => {
                gate();
                return cp.set(name, position);
              },
              getState: async (name) => {
                gate();
                return cp.getState?.(name);
              },
              setState: async (name, position, state) => {
                gate();
                return cp.setState?.(name, position, state);
              },
            } satisfies CheckpointStore;
          }
          const value: unknown = Reflect.get(target, key, target);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    await s.close();
    s = await served(undefined, flaky);
    admin = adminClient(s.socketPath);
    const p = s.runtime.project(
      defineProjection({ name: 'total', init: () => 0, handlers: { Added: (n: number) => n + 1 } }),
    );
    await add('a', 2);
    await expect.poll(() => p.status().checkpoint).toBe(2);
    down = true;
    await add('a', 1);
    await expect
      .poll(async () => (await admin.projections()).projections[0]?.attempt ?? 0)
      .toBeGreaterThan(1);
    const view = await admin.projections();
    expect(view.projections[0]).toMatchObject({
      name: 'total',
      state: 'retrying',
      position: 3,
      checkpoint: 2,
      error: expect.stringContaining('connection refused'),
    });
    expect((await admin.metrics()).gauges.storeRetrying).toBe(1);
    expect(await admin.prometheus()).toMatch(/^actorfold_store_retrying 1$/m);
    down = false;
    await expect.poll(async () => (await admin.projections()).projections[0]?.state).toBe('caught-up');
    const after = (await admin.projections()).projections[0];
    expect(after).toMatchObject({ position: 3, checkpoint: 3 });
    expect(after?.error).toBeUndefined();
  });
});
