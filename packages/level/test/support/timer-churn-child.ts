/**
 * The process the timer churn crash test kills. It opens a runtime on the folder (system clock),
 * and in `run` mode arms one timer on each of `count` new alarms (ids `c<round>.<i>`, due soon),
 * then, until killed, keeps disarming and re-arming random ones of them (a re-arm replaces the
 * pending timer with a new marker) while their timers fire, printing `ARMED <id> <marker> <at>`
 * and `DISARMED <id>` once each is acknowledged, and `FIRED <n>` as firings take effect. In
 * `drain` mode it waits until no timer is pending, prints `DONE` and shuts down.
 *
 * argv: folder mode round count
 */
import { createRuntime } from '@actorfold/core';
import { alarm } from '@actorfold/testing/crash';
import { levelStore } from '../../src/index.js';

const [folder, mode, round, count] = process.argv.slice(2) as [string, 'run' | 'drain', string, string];
const out = (line: string): void => void process.stdout.write(`${line}\n`);

const runtime = await createRuntime({
  store: levelStore({ path: folder }),
  aggregates: [alarm],
  // Short: alarms are evicted and woken by their timers between the churn's commands.
  idleTimeoutMs: 30,
  // A small window: reloads from the store's due index happen while timers fire and change.
  timers: { windowSize: 16, concurrency: 4 },
});
out('READY');

const fail = (e: unknown) => {
  out(`ERR ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
};

if (mode === 'drain') {
  const timers = runtime.store.timers;
  if (timers === undefined) throw new Error('the level store keeps timers');
  while ((await timers.count()) > 0) await new Promise((r) => setTimeout(r, 20));
  await runtime.shutdown();
  out('DONE');
} else {
  const n = Number(count);
  const ids = Array.from({ length: n }, (_, i) => `c${round}.${i}`);
  const arm = async (id: string, marker: string, inMs: number) => {
    const at = Date.now() + inMs;
    await runtime.get(alarm, id).execute({ type: 'arm', name: 'wake', at, marker });
    out(`ARMED ${id} ${marker} ${at}`);
  };
  await Promise.all(ids.map((id, i) => arm(id, `${round}.${i}`, 20 + Math.floor(Math.random() * 400)))).catch(
    fail,
  );
  let fired = 0;
  setInterval(() => {
    const now = runtime.metrics().counters.timersFired;
    if (now !== fired) out(`FIRED ${now}`);
    fired = now;
  }, 10);
  // Four churners: each disarms or re-arms a random alarm of this round, one command at a time.
  let k = 0;
  const churn = async () => {
    for (;;) {
      const id = ids[Math.floor(Math.random() * n)] as string;
      if (Math.random() < 0.4) {
        await runtime.get(alarm, id).execute({ type: 'disarm', name: 'wake' });
        out(`DISARMED ${id}`);
      } else await arm(id, `${round}.r${k++}`, Math.floor(Math.random() * 60));
      await new Promise((r) => setTimeout(r, Math.random() * 5));
    }
  };
  await Promise.all([churn(), churn(), churn(), churn()]).catch(fail);
}
