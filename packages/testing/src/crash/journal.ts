/**
 * An append-only journal of effect executions, shared by processes that are SIGKILLed: the
 * implementation writes one JSON line per step of an attempt (start, end, fail, abort) and
 * fsyncs it before going on, so what it did before a kill is on disk whatever happens next.
 * Several processes may append to one journal: each line is one `write` on a file opened with
 * O_APPEND, which Linux does not interleave for regular files.
 */
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';

/** One step of one attempt of an effect, as an implementation saw it. */
export interface JournalEntry {
  /** `start` before the work, then one of `end` (returned), `fail` (threw), `abort` (its signal fired). */
  readonly kind: 'start' | 'end' | 'fail' | 'abort';
  /** Which process or node ran it (the crash tests' own name for it). */
  readonly node: string;
  readonly pid: number;
  /** `EffectContext.idempotencyKey`: one effect, whatever the attempt or the process. */
  readonly key: string;
  readonly streamId: string;
  /** The effect's id and version (its identity in the stream). */
  readonly effectId: string;
  readonly version: number;
  /** `EffectContext.attempt` (1 for the first). */
  readonly attempt: number;
  /** Epoch ms, by this machine's clock (every process of a test shares it). */
  readonly at: number;
}

/** A journal open for appending. */
export interface Journal {
  /** Appends one entry and fsyncs it before returning. */
  write(entry: JournalEntry): void;
  close(): void;
}

/** Opens (creating it if needed) the journal at `path` for appending. */
export function openJournal(path: string): Journal {
  const fd = openSync(path, 'a');
  return {
    write(entry) {
      writeSync(fd, `${JSON.stringify(entry)}\n`);
      fsyncSync(fd);
    },
    close() {
      closeSync(fd);
    },
  };
}

/**
 * Reads every entry of the journal at `path`, in the order written. A last line without its
 * newline is a write a kill cut short; it is returned apart (`torn`), never parsed as an entry.
 */
export function readJournal(path: string): { entries: JournalEntry[]; torn: string | undefined } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], torn: undefined };
    throw e;
  }
  const lines = text.split('\n');
  const last = lines.pop();
  const entries = lines.map((line) => JSON.parse(line) as JournalEntry);
  return { entries, torn: last === '' ? undefined : last };
}
