/**
 * The aggregate of the durable-timer tests: `arm` schedules a timer that delivers `ring` with a
 * unique marker, and the firing decides one `Rang` event carrying that marker, so a timer that
 * fired twice in effect, or never, shows as a marker counted twice, or missing, in the stream.
 */
import { defineAggregate } from '@actorfold/core';

export type AlarmCommand =
  | { type: 'arm'; name: string; at: number; marker: string }
  | { type: 'disarm'; name: string }
  | { type: 'ring'; name: string; marker: string };
export type AlarmEvent =
  | { type: 'Armed'; name: string; marker: string; at: number }
  | { type: 'Disarmed'; name: string }
  /** `dueAt`: the fired timer's; `at`: the decision's now (never before `dueAt`). */
  | { type: 'Rang'; name: string; marker: string; dueAt: number; at: number };
export interface AlarmState {
  armed: number;
  rang: number;
}

export const alarm = defineAggregate<AlarmState, AlarmCommand, AlarmEvent>({
  type: 'alarm',
  initialState: () => ({ armed: 0, rang: 0 }),
  decide(_state, cmd, ctx) {
    switch (cmd.type) {
      case 'arm':
        ctx.timers.schedule(cmd.name, { at: cmd.at }, { type: 'ring', name: cmd.name, marker: cmd.marker });
        return [{ type: 'Armed', name: cmd.name, marker: cmd.marker, at: cmd.at }];
      case 'disarm':
        ctx.timers.cancel(cmd.name);
        return [{ type: 'Disarmed', name: cmd.name }];
      case 'ring':
        return [
          {
            type: 'Rang',
            name: cmd.name,
            marker: cmd.marker,
            dueAt: ctx.firedTimer?.dueAt ?? -1,
            at: ctx.now.getTime(),
          },
        ];
    }
  },
  evolve(state, e) {
    if (e.type === 'Armed') return { ...state, armed: state.armed + 1 };
    if (e.type === 'Rang') return { ...state, rang: state.rang + 1 };
    return state;
  },
  // Snapshots and evictions happen while the process is killed, so recovery from both is exercised.
  snapshots: { every: 3, schemaVersion: 1, onEvict: true },
});
