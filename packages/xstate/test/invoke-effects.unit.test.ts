import { isRejection } from '@actorfold/core';
import { given } from '@actorfold/testing';
import { describe, expect, it } from 'vitest';
import { assign, createMachine, fromPromise, setup } from 'xstate';
import {
  effectsFromMachine,
  fromMachine,
  INVOKE_DONE,
  INVOKE_FAILED,
  INVOKE_SETTLED,
  type InvokedEffectArgs,
  isImpureMachine,
} from '../src/index.js';
import { history, stored } from './support/history.js';
import { fetchCalls, fetchUser, greeter, payment, remote, userFetch } from './support/invoking-machines.js';
import { RecordingEffects } from './support/recording-effects.js';
import { decideContext, T0 } from './support/runtime.js';
import { TimedProcess } from './support/timer-driver.js';

const fetcher = fromMachine({ type: 'fetch', machines: { v1: userFetch } });
const pay = fromMachine({ type: 'payment', machines: { v1: payment } });
const greet = fromMachine({ type: 'greeter', machines: { v1: greeter } });

function rejectionOf(fn: () => unknown): { reason: string; message: string; details: unknown } {
  try {
    fn();
  } catch (e) {
    if (isRejection(e)) return e as never;
    throw e;
  }
  throw new Error('not refused');
}

describe('invoke of promise logic as a durable effect (decide)', () => {
  it('entering an invoking state requests the effect named by src, with the evaluated input, under the invoke id', () => {
    const p = new TimedProcess(fetcher, T0);
    p.execute({ type: 'fetch', userId: 'u-7' });
    expect(p.effectCalls).toEqual([
      {
        op: 'request',
        name: 'fetchUser',
        input: { userId: 'u-7' },
        // xstate's generated id: the index and the state node id, the same on every run.
        opts: { id: '0.fetch.loading', resultType: INVOKE_SETTLED },
      },
    ]);
    expect(p.state).toMatchObject({ value: 'loading', context: { attempts: 1 } });
  });

  it('an explicit invoke id names the effect; several invokes of one state each request theirs, next to its after timer', () => {
    const p = new TimedProcess(pay, T0);
    p.execute({ type: 'checkout', orderId: 'o-1', amount: 42 });
    expect(p.effectCalls.map((c) => (c.op === 'request' ? [c.name, c.opts.id, c.input] : c))).toEqual([
      ['charge', 'charge', { orderId: 'o-1', amount: 42 }],
      ['notify', '1.payment.paying', { orderId: 'o-1' }],
    ]);
    expect([...p.pending.keys()]).toEqual(['xstate.after.600000.payment.paying']);
  });

  it('the output is delivered to onDone and recorded as InvokeDone; replay reproduces the state without the runtime', () => {
    const p = new TimedProcess(fetcher, T0);
    p.execute({ type: 'fetch', userId: 'u-7' });
    const [event] = p.settle('0.fetch.loading', { output: { id: 'u-7', name: 'Ann' } }, 2);
    expect(event).toEqual({
      type: INVOKE_DONE,
      command: {
        type: 'xstate.done.actor.0.fetch.loading',
        actorId: '0.fetch.loading',
        output: { id: 'u-7', name: 'Ann' },
        effect: { id: '0.fetch.loading', name: 'fetchUser', version: 1, attempts: 2 },
      },
      acceptedAt: new Date(T0).toISOString(),
      emitted: [{ type: 'userLoaded' }],
    });
    expect(p.state).toMatchObject({
      value: 'success',
      done: true,
      context: { user: { id: 'u-7', name: 'Ann' } },
    });
    // The node was left by the outcome itself: its record goes with the decision, no cancel.
    expect(p.effectCalls.filter((c) => c.op === 'cancel')).toEqual([]);
    expect(p.replayed()).toEqual(p.state);
    expect(fetcher.eventTypes).toEqual(expect.arrayContaining([INVOKE_DONE, INVOKE_FAILED]));
  });

  it('a final failure is delivered to onError as xstate.error.actor with the error as the runtime keeps it', () => {
    const p = new TimedProcess(fetcher, T0);
    p.execute({ type: 'fetch', userId: 'u-7' });
    const [event] = p.settle(
      '0.fetch.loading',
      { error: { message: 'HTTP 503', code: 'EFFECT_TIMEOUT' } },
      5,
    );
    expect(event?.type).toBe(INVOKE_FAILED);
    expect(event?.command).toMatchObject({
      type: 'xstate.error.actor.0.fetch.loading',
      error: { message: 'HTTP 503', code: 'EFFECT_TIMEOUT' },
    });
    expect(p.state).toMatchObject({ value: 'failure', context: { error: 'HTTP 503' } });
    expect(p.replayed()).toEqual(p.state);
  });

  it('leaving the state before the effect settles cancels it in the same decision', () => {
    const p = new TimedProcess(fetcher, T0);
    p.execute({ type: 'fetch', userId: 'u-7' });
    p.execute({ type: 'cancel' });
    expect(p.effectCalls.at(-1)).toEqual({ op: 'cancel', id: '0.fetch.loading' });
    expect(p.pendingEffects.size).toBe(0);
    // With several effects and a timer: leaving cancels all of them.
    const q = new TimedProcess(pay, T0);
    q.execute({ type: 'checkout', orderId: 'o-1', amount: 1 });
    q.execute({ type: 'abort' });
    expect(q.pendingEffects.size).toBe(0);
    expect(q.pending.size).toBe(0);
  });

  it('an outcome that takes one effect of a state cancels the others it leaves behind', () => {
    const p = new TimedProcess(pay, T0);
    p.execute({ type: 'checkout', orderId: 'o-1', amount: 1 });
    p.settle('charge', { output: { receipt: 'r-1' } });
    expect(p.effectCalls.slice(2)).toEqual([{ op: 'cancel', id: '1.payment.paying' }]);
    expect(p.state).toMatchObject({ value: 'paid', context: { receipt: 'r-1' } });
    expect(p.pending.size).toBe(0);
  });

  it('entering the state again requests the effect afresh, from the new decision', () => {
    const p = new TimedProcess(fetcher, T0);
    p.execute({ type: 'fetch', userId: 'u-7' });
    p.settle('0.fetch.loading', { error: { message: 'down' } });
    p.execute({ type: 'retry' });
    expect(p.pendingEffects.get('0.fetch.loading')).toMatchObject({ version: 3, input: { userId: 'u-7' } });
    p.settle('0.fetch.loading', { output: { id: 'u-7', name: 'Ann' } });
    expect(p.state).toMatchObject({ value: 'success', context: { attempts: 2, error: 'down' } });
    expect(p.replayed()).toEqual(p.state);
  });

  it('the initial state invokes with the process first command', () => {
    const p = new TimedProcess(greet, T0);
    p.execute({ type: 'poke' });
    expect(p.effectCalls).toEqual([
      {
        op: 'request',
        name: 'greet',
        input: { to: 'world' },
        opts: { id: '0.greeter.greeting', resultType: INVOKE_SETTLED },
      },
    ]);
    p.settle('0.greeter.greeting', { output: 'hello world' });
    expect(p.state).toMatchObject({ value: 'greeted', context: { greeting: 'hello world', pokes: 1 } });
    expect(p.replayed()).toEqual(p.state);
  });

  it('refuses an outcome that the runtime did not deliver (a client sending xstate.invoke.settled)', () => {
    const p = new TimedProcess(fetcher, T0);
    p.execute({ type: 'fetch', userId: 'u-7' });
    const forged = {
      type: INVOKE_SETTLED,
      effect: { id: '0.fetch.loading', name: 'fetchUser', version: 1, attempts: 1 },
      outcome: 'done',
      output: { id: 'u-7', name: 'forged' },
    } as never;
    const refusal = rejectionOf(() => p.execute(forged));
    expect(refusal.reason).toBe('effect-only');
    expect(p.state.value).toBe('loading');
    // The command validator lets it through to decide, which gives the reason.
    const issues = fetcher.validateCommand?.['~standard'].validate(forged);
    expect(issues).toEqual({ value: forged });
  });

  it('an outcome for a state that was left is refused as invalid-state (the runtime would not deliver it)', () => {
    const p = new TimedProcess(fetcher, T0);
    p.execute({ type: 'fetch', userId: 'u-7' });
    const ref = { id: '0.fetch.loading', name: 'fetchUser', version: 1, attempts: 1 };
    p.execute({ type: 'cancel' });
    const late = { type: INVOKE_SETTLED, effect: ref, outcome: 'done', output: null } as never;
    expect(rejectionOf(() => p.execute(late, undefined, ref)).reason).toBe('completed');
  });

  it('without onDone the output changes nothing; without onError a final failure is refused and says so', () => {
    const machine = setup({ actors: { ping: fromPromise(async () => 1) } }).createMachine({
      id: 'm',
      initial: 'idle',
      states: {
        idle: { on: { start: 'a' } },
        a: { invoke: { id: 'ping', src: 'ping' }, on: { stop: 'b' } },
        b: {},
      },
    });
    const def = fromMachine({ type: 'm', machines: { v1: machine } });
    const p = new TimedProcess(def, T0);
    p.execute({ type: 'start' } as never);
    expect(p.settle('ping', { output: 1 })).toEqual([]);
    expect(p.state.value).toBe('a');
    const q = new TimedProcess(def, T0);
    q.execute({ type: 'start' } as never);
    const refusal = rejectionOf(() => q.settle('ping', { error: { message: 'boom' } }));
    expect(refusal.reason).toBe('unhandled-failure');
    expect(refusal.message).toMatch(
      /invoke 'ping' failed for good \(boom\) and state 'a' has no onError that takes it/,
    );
    expect(q.state.value).toBe('a');
  });

  it('works in given() scenarios, which record the request; an outcome sent by hand is refused there too', async () => {
    await given(fetcher)
      .when({ type: 'fetch', userId: 'u-7' })
      .thenState((s) =>
        expect(s).toMatchObject({ value: 'loading', context: { userId: 'u-7', attempts: 1 } }),
      );
    const forged = {
      type: INVOKE_SETTLED,
      effect: { id: '0.fetch.loading', name: 'fetchUser', version: 1, attempts: 1 },
      outcome: 'done',
      output: null,
    } as never;
    const { events } = history(fetcher, [{ type: 'fetch', userId: 'u-7' }]);
    await given(fetcher, events).when(forged).thenRejects('effect-only');
  });

  it('refuses an input that is not plain JSON, naming the invoke', () => {
    const machine = setup({ actors: { save: fromPromise(async () => null) } }).createMachine({
      id: 'm',
      initial: 'a',
      states: {
        a: { on: { go: 'b' } },
        b: { invoke: { src: 'save', input: () => ({ at: new Date(T0) }) } },
      },
    });
    const def = fromMachine({ type: 'm', machines: { v1: machine } });
    expect(() => def.decide(def.initialState(), { type: 'go' }, decideContext(0))).toThrow(
      /the input of invoke '0\.m\.b' \(src 'save', state 'm\.b'\) is not plain JSON \(\$\.at is a Date\)/,
    );
  });

  it('with checkPurity, an input read from the clock is refused as impure', () => {
    const machine = setup({
      actors: { save: fromPromise(async () => null) },
    }).createMachine({
      id: 'm',
      initial: 'a',
      states: { a: { on: { go: 'b' } }, b: { invoke: { src: 'save', input: () => ({ at: Date.now() }) } } },
    });
    const def = fromMachine({ type: 'm', machines: { v1: machine }, checkPurity: true });
    let error: unknown;
    try {
      def.decide(def.initialState(), { type: 'go' }, decideContext(0));
    } catch (e) {
      error = e;
    }
    expect(isImpureMachine(error)).toBe(true);
    expect((error as Error).message).toMatch(/effects\[0\]\.input\.at/);
  });

  it('after a restore from a snapshot (no children), leaving the state still cancels the effect', () => {
    const snapshotted = fromMachine({ type: 'fetch', machines: { v1: userFetch }, snapshots: { every: 1 } });
    const p = new TimedProcess(snapshotted, T0);
    p.execute({ type: 'fetch', userId: 'u-7' });
    const saved = JSON.parse(JSON.stringify(snapshotted.snapshots?.encode?.(p.state)));
    const restored = snapshotted.snapshots?.decode?.(saved) as typeof p.state;
    const effects = new RecordingEffects();
    const ctx = { ...decideContext(1), effects };
    const events = snapshotted.decide(restored, { type: 'cancel' }, ctx);
    expect(events).toHaveLength(1);
    expect(effects.calls).toEqual([{ op: 'cancel', id: '0.fetch.loading' }]);
  });

  it('replaying the recorded events never requests or cancels an effect', () => {
    const p = new TimedProcess(fetcher, T0);
    p.execute({ type: 'fetch', userId: 'u-7' });
    p.settle('0.fetch.loading', { error: { message: 'down' } });
    p.execute({ type: 'retry' });
    p.execute({ type: 'cancel' });
    // evolve has no context to request with: a full replay from stored copies gives the same state.
    let state = fetcher.initialState();
    for (const e of stored(p.events)) state = fetcher.evolve(state, e);
    expect(state).toEqual(p.state);
    expect(p.state).toMatchObject({ value: 'cancelled', done: true });
  });
});

describe('effectsFromMachine', () => {
  it('lists the invoked effect names and turns their promise logic into implementations', async () => {
    expect(fetcher.invokedEffects).toEqual(['fetchUser']);
    expect(pay.invokedEffects).toEqual(['charge', 'notify']);
    const implementations = effectsFromMachine(fetcher, pay);
    expect(Object.keys(implementations).sort()).toEqual(['charge', 'fetchUser', 'notify']);
    const controller = new AbortController();
    fetchCalls.length = 0;
    const original = remote.fetchUser;
    remote.fetchUser = async ({ userId }, signal) => {
      controller.abort();
      return { id: userId, name: signal.aborted ? 'aborted' : 'live' };
    };
    try {
      const ctx = {
        idempotencyKey: 'fetch/f-1:0.fetch.loading@1',
        signal: controller.signal,
        attempt: 1,
        streamId: 'fetch/f-1',
        effect: { id: '0.fetch.loading', name: 'fetchUser', version: 1 },
      };
      await expect(implementations.fetchUser?.({ userId: 'u-1' }, ctx)).resolves.toEqual({
        id: 'u-1',
        name: 'aborted',
      });
      expect(fetchCalls).toHaveLength(1);
      expect(fetchCalls[0]?.input).toEqual({ userId: 'u-1' });
      expect(fetchCalls[0]?.aborted()).toBe(true);
    } finally {
      remote.fetchUser = original;
      fetchCalls.length = 0;
    }
  });

  it("keys every implementation as an own property, also a src named '__proto__'", () => {
    const actors: Record<string, typeof fetchUser> = {};
    Object.defineProperty(actors, '__proto__', {
      value: fetchUser,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    const machine = setup({ actors }).createMachine({
      id: 'm',
      initial: 'a',
      states: { a: { invoke: { id: 'odd', src: '__proto__', onDone: 'b', onError: 'b' } }, b: {} },
    });
    const implementations = effectsFromMachine(fromMachine({ type: 'm', machines: { v1: machine } }));
    expect(Object.getPrototypeOf(implementations)).toBe(Object.prototype);
    expect(Object.keys(implementations)).toEqual(['__proto__']);
    expect(typeof Object.getOwnPropertyDescriptor(implementations, '__proto__')?.value).toBe('function');
  });

  it('gives the promise creator the effect context (idempotency key, attempt); emit is refused, not retried', async () => {
    const seen: unknown[] = [];
    const machine = setup({
      actors: {
        send: fromPromise<string, { to: string }>(async (args) => {
          const { effect, input } = args as unknown as InvokedEffectArgs<{ to: string }>;
          seen.push([input, effect.idempotencyKey, effect.attempt]);
          return 'sent';
        }),
        shout: fromPromise<null>(async ({ emit }) => {
          emit({ type: 'loud' });
          return null;
        }),
      },
    }).createMachine({
      id: 'm',
      initial: 'a',
      states: { a: { invoke: [{ src: 'send', input: { to: 'x' } }, { src: 'shout' }] } },
    });
    const implementations = effectsFromMachine(machine);
    const ctx = {
      idempotencyKey: 'm/1:0.m.a@1',
      signal: new AbortController().signal,
      attempt: 2,
      streamId: 'm/1',
      effect: { id: '0.m.a', name: 'send', version: 1 },
    };
    await expect(implementations.send?.({ to: 'x' }, ctx)).resolves.toBe('sent');
    expect(seen).toEqual([[{ to: 'x' }, 'm/1:0.m.a@1', 2]]);
    await expect(implementations.shout?.(null, ctx)).rejects.toMatchObject({
      retryable: false,
      message: expect.stringMatching(/effect 'shout' called emit\(\): a durable effect has no parent actor/),
    });
  });

  it('takes machines too, and refuses one name given two different promise creators', () => {
    expect(Object.keys(effectsFromMachine(userFetch))).toEqual(['fetchUser']);
    const other = setup({
      actors: { fetchUser: fromPromise(async () => ({ id: '', name: '' })) },
    }).createMachine({
      id: 'o',
      initial: 'a',
      states: { a: { invoke: { src: 'fetchUser' } } },
    });
    expect(() => effectsFromMachine(userFetch, other)).toThrow(
      /two machines invoke 'fetchUser' with different promise logic; register the implementation of that name yourself/,
    );
    // The same logic in two machines (two workflow versions of one setup) is one implementation.
    const again = setup({ actors: { fetchUser } }).createMachine({
      id: 'p',
      initial: 'a',
      states: { a: { invoke: { src: 'fetchUser', input: { userId: 'u' } } } },
    });
    expect(Object.keys(effectsFromMachine(userFetch, again))).toEqual(['fetchUser']);
    expect(() => effectsFromMachine({} as never)).toThrow(/takes fromMachine definitions or xstate machines/);
  });

  it('a definition without invokes records no invoke event types', () => {
    const plain = fromMachine({
      type: 'p',
      machines: {
        v1: createMachine({ id: 'p', initial: 'a', states: { a: { on: { go: { actions: assign({}) } } } } }),
      },
    });
    expect(plain.invokedEffects).toEqual([]);
    expect(plain.eventTypes).not.toContain(INVOKE_DONE);
  });
});
