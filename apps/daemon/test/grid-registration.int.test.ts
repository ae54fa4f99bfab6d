/**
 * The supplier switch with its registration effect, on a real runtime over a LevelDB folder with
 * the simulated grid operator registered: what the switch records from the operator's receipt,
 * and what happens to the effect when the switch moves on first.
 */
import { join } from 'node:path';
import { createRuntime, type Runtime } from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GRID_REQUEST_SWITCH, supplierSwitchWithGrid } from '../src/domain/index.js';
import type { SupplierSwitchContext } from '../src/domain/supplier-switch.js';
import { type GridOperatorOptions, simulatedGridOperator } from '../src/grid-operator.js';
import { freshDir } from './support/processes.js';

const open: Runtime[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.shutdown();
});

const request = {
  type: 'requestSwitch',
  meteringPoint: '51238696781',
  newSupplier: '9900000000011',
  oldSupplier: '9900000000028',
  gridOperator: '9900000000035',
  switchDate: '2099-12-31',
} as const;

async function start(grid: Partial<GridOperatorOptions>, maxAttempts = 5) {
  const operator = simulatedGridOperator({ failureRate: 0, refusalRate: 0, latencyMs: 0, ...grid });
  const rt = await createRuntime({
    store: levelStore({ path: join(freshDir(), 'store') }),
    aggregates: [supplierSwitchWithGrid],
    effects: {
      implementations: { [GRID_REQUEST_SWITCH]: operator.definition },
      maxAttempts,
      backoff: { initialMs: 1, maxMs: 5 },
    },
  });
  open.push(rt);
  const context = async (id: string) => {
    const { state } = await rt.get(supplierSwitchWithGrid, id).state();
    return state as { value: string; context: SupplierSwitchContext };
  };
  return { rt, operator, context };
}

describe('the supplier switch and its registration effect', () => {
  it('sends the registration once requested and records the accepted receipt, still awaiting the answer', async () => {
    const { rt, operator, context } = await start({});
    await rt.get(supplierSwitchWithGrid, 'a').execute(request);
    await vi.waitFor(async () => expect((await context('a')).context.registration?.status).toBe('accepted'));
    expect((await context('a')).value).toBe('requested');
    expect(operator.stats()).toMatchObject({ answered: 1 });
    expect(await rt.effects().count()).toBe(0);
  });

  it('ends as rejected with the code of a refused registration', async () => {
    const { rt, context } = await start({ refusalRate: 1 });
    await rt.get(supplierSwitchWithGrid, 'a').execute(request);
    await vi.waitFor(async () => expect((await context('a')).value).toBe('rejected'));
    expect((await context('a')).context.rejection?.code).toMatch(/^Z0[1-5]$/);
  });

  it('records a registration it could not deliver within the budget, and stays requested', async () => {
    const { rt, operator, context } = await start({ failureRate: 1 }, 3);
    await rt.get(supplierSwitchWithGrid, 'a').execute(request);
    await vi.waitFor(async () =>
      expect((await context('a')).context.registration?.status).toBe('undelivered'),
    );
    expect((await context('a')).value).toBe('requested');
    expect(operator.stats()).toMatchObject({ attempts: 3, failed: 3 });
  });

  it('cancels the registration when the switch is cancelled before the receipt: aborted, never answered', async () => {
    const { rt, operator, context } = await start({ latencyMs: 60_000 });
    await rt.get(supplierSwitchWithGrid, 'a').execute(request);
    await vi.waitFor(() => expect(operator.stats().attempts).toBe(1));
    await rt
      .get(supplierSwitchWithGrid, 'a')
      .execute({ type: 'cancelSwitch', reason: 'customer changed mind' });
    await vi.waitFor(async () => expect(await rt.effects().count()).toBe(0));
    expect((await context('a')).value).toBe('cancelled');
    expect((await context('a')).context.registration).toBeNull();
    expect(operator.stats().answered).toBe(0);
  });

  it('does not take a receipt from a client', async () => {
    const { rt } = await start({});
    await expect(
      rt.get(supplierSwitchWithGrid, 'a').execute({
        type: 'recordGridReceipt',
        effect: { id: 'registration', name: GRID_REQUEST_SWITCH, version: 1, attempts: 1 },
        outcome: 'done',
        output: { receipt: 'accepted', receiptId: 'R-forged' },
      } as never),
    ).rejects.toMatchObject({ code: 'INVALID_COMMAND' });
  });
});
