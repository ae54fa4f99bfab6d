/**
 * The process the upgrade crash test kills: it opens the store folder argv[1] (written in format
 * 1, or half migrated by an earlier child), which migrates it to format 2, printing `OPENING`
 * before, `MIGRATING` once the folder is marked as migrating (the first progress report), and
 * `OPEN <ms>` after (the milliseconds the open took), then closes it and exits.
 */
import { levelStore } from '../../src/index.js';

const [folder] = process.argv.slice(2) as [string];
process.stdout.write('OPENING\n');
const started = performance.now();
let migrating = false;
const store = await levelStore({
  path: folder,
  onMigrationProgress: (p) => {
    if (p.done || migrating) return;
    migrating = true;
    process.stdout.write('MIGRATING\n');
  },
});
process.stdout.write(`OPEN ${Math.round(performance.now() - started)}\n`);
await store.close();
