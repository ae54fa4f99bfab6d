import {
  type DecideContext,
  defineAggregate,
  type InvalidCommand,
  isRejection,
  reject,
  type StandardSchemaV1,
} from '@actorfold/core';
import { describe, expect, it } from 'vitest';
import { given, givenState, ScenarioFailure } from '../src/index.js';

type CounterCommand =
  | { type: 'add'; by: number }
  | { type: 'stop' }
  | { type: 'stamp' }
  | { type: 'explode' }
  | { type: 'break' };

type CounterEvent =
  | { type: 'Added'; by: number; note?: string | undefined }
  | { type: 'Stopped' }
  | {
      type: 'Stamped';
      context: Omit<DecideContext, 'now' | 'timers' | 'firedTimer' | 'effects' | 'settledEffect'> & {
        now: string;
      };
    }
  | { type: 'Broken' };

interface CounterState {
  total: number;
  stopped: boolean;
}

/** Refuses an `add` whose `by` is not a finite number, and rounds `by` (decide sees the output). */
const counterSchema: StandardSchemaV1<unknown, CounterCommand> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate(value) {
      const command = value as CounterCommand;
      if (command.type !== 'add') return { value: command };
      if (!Number.isFinite(command.by)) return { issues: [{ message: 'by must be a finite number' }] };
      return { value: { type: 'add', by: Math.round(command.by) } };
    },
  },
};

const spec = {
  type: 'counter',
  initialState: (): CounterState => ({ total: 0, stopped: false }),
  decide(state: CounterState, command: CounterCommand, ctx: DecideContext): readonly CounterEvent[] {
    switch (command.type) {
      case 'add':
        if (state.stopped) reject('stopped', 'counter is stopped', { total: state.total });
        return command.by === 0 ? [] : [{ type: 'Added', by: command.by }];
      case 'stop':
        return state.stopped ? [] : [{ type: 'Stopped' }];
      case 'stamp':
        return [{ type: 'Stamped', context: { ...ctx, now: ctx.now.toISOString() } }];
      case 'explode':
        throw new Error('decide bug: explode is not implemented');
      case 'break':
        return [{ type: 'Broken' }];
    }
  },
  evolve(state: CounterState, event: CounterEvent): CounterState {
    switch (event.type) {
      case 'Added':
        return { ...state, total: state.total + event.by };
      case 'Stopped':
        return { ...state, stopped: true };
      case 'Stamped':
        return state;
      case 'Broken':
        throw new Error('evolve bug: Broken is not handled');
    }
  },
};

const counter = defineAggregate<CounterState, CounterCommand, CounterEvent>({
  ...spec,
  validateCommand: counterSchema,
});

const asyncCounter = defineAggregate<CounterState, CounterCommand, CounterEvent>({
  ...spec,
  type: 'async-counter',
  validateCommand: {
    '~standard': {
      version: 1,
      vendor: 'test',
      validate: async (value) => counterSchema['~standard'].validate(value),
    },
  },
});

const unvalidated = defineAggregate<CounterState, CounterCommand, CounterEvent>({ ...spec, type: 'plain' });

/** The ScenarioFailure a wrong expectation rejects with. */
async function failureOf(expectation: Promise<unknown>): Promise<ScenarioFailure> {
  const error = await expectation.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ScenarioFailure);
  return error as ScenarioFailure;
}

describe('given/when/then for aggregates', () => {
  describe('then(events)', () => {
    it('passes when decide returns exactly the expected events', async () => {
      await given(counter)
        .when({ type: 'add', by: 2 })
        .then([{ type: 'Added', by: 2 }]);
    });

    it('resolves to the events, the state after them and the new version', async () => {
      const result = await given(counter, [{ type: 'Added', by: 1 }])
        .when({ type: 'add', by: 2 })
        .then([{ type: 'Added', by: 2 }]);
      expect(result).toEqual({
        events: [{ type: 'Added', by: 2 }],
        state: { total: 3, stopped: false },
        version: 2,
      });
    });

    it('compares events structurally, ignoring key order and undefined properties', async () => {
      await given(counter)
        .when({ type: 'add', by: 2 })
        .then([{ by: 2, type: 'Added', note: undefined }]);
    });

    it('fails when decide returns other events, showing expected and actual', async () => {
      const failure = await failureOf(
        given(counter)
          .when({ type: 'add', by: 2 })
          .then([{ type: 'Added', by: 3 }]),
      );
      expect(failure.name).toBe('ScenarioFailure');
      expect(failure.message).toContain('counter \'test\' given no events, when {"type":"add","by":2}');
      expect(failure.message).toContain('expected events:\n  [\n    {"type":"Added","by":3}\n  ]');
      expect(failure.message).toContain('but decide returned:');
      expect(failure.message).toContain('{"type":"Added","by":2}');
      expect(failure.expected).toEqual([{ type: 'Added', by: 3 }]);
      expect(failure.actual).toEqual([{ type: 'Added', by: 2 }]);
      expect(failure.showDiff).toBe(true);
    });

    it('fails when decide rejects the command', async () => {
      const failure = await failureOf(
        given(counter, [{ type: 'Stopped' }])
          .when({ type: 'add', by: 1 })
          .then([{ type: 'Added', by: 1 }]),
      );
      expect(failure.message).toContain('but decide rejected it: stopped: counter is stopped');
      expect(failure.message).toContain('details: {"total":0}');
      expect(isRejection(failure.cause)).toBe(true);
    });

    it('fails when nothing happens although events were expected', async () => {
      const failure = await failureOf(
        given(counter)
          .when({ type: 'add', by: 0 })
          .then([{ type: 'Added', by: 0 }]),
      );
      expect(failure.message).toContain('but decide returned no events');
      expect(failure.actual).toEqual([]);
    });

    it('fails when evolve throws on an event decide returned', async () => {
      const failure = await failureOf(
        given(counter)
          .when({ type: 'break' })
          .then([{ type: 'Broken' }]),
      );
      expect(failure.message).toContain(
        'but evolve threw on event #1 {"type":"Broken"}: evolve bug: Broken is not handled',
      );
      expect(failure.cause).toBeInstanceOf(Error);
    });

    it('fails instead of hanging when a When is awaited without an expectation', async () => {
      const failure = await failureOf(
        (async () => {
          // @ts-expect-error: awaiting a When is a type error too (it has a `then` that is no promise's)
          await given(counter).when({ type: 'add', by: 1 });
        })(),
      );
      expect(failure.message).toContain('has no expectation');
    });
  });

  describe('thenRejects(reason, details?)', () => {
    it('passes when decide rejects with that reason, and resolves to the Rejection', async () => {
      const rejection = await given(counter, [{ type: 'Stopped' }])
        .when({ type: 'add', by: 1 })
        .thenRejects('stopped');
      expect(rejection.code).toBe('REJECTED');
      expect(rejection.details).toEqual({ total: 0 });
    });

    it('checks the details against a value or a function', async () => {
      const stopped = given(counter, [{ type: 'Added', by: 4 }, { type: 'Stopped' }]);
      await stopped.when({ type: 'add', by: 1 }).thenRejects('stopped', { total: 4 });
      await stopped.when({ type: 'add', by: 1 }).thenRejects('stopped', (details: unknown) => {
        expect(details).toEqual({ total: 4 });
      });
    });

    it('fails when decide rejects with another reason', async () => {
      const failure = await failureOf(
        given(counter, [{ type: 'Stopped' }])
          .when({ type: 'add', by: 1 })
          .thenRejects('not-open'),
      );
      expect(failure.message).toContain("expected a rejection with reason 'not-open'");
      expect(failure.message).toContain('but decide rejected it: stopped');
      expect(failure.expected).toBe('not-open');
      expect(failure.actual).toBe('stopped');
    });

    it('fails when the details differ, or the details check returns false', async () => {
      const stopped = given(counter, [{ type: 'Stopped' }]).when({ type: 'add', by: 1 });
      const failure = await failureOf(stopped.thenRejects('stopped', { total: 9 }));
      expect(failure.expected).toEqual({ total: 9 });
      expect(failure.actual).toEqual({ total: 0 });
      await failureOf(stopped.thenRejects('stopped', () => false));
    });

    it('fails when decide accepts the command', async () => {
      const failure = await failureOf(given(counter).when({ type: 'add', by: 1 }).thenRejects('stopped'));
      expect(failure.message).toContain('but decide returned:');
    });
  });

  describe('thenNothingHappens()', () => {
    it('passes when decide returns no events', async () => {
      const result = await given(counter, [{ type: 'Stopped' }])
        .when({ type: 'stop' })
        .thenNothingHappens();
      expect(result).toEqual({ events: [], state: { total: 0, stopped: true }, version: 1 });
    });

    it('fails when decide returns events', async () => {
      const failure = await failureOf(given(counter).when({ type: 'stop' }).thenNothingHappens());
      expect(failure.message).toContain('expected nothing to happen');
      expect(failure.expected).toEqual([]);
      expect(failure.actual).toEqual([{ type: 'Stopped' }]);
    });

    it('fails when decide rejects the command', async () => {
      await failureOf(
        given(counter, [{ type: 'Stopped' }])
          .when({ type: 'add', by: 0 })
          .thenNothingHappens(),
      );
    });
  });

  describe('thenState(expected)', () => {
    it('passes when the state after the new events equals the expected state', async () => {
      await given(counter, [{ type: 'Added', by: 1 }])
        .when({ type: 'add', by: 2 })
        .thenState({ total: 3, stopped: false });
    });

    it('passes a check function the state, so any assertion library works', async () => {
      await given(counter)
        .when({ type: 'stop' })
        .thenState((s) => expect(s.stopped).toBe(true));
    });

    it('fails when the state differs', async () => {
      const failure = await failureOf(
        given(counter).when({ type: 'add', by: 2 }).thenState({ total: 5, stopped: false }),
      );
      expect(failure.message).toContain('expected the state:');
      expect(failure.expected).toEqual({ total: 5, stopped: false });
      expect(failure.actual).toEqual({ total: 2, stopped: false });
    });

    it('fails when the check returns false, and lets a throwing check through', async () => {
      const when = given(counter).when({ type: 'add', by: 2 });
      const failure = await failureOf(when.thenState((s) => s.total === 5));
      expect(failure.message).toContain('the state check returned false');
      await expect(when.thenState((s) => expect(s.total).toBe(5))).rejects.toThrow(/expected 2 to be 5/);
    });

    it('fails when decide rejects the command', async () => {
      const failure = await failureOf(
        given(counter, [{ type: 'Stopped' }])
          .when({ type: 'add', by: 2 })
          .thenState({ total: 2, stopped: true }),
      );
      expect(failure.message).toContain('expected the command to be accepted');
    });
  });

  describe('thenFails(matcher?)', () => {
    it('passes when decide throws something other than a Rejection, and resolves to it', async () => {
      const error = await given(counter).when({ type: 'explode' }).thenFails();
      expect(error).toBeInstanceOf(Error);
    });

    it('matches the message with a substring, a RegExp or a function', async () => {
      const when = given(counter).when({ type: 'explode' });
      await when.thenFails('not implemented');
      await when.thenFails(/decide bug/);
      await when.thenFails((e) => e instanceof Error);
    });

    it('passes when evolve throws on an event decide returned', async () => {
      await given(counter)
        .when({ type: 'break' })
        .thenFails(/evolve bug/);
    });

    it('passes when decide writes to ctx.metadata: frozen, as the runtime gives it (DECIDE_FAILED there)', async () => {
      const stamper = defineAggregate({
        type: 'stamper',
        initialState: () => ({ stamped: 0 }),
        decide: (_s: { stamped: number }, _c: { type: 'stamp' }, ctx: DecideContext) => {
          (ctx.metadata as { commandId?: string }).commandId = 'forged';
          return [{ type: 'Stamped' as const }];
        },
        evolve: (s: { stamped: number }) => ({ stamped: s.stamped + 1 }),
      });
      await given(stamper)
        .when({ type: 'stamp' })
        .thenFails((e) => e instanceof TypeError);
    });

    it('fails when the message does not match', async () => {
      const failure = await failureOf(
        given(counter)
          .when({ type: 'explode' })
          .thenFails(/evolve bug/),
      );
      expect(failure.message).toContain('with a message matching /evolve bug/');
      expect(failure.message).toContain('but decide threw: decide bug: explode is not implemented');
    });

    it('fails when decide rejects: a Rejection is a business outcome, not a bug', async () => {
      const failure = await failureOf(
        given(counter, [{ type: 'Stopped' }])
          .when({ type: 'add', by: 1 })
          .thenFails(),
      );
      expect(failure.message).toContain('but decide rejected it: stopped');
    });

    it('fails when decide accepts the command', async () => {
      await failureOf(given(counter).when({ type: 'add', by: 1 }).thenFails());
    });
  });

  describe('thenInvalid(matcher?)', () => {
    it('passes when validateCommand refuses the command, with an INVALID_COMMAND error', async () => {
      const error: InvalidCommand = await given(counter).when({ type: 'add', by: Number.NaN }).thenInvalid();
      expect(error.code).toBe('INVALID_COMMAND');
      expect(error.issues).toEqual([{ message: 'by must be a finite number' }]);
      await given(counter)
        .when({ type: 'add', by: Number.NaN })
        .thenInvalid(/finite number/);
    });

    it('awaits an async validator', async () => {
      await given(asyncCounter).when({ type: 'add', by: Number.NaN }).thenInvalid('finite');
      await given(asyncCounter)
        .when({ type: 'add', by: 1 })
        .then([{ type: 'Added', by: 1 }]);
    });

    it("gives decide the validator's output", async () => {
      await given(counter)
        .when({ type: 'add', by: 2.4 })
        .then([{ type: 'Added', by: 2 }]);
    });

    it('treats a command without a string type as invalid, like the runtime', async () => {
      await given(unvalidated)
        .when({ kind: 'add' } as never)
        .thenInvalid('string `type`');
    });

    it('fails when the command is valid', async () => {
      const failure = await failureOf(given(counter).when({ type: 'add', by: 1 }).thenInvalid());
      expect(failure.message).toContain('expected the command to be invalid (INVALID_COMMAND)');
    });

    it('fails when the validator refuses with another message', async () => {
      await failureOf(
        given(counter)
          .when({ type: 'add', by: Number.NaN })
          .thenInvalid(/negative/),
      );
    });

    it('makes the other expectations fail on an invalid command', async () => {
      const failure = await failureOf(
        given(counter)
          .when({ type: 'add', by: Number.NaN })
          .then([{ type: 'Added', by: Number.NaN }]),
      );
      expect(failure.message).toContain('but the command is invalid: counter: invalid command: by must be');
    });
  });

  describe('the history', () => {
    it('chains .given(events) onto the history without changing the original scenario', async () => {
      const opened = given(counter, [{ type: 'Added', by: 1 }]);
      const more = opened.given([{ type: 'Added', by: 2 }]).given([{ type: 'Stopped' }]);
      await more.when({ type: 'add', by: 1 }).thenRejects('stopped', { total: 3 });
      await opened.when({ type: 'add', by: 1 }).thenState({ total: 2, stopped: false });
    });

    it('starts from a state with givenState, optionally followed by events', async () => {
      await givenState(counter, { total: 7, stopped: false })
        .when({ type: 'add', by: 1 })
        .thenState({ total: 8, stopped: false });
      await givenState(counter, { total: 7, stopped: false })
        .given([{ type: 'Stopped' }])
        .when({ type: 'add', by: 1 })
        .thenRejects('stopped', { total: 7 });
    });

    it('fails clearly when evolve throws on a given event', async () => {
      const failure = await failureOf(
        given(counter, [{ type: 'Broken' }])
          .when({ type: 'stop' })
          .thenNothingHappens(),
      );
      expect(failure.message).toContain('evolve threw on given event #1 {"type":"Broken"}: evolve bug');
    });
  });

  describe('the decide context', () => {
    it('defaults to id "test", the number of given events as version, a fixed now and empty metadata', async () => {
      await given(counter, [{ type: 'Added', by: 1 }, { type: 'Stopped' }])
        .when({ type: 'stamp' })
        .then([
          {
            type: 'Stamped',
            context: {
              aggregateType: 'counter',
              aggregateId: 'test',
              version: 2,
              now: '2025-01-01T00:00:00.000Z',
              metadata: {},
            },
          },
        ]);
    });

    it('takes the id, now and metadata from the options, and the version from givenState', async () => {
      const options = {
        aggregateId: 'c-9',
        now: new Date('2030-06-01T12:00:00Z'),
        metadata: { commandId: 'k' },
      };
      await givenState(counter, { total: 0, stopped: false }, { ...options, version: 41 })
        .given([{ type: 'Added', by: 1 }])
        .when({ type: 'stamp' })
        .then([
          {
            type: 'Stamped',
            context: {
              aggregateType: 'counter',
              aggregateId: 'c-9',
              version: 42,
              now: '2030-06-01T12:00:00.000Z',
              metadata: { commandId: 'k' },
            },
          },
        ]);
      await given(counter, [], options).when({ type: 'stamp' }).thenState({ total: 0, stopped: false });
    });
  });

  it('infers state, command and event types from the definition', () => {
    // Type-level only: tsconfig.test.json checks the @ts-expect-error lines.
    const typecheckOnly = () => {
      const stopped = given(counter).when({ type: 'stop' });
      // @ts-expect-error: not an event of the counter
      given(counter, [{ type: 'Opened' }]);
      // @ts-expect-error: not a command of the counter
      given(counter).when({ type: 'open' });
      // @ts-expect-error: `by` must be a number
      given(counter).when({ type: 'add', by: 'one' });
      // @ts-expect-error: not an event of the counter
      stopped.then([{ type: 'Closed' }]);
      // @ts-expect-error: the state has no `balance`
      stopped.thenState((s) => s.balance);
      // @ts-expect-error: not a state of the counter
      givenState(counter, { balance: 0 });
    };
    expect(typecheckOnly).toBeTypeOf('function');
  });
});
