import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../src/index.js';
import { type IdleNode, IdleReaper } from '../src/runtime/idle-reaper.js';

function node(name: string, fired: string[]): IdleNode {
  return {
    idlePrev: null,
    idleNext: null,
    idleSince: 0,
    idleTimeout() {
      fired.push(name);
    },
  };
}

describe('IdleReaper', () => {
  it('fires each node once it has been idle for the timeout, oldest first, with one timer', () => {
    const clock = new SimulatedClock();
    const reaper = new IdleReaper(clock, 1000);
    const fired: string[] = [];
    const a = node('a', fired);
    const b = node('b', fired);
    reaper.track(a);
    clock.advance(400);
    reaper.track(b);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(599);
    expect(fired).toEqual([]);
    clock.advance(1);
    expect(fired).toEqual(['a']);
    clock.advance(400);
    expect(fired).toEqual(['a', 'b']);
    expect(reaper.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('restarts the idle period of a node that woke up and went idle again', () => {
    const clock = new SimulatedClock();
    const reaper = new IdleReaper(clock, 1000);
    const fired: string[] = [];
    const a = node('a', fired);
    reaper.track(a);
    clock.advance(900);
    reaper.untrack(a);
    expect(clock.pendingTimers).toBe(0);
    reaper.track(a);
    clock.advance(900);
    expect(fired).toEqual([]);
    clock.advance(100);
    expect(fired).toEqual(['a']);
  });

  it('never arms a timer with an infinite timeout', () => {
    const clock = new SimulatedClock();
    const reaper = new IdleReaper(clock, Number.POSITIVE_INFINITY);
    reaper.track(node('a', []));
    expect(reaper.size).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('clear() forgets every node and leaves no timer', () => {
    const clock = new SimulatedClock();
    const reaper = new IdleReaper(clock, 1000);
    const fired: string[] = [];
    for (let i = 0; i < 10; i++) reaper.track(node(String(i), fired));
    reaper.clear();
    clock.advance(5000);
    expect(fired).toEqual([]);
    expect(reaper.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });
});
