/**
 * Two runtimes writing the same streams through one store that, like a database shared by
 * several daemons, cannot tell either of them the head without a read. Each runtime has its
 * own single writer per aggregate; across runtimes `expectedVersion` is the guard and a
 * conflicting append is refreshed and re-decided. Random commands, retries and evictions on
 * both must leave every stream linear, every acknowledged command stored exactly once, and
 * every replied state equal to the fold of the stream up to its version.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createRuntime,
  type DomainEvent,
  type ExecuteResult,
  memoryStore,
  type Runtime,
} from '../src/index.js';
import { type CounterState, counter } from './support/counter.js';
import { collect, flush, ProbeStore, tagOf } from './support/probe-store.js';

const IDS = ['a', 'b'];
const RUNS = process.env.ACTORFOLD_SOAK ? 3000 : 80;

interface Cmd {
  node: number;
  agg: number;
  twice: boolean;
  retryOf: number | null;
  evictFirst: boolean;
}

const cmdArb: fc.Arbitrary<Cmd> = fc.record({
  node: fc.nat(1),
  agg: fc.nat(IDS.length - 1),
  twice: fc.boolean(),
  retryOf: fc.option(fc.nat(30), { nil: null, freq: 4 }),
  evictFirst: fc.boolean(),
});

function fold(data: DomainEvent[]): CounterState {
  const s: CounterState = { n: 0, tags: [] };
  for (const d of data as Array<DomainEvent & { by: number; tag?: string }>) {
    s.n += d.by;
    if (d.tag !== undefined) s.tags.push(d.tag);
  }
  return s;
}

describe('two runtimes on one shared store', () => {
  it('keep every stream linear and every acknowledged command exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(cmdArb, { minLength: 1, maxLength: 40, size: 'max' }),
        fc.array(fc.nat(3), { minLength: 1 }),
        async (cmds, delays) => {
          let turn = 0;
          const delay = async () => {
            const n = delays[turn++ % delays.length] as number;
            for (let i = 0; i < n; i++) await flush();
          };
          const shared = memoryStore();
          const nodes: Runtime[] = [];
          for (let i = 0; i < 2; i++) {
            const store = new ProbeStore(shared, {
              hideKnownVersion: true,
              beforeAppend: delay,
              beforeRead: delay,
              keepOnClose: true,
            });
            nodes.push(
              await createRuntime({
                store,
                aggregates: [counter],
                maxConflictRetries: 50,
                commandTimeoutMs: 0,
              }),
            );
          }
          const sent: Array<{
            tag: string;
            agg: number;
            twice: boolean;
            commandId: string;
            ok?: ExecuteResult<CounterState>;
            err?: { code?: string };
          }> = [];
          const pending: Promise<unknown>[] = [];
          for (const c of cmds) {
            const rt = nodes[c.node] as Runtime;
            const id = IDS[c.agg] as string;
            const earlier = sent.filter((s) => s.agg === c.agg);
            const commandId =
              c.retryOf !== null && earlier.length > 0
                ? (earlier[c.retryOf % earlier.length] as { commandId: string }).commandId
                : `cmd-${sent.length}`;
            const entry: (typeof sent)[number] = {
              tag: `t${sent.length}`,
              agg: c.agg,
              twice: c.twice,
              commandId,
            };
            sent.push(entry);
            if (c.evictFirst) pending.push(rt.evict(counter, id));
            pending.push(
              rt
                .get(counter, id)
                .execute({ type: c.twice ? 'addTwice' : 'add', by: 1, tag: entry.tag }, { commandId })
                .then(
                  (ok) => {
                    entry.ok = ok;
                  },
                  (err: { code?: string }) => {
                    entry.err = err;
                  },
                ),
            );
            if (turn % 3 === 0) await flush();
          }
          await Promise.all(pending);
          for (const rt of nodes) await rt.shutdown();

          for (let agg = 0; agg < IDS.length; agg++) {
            const stream = await collect(shared.readStream(`counter/${IDS[agg]}`));
            expect(stream.map((e) => e.version)).toEqual(stream.map((_, i) => i + 1));
            const tags = stream.map(tagOf);
            const byCommandId = new Map<string, number>();
            for (const e of stream) {
              const id = e.metadata.commandId as string;
              byCommandId.set(id, (byCommandId.get(id) ?? 0) + 1);
            }
            const byCommandIdTags = (id: string) =>
              stream.filter((e) => e.metadata.commandId === id).map(tagOf);
            for (const s of sent.filter((x) => x.agg === agg)) {
              const stored = tags.filter((t) => t === s.tag).length;
              if (s.ok !== undefined && !s.ok.deduplicated) {
                expect(stored).toBe(s.twice ? 2 : 1);
                expect(s.ok.state).toEqual(fold(stream.slice(0, s.ok.version).map((e) => e.data)));
              } else {
                expect(stored).toBe(0);
              }
              // A reuse of a commandId here is a different command (its own tag): refused as a
              // conflict once the first is stored; VERSION_CONFLICT only after 50 lost races.
              if (s.err?.code === 'IDEMPOTENCY_CONFLICT') {
                const stored = byCommandIdTags(s.commandId);
                expect(stored.length).toBeGreaterThan(0);
                expect(stored).not.toContain(s.tag);
              } else if (s.err !== undefined) expect(s.err.code).toBe('VERSION_CONFLICT');
            }
            // A commandId never lands twice, whichever runtime the retry went to.
            for (const [id, count] of byCommandId) {
              const twice = sent.some(
                (s) => s.commandId === id && s.ok !== undefined && s.ok.events.length === 2,
              );
              expect(count).toBe(twice ? 2 : 1);
            }
          }
        },
      ),
      { numRuns: RUNS },
    );
  }, 120_000);
});
