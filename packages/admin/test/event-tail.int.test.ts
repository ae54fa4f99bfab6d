/** The live tail: catch-up from a position, then new events as they are appended, filtered. */
import type { EventEnvelope } from '@actorfold/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AdminClient, adminClient } from '../src/index.js';
import { counter, note, type Served, served } from './support/fixture.js';

let s: Served;
let admin: AdminClient;
beforeEach(async () => {
  s = await served();
  admin = adminClient(s.socketPath);
});
afterEach(() => s.close());

const add = (id: string) => s.runtime.get(counter, id).execute({ type: 'add', by: 1 });

/** Takes `n` events from a tail, then stops it. */
async function take(events: AsyncIterable<EventEnvelope>, n: number): Promise<EventEnvelope[]> {
  const out: EventEnvelope[] = [];
  if (n === 0) return out;
  for await (const e of events) {
    out.push(e);
    if (out.length === n) break;
  }
  return out;
}

describe('the live tail', () => {
  it('catches up from a global position, then delivers new events as they are appended', async () => {
    await add('a');
    await add('a');
    const got = take(admin.tail({ from: 2 }), 4);
    await add('b');
    await add('a');
    await add('b');
    expect((await got).map((e) => [e.position, e.streamId, e.version])).toEqual([
      [2, 'counter/a', 2],
      [3, 'counter/b', 1],
      [4, 'counter/a', 3],
      [5, 'counter/b', 2],
    ]);
  });

  it("from 'end' delivers only what is appended after it started, in order", async () => {
    await add('old');
    const it = admin.tail()[Symbol.asyncIterator]();
    const first = it.next();
    // Append until the tail has started and seen one: nothing before its start may appear.
    let seen: IteratorResult<EventEnvelope> | undefined;
    while (seen === undefined) {
      await add('new');
      seen = await Promise.race([first, new Promise<undefined>((r) => setTimeout(() => r(undefined), 20))]);
    }
    expect(seen.value).toMatchObject({ streamId: 'counter/new' });
    const start = (seen.value as EventEnvelope).position;
    await add('new');
    expect((await it.next()).value).toMatchObject({ position: start + 1 });
    await it.return?.();
  });

  it('filters by aggregate type and by event type', async () => {
    const byType = take(admin.tail({ from: 1, types: ['note'] }), 2);
    const byEvent = take(admin.tail({ from: 1, events: ['Added'] }), 2);
    await add('a');
    await s.runtime.get(note, 'n').execute({ type: 'write' });
    await add('a');
    await s.runtime.get(note, 'n').execute({ type: 'write' });
    expect((await byType).map((e) => e.type)).toEqual(['Written', 'Written']);
    expect((await byEvent).map((e) => e.streamId)).toEqual(['counter/a', 'counter/a']);
  });

  it('ends, without an error, when the runtime shuts down', async () => {
    await add('a');
    const all: EventEnvelope[] = [];
    const done = (async () => {
      for await (const e of admin.tail({ from: 1 })) all.push(e);
    })();
    while (all.length === 0) await new Promise((r) => setTimeout(r, 10));
    await s.runtime.shutdown();
    await done;
    expect(all.map((e) => e.position)).toEqual([1]);
  });

  it('stops when the client aborts it', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const done = (async () => {
      for await (const e of admin.tail({ from: 1, signal: controller.signal })) seen.push(e.position);
    })();
    await add('a');
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    await done;
    expect(seen).toEqual([1]);
  });
});
