/** Checks shared by the format upgrade tests: what a folder must hold during and after its migration. */
import type { EventEnvelope } from '@actorfold/core';
import { ClassicLevel } from 'classic-level';
import { expect } from 'vitest';
import { levelStore } from '../../src/index.js';
import { type FormatOneEvent, formatOneRecord } from './format-one.js';

export interface Expected {
  streamId: string;
  version: number;
  position: number;
  data: FormatOneEvent['data'];
}

/** The events of `batches` as format 1 numbered them, in position order. */
export function expectedOf(batches: readonly FormatOneEvent[][]): Expected[] {
  const heads = new Map<string, number>();
  const out: Expected[] = [];
  for (const e of batches.flat()) {
    const version = (heads.get(e.streamId) ?? 0) + 1;
    heads.set(e.streamId, version);
    out.push({ streamId: e.streamId, version, position: out.length + 1, data: e.data });
  }
  return out;
}

export async function all(events: AsyncIterable<EventEnvelope>): Promise<EventEnvelope[]> {
  const out: EventEnvelope[] = [];
  for await (const e of events) out.push(e);
  return out;
}

export const brief = (e: EventEnvelope | Expected) => [e.streamId, e.version, e.position, e.data];

/** The format marker and every key of the log range, read raw. */
export async function rawLog(
  path: string,
): Promise<{ format: string | undefined; log: Array<[string, string]> }> {
  const db = new ClassicLevel<string, string>(path);
  await db.open();
  try {
    return { format: await db.get('mformat'), log: await db.iterator({ gt: 'l', lt: 'lg' }).all() };
  } finally {
    await db.close();
  }
}

/**
 * Checks a folder as a kill left it, before any store opens it: every position is held exactly
 * once, either by its format 1 log key or by an index entry naming the right stream and version.
 */
export async function assertConsistent(path: string, expected: readonly Expected[]): Promise<string> {
  const { format, log } = await rawLog(path);
  expect(['1', '1-to-2', '2']).toContain(format);
  const seen: Array<string | undefined> = [];
  const claim = (position: number, who: string) => {
    expect(seen[position], `position ${position} held twice`).toBeUndefined();
    seen[position] = who;
  };
  for (const [key, value] of log) {
    if (key.length === 15) {
      const position = Number.parseInt(key.slice(1), 16);
      const e = expected[position - 1] as Expected;
      expect(value).toBe(formatOneRecord({ streamId: e.streamId, data: e.data }, e.version, position));
      claim(position, `${e.streamId}@${e.version}`);
      continue;
    }
    expect(key).toHaveLength(29);
    let position = Number.parseInt(key.slice(1, 15), 16);
    for (const [streamId, first, count] of JSON.parse(value) as Array<[string, number, number]>) {
      for (let i = 0; i < count; i++) claim(position++, `${streamId}@${first + i}`);
    }
    expect(position - 1).toBe(Number.parseInt(key.slice(15), 16));
  }
  for (const e of expected) expect(seen[e.position]).toBe(`${e.streamId}@${e.version}`);
  expect(seen.length).toBe(expected.length + 1);
  if (format === '2') expect(log.filter(([key]) => key.length === 15)).toEqual([]);
  return format as string;
}

/** Opens the folder (finishing any migration) and checks every promise against `expected`. */
export async function assertUpgraded(path: string, expected: readonly Expected[]): Promise<void> {
  const store = await levelStore({ path });
  try {
    expect(await store.lastPosition()).toBe(expected.length);
    expect((await all(store.readAll())).map(brief)).toEqual(expected.map(brief));
    const streams = [...new Set(expected.map((e) => e.streamId))];
    for (const streamId of streams) {
      const read = await all(store.readStream(streamId));
      expect(read.map(brief)).toEqual(expected.filter((e) => e.streamId === streamId).map(brief));
    }
    // New events continue the positions and the stream's versions.
    const streamId = streams[0] as string;
    const head = expected.filter((e) => e.streamId === streamId).length;
    const [added] = await store.append(streamId, [{ data: { type: 'Added' } }], { expectedVersion: head });
    expect(added).toMatchObject({ version: head + 1, position: expected.length + 1 });
    expect((await all(store.readAll({ fromPosition: expected.length }))).map((e) => e.position)).toEqual([
      expected.length,
      expected.length + 1,
    ]);
  } finally {
    await store.close();
  }
  const { format, log } = await rawLog(path);
  expect(format).toBe('2');
  expect(log.filter(([key]) => key.length !== 29)).toEqual([]);
}
