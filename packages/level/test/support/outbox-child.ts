/**
 * Runs the at-least-once `outbox` projection on a folder while workers keep appending, until
 * the test SIGKILLs it. argv: folder journal
 */
import { createRuntime } from '@actorfold/core';
import { levelStore } from '../../src/index.js';
import { ledger } from './ledger.js';
import { outbox } from './outbox.js';

const [folder, journal] = process.argv.slice(2) as [string, string];
const runtime = await createRuntime({ store: levelStore({ path: folder }), aggregates: [ledger] });
runtime.project(outbox(journal));
let seq = 0;
const worker = async (w: number): Promise<never> => {
  for (;;) {
    const tag = `${process.pid}.${w}.${seq++}`;
    await runtime.get(ledger, `l${seq % 10}`).execute({ type: 'record', tag, parts: 1 + (seq % 3) });
  }
};
const working = Promise.all([0, 1, 2, 3].map(worker));
// Once a checkpoint is saved (at once from the second round on), the test may kill at any moment.
while ((await runtime.store.checkpoints.get('outbox')) === undefined)
  await new Promise((r) => setTimeout(r, 10));
process.stdout.write('CHECKPOINTED\n');
await working;
