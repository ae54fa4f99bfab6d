/**
 * An appending node in its own process, for the concurrent-order test: opens a store on `schema`
 * and makes `rounds` rounds of appends, each round a burst of appends issued together (one batch
 * holding several streams: its own two, plus, every other round, the shared hot streams in
 * reverse order of the in-process writers). Prints `ACK <streamId> <version> <position>` per
 * acknowledged event, then `DONE`.
 */
import { isVersionConflict } from '@actorfold/core';
import { type PostgresStore, postgresStore } from '../../src/index.js';

const [url, schema, node, rounds, hot] = process.argv.slice(2) as [string, string, string, string, string];
const hotStreams = hot.split(',').reverse();

const store = await postgresStore({ connectionString: url, schema, nodeId: node, maxConnections: 3 });

/** Appends one event to `streamId` at its current head, retrying on conflicts. */
async function appendAtHead(s: PostgresStore, streamId: string): Promise<void> {
  for (;;) {
    const version = await s.streamVersion(streamId);
    try {
      const out = await s.append(streamId, [{ data: { type: 'Hot', node } }], { expectedVersion: version });
      for (const e of out) process.stdout.write(`ACK ${e.streamId} ${e.version} ${e.position}\n`);
      return;
    } catch (e) {
      if (!isVersionConflict(e)) throw e;
    }
  }
}

const heads = new Map<string, number>();
async function appendOwn(streamId: string, count: number): Promise<void> {
  const version = heads.get(streamId) ?? 0;
  const out = await store.append(
    streamId,
    Array.from({ length: count }, () => ({ data: { type: 'Own', node } })),
    { expectedVersion: version },
  );
  heads.set(streamId, version + count);
  for (const e of out) process.stdout.write(`ACK ${e.streamId} ${e.version} ${e.position}\n`);
}

for (let r = 0; r < Number(rounds); r++) {
  const burst = [appendOwn(`own/${node}-a`, 1 + (r % 3)), appendOwn(`own/${node}-b`, 1)];
  if (r % 2 === 0) for (const h of hotStreams) burst.push(appendAtHead(store, h));
  await Promise.all(burst);
}
await store.close();
process.stdout.write('DONE\n');
