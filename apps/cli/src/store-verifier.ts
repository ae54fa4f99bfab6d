/**
 * Checks a store folder from end to end through the store's own readers, which already refuse
 * damaged records (CorruptData). It reads past each problem to find the next, and adds the
 * checks that span records: every stream's versions run 1..head with increasing positions, the
 * global log's positions run 1..n without gaps, the log holds each stream's versions in order and
 * all of them, and every kept snapshot decodes and points inside its stream.
 *
 * Memory grows with the number of streams (one head each), not with the number of events.
 */
import { CorruptData, type EventEnvelope, isActorfoldError } from '@actorfold/core';
import type { LevelStore } from '@actorfold/level';

export type ProblemKind = 'stream' | 'log' | 'snapshot' | 'listing' | 'tail';

export interface Problem {
  kind: ProblemKind;
  streamId?: string;
  version?: number;
  position?: number;
  message: string;
}

/** The `--json` shape of `actorfold verify`. */
export interface VerifyReport {
  ok: boolean;
  path: string;
  streams: number;
  /** Events read through the streams. */
  events: number;
  /** Records read through the global log. */
  logEvents: number;
  snapshots: number;
  /**
   * Acknowledged positions missing from the end of the log (the store's tail mark recorded them
   * as written), or null. See docs/store-internals.md for what this can and cannot notice.
   */
  lostTail: { from: number; to: number } | null;
  problems: Problem[];
  /** True when more problems existed than `maxProblems`: the list stops there. */
  truncated: boolean;
}

export interface VerifyOptions {
  /** Stop collecting after this many problems. Default 100. */
  maxProblems?: number;
  /** Called as work is done: units are streams listed + events read (twice: streams and log) + streams' snapshots. */
  onProgress?: (done: number, total: number | undefined) => void;
}

export async function verifyStore(store: LevelStore, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const maxProblems = opts.maxProblems ?? 100;
  const report: VerifyReport = {
    ok: true,
    path: store.path,
    streams: 0,
    events: 0,
    logEvents: 0,
    snapshots: 0,
    lostTail: store.lostTail ?? null,
    problems: [],
    truncated: false,
  };
  const problem = (p: Problem) => {
    if (report.problems.length < maxProblems) report.problems.push(p);
    else report.truncated = true;
  };
  let done = 0;
  let total: number | undefined;
  const tick = (n = 1) => {
    done += n;
    if (done % 500 < n) opts.onProgress?.(done, total);
  };

  // 0. The tail: acknowledged positions after the newest one found.
  const lost = store.lostTail;
  if (lost !== undefined) {
    const count = lost.to - lost.from + 1;
    problem({
      kind: 'tail',
      position: lost.from,
      message: `positions ${lost.from}..${lost.to} (${count} event${count === 1 ? '' : 's'}) were acknowledged and are missing: the newest log lost its tail`,
    });
  }

  // 1. Stream heads, one key read per stream.
  const heads = new Map<string, number>();
  try {
    for await (const { streamId, version } of store.listStreams()) {
      heads.set(streamId, version);
      tick();
    }
  } catch (e) {
    problem({ kind: 'listing', message: `listing the streams failed: ${describe(e)}` });
  }
  report.streams = heads.size;
  let expectedEvents = 0;
  for (const v of heads.values()) expectedEvents += v;
  total = heads.size * 2 + expectedEvents * 2;

  // 2. Each stream: decodable, versions 1..head, positions increasing.
  for (const [streamId, head] of heads) {
    if (!Number.isSafeInteger(head) || head < 1) {
      problem({ kind: 'stream', streamId, message: `the stream's last key does not end in a valid version` });
      continue;
    }
    let lastVersion = 0;
    let lastPosition = 0;
    let from = 1;
    while (from <= head) {
      try {
        for await (const e of store.readStream(streamId, { fromVersion: from })) {
          report.events++;
          tick();
          for (const m of envelopeProblems(e))
            problem({ kind: 'stream', streamId, version: e.version, message: m });
          if (e.position <= lastPosition) {
            problem({
              kind: 'stream',
              streamId,
              version: e.version,
              message: `position ${e.position} is not after the previous event's ${lastPosition}`,
            });
          }
          lastPosition = e.position;
          lastVersion = e.version;
        }
        break;
      } catch (e) {
        const at =
          isActorfoldError(e) && e.code === 'CORRUPT_DATA' ? (e as { version?: number }).version : undefined;
        problem({
          kind: 'stream',
          streamId,
          ...(at === undefined ? {} : { version: at }),
          message: describe(e),
        });
        if (at === undefined || at < from) break;
        // Read on past the damage to find what else is wrong.
        from = at + 1;
        lastVersion = at;
      }
    }
    if (lastVersion !== head) {
      problem({
        kind: 'stream',
        streamId,
        message: `the stream's head is version ${head} but reading it ended at ${lastVersion}`,
      });
    }
  }

  // 3. The global log: positions 1..n without gaps, each stream's versions in order and complete.
  const logged = new Map<string, number>();
  let position = 0;
  for (;;) {
    try {
      for await (const e of store.readAll({ fromPosition: position + 1 })) {
        report.logEvents++;
        tick();
        position = e.position;
        const before = logged.get(e.streamId) ?? 0;
        if (e.version !== before + 1) {
          problem({
            kind: 'log',
            streamId: e.streamId,
            version: e.version,
            position: e.position,
            message: `the log holds version ${e.version} of ${e.streamId} after version ${before}`,
          });
        }
        logged.set(e.streamId, e.version);
      }
      break;
    } catch (e) {
      // The reader expected `position + 1` next: that record is missing or damaged.
      problem({ kind: 'log', position: position + 1, message: describe(e) });
      // The log's index named the damaged record's stream and version (store format 2 keeps one
      // copy of a record, so its damage shows in both views): count it as listed, so the next
      // event of that stream is not reported as a second problem.
      const named = e instanceof CorruptData && e.version >= 1 ? e : undefined;
      if (named !== undefined && logged.get(named.streamId) === named.version - 1)
        logged.set(named.streamId, named.version);
      // Anything but damage (an I/O error) would fail the same way again.
      if (report.truncated || !isActorfoldError(e) || e.code !== 'CORRUPT_DATA') break;
      position++;
    }
  }
  for (const [streamId, head] of heads) {
    const inLog = logged.get(streamId) ?? 0;
    if (inLog !== head) {
      problem({
        kind: 'log',
        streamId,
        message: `the stream holds ${head} events but the global log reaches version ${inLog}`,
      });
    }
  }
  for (const [streamId, inLog] of logged) {
    if (!heads.has(streamId)) {
      problem({
        kind: 'log',
        streamId,
        message: `the global log holds ${inLog} events of a stream that has none`,
      });
    }
  }

  // 4. Snapshots: decodable, inside their stream, well-formed.
  for (const [streamId, head] of heads) {
    tick();
    try {
      for (const s of await store.snapshots.list(streamId)) {
        report.snapshots++;
        for (const m of snapshotProblems(s, head))
          problem({ kind: 'snapshot', streamId, version: s.version, message: m });
      }
    } catch (e) {
      const at = isActorfoldError(e) ? (e as { version?: number }).version : undefined;
      problem({
        kind: 'snapshot',
        streamId,
        ...(at === undefined ? {} : { version: at }),
        message: describe(e),
      });
    }
  }
  opts.onProgress?.(done, total);
  report.ok = report.problems.length === 0;
  return report;
}

/** What is wrong with an event that decoded (the reader checked JSON shape, stream and version). */
function envelopeProblems(e: EventEnvelope): string[] {
  const out: string[] = [];
  if (e.type.length === 0) out.push('the event has an empty type');
  if (!Number.isSafeInteger(e.schemaVersion) || e.schemaVersion < 1)
    out.push(`schemaVersion ${e.schemaVersion} is not a positive integer`);
  if (!Number.isSafeInteger(e.position) || e.position < 1)
    out.push(`position ${e.position} is not a positive integer`);
  if (Number.isNaN(Date.parse(e.timestamp)))
    out.push(`timestamp ${JSON.stringify(e.timestamp)} is not a date`);
  return out;
}

function snapshotProblems(
  s: {
    version: number;
    schemaVersion: unknown;
    timestamp: unknown;
    state?: unknown;
    runtime?: { dedupe?: unknown };
  },
  head: number,
): string[] {
  const out: string[] = [];
  if (!Number.isSafeInteger(s.version) || s.version < 1 || s.version > head) {
    out.push(`snapshot version ${s.version} is outside the stream (versions 1..${head})`);
  }
  if (!Number.isInteger(s.schemaVersion))
    out.push(`snapshot schemaVersion ${JSON.stringify(s.schemaVersion)} is not an integer`);
  if (typeof s.timestamp !== 'string' || Number.isNaN(Date.parse(s.timestamp)))
    out.push('snapshot timestamp is not a date');
  if (!('state' in s)) out.push('snapshot has no state');
  const dedupe = s.runtime?.dedupe;
  if (dedupe !== undefined && !Array.isArray(dedupe)) out.push('snapshot dedupe window is not a list');
  return out;
}

function describe(e: unknown): string {
  if (isActorfoldError(e)) return `${e.code}: ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}
