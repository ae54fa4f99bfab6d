/**
 * Opens the store at argv[1], then tries the same folder through argv[2] (another spelling of it,
 * for example a bind mount) in this same process; prints one JSON line with the second open's
 * outcome.
 */
import { levelStore } from '../../src/index.js';

const [first, second] = process.argv.slice(2) as [string, string];
const store = await levelStore({ path: first });
const outcome = await levelStore({ path: second }).then(
  async (s) => {
    await s.close();
    return { opened: true };
  },
  (e: { code?: string; reason?: string; message?: string }) => ({
    opened: false,
    code: e.code,
    reason: e.reason,
    message: e.message,
  }),
);
await store.close();
process.stdout.write(`${JSON.stringify(outcome)}\n`);
