/**
 * The global log's index (format 2): one entry per write batch, under `l<first><last>`, listing
 * which stream versions hold positions first..last, in position order:
 *
 *   [[streamId, firstVersion, count], ...]
 *
 * Each event record is stored once, under its stream key, and still carries its position; the
 * index is what lets the log be read in position order without a second copy of every record.
 * An entry is written in the same LevelDB batch as the records it lists, so it never names a
 * record that is not there (short of damage, which the readers report as CorruptData).
 */
import { CorruptData } from '@actorfold/core';

/** `count` events of one stream, versions `firstVersion`.., at consecutive positions. */
export interface LogRange {
  readonly streamId: string;
  readonly firstVersion: number;
  readonly count: number;
}

/** Builds an entry's value while a batch is built: ranges are added in position order. */
export class LogIndexWriter {
  #text = '';
  /** Adds `count` events of the stream (its id already JSON-encoded) from `firstVersion`. */
  add(streamIdJson: string, firstVersion: number, count: number): void {
    this.#text += `${this.#text.length === 0 ? '[' : ','}[${streamIdJson},${firstVersion},${count}]`;
  }
  get empty(): boolean {
    return this.#text.length === 0;
  }
  /** The entry's value. */
  value(): string {
    return `${this.#text}]`;
  }
}

/** The value of an entry from its ranges (the migration and tests write them this way). */
export function encodeLogIndex(ranges: readonly LogRange[]): string {
  const w = new LogIndexWriter();
  for (const r of ranges) w.add(JSON.stringify(r.streamId), r.firstVersion, r.count);
  return w.value();
}

/**
 * Decodes an entry that should cover `span` positions from `first`. Throws CorruptData naming
 * the first position when the value does not parse, has not the entry's shape, or covers another
 * number of positions than its key says.
 */
export function decodeLogIndex(text: string, first: number, span: number, at = first): LogRange[] {
  let r: unknown;
  try {
    r = JSON.parse(text);
  } catch (cause) {
    throw damagedEntry(first, span, at, 'does not parse', cause);
  }
  if (!Array.isArray(r)) throw damagedEntry(first, span, at, 'is not a list of ranges');
  const out: LogRange[] = [];
  let total = 0;
  for (const range of r as unknown[]) {
    if (
      !Array.isArray(range) ||
      range.length !== 3 ||
      typeof range[0] !== 'string' ||
      !Number.isSafeInteger(range[1]) ||
      range[1] < 1 ||
      !Number.isSafeInteger(range[2]) ||
      range[2] < 1
    ) {
      throw damagedEntry(first, span, at, 'holds a range that is not [streamId, firstVersion, count]');
    }
    out.push({ streamId: range[0], firstVersion: range[1], count: range[2] });
    total += range[2];
  }
  if (total !== span) throw damagedEntry(first, span, at, `lists ${total} events where its key says ${span}`);
  return out;
}

function damagedEntry(first: number, span: number, at: number, what: string, cause?: unknown): CorruptData {
  return new CorruptData(
    '<unknown stream>',
    0,
    `the log index entry for positions ${first}..${first + span - 1} ${what} (log position ${at})`,
    cause === undefined ? undefined : { cause },
  );
}
