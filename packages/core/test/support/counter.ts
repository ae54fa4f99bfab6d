import { defineAggregate, reject } from '../../src/index.js';

export type CounterCommand =
  | { type: 'add'; by: number; tag?: string }
  | { type: 'addTwice'; by: number; tag?: string }
  | { type: 'noop' }
  | { type: 'fail' }
  | { type: 'refuse' }
  | { type: 'poison' };
export type CounterEvent = { type: 'Added'; by: number; tag?: string } | { type: 'Poisoned' };
export interface CounterState {
  n: number;
  tags: string[];
}

/** Set to make evolve throw on the next `Added` event it folds (a crash injected from outside). */
export const crashSwitch = { armed: 0 };

/** A counter that records tags in order: enough to check order, atomicity and folds. */
export const counter = defineAggregate<CounterState, CounterCommand, CounterEvent>({
  type: 'counter',
  initialState: () => ({ n: 0, tags: [] }),
  decide(_state, cmd) {
    switch (cmd.type) {
      case 'add':
        return [{ type: 'Added', by: cmd.by, ...(cmd.tag === undefined ? {} : { tag: cmd.tag }) }];
      case 'addTwice': {
        const e = { type: 'Added' as const, by: cmd.by, ...(cmd.tag === undefined ? {} : { tag: cmd.tag }) };
        return [e, e];
      }
      case 'noop':
        return [];
      case 'fail':
        throw new Error('decide bug');
      case 'refuse':
        return reject('refused', 'no', { why: 'test' });
      case 'poison':
        return [{ type: 'Poisoned' }];
    }
  },
  evolve(state, event) {
    if (event.type === 'Poisoned') throw new Error('evolve bug');
    if (crashSwitch.armed > 0) {
      crashSwitch.armed--;
      throw new Error('injected evolve crash');
    }
    return { n: state.n + event.by, tags: event.tag === undefined ? state.tags : [...state.tags, event.tag] };
  },
});
