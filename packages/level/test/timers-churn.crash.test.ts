/**
 * Durable timers cancelled and replaced while they fire, against real SIGKILLs: a child process
 * arms timers, then keeps disarming and re-arming them (each re-arm replaces the pending timer)
 * while they come due; we kill it at random moments, round after round. After every kill the
 * folder alone must tell one consistent story: each `Rang` is the firing of the timer pending at
 * that point of its stream (never of a disarmed or replaced one, never early), and the pending
 * timers are exactly those the stream's last Armed left unfired and not disarmed. A last child
 * drains what is pending: none is lost.
 */
import type { EventEnvelope } from '@actorfold/core';
import type { AlarmEvent } from '@actorfold/testing/crash';
import { describe, expect, it } from 'vitest';
import { levelStore } from '../src/index.js';
import { killChild, startChild } from './support/child.js';
import { freshFolder } from './support/folders.js';

const SOAK = process.env.ACTORFOLD_SOAK !== undefined;
const ROUNDS = SOAK ? 20 : 3;
const PER_ROUND = 24;

interface Arm {
  marker: string;
  at: number;
}

/** Walks the folder's streams: every firing checked against the model; the timers each stream should have pending. */
async function checkFolder(folder: string, acked: Map<string, string>, disarmed: Set<string>) {
  const store = await levelStore({ path: folder });
  try {
    const pending = new Map<string, Arm | undefined>();
    const stored = new Set<string>();
    let rang = 0;
    for await (const e of store.readAll()) {
      const data = (e as EventEnvelope<AlarmEvent>).data;
      const id = e.streamId;
      if (data.type === 'Armed') {
        pending.set(id, { marker: data.marker, at: data.at });
        stored.add(data.marker);
      } else if (data.type === 'Disarmed') {
        pending.set(id, undefined);
        stored.add(`disarm ${id}`);
      } else if (data.type === 'Rang') {
        rang++;
        const p = pending.get(id);
        expect(
          p,
          `${id}: Rang ${data.marker} with no timer pending (disarmed, replaced or fired)`,
        ).toBeDefined();
        expect(data.marker, `${id}: a replaced timer fired`).toBe(p?.marker);
        expect(data.dueAt).toBe(p?.at);
        expect(data.at, `${id}: ${data.marker} fired before it was due`).toBeGreaterThanOrEqual(data.dueAt);
        pending.set(id, undefined);
      }
    }
    // What was acknowledged is stored.
    for (const marker of acked.keys()) expect(stored.has(marker), `acknowledged arm ${marker}`).toBe(true);
    for (const id of disarmed)
      expect(stored.has(`disarm alarm/${id}`), `acknowledged disarm ${id}`).toBe(true);
    // The timer table says what the streams say.
    const want = [...pending]
      .filter(([, p]) => p !== undefined)
      .map(([streamId, p]) => ({ streamId, marker: p?.marker, dueAt: p?.at }))
      .sort((a, b) => a.streamId.localeCompare(b.streamId));
    const have: Array<{ streamId: string; marker: unknown; dueAt: number }> = [];
    for await (const t of store.timers.list()) {
      have.push({ streamId: t.streamId, marker: (t.command as { marker?: unknown }).marker, dueAt: t.dueAt });
    }
    have.sort((a, b) => a.streamId.localeCompare(b.streamId));
    expect(have).toEqual(want);
    return { rang, pending: want.length };
  } finally {
    await store.close();
  }
}

describe('durable timers on levelStore, disarmed and re-armed while they fire, the process killed with SIGKILL', () => {
  it(
    `after every kill the stored timers are exactly what the streams leave pending and no disarmed or replaced timer ever fired, over ${ROUNDS} rounds; the drain fires the rest`,
    async () => {
      const folder = freshFolder('timers-churn');
      const acked = new Map<string, string>();
      const disarmed = new Set<string>();
      let firedInKilled = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const child = startChild('timer-churn-child', [folder, 'run', String(round), String(PER_ROUND)]);
        await child.waitFor('FIRED ');
        await sleep(50 + Math.random() * 400);
        await killChild(child);
        for (const line of child.lines) {
          const [kind, id, marker] = line.split(' ');
          if (kind === 'ARMED') acked.set(marker as string, id as string);
          else if (kind === 'DISARMED') disarmed.add(id as string);
          else if (kind !== 'FIRED') expect(['READY'], `unexpected child output: ${line}`).toContain(line);
        }
        firedInKilled += (await checkFolder(folder, acked, disarmed)).rang;
        disarmed.clear(); // a later re-arm of the same alarm in the next round is fine
      }
      expect(firedInKilled, 'timers fired in the killed processes').toBeGreaterThan(0);
      const drain = startChild('timer-churn-child', [folder, 'drain', 'x', '0']);
      const done = await Promise.race([drain.waitFor('DONE'), sleep(60_000).then(() => undefined)]);
      if (done === undefined) {
        drain.process.kill('SIGKILL');
        throw new Error('the drain did not finish');
      }
      expect((await drain.exited).code, drain.stderr()).toBe(0);
      expect((await checkFolder(folder, acked, new Set())).pending).toBe(0);
    },
    SOAK ? 600_000 : 120_000,
  );
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
