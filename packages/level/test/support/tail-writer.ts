/**
 * Appends argv[2] events to the store folder argv[1], one append per event in concurrent bursts,
 * with a short tail mark interval; once the mark records the last acknowledged
 * position, prints `WRITTEN <position>` and waits to be killed.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { levelStore } from '../../src/index.js';

const [folder, count] = process.argv.slice(2) as [string, string];
const store = await levelStore({ path: folder, tailMarkIntervalMs: 5 });
const n = Number(count);
for (let i = 0; i < n; i += 10) {
  await Promise.all(
    Array.from({ length: Math.min(10, n - i) }, (_, j) =>
      store.append(`tail/s${(i + j) % 7}`, [{ data: { type: 'written', n: i + j } }], {
        expectedVersion: Math.floor((i + j) / 7),
      }),
    ),
  );
}
const last = await store.lastPosition();
// Wait for the mark to record it (written off the append path, within the interval).
while (!(await readFile(join(folder, 'actorfold-tail.json'), 'utf8').catch(() => '')).includes(`:${last}}`))
  await new Promise((r) => setTimeout(r, 5));
process.stdout.write(`WRITTEN ${last}\n`);
setInterval(() => undefined, 60_000);
