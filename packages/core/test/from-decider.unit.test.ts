import { describe, expect, it } from 'vitest';
import {
  createRuntime,
  type DecideContext,
  type Decider,
  fromDecider,
  isActorfoldError,
  TimerRecorder,
} from '../src/index.js';

type Cmd =
  | { type: 'add'; by: number }
  | { type: 'addMany'; by: number[] }
  | { type: 'none' }
  | { type: 'later'; by: number };
type Evt = { type: 'Added'; by: number };
interface State {
  total: number;
}

const counterDecider: Decider<State, Cmd, Evt> = {
  decide(command) {
    switch (command.type) {
      case 'add':
        return { type: 'Added', by: command.by };
      case 'addMany':
        return command.by.map((by) => ({ type: 'Added' as const, by }));
      case 'none':
        return [];
      case 'later':
        return Promise.resolve({ type: 'Added', by: command.by });
    }
  },
  evolve: (state, event) => ({ total: state.total + event.by }),
  initialState: () => ({ total: 0 }),
};

const ctx: DecideContext = {
  aggregateType: 'counter',
  aggregateId: 'c',
  version: 0,
  now: new Date(0),
  metadata: {},
  timers: new TimerRecorder(0),
  effects: { request: () => 'none', cancel: () => undefined },
};

describe('fromDecider', () => {
  const counter = fromDecider(counterDecider, { type: 'counter', snapshots: { every: 5, schemaVersion: 2 } });

  it('turns one event into an array of one, keeps arrays, and [] for nothing, synchronously', () => {
    expect(counter.decide({ total: 0 }, { type: 'add', by: 2 }, ctx)).toEqual([{ type: 'Added', by: 2 }]);
    expect(counter.decide({ total: 0 }, { type: 'addMany', by: [1, 2] }, ctx)).toEqual([
      { type: 'Added', by: 1 },
      { type: 'Added', by: 2 },
    ]);
    expect(counter.decide({ total: 0 }, { type: 'none' }, ctx)).toEqual([]);
  });

  it('turns a promise of one event into a promise of an array (awaited by a runtime that allows async decide)', async () => {
    const decided: unknown = counter.decide({ total: 0 }, { type: 'later', by: 3 }, ctx);
    expect(decided).toBeInstanceOf(Promise);
    await expect(decided).resolves.toEqual([{ type: 'Added', by: 3 }]);
  });

  it('passes the other options through to the definition', () => {
    expect(counter.type).toBe('counter');
    expect(counter.snapshots).toEqual({ every: 5, schemaVersion: 2 });
    expect(counter.eventSchemaVersion).toBe(1);
    expect(counter.initialState()).toEqual({ total: 0 });
    expect(counter.evolve({ total: 1 }, { type: 'Added', by: 2 })).toEqual({ total: 3 });
  });

  it('gives decide the command first, then the state and the context', () => {
    const seen: unknown[] = [];
    const spy = fromDecider<State, Cmd, Evt>(
      {
        ...counterDecider,
        decide(command, state, context) {
          seen.push(command, state, context);
          return [];
        },
      },
      { type: 'spy' },
    );
    spy.decide({ total: 7 }, { type: 'none' }, ctx);
    expect(seen).toEqual([{ type: 'none' }, { total: 7 }, ctx]);
  });

  it('says what to return when decide returns nothing at all', () => {
    const broken = fromDecider<State, Cmd, Evt>(
      { ...counterDecider, decide: () => undefined as unknown as Evt },
      { type: 'broken' },
    );
    expect(() => broken.decide({ total: 0 }, { type: 'none' }, ctx)).toThrow(
      /return an event, an array of events, or \[\]/,
    );
  });

  it('refuses a decider that is missing a function, or a bad type, with INVALID_ARGUMENT', () => {
    const { evolve: _missing, ...noEvolve } = counterDecider;
    expect(() => fromDecider(noEvolve as Decider<State, Cmd, Evt>, { type: 'x' })).toThrow(
      /decider.evolve must be a function/,
    );
    try {
      fromDecider(counterDecider, { type: 'a/b' });
      expect.unreachable();
    } catch (e) {
      expect(isActorfoldError(e) && e.code).toBe('INVALID_ARGUMENT');
    }
  });

  it('runs through the runtime like any aggregate', async () => {
    const runtime = await createRuntime({ aggregates: [counter] });
    try {
      const h = runtime.get(counter, 'c-1');
      await h.execute({ type: 'add', by: 2 });
      const r = await h.execute({ type: 'addMany', by: [3, 4] });
      expect(r).toMatchObject({ version: 3, state: { total: 9 } });
      await runtime.evict(counter, 'c-1');
      expect(await h.state()).toEqual({ state: { total: 9 }, version: 3 });
    } finally {
      await runtime.shutdown();
    }
  });
});
