import { createRuntime, memoryStore, type Runtime, SimulatedClock } from '@actorfold/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { account } from '../src/domain/account.js';
import { balances, openSwitches } from '../src/domain/read-models.js';
import { supplierSwitch } from '../src/domain/supplier-switch.js';

const open: Runtime[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.shutdown();
});

const request = (meteringPoint: string) => ({
  type: 'requestSwitch' as const,
  meteringPoint,
  newSupplier: '9900000000011',
  oldSupplier: '9900000000028',
  gridOperator: '9900000000035',
  switchDate: '2025-01-15',
});

describe('the daemon read models', () => {
  it('count open supplier switches by state, as the statechart sees them, and move finished ones out', async () => {
    const clock = new SimulatedClock(Date.parse('2025-01-01T00:00:00Z'));
    const rt = await createRuntime({ store: memoryStore({ clock }), aggregates: [supplierSwitch], clock });
    open.push(rt);
    const sw = (id: string) => rt.get(supplierSwitch, id);
    for (const id of ['a', 'b', 'c', 'd']) await sw(id).execute(request('51238696781'));
    await sw('b').execute({ type: 'confirmSwitch' });
    await sw('c').execute({ type: 'rejectSwitch', reasonCode: 'Z03' });
    await sw('d').execute({ type: 'confirmSwitch' });
    const last = await sw('d').execute({ type: 'verifyMasterData', meterNumber: '1EMH0012345678' });

    const p = rt.project(openSwitches);
    await p.waitFor(last.events[0]?.position as number);
    expect(p.state().byState).toEqual({ requested: 1, confirmed: 1, masterDataVerified: 1 });
    expect(p.state().finished).toEqual({ rejected: 1 });
    expect(p.state().processes.a).toMatchObject({ state: 'requested', workflowVersion: 'FV2025-10-01' });
    // Each open process's state is exactly what the aggregate itself holds.
    for (const id of ['a', 'b', 'd']) {
      expect(p.state().machines[id]).toEqual((await sw(id).state()).state);
    }

    // Live: the process leaves the open list when supply starts; 'a', still unanswered after the
    // grid operator's answer period (10 days), leaves by its deadline timer.
    clock.advance(15 * 86_400_000);
    await vi.waitFor(async () => expect((await sw('a').state()).state.value).toBe('unanswered'));
    const started = await sw('d').execute({ type: 'startSupply' });
    await p.waitFor(started.events[0]?.position as number);
    expect(p.state().byState).toEqual({ confirmed: 1 });
    expect(p.state().finished).toEqual({ rejected: 1, supplying: 1, unanswered: 1 });
    expect(p.state().machines.d).toBeUndefined();
  });

  it('keep the balance total over all accounts', async () => {
    const rt = await createRuntime({ aggregates: [account] });
    open.push(rt);
    await rt.get(account, 'x').execute({ type: 'open', owner: 'X' });
    await rt.get(account, 'y').execute({ type: 'open', owner: 'Y' });
    await rt.get(account, 'x').execute({ type: 'deposit', amount: 70 });
    await rt.get(account, 'y').execute({ type: 'deposit', amount: 50 });
    const r = await rt.get(account, 'x').execute({ type: 'withdraw', amount: 20 });
    const p = rt.project(balances);
    await p.waitFor(r.events[0]?.position as number);
    expect(p.state()).toEqual({ total: 100, openAccounts: 2 });
  });
});
