/**
 * Durable effects against real SIGKILLs: a child process sends errands (each requests one
 * effect, whose implementation journals every attempt to an fsync'd file and returns after a
 * short random delay, some failing their first attempts on purpose) and runs them; we kill it at
 * random moments, round after round, while effects run and results are delivered, then let one
 * last child drain what is pending. From the folder and the journal: every acknowledged request
 * is stored, every stored request ran at least once, and its result took effect exactly once;
 * the re-executions the kills caused are counted and printed.
 */
import { rmSync } from 'node:fs';
import type { EventEnvelope } from '@actorfold/core';
import { type ErrandEvent, errandVerdict, readJournal } from '@actorfold/testing/crash';
import { describe, expect, it } from 'vitest';
import { levelStore } from '../src/index.js';
import { killChild, startChild } from './support/child.js';
import { freshFolder } from './support/folders.js';

const SOAK = process.env.ACTORFOLD_SOAK !== undefined;
const ROUNDS = SOAK ? 25 : 4;
/** Errands sent per round. */
const PER_ROUND = SOAK ? 150 : 60;

describe('durable effects on levelStore, the process killed with SIGKILL while they run', () => {
  it(
    `runs every requested effect at least once and applies each result exactly once, over ${ROUNDS} kill/restart rounds`,
    async () => {
      const folder = freshFolder('effects-crash');
      const journal = `${folder}.journal`;
      const acked: Array<{ streamId: string; marker: string }> = [];
      for (let round = 0; round < ROUNDS; round++) {
        const child = startChild('effect-crash-child', [
          folder,
          journal,
          'run',
          String(round),
          String(PER_ROUND),
        ]);
        // Every fourth round is killed during start-up (while leftover effects and results load).
        const early = round % 4 === 3;
        // The others while effects run: once a result took effect, after a random pause.
        if (!early) await child.waitFor('FIRED ');
        await sleep(Math.random() * (early ? 600 : 700));
        await killChild(child);
        for (const line of child.lines) {
          const [kind, streamId, marker] = line.split(' ');
          if (kind === 'ACK') acked.push({ streamId: streamId as string, marker: marker as string });
          else if (kind !== 'END' && kind !== 'FIRED')
            expect(['READY', 'SENT-ALL'], `unexpected child output: ${line}`).toContain(line);
        }
      }
      expect(acked.length).toBeGreaterThan(0);

      const drainedFrom = Date.now();
      const drain = startChild('effect-crash-child', [folder, journal, 'drain', 'x', '0']);
      // Bounded, so that an effect that never settles fails with what was still pending.
      const done = await Promise.race([drain.waitFor('DONE'), sleep(120_000).then(() => undefined)]);
      if (done === undefined) {
        drain.process.kill('SIGKILL');
        throw new Error(
          `the drain did not finish: ${drain.lines.filter((l) => l.startsWith('PENDING')).join(' | ')}`,
        );
      }
      expect((await drain.exited).code, drain.stderr()).toBe(0);

      const store = await levelStore({ path: folder });
      try {
        const events: EventEnvelope[] = [];
        for await (const e of store.readAll()) events.push(e);
        const { entries, torn } = readJournal(journal);
        expect(torn, 'a journal line cut short').toBeUndefined();
        const verdict = errandVerdict({ events, journal: entries, acknowledged: acked });
        expect(verdict.problems).toEqual([]);
        // Results took effect in the processes that were killed, not only in the last one.
        const settledBeforeDrain = events.filter((e) => {
          const data = e.data as ErrandEvent;
          return data.type === 'Settled' && data.at < drainedFrom;
        }).length;
        expect(settledBeforeDrain, 'results applied before the drain').toBeGreaterThan(0);
        expect(await store.timers.count()).toBe(0);
        console.log(
          `effects crash: ${ROUNDS} rounds, ${verdict.effects} effects (${acked.length} acknowledged), ` +
            `${verdict.executions} attempts started, ${verdict.deliberateFailures} failed on purpose, ` +
            `${verdict.reExecutions} re-executions caused by the kills (${verdict.effectsReExecuted} effects), ` +
            `${settledBeforeDrain} results applied in killed processes, each result once`,
        );
      } finally {
        await store.close();
        rmSync(journal, { force: true });
      }
    },
    SOAK ? 900_000 : 240_000,
  );
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
