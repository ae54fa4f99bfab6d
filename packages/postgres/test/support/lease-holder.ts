/** Opens a lease-mode store as node `node`, takes the lease of `streamId`, prints READY and holds it until killed. */
import { postgresStore } from '../../src/index.js';

const [url, schema, node, streamId] = process.argv.slice(2) as [string, string, string, string];
const store = await postgresStore({ connectionString: url, schema, ownership: 'lease', nodeId: node });
await store.acquire?.(streamId);
process.stdout.write('READY\n');
setInterval(() => undefined, 60_000);
