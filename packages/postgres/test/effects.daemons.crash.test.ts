/**
 * Durable effects shared by three daemons on one database: each sends errands (one effect each,
 * whose implementation journals node, idempotency key, start and end to a journal the daemons
 * share, fsync'd) and runs whatever effects it claims; one daemon is SIGKILLed while it runs
 * some. From the database and the journal afterwards: no two executions of one effect overlapped
 * in time (on any nodes), the killed daemon's unfinished effects were run again by another daemon
 * after it died, and every stored request ran and had its result applied exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventEnvelope } from '@actorfold/core';
import {
  errandVerdict,
  type JournalEntry,
  overlappingExecutions,
  readJournal,
} from '@actorfold/testing/crash';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, postgresStore } from '../src/index.js';
import { type Child, startChild } from './support/child.js';
import { freshDatabase, skipReason } from './support/database.js';

const SOAK = process.env.ACTORFOLD_SOAK !== undefined;
const DAEMONS = ['a', 'b', 'c'];
const KILLED = 'b';
/** How long the survivors go on sending errands after the kill. */
const AFTER_KILL_MS = SOAK ? 10_000 : 1_000;

const temp = mkdtempSync(join(tmpdir(), 'actorfold-pg-effects-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe.skipIf(skipReason !== undefined)(
  `durable effects shared by three daemons ${skipReason ?? ''}`,
  () => {
    it('run each effect on one node at a time, take over the killed node’s effects after it died, and apply every result once', async () => {
      const url = await freshDatabase('effects_daemons');
      const schema = 'errands';
      await migrate({ connectionString: url, schema });
      const journal = join(temp, `journal-${Date.now()}`);
      const children = new Map<string, Child>(
        DAEMONS.map((node) => [
          node,
          startChild('effect-daemon-child', [url, schema, node, journal, '6', node === KILLED ? '5' : '1']),
        ]),
      );
      await Promise.all([...children.values()].map((c) => c.waitFor('READY')));

      // Kill the daemon (its attempts are slow) once it finished one and runs at least three;
      // every daemon sends until then.
      const killed = children.get(KILLED) as Child;
      const started = Date.now();
      for (;;) {
        const { entries } = readJournal(journal);
        const ended = entries.some((e) => e.node === KILLED && e.kind === 'end');
        if (ended && open(entries, KILLED).length >= 3) break;
        if (Date.now() - started > 120_000)
          throw new Error(`daemon ${KILLED} never ran three effects at once`);
        await sleep(10);
      }
      killed.process.kill('SIGKILL');
      expect((await killed.exited).signal, killed.stderr()).toBe('SIGKILL');
      // Its process is gone by now: what it ran ended at the latest here.
      const killedAt = Date.now();
      await sleep(AFTER_KILL_MS);
      for (const [node, child] of children) if (node !== KILLED) child.process.kill('SIGUSR2');

      for (const [node, child] of children) {
        if (node === KILLED) continue;
        const done = await Promise.race([child.waitFor('DONE'), sleep(120_000).then(() => undefined)]);
        if (done === undefined) {
          for (const c of children.values()) c.process.kill('SIGKILL');
          throw new Error(
            `daemon ${node} did not drain: ${child.lines
              .filter((l) => l.startsWith('PENDING'))
              .slice(-3)
              .join(' | ')}`,
          );
        }
        expect((await child.exited).code, child.stderr()).toBe(0);
      }

      const acked: Array<{ streamId: string; marker: string }> = [];
      for (const [node, child] of children) {
        for (const line of child.lines) {
          const [kind, streamId, marker] = line.split(' ');
          if (kind === 'ACK') acked.push({ streamId: streamId as string, marker: marker as string });
          else if (!line.startsWith('PENDING'))
            expect(['READY', 'SENT-ALL', 'DONE'], `unexpected output of daemon ${node}: ${line}`).toContain(
              line,
            );
        }
      }
      const { entries, torn } = readJournal(journal);
      expect(torn, 'a journal line cut short').toBeUndefined();

      // One execution of an effect at a time, across nodes; the killed node's ran until it died.
      expect(overlappingExecutions(entries, new Map([[KILLED, killedAt]]))).toEqual([]);

      // What the killed node left unfinished ran again elsewhere, after it died, and finished.
      const cut = open(entries, KILLED);
      expect(cut.length, 'executions the kill cut short').toBeGreaterThan(0);
      const takeovers: number[] = [];
      for (const c of cut) {
        const later = entries.filter(
          (e) => e.key === c.key && e.node !== KILLED && e.kind === 'start' && e.at >= c.at,
        );
        expect(later.length, `${c.streamId} ${c.effectId}: run again after ${KILLED} died`).toBeGreaterThan(
          0,
        );
        const first = Math.min(...later.map((e) => e.at));
        expect(
          first,
          `${c.streamId} ${c.effectId}: not taken over before ${KILLED} died`,
        ).toBeGreaterThanOrEqual(killedAt);
        takeovers.push(first - killedAt);
      }

      const store = await postgresStore({ connectionString: url, schema });
      try {
        const events: EventEnvelope[] = [];
        for await (const e of store.readAll()) events.push(e);
        const verdict = errandVerdict({ events, journal: entries, acknowledged: acked });
        expect(verdict.problems).toEqual([]);
        expect(await store.timers.count()).toBe(0);
        const byNode = DAEMONS.map(
          (n) => `${n} ${entries.filter((e) => e.node === n && e.kind === 'start').length}`,
        );
        const elsewhere = entries.filter(
          (e) => e.kind === 'start' && !e.streamId.startsWith(`errand/${e.node}.`),
        ).length;
        console.info(
          `effects on three daemons: ${verdict.effects} effects (${acked.length} acknowledged), attempts started by node: ${byNode.join(', ')} ` +
            `(${elsewhere} on a node other than the requester's), ${cut.length} cut short by the kill and taken over ` +
            `${Math.min(...takeovers)}..${Math.max(...takeovers)} ms after it, ${verdict.reExecutions} re-executions, each result once`,
        );
      } finally {
        await store.close();
      }
    }, 300_000);
  },
);

/** The executions of `node` with a start and no end, fail or abort (in the same process and attempt). */
function open(entries: readonly JournalEntry[], node: string): JournalEntry[] {
  const running = new Map<string, JournalEntry>();
  for (const e of entries) {
    if (e.node !== node) continue;
    const run = `${e.key} ${e.pid} ${e.attempt}`;
    if (e.kind === 'start') running.set(run, e);
    else running.delete(run);
  }
  return [...running.values()];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
