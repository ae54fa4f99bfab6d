/**
 * `LevelStore.listStreams` from outside (what operators' tools page with): options of the wrong
 * type, a negative, NaN or fractional limit, and prefixes or cursors no stream id can hold are
 * refused with INVALID_ARGUMENT, as the other read options are; well-formed ones page exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LevelStore, levelStore } from '../src/index.js';
import { freshFolder } from './support/folders.js';

let store: LevelStore;
const IDS = ['acct/a', 'acct/a/b', 'acct/b', 'acct/c', 'order/1'];

beforeAll(async () => {
  store = await levelStore({ path: freshFolder('list'), durability: 'os' });
  for (const id of IDS) {
    await store.append(id, [{ data: { type: 'Opened' } }], { expectedVersion: 0 });
  }
  await store.append('acct/b', [{ data: { type: 'More' } }], { expectedVersion: 1 });
});
afterAll(() => store.close());

async function list(opts: unknown): Promise<string[] | string> {
  try {
    const out: string[] = [];
    for await (const s of store.listStreams(opts as Parameters<LevelStore['listStreams']>[0])) {
      out.push(`${s.streamId}@${s.version}`);
    }
    return out;
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}

describe('listStreams', () => {
  it('pages through every stream once, in id order, with its head version', async () => {
    expect(await list(undefined)).toEqual(['acct/a@1', 'acct/a/b@1', 'acct/b@2', 'acct/c@1', 'order/1@1']);
    expect(await list({ limit: 2 })).toEqual(['acct/a@1', 'acct/a/b@1']);
    expect(await list({ after: 'acct/a/b', limit: 2 })).toEqual(['acct/b@2', 'acct/c@1']);
    expect(await list({ prefix: 'acct/a' })).toEqual(['acct/a@1', 'acct/a/b@1']);
    expect(await list({ limit: 0 })).toEqual([]);
  });

  it.each([
    ['limit NaN', { limit: Number.NaN }],
    ['limit -1', { limit: -1 }],
    ['limit 1.5', { limit: 1.5 }],
    ["limit '2'", { limit: '2' }],
    ['prefix a number', { prefix: 5 }],
    ['after a number', { after: 5 }],
    ['prefix with U+0000 (it would match the stream before it)', { prefix: 'acct/a\u0000' }],
    ['after with a lone surrogate', { after: 'acct/\uD800' }],
    ['options a string', 'acct/'],
  ])('refuses %s with INVALID_ARGUMENT', async (_name, opts) => {
    expect(await list(opts)).toBe('INVALID_ARGUMENT');
  });
});
