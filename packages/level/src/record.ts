/**
 * The stored form of one event: a JSON array, stored once under its stream key (the log index
 * names it by stream and version), decoded with a single JSON.parse.
 *
 *   [streamId, version, position, schemaVersion, timestamp, metadata, data]
 *
 * streamId and version come first so that a record too damaged to parse can still name them.
 * JSON.parse defines `__proto__` as an own data property, so hostile keys stay plain data.
 */
import {
  CorruptData,
  type EncodedNewEvent,
  type EventEnvelope,
  type EventMetadata,
  parseStreamId,
} from '@actorfold/core';

/** The parts of a record that the writer knows before it assigns version and position. */
export type EncodedEvent = EncodedNewEvent;

const EMPTY_METADATA = '{}';

/** Joins the parts into the record text; the data was encoded by the caller. */
export function encodeRecord(
  streamIdJson: string,
  version: number,
  position: number,
  e: EncodedEvent,
): string {
  return `[${streamIdJson},${version},${position},${e.schemaVersion},${JSON.stringify(e.timestamp)},${e.metadata},${e.data}]`;
}

/** A fresh envelope from the encoded parts of an event just written (no record to parse). */
export function envelopeOf(
  streamId: string,
  aggregateType: string,
  aggregateId: string,
  version: number,
  position: number,
  e: EncodedEvent,
): EventEnvelope {
  return {
    streamId,
    aggregateType,
    aggregateId,
    version,
    position,
    type: e.type,
    data: JSON.parse(e.data),
    schemaVersion: e.schemaVersion,
    metadata: e.metadata === EMPTY_METADATA ? {} : JSON.parse(e.metadata),
    timestamp: e.timestamp,
  };
}

/** Where a record was read, to name it in CorruptData. */
export interface RecordSource {
  readonly streamId?: string;
  readonly version?: number;
  readonly position?: number;
}

/**
 * Decodes a record into a fresh envelope. Throws CorruptData naming stream and version when the
 * text does not parse or does not have the record's shape.
 */
export function decodeRecord(text: string, from: RecordSource): EventEnvelope {
  let r: unknown;
  try {
    r = JSON.parse(text);
  } catch (cause) {
    throw corrupt(text, from, 'the stored event is not valid JSON', cause);
  }
  if (
    !Array.isArray(r) ||
    r.length !== 7 ||
    typeof r[0] !== 'string' ||
    !Number.isSafeInteger(r[1]) ||
    !Number.isSafeInteger(r[2]) ||
    !Number.isSafeInteger(r[3]) ||
    typeof r[4] !== 'string' ||
    !isPlainObject(r[5]) ||
    !isPlainObject(r[6]) ||
    typeof (r[6] as { type?: unknown }).type !== 'string'
  ) {
    throw corrupt(text, from, 'the stored event does not have the shape of an event record');
  }
  const streamId = r[0] as string;
  const data = r[6] as { type: string };
  const { aggregateType, aggregateId } = parseStreamId(streamId);
  return {
    streamId,
    aggregateType,
    aggregateId,
    version: r[1] as number,
    position: r[2] as number,
    type: data.type,
    data,
    schemaVersion: r[3] as number,
    metadata: r[5] as EventMetadata,
    timestamp: r[4] as string,
  };
}

/** CorruptData for a record, naming the stream and version from where it was read or from its own text. */
export function corrupt(text: string, from: RecordSource, what: string, cause?: unknown): CorruptData {
  // A damaged log record still usually starts with its stream id and version: recover them.
  const head = /^\["((?:[^"\\]|\\.)*)",(\d+),/.exec(text);
  let streamId = from.streamId;
  let version = from.version;
  if (head !== null) {
    try {
      streamId ??= JSON.parse(`"${head[1]}"`) as string;
    } catch {
      // Left unknown below.
    }
    version ??= Number(head[2]);
  }
  const where = from.position === undefined ? '' : ` (log position ${from.position})`;
  return new CorruptData(streamId ?? '<unknown stream>', version ?? 0, `${what}${where}`, { cause });
}

function isPlainObject(v: unknown): v is object {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
