import { describe, expect, it } from 'vitest';
import { RestartPolicy } from '../src/restart-policy.js';

/** A policy on a hand-moved clock. */
function policy(options: ConstructorParameters<typeof RestartPolicy>[0]) {
  let now = 0;
  const p = new RestartPolicy(options, () => now);
  return { p, advance: (ms: number) => (now += ms) };
}

describe('the restart policy', () => {
  it('doubles the delay after each consecutive crash, up to the ceiling', () => {
    const { p } = policy({ initialDelayMs: 100, factor: 2, maxDelayMs: 500, maxRestarts: 10 });
    const delays = Array.from({ length: 5 }, () => {
      const d = p.onCrash(undefined);
      return d.restart ? d.delayMs : -1;
    });
    expect(delays).toEqual([100, 200, 400, 500, 500]);
  });

  it('starts again from the initial delay after a run that stayed up long enough', () => {
    const { p } = policy({ initialDelayMs: 100, stableAfterMs: 1000, maxRestarts: 10 });
    p.onCrash(undefined);
    p.onCrash(50);
    expect(p.onCrash(999)).toMatchObject({ delayMs: 400 });
    expect(p.onCrash(1000)).toMatchObject({ restart: true, delayMs: 100, attempt: 1 });
  });

  it('gives up once the budget of restarts within the window is spent', () => {
    const { p } = policy({ maxRestarts: 3, windowMs: 10_000 });
    expect([p.onCrash(undefined), p.onCrash(undefined), p.onCrash(undefined)].every((d) => d.restart)).toBe(
      true,
    );
    expect(p.onCrash(undefined)).toEqual({ restart: false, restartsInWindow: 3 });
  });

  it('grants restarts again as old ones leave the window', () => {
    const { p, advance } = policy({ maxRestarts: 2, windowMs: 10_000 });
    p.onCrash(undefined);
    advance(6000);
    p.onCrash(undefined);
    expect(p.onCrash(undefined).restart).toBe(false);
    advance(4000);
    expect(p.onCrash(undefined)).toMatchObject({ restart: true, restartsInWindow: 2 });
  });
});
