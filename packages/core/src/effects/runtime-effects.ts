import type { Clock } from '../clock.js';
import { InvalidArgument, StoreError } from '../errors.js';
import { assertStreamId } from '../store/store-input.js';
import type { TimerChange, TimerRecord, TimerStore } from '../timers/timer.js';
import {
  type EffectInfo,
  type EffectQuery,
  type EffectState,
  effectTimerName,
  isEffectTimerName,
  type RunEffect,
  type RuntimeEffects,
} from './effect.js';
import {
  effectInfo,
  isRunEffect,
  requestOf,
  type StoredEffectResult,
  storableText,
  storedResult,
} from './effect-record.js';
import { assertEffectId } from './effect-recorder.js';
import type { EffectRunner } from './effect-runner.js';

/** Compare-and-set races an operator's call may lose (the record changed each time) before it gives up. */
const MAX_OPERATOR_RACES = 16;

const STATES: ReadonlySet<string> = new Set(['pending', 'running', 'retrying', 'delivering', 'failed']);

/** What `runtime.effects()` works with. */
export interface RuntimeEffectsDeps {
  readonly store: TimerStore & { reschedule: NonNullable<TimerStore['reschedule']> };
  readonly runner: EffectRunner;
  readonly clock: Clock;
  /** Tells the timer service (and the runner) of a reschedule made here. */
  readonly written: (streamId: string, changes: readonly TimerChange[]) => void;
}

/**
 * An operator's view of the durable effects, read from the timer store's effect records (the
 * store has no index by name prefix: `list` and `count` read every pending timer and keep the
 * effect records). Retry and abandon reschedule the record (same version): a cancel by the
 * aggregate wins (the record is gone); a delivery of its result runs before or after them, never
 * across (a delivered result is gone: false).
 */
export function createRuntimeEffects(deps: RuntimeEffectsDeps): RuntimeEffects {
  const { store, runner, clock } = deps;
  const info = (record: TimerRecord): EffectInfo =>
    effectInfo(record, runner.isRunning(record.streamId, record.name, record.version));

  async function* list(query: EffectQuery = {}): AsyncIterable<EffectInfo> {
    const q = checkQuery(query);
    let n = 0;
    if (q.limit === 0) return;
    const timers = q.streamId === undefined ? store.list() : store.list({ streamId: q.streamId });
    for await (const record of timers) {
      if (!isEffectTimerName(record.name)) continue;
      const effect = info(record);
      if (q.state !== undefined && effect.state !== q.state) continue;
      yield effect;
      if (++n >= q.limit) return;
    }
  }

  async function find(streamId: string, id: string): Promise<TimerRecord | undefined> {
    assertStreamId(streamId);
    assertEffectId(id);
    return store.get(streamId, effectTimerName(id));
  }

  /**
   * Replaces the effect record `id` by what `change` makes of it (undefined: nothing to do, false),
   * after stopping what runs of it here. In turn with the runtime's lease and delivery of that
   * record (EffectRunner.operate), and written only if the record is still as read (its due
   * time as compare-and-set): when the runner recorded an outcome meanwhile, it is read again.
   */
  async function operate(
    what: string,
    streamId: string,
    id: string,
    change: (record: TimerRecord) => RunEffect | StoredEffectResult | undefined,
  ): Promise<boolean> {
    assertStreamId(streamId);
    assertEffectId(id);
    const name = effectTimerName(id);
    return runner.operate(streamId, name, async () => {
      for (let race = 1; ; race++) {
        const record = await store.get(streamId, name);
        if (record === undefined) return false;
        const command = change(record);
        if (command === undefined) return false;
        runner.release(streamId, name);
        // Due now, but never at the due time read: a lease another runtime takes on the record
        // as read (that due time as compare-and-set) must fail, even within the same millisecond.
        const now = clock.now();
        const dueAt = now === record.dueAt ? now - 1 : now;
        if (await store.reschedule(streamId, name, record.version, dueAt, command, record.dueAt)) {
          deps.written(streamId, [{ op: 'schedule', timer: { ...record, dueAt, command } }]);
          return true;
        }
        if (race >= MAX_OPERATOR_RACES)
          throw new StoreError(
            'IO',
            `effects().${what}('${streamId}', '${id}'): the effect record changed under each of ${MAX_OPERATOR_RACES} tries (another runtime is working on it); try again`,
          );
      }
    });
  }

  return {
    list,
    get: async (streamId, id) => {
      const record = await find(streamId, id);
      return record === undefined ? undefined : info(record);
    },
    count: async () => {
      let n = 0;
      for await (const record of store.list()) if (isEffectTimerName(record.name)) n++;
      return n;
    },
    retry: (streamId, id) =>
      operate('retry', streamId, id, (record) => {
        const { lastError: _dropped, ...request } = requestOf(record);
        return { ...request, attempts: 0 };
      }),
    abandon: async (streamId, id, reason) => {
      if (reason !== undefined && typeof reason !== 'string')
        throw new InvalidArgument('abandon: reason must be a string when given');
      // Kept as every store can (U+FFFD for U+0000 and lone surrogates), like an implementation's error.
      const error = { message: storableText(reason ?? 'abandoned by an operator'), code: 'EFFECT_ABANDONED' };
      return operate('abandon', streamId, id, (record) =>
        // Settled already (its result waits for delivery): nothing left to stop.
        isRunEffect(record.command)
          ? storedResult(record, record.command, record.command.attempts, { error })
          : undefined,
      );
    },
  };
}

function checkQuery(query: unknown): { streamId?: string; state?: EffectState; limit: number } {
  if (typeof query !== 'object' || query === null)
    throw new InvalidArgument('effects().list: query must be an object');
  // A misspelt filter (`stream`) would otherwise list every effect.
  for (const key of Object.keys(query))
    if (key !== 'streamId' && key !== 'state' && key !== 'limit')
      throw new InvalidArgument(`effects().list: unknown filter '${key}' (known: streamId, state, limit)`);
  const { streamId, state, limit } = query as EffectQuery;
  if (streamId !== undefined) assertStreamId(streamId);
  if (state !== undefined && !STATES.has(state))
    throw new InvalidArgument(
      `effects().list: state must be one of ${[...STATES].join(', ')}, got ${String(state)}`,
    );
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 0))
    throw new InvalidArgument(`effects().list: limit must be an integer >= 0, got ${String(limit)}`);
  return {
    ...(streamId === undefined ? {} : { streamId }),
    ...(state === undefined ? {} : { state }),
    limit: limit ?? Number.POSITIVE_INFINITY,
  };
}
