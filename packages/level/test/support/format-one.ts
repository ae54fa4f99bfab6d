/**
 * A minimal writer of store format 1, the layout before the log index: every event record put
 * twice, under `s<streamId>\0<version>` and `l<position>`, one LevelDB batch per write, and
 * `mformat` = `1`. Kept here (not in src) so the upgrade tests can build the folders a user of an
 * older version has, at test time.
 */
import { ClassicLevel } from 'classic-level';

const hex = (n: number): string => n.toString(16).padStart(14, '0');

/** One event as format 1 wrote it (its record carries stream, version and position). */
export interface FormatOneEvent {
  streamId: string;
  data: { type: string; [key: string]: unknown };
  metadata?: Record<string, unknown>;
}

/** The record text format 1 wrote (the same as format 2's, which did not change it). */
export function formatOneRecord(
  e: FormatOneEvent,
  version: number,
  position: number,
  timestamp = '2026-01-02T03:04:05.000Z',
): string {
  return JSON.stringify([e.streamId, version, position, 1, timestamp, e.metadata ?? {}, e.data]);
}

/**
 * Writes `batches` into a new format 1 folder at `path` (each inner list one LevelDB batch, as a
 * group commit wrote it) and returns the number of events written.
 */
export async function writeFormatOne(path: string, batches: readonly FormatOneEvent[][]): Promise<number> {
  const db = new ClassicLevel<string, string>(path, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  await db.open();
  try {
    await db.put('mformat', '1', { sync: true });
    const heads = new Map<string, number>();
    let position = 0;
    for (const events of batches) {
      const batch = db.batch();
      for (const e of events) {
        const version = (heads.get(e.streamId) ?? 0) + 1;
        heads.set(e.streamId, version);
        position++;
        const record = formatOneRecord(e, version, position);
        batch.put(`s${e.streamId}\u0000${hex(version)}`, record);
        batch.put(`l${hex(position)}`, record);
      }
      await batch.write();
    }
    return position;
  } finally {
    await db.close();
  }
}

/**
 * A deterministic mix for upgrade tests: `events` events over `streams` streams in batches of
 * 1 to 40 events, some appends of several events to one stream, hostile-looking stream ids.
 */
export function formatOneMix(events: number, streams: number): FormatOneEvent[][] {
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const ids = Array.from({ length: streams }, (_, i) =>
    i % 7 === 0 ? `odd/"quoted"\\ ${i} \u00e9\ud83d\ude00` : `account/acc-${i}`,
  );
  const batches: FormatOneEvent[][] = [];
  let n = 0;
  while (n < events) {
    const size = Math.min(events - n, 1 + Math.floor(random() * 40));
    const batch: FormatOneEvent[] = [];
    while (batch.length < size) {
      const streamId = ids[Math.floor(random() * ids.length)] as string;
      // Sometimes one append of several events to one stream (consecutive positions and versions).
      const run = Math.min(size - batch.length, random() < 0.2 ? 3 : 1);
      for (let i = 0; i < run; i++)
        batch.push({ streamId, data: { type: 'Deposited', n: n + batch.length } });
    }
    batches.push(batch);
    n += size;
  }
  return batches;
}
