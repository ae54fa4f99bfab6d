/**
 * The process the timer-operations crash test kills. On `count` streams `job/k<i>`, each holding
 * one timer `t`, it moves each timer forward one step at a time with `reschedule` (due time = the
 * step, only if still due at the previous step), all streams at once, printing `ACK <i> <step>`
 * once each is acknowledged; on every stream whose index is a multiple of 7 it removes the timer
 * at step 3 (`REMOVED <i>`). Meanwhile it appends events with timer changes to other streams
 * (`job/x<n>`), so operations and appends share batches. Runs until killed. In `seed` mode it
 * schedules the `count` timers (due at step 0), prints `SEEDED` and exits.
 *
 * argv: folder mode count
 */
import { levelStore } from '../../src/index.js';

const [folder, mode, count] = process.argv.slice(2) as [string, 'seed' | 'run', string];
const out = (line: string): void => void process.stdout.write(`${line}\n`);
const n = Number(count);
const store = await levelStore({ path: folder, durability: 'fsync' });
const command = (step: number) => ({ type: 'step', step });

if (mode === 'seed') {
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      store.append(`job/k${i}`, [{ data: { type: 'Seeded' } }], {
        expectedVersion: 0,
        timers: [
          {
            op: 'schedule',
            timer: {
              streamId: `job/k${i}`,
              name: 't',
              dueAt: 0,
              version: 1,
              missed: 'fire',
              command: command(0),
            },
          },
        ],
      }),
    ),
  );
  await store.close();
  out('SEEDED');
  process.exit(0);
}

out('READY');
let appended = 0;
void (async () => {
  // Appends with timer changes, in the same batches as the operations.
  for (let k = 0; ; k++) {
    const streamId = `job/x${process.pid}.${k}`;
    await store.append(streamId, [{ data: { type: 'Other' } }], {
      expectedVersion: 0,
      timers: [
        {
          op: 'schedule',
          timer: { streamId, name: 'o', dueAt: 1e12, version: 1, missed: 'fire', command: { type: 'o' } },
        },
      ],
    });
    appended++;
    if (appended % 50 === 0) out(`APPENDED ${appended}`);
  }
})();
await Promise.all(
  Array.from({ length: n }, async (_, i) => {
    const streamId = `job/k${i}`;
    const t = await store.timers.get(streamId, 't');
    if (t === undefined) return;
    for (let step = t.dueAt + 1; ; step++) {
      if (i % 7 === 0 && step === 3) {
        if (!(await store.timers.remove(streamId, 't', 1))) throw new Error(`remove of ${streamId} refused`);
        out(`REMOVED ${i}`);
        return;
      }
      const ok = await store.timers.reschedule(streamId, 't', 1, step, command(step), step - 1);
      if (!ok) throw new Error(`reschedule of ${streamId} to ${step} refused`);
      out(`ACK ${i} ${step}`);
    }
  }),
).catch((e: unknown) => {
  out(`ERR ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
