/**
 * The process the timer crash test kills. It opens a runtime on the folder (the system clock:
 * timers due while it was down fire after start), then, in `run` mode, arms one timer on each of
 * `count` new alarms (ids `a<round>.<i>`), due `minMs`..`maxMs` from now, printing
 * `ARMED <id> <marker> <dueAt>` once each arm is acknowledged, then `FIRED <n>` whenever the
 * count of firings that took effect grows, and keeps firing until killed. In
 * `drain` mode it arms nothing, waits until no timer is pending (printing `PENDING <count> <overdue>`
 * every 5 s meanwhile), prints `DONE` and shuts down.
 *
 * argv: folder mode round count minMs maxMs
 */
import { createRuntime } from '@actorfold/core';
import { alarm } from '@actorfold/testing/crash';
import { levelStore } from '../../src/index.js';

const [folder, mode, round, count, minMs, maxMs] = process.argv.slice(2) as [
  string,
  'run' | 'drain',
  string,
  string,
  string,
  string,
];
const out = (line: string): void => void process.stdout.write(`${line}\n`);

const runtime = await createRuntime({
  store: levelStore({ path: folder }),
  aggregates: [alarm],
  // Short: alarms are evicted (snapshot on evict) and woken by their timers while we are killed.
  idleTimeoutMs: 30,
  // A small window: reloads from the store's due index happen while timers fire.
  timers: { windowSize: 64, concurrency: 16 },
});
out('READY');

if (mode === 'drain') {
  const timers = runtime.store.timers;
  if (timers === undefined) throw new Error('the level store keeps timers');
  for (let polls = 0; ; polls++) {
    const pending = await timers.count();
    if (pending === 0) break;
    // Now and then, what is still pending and how overdue: a timer that never fires shows here.
    if (polls % 100 === 99) {
      const due = await timers.due(Date.now(), 3);
      out(
        `PENDING ${pending} ${due.map((t) => `${t.streamId}:${t.name}@${Date.now() - t.dueAt}ms`).join(',')}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await runtime.shutdown();
  out('DONE');
} else {
  const n = Number(count);
  const span = Number(maxMs) - Number(minMs);
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const id = `a${round}.${i}`;
      const marker = `${round}.${i}`;
      const at = Date.now() + Number(minMs) + Math.floor(Math.random() * span);
      await runtime.get(alarm, id).execute({ type: 'arm', name: 'wake', at, marker });
      out(`ARMED ${id} ${marker} ${at}`);
    }),
  ).catch((e: unknown) => {
    out(`ERR ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
  out('ARMED-ALL');
  // Tells the parent how many firings took effect so far (it kills us once some did). The
  // interval also keeps us alive: the runtime's one timer is unref'd.
  let fired = 0;
  setInterval(() => {
    const now = runtime.metrics().counters.timersFired;
    if (now !== fired) out(`FIRED ${now}`);
    fired = now;
  }, 10);
}
