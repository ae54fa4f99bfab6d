/**
 * `actorfold state` and `actorfold events --upcast` on a real LevelDB folder written by a first
 * definition (event schema 1) and read with a second one's upcasters (fixtures/tape-v2.mjs): the
 * CLI agrees with the runtime's state, a projection and a subscription on the same folder.
 */
import { fileURLToPath } from 'node:url';
import {
  type AnyAggregate,
  createRuntime,
  defineAggregate,
  defineProjection,
  type EventEnvelope,
} from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EventsResult } from '../src/commands/events.js';
import type { StateResult } from '../src/commands/state.js';
import { cli, cliJson } from './support/cli.js';
import { freshDir } from './support/folders.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const v2Module = fixture('tape-v2.mjs');

type V1Event = { type: 'Marked'; mark: string } | { type: 'Doubled'; mark: string } | { type: 'Erased' };
const tapeV1 = defineAggregate<null, { type: 'write'; event: V1Event }, V1Event>({
  type: 'tape',
  initialState: () => null,
  decide: (_s, c) => [c.event],
  evolve: (s) => s,
});

const WRITTEN: V1Event[] = [
  { type: 'Marked', mark: 'a' },
  { type: 'Doubled', mark: 'b' },
  { type: 'Erased' },
  { type: 'Marked', mark: 'c' },
];
const READ = ['a+', 'b+a', 'b+b', 'c+'];

let data: string;
/** What the runtime's three read paths gave, on the same folder, before the CLI ran. */
let runtimeSaw: { state: unknown; version: number; projected: string[]; subscribed: string[] };

beforeAll(async () => {
  data = `${freshDir()}/store`;
  const v1 = await createRuntime({ store: levelStore({ path: data }), aggregates: [tapeV1] });
  for (const event of WRITTEN) await v1.get(tapeV1, 't1').execute({ type: 'write', event });
  await v1.shutdown();

  const { tapeV2 } = (await import(v2Module)) as { tapeV2: AnyAggregate };
  const rt = await createRuntime({ store: levelStore({ path: data }), aggregates: [tapeV2] });
  const { state, version } = await rt.get('tape', 't1').state();
  const markOf = (e: EventEnvelope) => (e.data as { type: string; mark: string }).mark;
  const p = rt.project(
    defineProjection({
      name: 'marks',
      init: (): string[] => [],
      handlers: { Marked: (s: string[], e: EventEnvelope) => [...s, markOf(e)] },
    }),
  );
  await p.waitFor(WRITTEN.length);
  const subscribed: string[] = [];
  const end = new AbortController();
  for await (const e of rt.subscribe({ signal: end.signal })) {
    subscribed.push(markOf(e));
    if (e.position === WRITTEN.length) end.abort();
  }
  runtimeSaw = { state, version, projected: p.state(), subscribed };
  await rt.shutdown();
});

describe('upcasting in the CLI (offline)', () => {
  it('replays the state through the upcasters, as the runtime, its projection and subscription read it', async () => {
    expect(runtimeSaw).toEqual({ state: READ, version: 4, projected: READ, subscribed: READ });
    const result = await cliJson<StateResult>(['state', 'tape/t1', '--data', data, '--module', v2Module]);
    expect(result).toEqual({ stream: 'tape/t1', aggregateType: 'tape', version: 4, state: READ });
  });

  it('shows the stored events as they are, and with --upcast as the definition reads them', async () => {
    const stored = await cliJson<EventsResult>(['events', 'tape/t1', '--data', data]);
    expect(stored.events.map((e) => [e.version, e.type, e.schemaVersion])).toEqual([
      [1, 'Marked', 1],
      [2, 'Doubled', 1],
      [3, 'Erased', 1],
      [4, 'Marked', 1],
    ]);
    const read = await cliJson<EventsResult>([
      'events',
      'tape/t1',
      '--data',
      data,
      '--upcast',
      '--module',
      v2Module,
    ]);
    expect(read.version).toBe(4);
    expect(read.next).toBe(null);
    expect(
      read.events.map((e) => [
        e.version,
        e.position,
        e.type,
        e.schemaVersion,
        (e.data as { type: string; mark?: string }).mark,
      ]),
    ).toEqual([
      [1, 1, 'Marked', 2, 'a+'],
      [2, 2, 'Marked', 2, 'b+a'],
      [2, 2, 'Marked', 2, 'b+b'],
      [4, 4, 'Marked', 2, 'c+'],
    ]);
    const table = await cli(['events', 'tape/t1', '--data', data, '--upcast', '--module', v2Module]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('b+b');
  });

  it('pages by stored event: the events one stored event becomes are never split between pages', async () => {
    const args = ['events', 'tape/t1', '--data', data, '--upcast', '--module', v2Module, '--limit', '1'];
    const first = await cliJson<EventsResult>([...args]);
    expect(first.events.map((e) => e.version)).toEqual([1]);
    expect(first.next).toBe(2);
    const second = await cliJson<EventsResult>([...args, '--from', '2']);
    expect(second.events.map((e) => (e.data as { type: string; mark: string }).mark)).toEqual(['b+a', 'b+b']);
    expect(second.next).toBe(3);
    const third = await cliJson<EventsResult>([...args, '--from', '3']);
    // Version 3 is dropped by its upcaster: the page has nothing from it and goes on.
    expect(third.events.map((e) => e.version)).toEqual([4]);
    expect(third.next).toBe(null);
    const last = await cliJson<EventsResult>([...args.slice(0, -2), '--last', '2']);
    expect(last.events.map((e) => (e.data as { type: string; mark: string }).mark)).toEqual(['b+b', 'c+']);
  });

  it('says what is wrong with --upcast usage, a broken upcaster and an event from a newer schema', async () => {
    const noModule = await cli(['events', 'tape/t1', '--data', data, '--upcast']);
    expect(noModule.code).toBe(2);
    expect(noModule.stderr).toContain('--upcast needs --module');

    const hostile = fixture('tape-v2-hostile.mjs');
    const broken = await cli(['state', 'tape/t1', '--data', data, '--module', hostile]);
    expect(broken.code).toBe(6);
    expect(broken.stderr).toContain(
      'UPCAST_FAILED: tape/t1@2: the upcaster of Doubled from schema version 1 returned undefined',
    );
    const brokenEvents = await cli(['events', 'tape/t1', '--data', data, '--upcast', '--module', hostile]);
    expect(brokenEvents.code).toBe(6);
    expect(brokenEvents.stderr).toContain('UPCAST_FAILED');

    const newer = `${freshDir()}/store`;
    const store = await levelStore({ path: newer });
    await store.append('tape/t9', [{ data: { type: 'Marked', mark: 'x' }, schemaVersion: 3 }], {
      expectedVersion: 0,
    });
    await store.close();
    const refused = await cli(['state', 'tape/t9', '--data', newer, '--module', v2Module]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'UNKNOWN_EVENT_SCHEMA: tape/t9@1: the event has schema version 3, newer than 2',
    );
  });
});
