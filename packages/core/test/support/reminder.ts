import { defineAggregate, type EventStore, type TimerWhen } from '../../src/index.js';

export type ReminderCommand =
  | {
      type: 'set';
      name: string;
      when: TimerWhen;
      tag: string;
      missed?: 'fire' | 'drop';
      /** What the timer delivers; default `{ type: 'ring', name, tag }`. */
      command?: ReminderCommand;
    }
  | { type: 'clear'; name: string }
  | { type: 'ring'; name: string; tag: string; again?: number }
  | { type: 'silent-ring'; name: string }
  | { type: 'refused-ring'; name: string }
  | { type: 'schedule-without-event'; name: string }
  | { type: 'bad-schedule'; name: string; when: unknown; command: unknown; swallow?: boolean };
export type ReminderEvent =
  | { type: 'Set'; name: string; tag: string /** ctx.now */; at: number }
  | { type: 'Cleared'; name: string }
  | {
      type: 'Rang';
      name: string;
      tag: string;
      /** ctx.now of the firing. */
      at: number;
      /** The fired timer's due time (null: not fired by a timer). */
      dueAt: number | null;
      /** The ring it scheduled again (`again`), if any. */
      next: { tag: string; after: number } | null;
    };
export interface ReminderState {
  rang: Array<{ name: string; tag: string; at: number }>;
}

/**
 * An aggregate that sets, clears and reschedules timers: `set` schedules a `ring` command, a
 * `ring` records when it ran (and may schedule itself again after `again` ms).
 */
export const reminder = defineAggregate<ReminderState, ReminderCommand, ReminderEvent>({
  type: 'reminder',
  initialState: () => ({ rang: [] }),
  decide(_state, cmd, ctx) {
    switch (cmd.type) {
      case 'set':
        ctx.timers.schedule(
          cmd.name,
          cmd.when,
          cmd.command ?? { type: 'ring', name: cmd.name, tag: cmd.tag },
          cmd.missed === undefined ? undefined : { missed: cmd.missed },
        );
        return [{ type: 'Set', name: cmd.name, tag: cmd.tag, at: ctx.now.getTime() }];
      case 'clear':
        ctx.timers.cancel(cmd.name);
        return [{ type: 'Cleared', name: cmd.name }];
      case 'ring': {
        const next = cmd.again === undefined ? null : { tag: `${cmd.tag}+`, after: cmd.again };
        if (next !== null) {
          ctx.timers.schedule(
            cmd.name,
            { after: next.after },
            { type: 'ring', name: cmd.name, tag: next.tag },
          );
        }
        return [
          {
            type: 'Rang',
            name: cmd.name,
            tag: cmd.tag,
            at: ctx.now.getTime(),
            dueAt: ctx.firedTimer?.dueAt ?? null,
            next,
          },
        ];
      }
      case 'silent-ring':
        return [];
      case 'refused-ring':
        throw new Error('a bug in decide');
      case 'schedule-without-event':
        ctx.timers.schedule(cmd.name, { after: 10 }, { type: 'ring', name: cmd.name, tag: 'x' });
        return [];
      case 'bad-schedule':
        try {
          ctx.timers.schedule(cmd.name, cmd.when as TimerWhen, cmd.command as { type: string });
        } catch (error) {
          if (!cmd.swallow) throw error;
        }
        return [{ type: 'Set', name: cmd.name, tag: 'bad', at: ctx.now.getTime() }];
    }
  },
  evolve(state, event) {
    if (event.type !== 'Rang') return state;
    return { rang: [...state.rang, { name: event.name, tag: event.tag, at: event.at }] };
  },
});

/** The same store, except that closing it keeps the data: a second runtime reopens the same "disk". */
export function reopenable(store: EventStore): EventStore {
  return { ...store, close: async () => {} };
}
