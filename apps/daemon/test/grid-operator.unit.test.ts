import type { EffectContext } from '@actorfold/core';
import { describe, expect, it } from 'vitest';
import type { GridRegistration } from '../src/domain/grid-registration.js';
import { GridOperatorUnavailable, simulatedGridOperator } from '../src/grid-operator.js';

const registration: GridRegistration = {
  meteringPoint: '51238696781',
  newSupplier: '9900000000011',
  oldSupplier: '9900000000028',
  gridOperator: '9900000000035',
  switchDate: '2026-12-24',
};

function ctx(idempotencyKey: string, attempt: number, signal = new AbortController().signal): EffectContext {
  return {
    idempotencyKey,
    attempt,
    signal,
    streamId: 'supplier-switch/s',
    effect: { id: 'registration', name: 'grid.requestSwitch', version: 1 },
  };
}

describe('the simulated grid operator', () => {
  it('answers the same registration with the same receipt, however often it is sent', async () => {
    const grid = simulatedGridOperator({ failureRate: 0, refusalRate: 0, latencyMs: 0 });
    const first = await grid.definition.run(registration, ctx('k-1', 1));
    const again = await grid.definition.run(registration, ctx('k-1', 2));
    expect(first).toEqual(again);
    expect(first).toMatchObject({ receipt: 'accepted' });
    expect(grid.stats()).toEqual({ attempts: 2, failed: 0, answered: 1, duplicates: 1 });
  });

  it('fails and refuses deterministically: the same keys and attempts give the same outcomes', async () => {
    const outcomes = async () => {
      const grid = simulatedGridOperator({ failureRate: 0.3, refusalRate: 0.3, latencyMs: 0 });
      const seen: string[] = [];
      for (let i = 0; i < 200; i++) {
        try {
          const r = await grid.definition.run(registration, ctx(`k-${i}`, 1 + (i % 3)));
          seen.push(r.receipt === 'accepted' ? 'accepted' : `refused ${r.reasonCode}`);
        } catch (e) {
          expect(e).toBeInstanceOf(GridOperatorUnavailable);
          seen.push('failed');
        }
      }
      return seen;
    };
    const a = await outcomes();
    expect(await outcomes()).toEqual(a);
    // Each outcome happens, at roughly the rates asked for.
    const failed = a.filter((o) => o === 'failed').length;
    const refused = a.filter((o) => o.startsWith('refused')).length;
    expect(failed).toBeGreaterThan(30);
    expect(failed).toBeLessThan(90);
    expect(refused).toBeGreaterThan(15);
    expect(a).toContain('accepted');
  });

  it('fails every attempt at rate 1 and refuses none at rate 0', async () => {
    const grid = simulatedGridOperator({ failureRate: 1, refusalRate: 0, latencyMs: 0 });
    for (let attempt = 1; attempt <= 5; attempt++) {
      await expect(grid.definition.run(registration, ctx('k', attempt))).rejects.toMatchObject({
        code: 'GRID_UNAVAILABLE',
      });
    }
    expect(grid.stats()).toMatchObject({ attempts: 5, failed: 5, answered: 0 });
  });

  it('stops waiting when the attempt is aborted (timeout, cancellation, shutdown)', async () => {
    const grid = simulatedGridOperator({ failureRate: 0, refusalRate: 0, latencyMs: 60_000 });
    const abort = new AbortController();
    const running = grid.definition.run(registration, ctx('k', 1, abort.signal));
    abort.abort(new Error('cancelled by the aggregate'));
    await expect(running).rejects.toThrow('cancelled by the aggregate');
    expect(grid.stats().answered).toBe(0);
  });
});
