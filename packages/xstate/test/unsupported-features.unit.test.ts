import { given } from '@actorfold/testing';
import { describe, expect, it } from 'vitest';
import {
  type AnyStateMachine,
  and,
  assign,
  cancel,
  createMachine,
  emit,
  enqueueActions,
  forwardTo,
  fromCallback,
  fromEventObservable,
  fromObservable,
  fromPromise,
  fromTransition,
  log,
  not,
  or,
  raise,
  sendParent,
  sendTo,
  setup,
  spawnChild,
  stateIn,
  stopChild,
} from 'xstate';
import { findUnsupportedFeatures, fromMachine, UnsupportedMachine } from '../src/index.js';
import { approvalMachine } from './support/approval.js';
import { disk, start } from './support/runtime.js';

/** A two-state machine whose `a` state has the given config merged in. */
function machineWith(a: Record<string, unknown>, extra: Record<string, unknown> = {}): AnyStateMachine {
  return createMachine({
    id: 'm',
    initial: 'a',
    states: { a: { on: { go: 'b' }, ...a }, b: {} },
    ...extra,
  } as Parameters<typeof createMachine>[0]);
}

function refusal(machine: AnyStateMachine): UnsupportedMachine {
  try {
    fromMachine({ type: 'm', machines: { v1: machine } });
  } catch (e) {
    if (e instanceof UnsupportedMachine) return e;
    throw e;
  }
  throw new Error('fromMachine accepted the machine');
}

const lazy = fromPromise(async () => 1);

/** A machine whose state `a` invokes `logic` by the name 'x'. */
function invoking(logic: unknown): AnyStateMachine {
  return setup({ actors: { x: logic as typeof lazy } }).createMachine({
    id: 'm',
    initial: 'a',
    states: { a: { invoke: { src: 'x' }, on: { go: 'b' } }, b: {} },
  }) as unknown as AnyStateMachine;
}

describe('machines that cannot be event-sourced', () => {
  it.each([
    [
      'an invoke of inline promise logic (no name to register its implementation under)',
      machineWith({ invoke: { src: lazy } }),
      'invoke',
      /invokes inline promise logic: name it in setup\(\{ actors: \{ name: fromPromise\(…\) \} \}\) and invoke src: 'name'/,
    ],
    [
      'an invoke of callback logic',
      invoking(fromCallback(() => () => undefined)),
      'invoke',
      /invoke of callback logic 'x' is not supported \(it keeps running and sending events after it started\): use promise logic \(fromPromise\), which runs as a durable effect, or a durable timer \(after\)/,
    ],
    [
      'an invoke of observable logic',
      invoking(fromObservable(() => ({ subscribe: () => ({ unsubscribe: () => undefined }) }))),
      'invoke',
      /invoke of observable logic 'x' is not supported .*: use promise logic \(fromPromise\)/,
    ],
    [
      'an invoke of event observable logic',
      invoking(fromEventObservable(() => ({ subscribe: () => ({ unsubscribe: () => undefined }) }) as never)),
      'invoke',
      /invoke of event observable logic 'x' is not supported/,
    ],
    [
      'an invoke of transition logic',
      invoking(fromTransition((s: number) => s, 0)),
      'invoke',
      /invoke of transition logic 'x' is not supported/,
    ],
    [
      'an invoke of a child machine',
      invoking(createMachine({ id: 'child' })),
      'invoke',
      /invoke of a child machine 'x' is not supported \(its state lives outside the event stream \(make it an aggregate of its own/,
    ],
    [
      'an invoke of a name setup does not define',
      machineWith({ invoke: { src: 'nowhere' } }),
      'invoke',
      /invokes 'nowhere', which setup\(\{ actors \}\) does not define: define it there as promise logic/,
    ],
    [
      'an invoke of promise logic with onSnapshot',
      setup({ actors: { x: lazy } }).createMachine({
        id: 'm',
        initial: 'a',
        states: { a: { invoke: { src: 'x', onSnapshot: { actions: assign({}) } }, on: { go: 'b' } }, b: {} },
      }) as unknown as AnyStateMachine,
      'invoke',
      /has onSnapshot: a durable effect has no snapshots before its outcome; use onDone and onError/,
    ],
    [
      'a delayed (after) transition whose delay is neither named nor an ISO-8601 duration',
      machineWith({ after: { soon: 'b' } }),
      'after',
      /'soon' is neither a delay named in setup\(\{ delays \}\) nor an ISO-8601 duration/,
    ],
    [
      'a delayed (after) transition in months, which have no fixed length',
      machineWith({ after: { P1M: 'b' } }),
      'after',
      /'P1M': years and months have no fixed length/,
    ],
    [
      'spawnChild',
      machineWith({ entry: spawnChild(lazy) }),
      'spawnChild',
      /entry: spawns a child actor: .*; invoke promise logic \(fromPromise\) from a state instead, which runs as a durable effect/,
    ],
    [
      'sendTo',
      machineWith({ exit: sendTo('other', { type: 'x' }) }),
      'sendTo',
      /exit: sends to another actor/,
    ],
    [
      'sendParent',
      machineWith({ on: { go: { target: 'b', actions: sendParent({ type: 'x' }) } } }),
      'sendTo',
      /on 'go': sends to another actor/,
    ],
    [
      'forwardTo',
      machineWith({ on: { go: { actions: forwardTo('other') } } }),
      'sendTo',
      /sends to another actor/,
    ],
    [
      'a delayed raise',
      machineWith({ entry: raise({ type: 'go' }, { delay: 50 }) }),
      'delayed raise',
      /raises an event with a delay/,
    ],
    [
      'an inline custom action',
      machineWith({ entry: () => undefined }),
      'custom action',
      /custom action .* side effects would never run/,
    ],
    ['a wildcard transition', machineWith({ on: { '*': 'b' } }), 'wildcard', /wildcard transition '\*'/],
    ['a partial wildcard', machineWith({ on: { 'go.*': 'b' } }), 'wildcard', /wildcard transition 'go\.\*'/],
  ])('refuses %s at definition time, saying where and why', (_what, machine, feature, message) => {
    const error = refusal(machine);
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.features).toEqual([expect.objectContaining({ stateId: 'm.a', feature })]);
    expect(error.message).toMatch(/^m: workflow version 'v1' cannot be event-sourced:\n {2}- m\.a: /);
    expect(error.message).toMatch(message);
  });

  it('refuses a named action whose implementation is custom code, and one with no implementation', () => {
    const named = setup({ actions: { notify: () => undefined } }).createMachine({
      id: 'm',
      initial: 'a',
      states: { a: { on: { go: { target: 'b', actions: 'notify' } } }, b: { entry: 'audit' as never } },
    });
    expect(refusal(named).features).toEqual([
      expect.objectContaining({
        stateId: 'm.a',
        feature: 'custom action',
        message: expect.stringMatching(/'notify'/),
      }),
      expect.objectContaining({
        stateId: 'm.b',
        feature: 'custom action',
        message: expect.stringMatching(/'audit' has no implementation/),
      }),
    ]);
  });

  it('lists every problem of every state, nested ones included, not only the first', () => {
    const machine = createMachine({
      id: 'm',
      initial: 'outer',
      states: {
        outer: {
          initial: 'inner',
          invoke: { src: lazy },
          states: { inner: { after: { never: 'other' } }, other: { entry: spawnChild(lazy) } },
        },
      },
    });
    expect(refusal(machine).features.map((f) => `${f.stateId} ${f.feature}`)).toEqual([
      'm.outer invoke',
      'm.outer.inner after',
      'm.outer.other spawnChild',
    ]);
  });

  it('names the workflow version whose machine is refused', () => {
    expect(() =>
      fromMachine({
        type: 'm',
        machines: { good: approvalMachine, bad: machineWith({ invoke: { src: lazy } }) },
        current: 'good',
      }),
    ).toThrow(/^m: workflow version 'bad' cannot be event-sourced/);
  });

  it('accepts pure machines: assign, emit, log, raise without delay, cancel, enqueueActions, guards, history', () => {
    const pure = machineWith({
      entry: [assign({}), emit({ type: 'e' }), log('hi'), cancel('none')],
      on: {
        go: {
          target: 'b',
          actions: [raise({ type: 'noop' }), enqueueActions(({ enqueue }) => enqueue.assign({}))],
        },
      },
    });
    expect(findUnsupportedFeatures(pure)).toEqual([]);
    expect(findUnsupportedFeatures(approvalMachine)).toEqual([]);
    expect(() => fromMachine({ type: 'm', machines: { v1: pure } })).not.toThrow();
  });

  it('accepts invokes of promise logic named in setup({ actors }), and refuses two invokes sharing an id', () => {
    const ok = setup({ actors: { x: lazy } }).createMachine({
      id: 'm',
      initial: 'a',
      states: {
        a: { invoke: [{ src: 'x' }, { id: 'mine', src: 'x', input: { n: 1 } }], on: { go: 'b' } },
        b: { invoke: { src: 'x', onDone: 'a', onError: 'a' } },
      },
    });
    expect(findUnsupportedFeatures(ok)).toEqual([]);
    expect(fromMachine({ type: 'm', machines: { v1: ok } }).invokedEffects).toEqual(['x']);
    const clash = setup({ actors: { x: lazy } }).createMachine({
      id: 'm',
      type: 'parallel',
      states: { a: { invoke: { id: 'same', src: 'x' } }, b: { invoke: { id: 'same', src: 'x' } } },
    });
    expect(findUnsupportedFeatures(clash)).toEqual([
      expect.objectContaining({
        stateId: 'm.b',
        feature: 'invoke',
        message: expect.stringMatching(/invoke id 'same' is also used in 'm\.a'/),
      }),
    ]);
  });

  it.each([
    [
      'custom code',
      enqueueActions(({ enqueue }) => enqueue(() => undefined)),
      'custom action',
      /enqueues: custom action/,
    ],
    [
      'a named custom action',
      enqueueActions(({ enqueue }) => enqueue('missing')),
      'custom action',
      /enqueues: action 'missing' has no implementation/,
    ],
    [
      'a delayed raise',
      enqueueActions(({ enqueue }) => enqueue.raise({ type: 'go' }, { delay: 10 })),
      'delayed raise',
      /enqueues a raise with a delay/,
    ],
    [
      'a sendTo',
      enqueueActions(({ enqueue, self }) => enqueue.sendTo(self, { type: 'go' })),
      'sendTo',
      /enqueues a sendTo or sendParent/,
    ],
  ])(
    'refuses enqueueActions that enqueues %s at definition time, where its dry run reaches it',
    (_, action, feature, message) => {
      const error = refusal(machineWith({ on: { go: 'b', act: { actions: action } } }));
      expect(error.features).toEqual([expect.objectContaining({ stateId: 'm.a', feature })]);
      expect(error.message).toMatch(message);
    },
  );

  it('refuses a stopChild of an invoke, which xstate stops but whose effect would still deliver to onDone', () => {
    const machine = setup({ actors: { x: lazy } }).createMachine({
      id: 'm',
      initial: 'a',
      states: {
        a: {
          invoke: { id: 'job', src: 'x', onDone: 'b' },
          on: {
            abort: { actions: stopChild('job') },
            later: { actions: enqueueActions(({ enqueue }) => enqueue.stopChild('job')) },
            other: { actions: stopChild('not-an-invoke') },
          },
        },
        b: {},
      },
    });
    expect(findUnsupportedFeatures(machine)).toEqual([
      expect.objectContaining({
        stateId: 'm.a',
        feature: 'stopChild',
        message: expect.stringMatching(
          /on 'abort': an inline stopChild stops an invoke: .*leaving the state/,
        ),
      }),
      expect.objectContaining({
        stateId: 'm.a',
        feature: 'stopChild',
        message: expect.stringMatching(/^on 'later'/),
      }),
    ]);
  });

  it('refuses a named guard that setup({ guards }) does not implement, also inside and/or/not and enqueueActions', () => {
    const machine = setup({
      guards: { known: () => true, alias: 'known' as never, composed: and(['known', 'lost' as never]) },
    }).createMachine({
      id: 'm',
      initial: 'a',
      states: {
        a: {
          on: {
            go: { guard: 'known', target: 'b' },
            viaAlias: { guard: 'alias', target: 'b' },
            viaComposed: { guard: 'composed', target: 'b' },
            typo: { guard: 'knwon' as never, target: 'b' },
            nested: { guard: and(['known', not({ type: 'missing' as never })]), target: 'b' },
            checked: {
              actions: enqueueActions(
                ({ check, enqueue }) => check('absent' as never) && enqueue.emit({ type: 'x' }),
              ),
            },
          },
          always: { guard: or(['known', 'gone' as never]), target: 'b' },
        },
        b: {},
      },
    });
    expect(findUnsupportedFeatures(machine).map((f) => [f.feature, f.message])).toEqual([
      ['guard', "on 'viaComposed': guard 'lost' has no implementation in setup({ guards })"],
      ['guard', "on 'typo': guard 'knwon' has no implementation in setup({ guards })"],
      ['guard', "on 'nested': guard 'missing' has no implementation in setup({ guards })"],
      [
        'guard',
        "on 'checked': an inline enqueueActions checks guard 'absent' has no implementation in setup({ guards })",
      ],
      ['guard', "always: guard 'gone' has no implementation in setup({ guards })"],
    ]);
  });

  it('refuses a stateIn guard naming a state id the machine does not have (every evaluation would throw)', () => {
    const machine = createMachine({
      id: 'm',
      initial: 'a',
      states: {
        a: {
          on: { go: { guard: stateIn('#m.b'), target: 'b' }, typo: { guard: stateIn('#m.bb'), target: 'b' } },
        },
        b: {},
      },
    });
    expect(findUnsupportedFeatures(machine)).toEqual([
      expect.objectContaining({
        feature: 'guard',
        message: "on 'typo': stateIn('#m.bb') names a state id the machine does not have",
      }),
    ]);
  });

  it('turns what xstate throws about a machine it cannot use into INVALID_ARGUMENT naming the version', () => {
    const broken = createMachine({ id: 'm', initial: 'missing', states: { a: {} } });
    expect(() => fromMachine({ type: 'm', machines: { v1: broken } })).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(
          /^m: workflow version 'v1': xstate cannot use this machine: Initial state node "missing"/,
        ),
      }),
    );
  });

  it('says that a process starts without input when the initial transition fails', () => {
    const needsInput = setup({ types: { input: {} as { n: number } } }).createMachine({
      context: ({ input }) => ({ n: input.n }),
      initial: 'a',
      states: { a: {} },
    });
    expect(() => fromMachine({ type: 'm', machines: { v1: needsInput } })).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/a process starts without input/),
      }),
    );
  });

  it("refuses two states with one id, which xstate takes: one region's timer would replace and cancel the other's", () => {
    const machine = createMachine({
      id: 'm',
      type: 'parallel',
      states: {
        p: { initial: 'x', states: { x: { id: 'wait', after: { 1000: 'y' } }, y: {} } },
        q: { initial: 'x', states: { x: { id: 'wait', after: { 1000: 'y' }, on: { leave: 'y' } }, y: {} } },
      },
    });
    expect(findUnsupportedFeatures(machine)).toEqual([
      expect.objectContaining({
        stateId: 'wait',
        feature: 'state id',
        message: expect.stringMatching(/^state 'm\.q\.x' has the id 'wait' of state 'm\.p\.x' too/),
      }),
    ]);
  });

  const inc = assign({ n: ({ context }: { context: { n: number } }) => context.n + 1 });
  it.each([
    [
      'targetless, assigning',
      { spin: { always: { actions: inc } } },
      'm.spin',
      /without guard or target assigns again/,
    ],
    [
      'to its own state, assigning',
      { spin: { always: { target: 'spin', actions: inc } } },
      'm.spin',
      /to 'm\.spin' assigns again/,
    ],
    [
      'to a child, assigning',
      { spin: { initial: 'a', always: { target: '.b', actions: inc }, states: { a: {}, b: {} } } },
      'm.spin',
      /to 'm\.spin\.b' assigns again/,
    ],
    [
      'to its parent, assigning',
      { spin: { initial: 'a', states: { a: { always: { target: '#m.spin', actions: inc } } } } },
      'm.spin.a',
      /to 'm\.spin' assigns again/,
    ],
    [
      're-entering its state, whose entry assigns',
      { spin: { entry: inc, always: { target: 'spin', reenter: true } } },
      'm.spin',
      /to 'm\.spin' assigns again/,
    ],
    [
      'a cycle through two states',
      { spin: { always: 'pong' }, pong: { always: 'spin' } },
      'm.spin',
      /go round 'm\.spin' → 'm\.pong' → 'm\.spin'/,
    ],
    [
      "a cycle through a state's initial child",
      { spin: { initial: 'a', states: { a: { always: '#m.pong' } } }, pong: { always: '#m.spin' } },
      'm.spin.a',
      /go round 'm\.spin\.a' → 'm\.pong' → 'm\.spin\.a'/,
    ],
  ])(
    'refuses an unguarded eventless transition that never stops (%s): xstate would spin in transition forever',
    (_, states, stateId, message) => {
      const machine = createMachine({
        id: 'm',
        initial: 'idle',
        context: { n: 0 },
        states: { idle: { on: { go: 'spin' } }, ...states },
      } as never);
      expect(findUnsupportedFeatures(machine)).toEqual([
        expect.objectContaining({ stateId, feature: 'always', message: expect.stringMatching(message) }),
      ]);
    },
  );

  it('accepts eventless transitions that stop: guarded loops, chains that end, no-ops xstate stops at', () => {
    const machine = createMachine({
      id: 'm',
      initial: 'idle',
      context: { n: 0 },
      states: {
        idle: { on: { go: 'count', chain: 'one', self: 'still', child: 'parent', emits: 'loud' } },
        count: {
          always: { guard: ({ context }) => context.n < 3, target: 'count', reenter: true, actions: inc },
        },
        one: { always: 'two' },
        two: { always: 'idle' },
        still: { always: { target: 'still', reenter: true } },
        parent: { initial: 'a', always: '.b', states: { a: {}, b: {} } },
        loud: { always: { actions: emit({ type: 'noise' }) } },
      },
    });
    expect(findUnsupportedFeatures(machine)).toEqual([]);
  });

  it('vets the actions of onDone and onError like any other', () => {
    const machine = setup({ actors: { x: lazy } }).createMachine({
      id: 'm',
      initial: 'a',
      states: { a: { invoke: { src: 'x', onDone: { target: 'b', actions: () => undefined } } }, b: {} },
    });
    expect(findUnsupportedFeatures(machine)).toEqual([
      expect.objectContaining({ stateId: 'm.a', feature: 'custom action' }),
    ]);
  });

  it('accepts delayed (after) transitions in ms, ISO-8601 durations and named delays, nested ones too', () => {
    const delayed = setup({
      delays: { backoff: ({ context }) => 100 * 2 ** (context as { n: number }).n },
    }).createMachine({
      id: 'm',
      context: { n: 1 },
      initial: 'a',
      states: {
        a: { after: { 1000: 'b', PT15M: 'b' }, on: { go: 'b' } },
        b: { initial: 'x', states: { x: { after: { backoff: 'y' } }, y: {} } },
      },
    });
    expect(findUnsupportedFeatures(delayed)).toEqual([]);
    expect(fromMachine({ type: 'm', machines: { v1: delayed } }).eventTypes).toContain('DelayElapsed');
  });
});

describe('spawn inside assign, refused when fromMachine runs', () => {
  const spawning = (on: Record<string, unknown>): AnyStateMachine =>
    setup({ actors: { lazy } }).createMachine({
      id: 'm',
      initial: 'a',
      context: {},
      states: { a: { on } },
    } as never) as unknown as AnyStateMachine;

  it.each([
    [
      'an inline assign',
      { go: { actions: assign({ child: ({ spawn }) => spawn('lazy') }) } },
      /an inline assign calls spawn/,
    ],
    [
      'an assign function',
      { go: { actions: assign(({ spawn }) => ({ child: spawn('lazy') })) } },
      /an inline assign calls spawn/,
    ],
    [
      'an assign that reads the event first',
      {
        go: {
          actions: assign(({ event, spawn }) => ({
            child: (event as unknown as { n: number }).n > 1 ? spawn('lazy') : null,
          })),
        },
      },
      /calls spawn/,
    ],
    [
      'enqueueActions enqueueing such an assign',
      {
        go: {
          actions: enqueueActions(({ enqueue }) =>
            enqueue.assign({ child: ({ spawn }: { spawn: (src: string) => unknown }) => spawn('lazy') }),
          ),
        },
      },
      /an inline enqueueActions enqueues a spawn/,
    ],
    [
      'enqueueActions enqueueing spawnChild',
      { go: { actions: enqueueActions(({ enqueue }) => enqueue.spawnChild('lazy')) } },
      /enqueues a spawn/,
    ],
  ])('refuses %s at definition time, not on every command', (_what, on, message) => {
    const error = refusal(spawning(on));
    expect(error.features).toEqual([expect.objectContaining({ stateId: 'm.a', feature: 'spawn' })]);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/a spawned actor runs outside the event stream/);
  });

  it('refuses a named assign that spawns, naming it', () => {
    const named = setup({
      actors: { lazy },
      actions: { startChild: assign({ child: ({ spawn }) => spawn('lazy') }) },
    }).createMachine({
      id: 'm',
      initial: 'a',
      context: {},
      states: { a: { on: { go: { actions: 'startChild' } } } },
    });
    expect(refusal(named).message).toMatch(/on 'go': action 'startChild' calls spawn/);
  });

  it('refuses a context factory that spawns (the initial transition is dry-run)', () => {
    const machine = setup({ actors: { lazy } }).createMachine({
      id: 'm',
      context: ({ spawn }) => ({ child: spawn('lazy') }),
      initial: 'a',
      states: { a: {} },
    });
    expect(refusal(machine).message).toMatch(/the transition spawned .*actors run outside/);
  });

  it('does not take a pure assign that merely throws on stand-in values for a spawn', () => {
    const machine = spawning({
      go: {
        actions: assign({
          n: ({ context }) => (context as { list: number[] }).list.reduce((a, b) => a + b, 0),
        }),
      },
    });
    expect(findUnsupportedFeatures(machine)).toEqual([]);
  });
});

describe('what only running a transition shows', () => {
  // Custom code that enqueueActions enqueues on a path the definition's dry run does not take
  // (a condition on the context, which the dry run only has stand-ins for) is seen only when the
  // transition runs.
  const sneaky = setup({}).createMachine({
    id: 'm',
    initial: 'a',
    context: { flag: true },
    states: {
      a: {
        on: {
          enqueueCustom: {
            actions: enqueueActions(({ enqueue, context }) => {
              if (context.flag === true) enqueue(() => undefined);
            }),
          },
          enqueueEmit: { actions: enqueueActions(({ enqueue }) => enqueue.emit({ type: 'fine' })) },
        },
      },
    },
  });
  const def = fromMachine({ type: 'm', machines: { v1: sneaky } });

  it('refuses a command whose transition runs custom code through enqueueActions', async () => {
    await given(def)
      .when({ type: 'enqueueCustom' })
      .thenFails(/ran custom action/);
  });

  it('accepts what enqueueActions enqueues when it is pure, carrying its emitted events', async () => {
    await given(def)
      .when({ type: 'enqueueEmit' })
      .then([
        {
          type: 'EmitEnqueued',
          command: { type: 'enqueueEmit' },
          acceptedAt: '2025-01-01T00:00:00.000Z',
          workflowVersion: 'v1',
          emitted: [{ type: 'fine' }],
        },
      ]);
  });

  it('fails such a command through the runtime as DECIDE_FAILED, appending nothing and keeping the actor', async () => {
    const store = disk();
    const rt = await start(store, [def]);
    const h = rt.get(def, 'p');
    await expect(h.execute({ type: 'enqueueCustom' })).rejects.toMatchObject({ code: 'DECIDE_FAILED' });
    expect(await store.streamVersion('m/p')).toBe(0);
    expect(h.isAlive()).toBe(true);
    expect((await h.execute({ type: 'enqueueEmit' })).version).toBe(1);
  });
});
