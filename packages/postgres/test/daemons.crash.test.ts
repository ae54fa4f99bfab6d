/**
 * Three daemons on one database hammer the same 50 ledgers with tagged, commandId-carrying
 * commands; one is SIGKILLed mid-run. From the database afterwards: every acknowledged command is
 * stored exactly once and whole, every stream is contiguous, the global log holds exactly the
 * stream events in increasing positions, and re-sending commands (acknowledged ones, and the
 * killed daemon's unacknowledged ones, as a client would) appends nothing twice.
 */
import { createRuntime } from '@actorfold/core';
import { verifyLedger } from '@actorfold/testing';
import { describe, expect, it } from 'vitest';
import { migrate, postgresStore } from '../src/index.js';
import { type Child, startChild } from './support/child.js';
import { freshDatabase, skipReason } from './support/database.js';
import { DEDUPE_WINDOW, ledger } from './support/ledger.js';

const DAEMONS = ['a', 'b', 'c'];
const KILLED = 'b';

/** The load on each daemon: spread over many ledgers, or piled on a few so batches form. */
const LOADS = [
  { concurrency: 8, aggregates: 50, maxBatch: undefined },
  // 48 callers per daemon on 6 ledgers: commands queue up and are stored in batches, which
  // conflict with the other daemons' batches and are decided again.
  { concurrency: 48, aggregates: 6, maxBatch: 32 },
] as const;

interface Command {
  readonly node: string;
  readonly id: string;
  readonly tag: string;
  readonly parts: number;
}

for (const { concurrency: CONCURRENCY, aggregates: AGGREGATES, maxBatch } of LOADS) {
  const batched = maxBatch !== undefined;
  const load = batched
    ? ` (${CONCURRENCY} callers each on ${AGGREGATES} ledgers, batches of up to ${maxBatch})`
    : '';
  describe.skipIf(skipReason !== undefined)(
    `three daemons sharing one PostgreSQL store${load} ${skipReason ?? ''}`,
    () => {
      it('store every acknowledged command exactly once, keep every stream contiguous and append nothing twice on retries, with one daemon SIGKILLed mid-run', async () => {
        const url = await freshDatabase(batched ? 'daemons_batched' : 'daemons');
        let largestBatch = 0;
        const schema = 'ledgers';
        await migrate({ connectionString: url, schema });
        const children = new Map<string, Child>(
          DAEMONS.map((node) => [
            node,
            startChild('daemon-child', [
              url,
              schema,
              node,
              String(CONCURRENCY),
              String(AGGREGATES),
              ...(maxBatch === undefined ? [] : [String(maxBatch)]),
            ]),
          ]),
        );
        await Promise.all([...children.values()].map((c) => c.waitFor('READY')));
        await waitForAcks(children, 300);
        await sleep(300 + Math.random() * 500);
        const killed = children.get(KILLED) as Child;
        killed.process.kill('SIGKILL');
        expect((await killed.exited).signal, killed.stderr()).toBe('SIGKILL');
        // The others go on without it for a while, then stop cleanly.
        await sleep(800);
        for (const [node, child] of children) if (node !== KILLED) child.process.kill('SIGTERM');
        for (const [node, child] of children) {
          if (node === KILLED) continue;
          const { code } = await child.exited;
          expect(code, child.stderr()).toBe(0);
        }

        const acked = new Map<string, Command>();
        const sent = new Map<string, Command>();
        let retries = 0;
        let conflictRetries = 0;
        for (const [node, child] of children) {
          for (const line of child.lines) {
            const [kind, a, b, c] = line.split(' ');
            if (kind === 'SEND' || kind === 'ACK') {
              const cmd = { node, id: a as string, tag: b as string, parts: Number(c) };
              (kind === 'SEND' ? sent : acked).set(cmd.tag, cmd);
            } else if (kind === 'RETRY') retries++;
            else if (kind === 'DONE') {
              conflictRetries += Number(a);
              largestBatch = Math.max(largestBatch, Number(b));
            } else expect(['READY'], `unexpected output of daemon ${node}: ${line}`).toContain(line);
          }
        }
        for (const node of DAEMONS) {
          expect(
            [...acked.values()].filter((c) => c.node === node).length,
            `daemon ${node} acknowledged`,
          ).toBeGreaterThan(20);
        }

        // The load piled up: the survivors stored several commands in one append.
        if (batched) expect(largestBatch).toBeGreaterThan(1);

        // The runtime's shutdown closes the store; closing again in `finally` is a no-op.
        const store = await postgresStore({ connectionString: url, schema });
        try {
          const before = await verify(store, acked, AGGREGATES);
          // What the killed daemon sent but never acknowledged may or may not be stored: a client
          // re-sends it (here to a fresh node) and it must end up stored exactly once.
          const unacked = [...sent.values()].filter((c) => !acked.has(c.tag));
          expect(unacked.every((c) => c.node === KILLED)).toBe(true);
          const runtime = await createRuntime({
            store,
            aggregates: [ledger],
            dedupeWindow: DEDUPE_WINDOW,
            // The acknowledged commands are re-sent all at once below: callers past a mailbox's
            // capacity wait for room, and the test's ceiling bounds the wait.
            onMailboxFull: 'wait',
            commandTimeoutMs: 0,
          });
          let resentStored = 0;
          for (const c of unacked) {
            const r = await runtime
              .get(ledger, c.id)
              .execute({ type: 'record', tag: c.tag, parts: c.parts }, { commandId: c.tag });
            if (r.deduplicated) resentStored++;
            acked.set(c.tag, c);
          }
          // Re-sending every acknowledged command, all at once as many clients would, appends
          // nothing. (One at a time, this was most of the test's time: 2,400 sequential commands.)
          const resends = await Promise.all(
            [...acked.values()].map((c) =>
              runtime
                .get(ledger, c.id)
                .execute({ type: 'record', tag: c.tag, parts: c.parts }, { commandId: c.tag })
                .then((r) => [c.tag, r.deduplicated] as const),
            ),
          );
          for (const [tag, deduplicated] of resends) expect(deduplicated, tag).toBe(true);
          const after = await verify(store, acked, AGGREGATES);
          const stats = runtime.stats();
          await runtime.shutdown();
          // Only the unacknowledged commands that had not been stored appended anything.
          expect(stats.eventsAppended).toBe(after - before);
          console.info(
            `three daemons${load}: ${acked.size} commands, ${after} events, ${conflictRetries} conflict re-decisions in the survivors, ` +
              `${retries} client retries, ${unacked.length} unacknowledged re-sent (${resentStored} had been stored), largest batch ${largestBatch}`,
          );
        } finally {
          await store.close();
        }
      }, 300_000); // a generous ceiling for a busy machine (2 cores shared by many processes)
    },
  );
}

/** Checks the database against the acknowledged commands; returns the number of events stored. */
function verify(
  store: Awaited<ReturnType<typeof postgresStore>>,
  acked: ReadonlyMap<string, Command>,
  aggregates: number,
): Promise<number> {
  return verifyLedger(store, {
    streams: Array.from({ length: aggregates }, (_, n) => `ledger/l${n}`),
    acknowledged: [...acked.values()].map((c) => ({ streamId: `ledger/${c.id}`, tag: c.tag })),
  });
}

/** Resolves once every daemon has acknowledged at least `n` commands. */
async function waitForAcks(children: ReadonlyMap<string, Child>, n: number): Promise<void> {
  for (;;) {
    const counts = [...children.values()].map((c) => c.lines.filter((l) => l.startsWith('ACK')).length);
    if (counts.every((k) => k >= n)) return;
    await sleep(50);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
