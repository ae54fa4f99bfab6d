/**
 * Durable timers against real SIGKILLs: a child process arms timers on a few hundred alarms
 * (system clock, due over a short window) and fires them; we kill it at random moments, round
 * after round, while they fire, then let one last child drain what is pending. From the folder:
 * every armed timer has taken effect exactly once (one `Rang` with its marker), never before it
 * was due, and none is left pending or lost.
 */
import type { EventEnvelope } from '@actorfold/core';
import type { AlarmEvent } from '@actorfold/testing/crash';
import { describe, expect, it } from 'vitest';
import { levelStore } from '../src/index.js';
import { killChild, startChild } from './support/child.js';
import { freshFolder } from './support/folders.js';

const SOAK = process.env.ACTORFOLD_SOAK !== undefined;
const ROUNDS = SOAK ? 25 : 4;
/** New alarms armed per round. */
const PER_ROUND = SOAK ? 150 : 100;
/** Timers come due this long after they are armed: while the next kills happen. */
const DUE_MIN_MS = 50;
const DUE_MAX_MS = 2500;

describe('durable timers on levelStore, the process killed with SIGKILL while they fire', () => {
  it(
    `fires every armed timer exactly once in effect, never early, none lost, over ${ROUNDS} kill/restart rounds`,
    async () => {
      const folder = freshFolder('timers-crash');
      /** Acknowledged arms: marker → stream and due time. */
      const acked = new Map<string, { streamId: string; dueAt: number }>();
      for (let round = 0; round < ROUNDS; round++) {
        const child = startChild('timer-crash-child', [
          folder,
          'run',
          String(round),
          String(PER_ROUND),
          String(DUE_MIN_MS),
          String(DUE_MAX_MS),
        ]);
        // Every fourth round is killed during start-up (while overdue timers load and fire).
        const early = round % 4 === 3;
        // The others while timers fire: once a firing took effect, after a random pause.
        if (!early) await child.waitFor('FIRED ');
        await sleep(Math.random() * (early ? 600 : 800));
        await killChild(child);
        for (const line of child.lines) {
          const [kind, id, marker, at] = line.split(' ');
          if (kind === 'ARMED') acked.set(marker as string, { streamId: `alarm/${id}`, dueAt: Number(at) });
          else if (kind !== 'FIRED')
            expect(['READY', 'ARMED-ALL'], `unexpected child output: ${line}`).toContain(line);
        }
      }
      expect(acked.size).toBeGreaterThan(0);

      const drainedFrom = Date.now();
      const drain = startChild('timer-crash-child', [folder, 'drain', 'x', '0', '0', '1']);
      // Bounded, so that a timer that never fires fails with what was still pending.
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
        const armed = new Map<string, { streamId: string; dueAt: number }>();
        const rang = new Map<string, number>();
        let firedBeforeDrain = 0;
        for await (const e of store.readAll()) {
          const data = (e as EventEnvelope<AlarmEvent>).data;
          if (data.type === 'Armed') {
            expect(armed.has(data.marker), `marker ${data.marker} armed twice`).toBe(false);
            armed.set(data.marker, { streamId: e.streamId, dueAt: data.at });
          } else if (data.type === 'Rang') {
            rang.set(data.marker, (rang.get(data.marker) ?? 0) + 1);
            if (data.at < drainedFrom) firedBeforeDrain++;
            const arm = armed.get(data.marker);
            expect(arm, `Rang ${data.marker} before or without its Armed`).toBeDefined();
            expect(e.streamId).toBe(arm?.streamId);
            expect(data.dueAt).toBe(arm?.dueAt);
            expect(data.at, `${data.marker} fired before it was due`).toBeGreaterThanOrEqual(data.dueAt);
          }
        }
        // Every acknowledged arm is stored (and an arm stored but not acknowledged counts too).
        for (const [marker, a] of acked) expect(armed.get(marker), marker).toEqual(a);
        // Timers did fire in the processes that were killed, not only in the last one.
        expect(firedBeforeDrain, 'timers fired before the drain').toBeGreaterThan(0);
        const twice = [...rang].filter(([, n]) => n !== 1).map(([m]) => m);
        const never = [...armed.keys()].filter((m) => !rang.has(m));
        expect(twice, 'timers that took effect more than once').toEqual([]);
        expect(never, 'timers that never took effect').toEqual([]);
        expect(await store.timers.count()).toBe(0);
        expect(await store.timers.due(Number.MAX_SAFE_INTEGER, 10)).toEqual([]);
        console.log(
          `timers crash: ${ROUNDS} rounds, ${armed.size} armed (${acked.size} acknowledged), ${firedBeforeDrain} fired in killed processes, all once`,
        );
      } finally {
        await store.close();
      }
    },
    SOAK ? 900_000 : 240_000,
  );
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
