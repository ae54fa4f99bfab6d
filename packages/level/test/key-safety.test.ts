/**
 * The key encoding is injective over every id the store accepts: two accepted stream ids never
 * share a key or a key range, and an id the encoding cannot keep apart (a lone surrogate becomes
 * U+FFFD in UTF-8; U+0000 is the separator) is refused before anything is written.
 */
import { isActorfoldError } from '@actorfold/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { levelStore } from '../src/index.js';
import {
  assertStorableId,
  dueKey,
  streamEnd,
  streamKey,
  timerEnd,
  timerKey,
  timerStart,
} from '../src/keys.js';
import { freshFolder } from './support/folders.js';

/** Ids built from the characters that break naive encodings, mixed with any code point. */
const nasty = fc.constantFrom(
  '\uD800',
  '\uDC00',
  '\uDBFF',
  '\uDFFF',
  '\uFFFD',
  '\u0000',
  '\u0001',
  'x',
  '/',
  '\uD83D\uDE00',
);
const idArb = fc
  .array(
    fc.oneof(
      nasty,
      fc.string({ unit: 'binary', maxLength: 2 }),
      fc.string({ unit: 'binary-ascii', maxLength: 1 }),
    ),
    {
      minLength: 1,
      maxLength: 4,
    },
  )
  .map((parts) => parts.join(''))
  .filter((id) => id.length > 0);

function accepted(id: string): boolean {
  try {
    assertStorableId('stream id', id);
    return true;
  } catch (e) {
    expect(isActorfoldError(e) && e.code === 'INVALID_ARGUMENT').toBe(true);
    return false;
  }
}

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

describe('stream ids and their LevelDB keys', () => {
  it('never gives two accepted ids the same key, nor a key inside the other stream range', () => {
    fc.assert(
      fc.property(fc.uniqueArray(idArb, { minLength: 2, maxLength: 30 }), (ids) => {
        const ok = ids.filter(accepted);
        const seen = new Map<string, string>();
        for (const id of ok) {
          const key = bytes(streamKey(id, 1)).toString('hex');
          expect(seen.get(key), `${JSON.stringify(id)} shares a key`).toBeUndefined();
          seen.set(key, id);
        }
        for (const a of ok) {
          for (const b of ok) {
            if (a === b) continue;
            const k = bytes(streamKey(a, 1));
            const inside =
              Buffer.compare(k, bytes(streamKey(b, 0))) >= 0 && Buffer.compare(k, bytes(streamEnd(b))) < 0;
            expect(inside, `${JSON.stringify(a)} inside ${JSON.stringify(b)}`).toBe(false);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('refuses ids with a lone surrogate or U+0000 and accepts paired surrogates and U+FFFD', () => {
    for (const bad of ['x\uD800', 'x\uDC00', '\uDC00\uD800', 'a\u0000b']) expect(accepted(bad)).toBe(false);
    for (const good of ['x\uFFFD', 'x\uD83D\uDE00', 'ü/ß']) expect(accepted(good)).toBe(true);
  });

  it('on a real folder: every accepted id keeps its own events, every refused one writes nothing', async () => {
    const store = await levelStore({ path: freshFolder() });
    const model = new Map<string, string[]>();
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(idArb, { minLength: 1, maxLength: 8 }), async (ids) => {
          for (const id of ids) {
            const streamId = `t/${id}`;
            const before = await store.lastPosition();
            const events = model.get(streamId) ?? [];
            const tag = `${events.length + 1}:${JSON.stringify(id)}`;
            const append = store.append(streamId, [{ data: { type: 'tagged', tag } }], {
              expectedVersion: events.length,
            });
            if (accepted(streamId)) {
              await append;
              model.set(streamId, [...events, tag]);
            } else {
              await expect(append).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
              expect(await store.lastPosition()).toBe(before);
            }
          }
          for (const [streamId, tags] of model) {
            const read: string[] = [];
            for await (const e of store.readStream(streamId))
              read.push((e.data as unknown as { tag: string }).tag);
            expect(read).toEqual(tags);
          }
        }),
        { numRuns: 60 },
      );
      // The three ids: one accepted, two refused, nothing overwritten.
      const three = await Promise.allSettled(
        ['x\uD800', 'x\uDC00', 'x\uFFFD'].map((id) =>
          store.append(`c/${id}`, [{ data: { type: 'first' } }], { expectedVersion: 0 }),
        ),
      );
      expect(three.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
      expect(await store.streamVersion('c/x\uFFFD')).toBe(1);
    } finally {
      await store.close();
    }
  });
});

describe('timer keys of hostile stream ids and names', () => {
  const pair = fc.tuple(idArb, idArb);

  it('never give two accepted (stream, name) pairs the same key, nor a key in another stream range', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(pair, { minLength: 2, maxLength: 25, selector: ([s, n]) => `${s}|${n}|${s.length}` }),
        (pairs) => {
          const ok = pairs.filter(([s, n]) => accepted(s) && accepted(n));
          const byTimer = new Map<string, string>();
          const byDue = new Map<string, string>();
          for (const [s, n] of ok) {
            const id = JSON.stringify([s, n]);
            const t = bytes(timerKey(s, n)).toString('hex');
            const d = bytes(dueKey(7, s, n)).toString('hex');
            const seenT = byTimer.get(t);
            const seenD = byDue.get(d);
            if (seenT !== undefined) expect(seenT, `${id} shares a timer key`).toBe(id);
            if (seenD !== undefined) expect(seenD, `${id} shares a due key`).toBe(id);
            byTimer.set(t, id);
            byDue.set(d, id);
          }
          for (const [s, n] of ok) {
            for (const [other] of ok) {
              if (other === s) continue;
              const k = bytes(timerKey(s, n));
              const inside =
                Buffer.compare(k, bytes(timerStart(other))) >= 0 &&
                Buffer.compare(k, bytes(timerEnd(other))) < 0;
              expect(inside, `${JSON.stringify([s, n])} inside the timers of ${JSON.stringify(other)}`).toBe(
                false,
              );
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('order the due index by due time, then stream id, then name, in code point order', () => {
    const codePoints = (s: string): number[] => [...s].map((c) => c.codePointAt(0) as number);
    const cmpPoints = (a: number[], b: number[]): number => {
      for (let i = 0; i < Math.min(a.length, b.length); i++)
        if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
      return a.length - b.length;
    };
    const due = fc.oneof(
      fc.integer({ min: -5, max: 5 }),
      fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(due, idArb, idArb), { minLength: 2, maxLength: 20 }), (timers) => {
        const ok = timers.filter(([, s, n]) => accepted(s) && accepted(n));
        const byKey = [...ok].sort((a, b) => Buffer.compare(bytes(dueKey(...a)), bytes(dueKey(...b))));
        const byPair = [...ok].sort(
          (a, b) =>
            a[0] - b[0] ||
            cmpPoints(codePoints(a[1]), codePoints(b[1])) ||
            cmpPoints(codePoints(a[2]), codePoints(b[2])),
        );
        expect(byKey).toEqual(byPair);
      }),
      { numRuns: 300 },
    );
  });

  it('on a real folder: each accepted (stream, name) keeps its own timer, a refused one writes nothing', async () => {
    const store = await levelStore({ path: freshFolder() });
    const model = new Map<string, number>();
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.tuple(idArb, idArb), { minLength: 1, maxLength: 6 }), async (pairs) => {
          for (const [id, name] of pairs) {
            const streamId = `t/${id}`;
            const version = await store.streamVersion(streamId).catch(() => -1);
            if (version < 0) continue; // a refused stream id: the events test covers it
            const timer = {
              streamId,
              name,
              dueAt: version,
              version: version + 1,
              missed: 'fire' as const,
              command: { type: 'T' },
            };
            const append = store.append(streamId, [{ data: { type: 'A' } }], {
              expectedVersion: version,
              timers: [{ op: 'schedule', timer }],
            });
            if (accepted(name)) {
              await append;
              model.set(JSON.stringify([streamId, name]), version);
            } else {
              await expect(append).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
              expect(await store.streamVersion(streamId)).toBe(version);
            }
          }
          expect(await store.timers.count()).toBe(model.size);
          for (const [key, dueAt] of model) {
            const [streamId, name] = JSON.parse(key) as [string, string];
            expect(await store.timers.get(streamId, name)).toMatchObject({ streamId, name, dueAt });
          }
        }),
        { numRuns: 40 },
      );
    } finally {
      await store.close();
    }
  });
});
