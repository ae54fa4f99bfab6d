import { isRejection } from '@actorfold/core';
import { describe, expect, it } from 'vitest';
import { setup } from 'xstate';
import { fromMachine, isImpureMachine, type StatechartState } from '../src/index.js';
import { expiringOffer, purchaseOrder, retryWithBackoff, trafficLight } from './support/delayed-machines.js';
import { T0 } from './support/runtime.js';
import { TimedProcess } from './support/timer-driver.js';

const light = fromMachine({ type: 'light', machines: { v1: trafficLight } });
const retry = fromMachine({ type: 'fetch', machines: { v1: retryWithBackoff } });
const order = fromMachine({ type: 'order', machines: { v1: purchaseOrder } });
const offer = fromMachine({ type: 'offer', machines: { v1: expiringOffer } });

const DAY = 86_400_000;
const GREEN = 'xstate.after.30000.light.running.lamp.green';
const BEACON_ON = 'xstate.after.1000.light.running.beacon.on';

function lamp(state: StatechartState<unknown>): unknown {
  return (state.value as { running?: { lamp?: unknown } }).running?.lamp ?? state.value;
}

describe('delayed (after) transitions as durable timers', () => {
  it('schedules the initial states timers with the first command, each region its own', () => {
    const p = new TimedProcess(light, T0);
    p.execute({ type: 'pressButton' });
    expect(p.calls).toEqual([
      { op: 'schedule', name: GREEN, when: { after: 30_000 }, command: { type: GREEN } },
      { op: 'schedule', name: BEACON_ON, when: { after: 1_000 }, command: { type: BEACON_ON } },
    ]);
  });

  it('fires each timer at its due time, never before, and records the firing as DelayElapsed', () => {
    const p = new TimedProcess(light, T0);
    p.execute({ type: 'pressButton' });
    p.advance(29_999);
    expect(lamp(p.state)).toBe('green');
    p.advance(1);
    expect(lamp(p.state)).toBe('yellow');
    expect(p.events.at(-1)).toMatchObject({ type: 'DelayElapsed', command: { type: GREEN } });
    for (const f of p.fired) expect(f.at).toBe(f.dueAt);
    // The beacon blinked 30 times meanwhile, independently of the lamp.
    expect(p.fired.filter((f) => f.name.includes('beacon'))).toHaveLength(30);
  });

  it('computes a named delay from context when the state is entered (red: 10 s + 5 s per pedestrian)', () => {
    const p = new TimedProcess(light, T0);
    p.execute({ type: 'pressButton' });
    p.execute({ type: 'pressButton' });
    p.advance(35_000);
    expect(lamp(p.state)).toBe('red');
    expect(p.pending.get('xstate.after.redTime.light.running.lamp.red')?.dueAt).toBe(T0 + 35_000 + 20_000);
    p.advance(19_999);
    expect(lamp(p.state)).toBe('red');
    p.advance(1);
    expect(lamp(p.state)).toBe('green');
    expect(p.state.context).toEqual({ pedestrians: 0 });
  });

  it('cancels every timer of the states it leaves, nested and parallel ones included', () => {
    const p = new TimedProcess(light, T0);
    p.execute({ type: 'pressButton' });
    p.advance(31_500);
    p.execute({ type: 'powerOutage' });
    expect(p.state.value).toBe('flashing');
    expect(p.pending.size).toBe(0);
    const firedBefore = p.fired.length;
    p.advance(DAY);
    expect(p.fired).toHaveLength(firedBefore);
    // Back on: the states are entered afresh, with fresh timers from this decision on.
    p.execute({ type: 'powerRestored' });
    expect([...p.pending.values()].map((t) => [t.name, t.dueAt - p.now, t.version])).toEqual([
      [GREEN, 30_000, p.events.length],
      [BEACON_ON, 1_000, p.events.length],
    ]);
  });

  it('replays to the live state from the stored events alone, without scheduling or reading a clock', () => {
    const p = new TimedProcess(light, T0);
    p.execute({ type: 'pressButton' });
    p.advance(47_000);
    p.execute({ type: 'powerOutage' });
    p.execute({ type: 'powerRestored' });
    p.advance(65_432);
    const calls = p.calls.length;
    expect(p.replayed()).toEqual(p.state);
    expect(p.calls).toHaveLength(calls);
  });

  it('retries with an exponential back-off and gives up after three attempts', () => {
    const p = new TimedProcess(retry, T0);
    p.execute({ type: 'fetch' });
    p.execute({ type: 'fail' });
    expect(p.pending.get('xstate.after.backoff.fetch.failure')?.dueAt).toBe(T0 + 1_000);
    p.advance(1_000);
    expect(p.state.value).toBe('loading');
    p.execute({ type: 'fail' });
    expect(p.pending.get('xstate.after.backoff.fetch.failure')?.dueAt).toBe(T0 + 1_000 + 2_000);
    p.advance(2_000);
    p.execute({ type: 'fail' });
    expect(p.state).toMatchObject({ value: 'gaveUp', done: true, context: { attempts: 3 } });
    expect(p.pending.size).toBe(0);
    expect(p.replayed()).toEqual(p.state);
  });

  it('a manual retry before the back-off elapsed cancels the back-off timer', () => {
    const p = new TimedProcess(retry, T0);
    p.execute({ type: 'fetch' });
    p.execute({ type: 'fail' });
    p.advance(500);
    p.execute({ type: 'retry' });
    expect(p.pending.size).toBe(0);
    expect(p.calls.at(-1)).toEqual({ op: 'cancel', name: 'xstate.after.backoff.fetch.failure' });
    p.advance(DAY);
    expect(p.state).toMatchObject({ value: 'loading', context: { attempts: 2 } });
  });

  it('a root-level ISO-8601 deadline (P30D) cancels an unfinished order after thirty days', () => {
    const p = new TimedProcess(order, T0);
    p.execute({ type: 'createOrder' });
    expect(p.calls).toEqual([
      {
        op: 'schedule',
        name: 'xstate.after.P30D.order',
        when: { after: 30 * DAY },
        command: { type: 'xstate.after.P30D.order' },
      },
    ]);
    p.execute({ type: 'confirmOrder' });
    p.advance(30 * DAY - 1);
    expect(p.state.value).toBe('awaitingShipment');
    p.advance(1);
    expect(p.state).toMatchObject({ value: 'cancelled', done: true });
    expect(p.events.at(-1)).toMatchObject({ type: 'DelayElapsed', emitted: [{ type: 'orderCancelled' }] });
  });

  it('an order finished in time leaves no timer behind', () => {
    const p = new TimedProcess(order, T0);
    for (const type of ['createOrder', 'confirmOrder', 'sendShipment', 'finishOrder'] as const)
      p.execute({ type });
    expect(p.state.done).toBe(true);
    expect(p.pending.size).toBe(0);
  });

  it('an offer expires after the ISO-8601 validity its command gave, unless accepted first', () => {
    const late = new TimedProcess(offer, T0);
    late.execute({ type: 'makeOffer', validFor: 'PT72H' });
    late.advance(72 * 3_600_000);
    expect(late.state).toMatchObject({ value: 'expired', done: true });
    expect(late.events.at(-1)?.emitted).toEqual([{ type: 'offerExpired' }]);

    const early = new TimedProcess(offer, T0);
    early.execute({ type: 'makeOffer', validFor: 'PT72H' });
    early.advance(71 * 3_600_000);
    early.execute({ type: 'accept' });
    early.advance(DAY);
    expect(early.state.value).toBe('accepted');
    expect(early.pending.size).toBe(0);
  });

  it('refuses a delayed transition event that does not come from its timer', () => {
    const p = new TimedProcess(light, T0);
    p.execute({ type: 'pressButton' });
    let refusal: unknown;
    try {
      // Even with a commandId that looks like a timer's: only the runtime sets ctx.firedTimer.
      p.execute({ type: GREEN } as never);
    } catch (e) {
      refusal = e;
    }
    expect(isRejection(refusal) && refusal.reason).toBe('timer-only');
    expect(lamp(p.state)).toBe('green');
  });

  it('a firing whose transition is no longer enabled (a guard refuses) decides nothing', () => {
    const guarded = fromMachine({
      type: 'g',
      machines: {
        v1: setup({ guards: { never: () => false } }).createMachine({
          id: 'g',
          initial: 'a',
          states: { a: { on: { go: 'b' } }, b: { after: { 10: { guard: 'never', target: 'a' } } } },
        }),
      },
    });
    const p = new TimedProcess(guarded, T0);
    p.execute({ type: 'go' });
    p.advance(10);
    expect(p.fired).toEqual([{ name: 'xstate.after.10.g.b', dueAt: T0 + 10, at: T0 + 10, taken: false }]);
    expect(p.events).toHaveLength(1);
  });

  it('the purity check catches a delay computed from the clock', () => {
    const clocked = fromMachine({
      type: 'c',
      checkPurity: true,
      machines: {
        v1: setup({ delays: { untilNoon: () => 1_000 + (Date.now() % 1_000) } }).createMachine({
          id: 'c',
          initial: 'a',
          states: { a: { on: { go: 'b' } }, b: { after: { untilNoon: 'a' } } },
        }),
      },
    });
    const p = new TimedProcess(clocked, T0);
    let error: unknown;
    try {
      p.execute({ type: 'go' });
    } catch (e) {
      error = e;
    }
    expect(isImpureMachine(error) && error.message).toMatch(/timers/);
    expect(p.events).toHaveLength(0);
  });

  it('refuses, when the state is entered, a named delay that gives no usable length', () => {
    const bad = fromMachine({
      type: 'b',
      machines: {
        v1: setup({ delays: { soon: () => 'tomorrow' as unknown as number } }).createMachine({
          id: 'b',
          initial: 'a',
          states: { a: { on: { go: 'b' } }, b: { after: { soon: 'a' } } },
        }),
      },
    });
    const p = new TimedProcess(bad, T0);
    expect(() => p.execute({ type: 'go' })).toThrow(/delay 'soon' gave "tomorrow"/);
    expect(p.events).toHaveLength(0);
  });
});
