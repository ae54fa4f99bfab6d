/**
 * The process the durable-effect crash test kills. It opens a runtime on the folder with the
 * `errand` implementation (journaling every attempt to `journal`, fsync'd), then, in `run` mode,
 * sends `count` errands (markers `m<round>.<i>`, three per aggregate `errand/e<round>.<k>`, each
 * taking 5..120 ms, about one in five failing its first attempts on purpose), printing
 * `ACK <streamId> <marker>` once each `send` is acknowledged, `END <streamId> <effectId>`
 * whenever an attempt finishes and `FIRED <n>` whenever the count of results that took effect
 * grows, and keeps running effects until killed. In `drain` mode it sends
 * nothing, waits until no effect record is pending (printing `PENDING <count> <first>` every 5 s
 * meanwhile), prints `DONE` and shuts down.
 *
 * argv: folder journal mode round count
 */
import { createRuntime } from '@actorfold/core';
import { errand, errandEffect, openJournal } from '@actorfold/testing/crash';
import { levelStore } from '../../src/index.js';

const [folder, journalPath, mode, round, count] = process.argv.slice(2) as [
  string,
  string,
  'run' | 'drain',
  string,
  string,
];
const out = (line: string): void => void process.stdout.write(`${line}\n`);
const journal = openJournal(journalPath);

const runtime = await createRuntime({
  store: levelStore({ path: folder }),
  aggregates: [errand],
  // Short: errands are evicted (snapshot on evict) and woken by their results while we are killed.
  idleTimeoutMs: 30,
  timers: { windowSize: 64, concurrency: 16 },
  effects: {
    implementations: {
      errand: errandEffect(journal, `pid${process.pid}`, {
        onEnd: (e) => out(`END ${e.streamId} ${e.effectId}`),
      }),
    },
    concurrency: 8,
    // Far above the work (<= 120 ms) on a busy machine; after a kill, an attempt in flight runs
    // again once its lease (this plus the runner's grace) has run out.
    timeoutMs: 2_000,
    maxAttempts: 8,
    backoff: { initialMs: 10, maxMs: 100 },
  },
});
out('READY');

if (mode === 'drain') {
  const timers = runtime.store.timers;
  if (timers === undefined) throw new Error('the level store keeps timers');
  for (let polls = 0; ; polls++) {
    const pending = await timers.count();
    if (pending === 0) break;
    if (polls % 100 === 99) {
      const [first] = await timers.due(Number.MAX_SAFE_INTEGER, 1);
      out(
        `PENDING ${pending} ${first === undefined ? '' : `${first.streamId}:${first.name}@${first.dueAt - Date.now()}ms`}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  await runtime.shutdown();
  journal.close();
  out('DONE');
} else {
  const n = Number(count);
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const id = `e${round}.${Math.floor(i / 3)}`;
      const marker = `m${round}.${i}`;
      const delayMs = 5 + Math.floor(Math.random() * 115);
      const failFirst = Math.random() < 0.2 ? 1 + Math.floor(Math.random() * 2) : 0;
      await runtime.get(errand, id).execute({ type: 'send', marker, delayMs, failFirst });
      out(`ACK errand/${id} ${marker}`);
    }),
  ).catch((e: unknown) => {
    out(`ERR ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
  out('SENT-ALL');
  // Tells the parent how many results took effect so far (a result is delivered as a timer
  // firing); it kills us once some did. The interval also keeps us alive: the runtime's timers
  // are unref'd.
  let fired = 0;
  setInterval(() => {
    const now = runtime.metrics().counters.timersFired;
    if (now !== fired) out(`FIRED ${now}`);
    fired = now;
  }, 10);
}
