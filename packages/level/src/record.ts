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
  storedEventData,
  storedEventMetadata,
} from '@actorfold/core';

/** The parts of a record that the writer knows before it assigns version and position. */
export type EncodedEvent = EncodedNewEvent;

/** Joins the parts into the record text; the data was encoded by the caller. */
export function encodeRecord(
  streamIdJson: string,
  version: number,
  position: number,
  e: EncodedEvent,
): string {
  return `[${streamIdJson},${version},${position},${e.schemaVersion},${timestampJson(e.timestamp)},${e.metadata},${e.data}]`;
}

// The events of one millisecond share their timestamp: its JSON is made once (one entry, so a
// hit returns exactly what JSON.stringify would).
let lastTimestamp: string | undefined;
let lastTimestampJson = '';
function timestampJson(timestamp: string): string {
  if (timestamp !== lastTimestamp) {
    lastTimestampJson = JSON.stringify(timestamp);
    lastTimestamp = timestamp;
  }
  return lastTimestampJson;
}

/**
 * The envelopes an append returns, made before it is queued: data and metadata parsed from the
 * very text its records store, `type` taken from that data (as a read takes it), so the caller
 * gets exactly what a read returns whatever toJSON methods or getters did while encoding. Version
 * and position are filled in once a batch places the append (`place`). Throws InvalidArgument,
 * before anything is written, when that text would not read back as an event: data that toJSON
 * turned into a non-object or an object without a non-empty string `type`, metadata that it
 * turned into a non-object.
 */
export function envelopesOf(streamId: string, events: readonly EncodedEvent[]): EventEnvelope[] {
  const { aggregateType, aggregateId } = parseStreamId(streamId);
  const n = events.length;
  // One event is the common append: an array literal, not a push (which reserves room for 17).
  if (n === 1) return [envelopeOf(streamId, aggregateType, aggregateId, events[0] as EncodedEvent, 0)];
  const out: EventEnvelope[] = new Array(n);
  for (let i = 0; i < n; i++)
    out[i] = envelopeOf(streamId, aggregateType, aggregateId, events[i] as EncodedEvent, i);
  return out;
}

function envelopeOf(
  streamId: string,
  aggregateType: string,
  aggregateId: string,
  e: EncodedEvent,
  i: number,
): EventEnvelope {
  const data = storedEventData(streamId, i, e.data);
  return {
    streamId,
    aggregateType,
    aggregateId,
    version: 0,
    position: 0,
    type: data.type,
    data,
    schemaVersion: e.schemaVersion,
    metadata: storedEventMetadata(streamId, i, e.metadata),
    timestamp: e.timestamp,
  };
}

/** Fills in the versions and positions of envelopes from {@link envelopesOf} once their append is placed. */
export function place(envelopes: readonly EventEnvelope[], version: number, position: number): void {
  for (let i = 0; i < envelopes.length; i++) {
    const e = envelopes[i] as EventEnvelope;
    e.version = version + i;
    e.position = position + i;
  }
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

/** Where a record belongs: the stream and version its key names, and its log position when the index gave one. */
export interface RecordPlace {
  readonly streamId: string;
  readonly version: number;
  readonly position?: number;
}

/**
 * Decodes the record found where `place` says it belongs: a stream scan (readStream) and the log
 * index (readAll) both check the record is the one they asked for. Throws CorruptData when it
 * does not decode or is another record (stream, version, or position differ): damage is never
 * skipped.
 */
export function decodeRecordAt(text: string, place: RecordPlace): EventEnvelope {
  const e = decodeRecord(text, place);
  if (
    e.version !== place.version ||
    e.streamId !== place.streamId ||
    (place.position !== undefined && e.position !== place.position)
  ) {
    const at = place.position === undefined ? '' : ` at position ${place.position}`;
    throw corrupt(
      text,
      place,
      `the record there is version ${e.version} of ${e.streamId} at position ${e.position}, where version ${place.version} of ${place.streamId}${at} belongs`,
    );
  }
  return e;
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
