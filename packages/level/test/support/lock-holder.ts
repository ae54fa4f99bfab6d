/** Opens the store folder given in argv, prints READY, and holds it until killed. */
import { levelStore } from '../../src/index.js';

const [folder] = process.argv.slice(2) as [string];
await levelStore({ path: folder });
process.stdout.write('READY\n');
setInterval(() => undefined, 60_000);
