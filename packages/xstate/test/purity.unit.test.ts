import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AnyAggregate, createRuntime, type Runtime } from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import { given } from '@actorfold/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { assign, emit, setup } from 'xstate';
import { fromMachine, ImpureMachine, isImpureMachine, type WithAcceptedAt } from '../src/index.js';
import { approval } from './support/approval.js';

// Shaped like the todo and circle-drawer machines among xstate's own examples: an id made up
// inside `assign` from random numbers, or from the clock.
type TodoCommand = { type: 'addTodo'; title: string } | { type: 'rename'; id: string; title: string };
interface Todo {
  id: string;
  title: string;
}

const todosSetup = setup({
  types: { context: {} as { todos: Todo[] }, events: {} as WithAcceptedAt<TodoCommand> },
});

const randomTodos = todosSetup.createMachine({
  id: 'todos',
  context: { todos: [] },
  initial: 'ready',
  states: {
    ready: {
      on: {
        addTodo: {
          actions: assign({
            todos: ({ context, event }) =>
              event.type === 'addTodo'
                ? [...context.todos, { id: Math.random().toString(36).slice(2), title: event.title }]
                : context.todos,
          }),
        },
      },
    },
  },
});

type CircleCommand = { type: 'addCircle'; x: number; y: number };
const clockedCircles = setup({
  types: {
    context: {} as { circles: { id: string; x: number; y: number }[] },
    events: {} as WithAcceptedAt<CircleCommand>,
  },
  actions: {
    addCircle: assign(({ context, event }) => ({
      circles: [...context.circles, { id: `circle-${Date.now()}`, x: event.x, y: event.y }],
    })),
  },
}).createMachine({
  id: 'circles',
  context: { circles: [] },
  initial: 'ready',
  states: { ready: { on: { addCircle: { actions: 'addCircle' } } } },
});

/** The pure way: the id comes from the context, the time from the command's acceptedAt. */
const pureTodos = todosSetup.createMachine({
  id: 'todos',
  context: { todos: [] },
  initial: 'ready',
  states: {
    ready: {
      on: {
        addTodo: {
          actions: [
            assign({
              todos: ({ context, event }) =>
                event.type === 'addTodo'
                  ? [...context.todos, { id: `todo-${context.todos.length + 1}`, title: event.title }]
                  : context.todos,
            }),
            emit(({ event }) => ({ type: 'todoAdded', at: event.acceptedAt })),
          ],
        },
      },
    },
  },
});

const todos = fromMachine({ type: 'todos', machines: { v1: randomTodos } });
const circles = fromMachine({ type: 'circles', machines: { v1: clockedCircles } });

describe('the impurity check of statechart aggregates', () => {
  it('given() catches an assign that makes ids from Math.random, naming the state, the command and the action', async () => {
    const failure = await given(todos)
      .when({ type: 'addTodo', title: 'milk' })
      .thenState(() => true)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(failure).toBeInstanceOf(Error);
    const message = (failure as Error).message;
    expect(message).toMatch(/todos: workflow version 'v1' is not pure: command 'addTodo' in state 'ready'/);
    expect(message).toMatch(/context\.todos\[0\]\.id: "\w+" vs "\w+"/);
    expect(message).toMatch(/an inline assign on 'addTodo' in 'todos\.ready'/);
    expect(message).toMatch(/event\.acceptedAt/);
    expect(isImpureMachine((failure as Error).cause)).toBe(true);
  });

  it('given() catches a named assign reading Date.now(), even when both runs fall within one millisecond', async () => {
    // Many runs, so that some certainly share a millisecond: the check moves the clock itself.
    for (let i = 0; i < 20; i++) {
      const failure = await given(circles)
        .when({ type: 'addCircle', x: 1, y: 2 })
        .thenNothingHappens()
        .catch((e: unknown) => e);
      const cause = (failure as Error).cause as ImpureMachine;
      expect(cause).toBeInstanceOf(ImpureMachine);
      expect(cause.code).toBe('IMPURE_MACHINE');
      expect(cause.state).toBe("'ready'");
      expect(cause.commandType).toBe('addCircle');
      expect(cause.actions).toEqual(["action 'addCircle' on 'addCircle' in 'circles.ready'"]);
      expect(cause.difference).toMatch(/^context\.circles\[0\]\.id: "circle-\d+" vs "circle-\d+"$/);
    }
  });

  it('fails the scenario whatever it expected: thenFails() does not pass on an impure machine', async () => {
    await expect(given(todos).when({ type: 'addTodo', title: 'x' }).thenFails()).rejects.toThrow(
      /is not pure/,
    );
  });

  it('catches an impure guard: the two runs reach different states', async () => {
    const coin = setup({ types: { events: {} as WithAcceptedAt<{ type: 'flip' }> } }).createMachine({
      id: 'coin',
      initial: 'up',
      states: {
        up: { on: { flip: [{ guard: () => Math.random() < 0.5, target: 'heads' }, { target: 'tails' }] } },
        heads: { on: { flip: 'up' } },
        tails: { on: { flip: 'up' } },
      },
    });
    const def = fromMachine({ type: 'coin', machines: { v1: coin } });
    // A 50% guard agrees with itself half of the time: 40 tries miss it with probability 2^-40.
    const messages: string[] = [];
    for (let i = 0; i < 40; i++) {
      await given(def)
        .when({ type: 'flip' })
        .thenState(() => true)
        .catch((e: unknown) => messages.push((e as Error).message));
    }
    // When both of the machine's own runs agree, given()'s second fold still sees the other state.
    // A guard that is right half of the time can agree with itself in all five runs of one scenario.
    expect(messages.length).toBeGreaterThan(0);
    for (const m of messages) expect(m).toMatch(/not pure/);
    expect(
      messages.some((m) => /it reached a different state, state: "(heads|tails)" vs "(heads|tails)"/.test(m)),
    ).toBe(true);
  });

  it('catches a context factory that reads the clock, at definition time when checkPurity is on', () => {
    const stamped = setup({}).createMachine({
      id: 'stamped',
      context: () => ({ createdAt: new Date().toISOString() }),
      initial: 'a',
      states: { a: { on: { go: 'b' } }, b: {} },
    });
    expect(() => fromMachine({ type: 'stamped', machines: { v1: stamped }, checkPurity: true })).toThrow(
      /stamped: workflow version 'v1' is not pure: command '\(start\)' in state \(initial\).*context\.createdAt.*the context factory/s,
    );
    // Off by default at runtime: the definition itself is accepted.
    expect(() => fromMachine({ type: 'stamped', machines: { v1: stamped } })).not.toThrow();
  });

  it('passes pure machines: ids from the context, time from acceptedAt, emitted events', async () => {
    const def = fromMachine({ type: 'todos', machines: { v1: pureTodos } });
    await given(def)
      .when({ type: 'addTodo', title: 'milk' })
      .thenState((s) => expect(s.context.todos).toEqual([{ id: 'todo-1', title: 'milk' }]));
    await given(approval)
      .when({ type: 'submit', title: 't', amount: 5 })
      .thenState((s) => expect(s.value).toEqual({ review: 'firstLine' }));
  });

  it('passes a pure machine whose context holds an invalid Date, NaN and -0 (equal to themselves in both runs)', async () => {
    const odd = setup({
      types: {
        context: {} as { due: Date; ratio: number; delta: number; n: number },
        events: {} as { type: 'tick' },
      },
    }).createMachine({
      context: () => ({ due: new Date('not a date'), ratio: Number.NaN, delta: -0, n: 0 }),
      on: { tick: { actions: assign({ n: ({ context }) => context.n + 1 }) } },
    });
    await given(fromMachine({ type: 'odd', machines: { v1: odd } }))
      .when({ type: 'tick' })
      .thenState((s) => expect(s.context.n).toBe(1));
  });

  it('can be turned off in given() for a test that means to show the impurity', async () => {
    await given(todos, [], { checkPurity: false })
      .when({ type: 'addTodo', title: 'milk' })
      .thenState((s) => expect(s.context.todos).toHaveLength(1));
  });

  it('checkPurity rejects an option that is not a boolean', () => {
    expect(() =>
      fromMachine({ type: 'todos', machines: { v1: pureTodos }, checkPurity: 'yes' as unknown as boolean }),
    ).toThrow(/checkPurity must be a boolean/);
  });
});

describe('checkPurity at runtime, on a LevelDB folder', () => {
  const root = mkdtempSync(join(tmpdir(), 'af-xstate-purity-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  let n = 0;
  const folder = () => join(root, `store-${++n}`);
  const open: Runtime[] = [];
  afterEach(async () => {
    for (const rt of open.splice(0)) await rt.shutdown();
  });
  const startOn = async (path: string, def: AnyAggregate): Promise<Runtime> => {
    const rt = await createRuntime({ store: levelStore({ path }), aggregates: [def] });
    open.push(rt);
    return rt;
  };
  const restart = async (rt: Runtime, path: string, def: AnyAggregate): Promise<Runtime> => {
    await rt.shutdown();
    open.splice(open.indexOf(rt), 1);
    return startOn(path, def);
  };

  it('refuses an impure transition as DECIDE_FAILED caused by ImpureMachine, storing nothing, the actor kept', async () => {
    const checked = fromMachine({ type: 'todos', machines: { v1: randomTodos }, checkPurity: true });
    expect(checked.checkPurity).toBe(true);
    const path = folder();
    const rt = await startOn(path, checked);
    const h = rt.get(checked, 'list-1');
    const error = await h.execute({ type: 'addTodo', title: 'milk' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DECIDE_FAILED' });
    expect(isImpureMachine((error as Error).cause)).toBe(true);
    expect((error as Error).message).toMatch(/command 'addTodo' in state 'ready'/);
    expect(h.isAlive()).toBe(true);
    expect((await h.state()).version).toBe(0);
    const again = await restart(rt, path, checked);
    expect((await again.get(checked, 'list-1').state()).version).toBe(0);
  });

  it('without it the same machine is accepted, and replay then gives another id: the bug the check exists for', async () => {
    expect(todos.checkPurity).toBe(false);
    const path = folder();
    const rt = await startOn(path, todos);
    const live = await rt.get(todos, 'list-1').execute({ type: 'addTodo', title: 'milk' });
    const again = await restart(rt, path, todos);
    const { state } = await again.get(todos, 'list-1').state();
    expect(state.context.todos[0]?.id).not.toBe(live.state.context.todos[0]?.id);
  });

  it('lets pure machines through with the check on, and a restart replays the same state', async () => {
    const def = fromMachine({ type: 'todos', machines: { v1: pureTodos }, checkPurity: true });
    const path = folder();
    const rt = await startOn(path, def);
    const h = rt.get(def, 'list-1');
    await h.execute({ type: 'addTodo', title: 'milk' });
    const live = await h.execute({ type: 'addTodo', title: 'eggs' });
    const again = await restart(rt, path, def);
    expect((await again.get(def, 'list-1').state()).state).toEqual(live.state);
  });
});
