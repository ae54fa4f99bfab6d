/**
 * The encoding of `AppendOptions.timers` the durable stores write (command and metadata as JSON
 * text), after core's checks, so that every store refuses the same timer changes with the same
 * InvalidArgument. An append without timers pays one `=== undefined` test.
 */
import { InvalidArgument } from '../errors.js';
import { assertTimerChanges, timerJson } from '../store/store-input.js';
import type { MissedTimerPolicy, TimerChange } from './timer.js';

/** A checked timer change as a store writes it: command and metadata as JSON text. */
export type EncodedTimerChange =
  | { readonly op: 'schedule'; readonly timer: EncodedTimer }
  | { readonly op: 'cancel'; readonly name: string };

/** A checked timer record with its JSON parts encoded. */
export interface EncodedTimer {
  readonly streamId: string;
  readonly name: string;
  readonly dueAt: number;
  readonly version: number;
  readonly missed: MissedTimerPolicy;
  /** JSON text of the command. */
  readonly command: string;
  /** JSON text of the metadata, or undefined when the timer has none. */
  readonly metadata: string | undefined;
}

/**
 * Checks the timer changes of an append (see `assertTimerChanges`: for `streamId`, versions of the
 * append's own events, at least one event) and encodes them; undefined when there are none.
 * `supported` false (a store without `timers`) refuses any with InvalidArgument.
 */
export function encodeTimerChanges(
  streamId: string,
  changes: unknown,
  expectedVersion: number,
  eventCount: number,
  supported: boolean,
): EncodedTimerChange[] | undefined {
  if (changes === undefined) return undefined;
  if (!supported && Array.isArray(changes) && changes.length > 0) {
    throw new InvalidArgument(
      `${streamId}: this store keeps no durable timers; use a store with timers (memoryStore, levelStore, postgresStore)`,
    );
  }
  assertTimerChanges(streamId, changes, expectedVersion, eventCount);
  if (changes.length === 0) return undefined;
  const out: EncodedTimerChange[] = new Array(changes.length);
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i] as TimerChange;
    if (c.op === 'cancel') {
      out[i] = { op: 'cancel', name: c.name };
      continue;
    }
    const t = c.timer;
    const at = `${streamId}: timers[${i}].timer`;
    out[i] = {
      op: 'schedule',
      timer: {
        streamId,
        name: t.name,
        dueAt: t.dueAt,
        version: t.version,
        missed: t.missed,
        // timerJson: strings jsonb cannot hold are refused by every store (see there).
        command: timerJson(t.command, `${at}.command`),
        metadata: t.metadata === undefined ? undefined : timerJson(t.metadata, `${at}.metadata`),
      },
    };
  }
  return out;
}
