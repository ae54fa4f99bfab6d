import { EFFECT_TIMER_PREFIX, isEffectTimerName } from '../effects/effect.js';
import { InvalidArgument } from '../errors.js';
import type { TimerChange } from '../timers/timer.js';
import { firingMetadata, type TimerIntent, timerChanges } from '../timers/timer-recorder.js';
import type { Append, Nothing, StepOutcome } from './command-step.js';
import type { RuntimeDecideContext } from './decide-context.js';
import { Refused } from './refused.js';

/**
 * The timer part of the command step: turns what decide asked of `ctx.timers` into the
 * TimerChanges of the decision's append. Pure, like the rest of the step.
 *
 * - A schedule gets the version of the decision's last event: with its name, the identity of
 *   the timer, from which its firing's commandId is derived.
 * - A firing cancels its own timer first, in the same append as its effect: once the effect is
 *   stored the timer is gone, so a firing repeated after a crash finds nothing to fire.
 * - A decision that changes timers but returns no event is refused: the event is the record of
 *   why the timer exists, and the store writes timer changes only with events.
 */
export function decisionTimers(
  folded: Append | Nothing,
  streamId: string,
  ctx: RuntimeDecideContext,
): StepOutcome {
  const recorder = ctx.recorder;
  // decide caught the error of an invalid schedule/cancel and went on: still refused with it.
  if (recorder?.error !== undefined) return new Refused(recorder.error, false);
  const intents = recorder?.intents ?? [];
  if (folded.kind === 'nothing') {
    if (intents.length === 0) return folded;
    const names = intents.map(describe).join(', ');
    const what = intents.every((i) => isEffectTimerName(i.name)) ? 'effects' : 'timers';
    return new Refused(
      new InvalidArgument(
        `${streamId}: decide changed ${what} (${names}) but returned no event; timer and effect ` +
          'changes are stored with the events of their decision, so return an event that records why',
      ),
      false,
    );
  }
  const version = ctx.version + folded.events.length;
  const hasSchedule = intents.some((i) => i.op === 'schedule');
  const changes: TimerChange[] = timerChanges(
    intents,
    streamId,
    version,
    hasSchedule ? firingMetadata(ctx.stored) : undefined,
  );
  const fired = ctx.firedTimer;
  if (fired !== undefined) changes.unshift({ op: 'cancel', name: fired.name });
  return changes.length === 0 ? folded : { ...folded, timers: changes };
}

/** A timer intent as the refusal names it: an effect's by its id. */
function describe(intent: TimerIntent): string {
  if (!isEffectTimerName(intent.name)) return `${intent.op} '${intent.name}'`;
  const id = intent.name.slice(EFFECT_TIMER_PREFIX.length);
  return intent.op === 'schedule' ? `request effect '${id}'` : `cancel effect '${id}'`;
}
