/**
 * Invariants 4, 5 and 6 against real SIGKILLs: a child process runs a runtime on a LevelDB
 * folder and acknowledges tagged commands; we kill it at random moments, round after round,
 * then prove from the folder that nothing acknowledged was lost, duplicated or torn.
 */
import { writeFileSync } from 'node:fs';
import { createRuntime } from '@actorfold/core';
import { verifyLedger } from '@actorfold/testing';
import { describe, expect, it } from 'vitest';
import { type Durability, levelStore } from '../src/index.js';
import { type Child, startChild } from './support/child.js';
import { freshFolder } from './support/folders.js';
import { DEDUPE_WINDOW, ledger } from './support/ledger.js';

const SOAK = process.env.ACTORFOLD_SOAK !== undefined;
const ROUNDS = SOAK ? 40 : 6;

/** How the child loads the store: spread over many aggregates, or piled on a few so batches form. */
interface Load {
  readonly durability: Durability;
  readonly concurrency: number;
  readonly aggregates: number;
  /** maxBatchCommands of the child's runtime; undefined: the default. */
  readonly maxBatch?: number;
  /** maxBatchesInFlight of the child's runtime (with maxBatch); undefined: the default. */
  readonly inFlight?: number;
}

const LOADS: readonly Load[] = [
  { durability: 'fsync', concurrency: 24, aggregates: 40 },
  { durability: 'os', concurrency: 24, aggregates: 40 },
  // 128 callers on 3 aggregates: commands queue up, and each actor stores many in one append.
  { durability: 'fsync', concurrency: 128, aggregates: 3, maxBatch: 64 },
  // The same with overlap: each actor decides its next batch while up to 4 of its appends are in flight.
  { durability: 'fsync', concurrency: 128, aggregates: 3, maxBatch: 16, inFlight: 4 },
];

interface Acked {
  readonly id: string;
  readonly tag: string;
  readonly parts: number;
}

for (const { durability, concurrency: CONCURRENCY, aggregates: AGGREGATES, maxBatch, inFlight } of LOADS) {
  const batched = maxBatch !== undefined;
  const overlap = inFlight === undefined ? '' : `, up to ${inFlight} appends in flight`;
  const load = batched
    ? `, ${CONCURRENCY} callers on ${AGGREGATES} aggregates, batches of up to ${maxBatch}${overlap}`
    : '';
  describe(`a runtime on levelStore (durability '${durability}'${load}) killed with SIGKILL`, () => {
    it(
      `loses, duplicates and tears nothing it acknowledged, over ${ROUNDS} kill/restart rounds`,
      async () => {
        const folder = freshFolder(
          `crash-${durability}${batched ? '-batched' : ''}${inFlight ? '-overlap' : ''}`,
        );
        let largestBatch = 0;
        let mostInFlight = 0;
        const acked = new Map<string, Acked>();
        const resendFile = `${folder}.resend`;
        let resent = 0;
        for (let round = 0; round < ROUNDS; round++) {
          // Re-send a sample of what was acknowledged in earlier rounds: it must all come back deduplicated.
          const sample = [...acked.values()].filter(() => Math.random() < 0.05).slice(0, 40);
          writeFileSync(resendFile, sample.map((a) => `${a.id} ${a.tag} ${a.parts}\n`).join(''));
          const child = startChild('crash-child', [
            folder,
            durability,
            String(round),
            String(CONCURRENCY),
            String(AGGREGATES),
            resendFile,
            ...(maxBatch === undefined ? [] : [String(maxBatch)]),
            ...(inFlight === undefined ? [] : [String(inFlight)]),
          ]);
          // Every third round is killed during start-up and recovery, the others while under load.
          const early = round % 3 === 2;
          // On a busy machine start-up and recovery can outlast the kill delay: rounds under load
          // start their kill clock once 20 commands were acknowledged.
          if (!early) await child.waitFor('READY');
          if (!early) await acks(child, 20);
          await sleep(early ? Math.random() * 400 : 50 + Math.random() * 350);
          child.process.kill('SIGKILL');
          const { signal } = await child.exited;
          expect(signal, child.stderr()).toBe('SIGKILL');
          for (const line of child.lines) {
            const [kind, a, b, c] = line.split(' ');
            if (kind === 'ACK')
              acked.set(b as string, { id: a as string, tag: b as string, parts: Number(c) });
            else if (kind === 'DUP') {
              expect(line, `re-sent acknowledged command ${a}`).toBe(`DUP ${a} true`);
              resent++;
            } else if (kind === 'BATCH') largestBatch = Math.max(largestBatch, Number(a));
            else if (kind === 'INFLIGHT') mostInFlight = Math.max(mostInFlight, Number(a));
            else expect(['READY'], `unexpected child output: ${line}`).toContain(line);
          }
        }
        expect(acked.size).toBeGreaterThan(ROUNDS * 10);
        // The load piled up: several commands were stored in one append (otherwise this proves nothing about batches).
        if (batched) expect(largestBatch).toBeGreaterThan(1);
        // With overlap, an aggregate had several appends in flight at once (the path under test ran).
        if (inFlight !== undefined) expect(mostInFlight).toBeGreaterThan(1);

        const store = await levelStore({ path: folder, durability });
        try {
          const total = await verifyLedger(store, {
            streams: Array.from({ length: AGGREGATES }, (_, n) => `ledger/l${n}`),
            acknowledged: [...acked.values()].map((a) => ({ streamId: `ledger/${a.id}`, tag: a.tag })),
          });

          // Re-sending every acknowledged command, all at once as many clients would, appends
          // nothing (callers past a mailbox's capacity wait for room).
          const runtime = await createRuntime({
            store,
            aggregates: [ledger],
            dedupeWindow: DEDUPE_WINDOW,
            onMailboxFull: 'wait',
            commandTimeoutMs: 0, // the test's ceiling bounds the wait
          });
          const resends = await Promise.all(
            [...acked.values()].map((a) =>
              runtime
                .get(ledger, a.id)
                .execute({ type: 'record', tag: a.tag, parts: a.parts }, { commandId: a.tag })
                .then((r) => [a.tag, r.deduplicated] as const),
            ),
          );
          for (const [tag, deduplicated] of resends) expect(deduplicated, tag).toBe(true);
          let after = 0;
          for await (const _ of store.readAll()) after++;
          expect(after).toBe(total);
          await runtime.shutdown();
        } finally {
          await store.close();
        }
        // Informative only: how much the rounds exercised.
        console.info(
          `crash ${durability}${load}: ${ROUNDS} rounds, ${acked.size} acknowledged, ${resent} re-sent, largest batch ${largestBatch}, most appends in flight ${mostInFlight}`,
        );
      },
      SOAK ? 600_000 : batched ? 300_000 : 60_000,
    );
  });
}

/** Resolves once the child printed `n` acknowledgements (or exited). */
async function acks(child: Child, n: number): Promise<void> {
  let gone = false;
  void child.exited.then(() => {
    gone = true;
  });
  while (!gone && child.lines.filter((l) => l.startsWith('ACK ')).length < n) await sleep(10);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
