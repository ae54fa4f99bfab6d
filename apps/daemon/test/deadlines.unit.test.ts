import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, type EventStore, isRejection, type Runtime, SimulatedClock } from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { offer } from '../src/domain/offer.js';
import { ANSWER_PERIOD, supplierSwitch } from '../src/domain/supplier-switch.js';

const DAY = 86_400_000;
const T0 = Date.parse('2025-01-01T00:00:00Z');
const dirs: string[] = [];
const open: Runtime[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.shutdown();
});
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function folder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'actorfold-deadlines-'));
  dirs.push(dir);
  return dir;
}

/** A runtime on a LevelDB folder and the simulated clock (both timers and events on disk). */
async function start(path: string, clock: SimulatedClock): Promise<{ rt: Runtime; store: EventStore }> {
  const store = await levelStore({ path, clock });
  const rt = await createRuntime({ store, aggregates: [supplierSwitch, offer], clock });
  open.push(rt);
  return { rt, store };
}

/**
 * Gives the timer service time to act before asserting that nothing happened (LevelDB does real
 * I/O). Positive outcomes are awaited with vi.waitFor instead, so a slow machine cannot fail them.
 */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setTimeout(r, 5));
}

const request = {
  type: 'requestSwitch' as const,
  meteringPoint: '51238696781',
  newSupplier: '9900000000011',
  oldSupplier: '9900000000028',
  gridOperator: '9900000000035',
  switchDate: '2025-02-01',
};

describe("the supplier switch's answer period (illustrative: 10 days)", () => {
  it('ends an unanswered registration when the period has passed, not before, and tells the new supplier', async () => {
    expect(ANSWER_PERIOD).toBe('P10D');
    const clock = new SimulatedClock(T0);
    const { rt } = await start(await folder(), clock);
    const sw = rt.get(supplierSwitch, 'malo-1');
    await sw.execute(request);
    clock.advance(10 * DAY - 1);
    await settle();
    expect((await sw.state()).state.value).toBe('requested');
    clock.advance(1);
    await vi.waitFor(async () => expect((await sw.state()).state.value).toBe('unanswered'));
    const { state, version } = await sw.state();
    expect(state).toMatchObject({ value: 'unanswered', done: true });
    expect(version).toBe(2);
    // A late answer finds the process completed.
    await expect(sw.execute({ type: 'confirmSwitch' })).rejects.toMatchObject({ reason: 'completed' });
  });

  it('an answer in time cancels the deadline', async () => {
    const clock = new SimulatedClock(T0);
    const { rt, store } = await start(await folder(), clock);
    const sw = rt.get(supplierSwitch, 'malo-2');
    await sw.execute(request);
    expect(await store.timers?.count()).toBe(1);
    clock.advance(9 * DAY);
    await sw.execute({ type: 'confirmSwitch' });
    expect(await store.timers?.count()).toBe(0);
    clock.advance(30 * DAY);
    await settle();
    expect((await sw.state()).state.value).toBe('confirmed');
  });

  it('the deadline survives a restart and fires once on the new runtime', async () => {
    const path = await folder();
    const clock = new SimulatedClock(T0);
    const first = await start(path, clock);
    await first.rt.get(supplierSwitch, 'malo-3').execute(request);
    await first.rt.shutdown();
    clock.advance(11 * DAY);
    const { rt } = await start(path, clock);
    await settle();
    // The service arms the simulated clock for the overdue timer; a zero advance runs it.
    clock.advance(0);
    const sw = rt.get(supplierSwitch, 'malo-3');
    await vi.waitFor(async () => expect((await sw.state()).state.value).toBe('unanswered'));
    const { state, version } = await rt.get(supplierSwitch, 'malo-3').state();
    expect(state.value).toBe('unanswered');
    expect(version).toBe(2);
    expect(rt.metrics().counters.timersFired).toBe(1);
  });
});

describe('an offer that expires', () => {
  const make = { type: 'makeOffer' as const, customer: 'C-1', pricePerKwh: 312, validFor: 'P14D' };

  it('expires when its validity has passed, recording when it was valid until', async () => {
    const clock = new SimulatedClock(T0);
    const { rt } = await start(await folder(), clock);
    const o = rt.get(offer, 'o-1');
    await o.execute(make);
    expect((await o.state()).state.validUntil).toBe('2025-01-15T00:00:00.000Z');
    clock.advance(14 * DAY - 1);
    await settle();
    expect((await o.state()).state.status).toBe('open');
    clock.advance(1);
    await vi.waitFor(async () => expect((await o.state()).state.status).toBe('expired'));
  });

  it('accepting in time cancels the expiry; a client cannot expire it by hand', async () => {
    const clock = new SimulatedClock(T0);
    const { rt, store } = await start(await folder(), clock);
    const o = rt.get(offer, 'o-2');
    await o.execute(make);
    const refusal = await o.execute({ type: 'expire' }).catch((e: unknown) => e);
    expect(isRejection(refusal) && refusal.reason).toBe('timer-only');
    await o.execute({ type: 'accept' });
    expect(await store.timers?.count()).toBe(0);
    clock.advance(30 * DAY);
    await settle();
    expect((await o.state()).state.status).toBe('accepted');
  });

  it('refuses a validity that is not a duration or longer than 90 days', async () => {
    const clock = new SimulatedClock(T0);
    const { rt } = await start(await folder(), clock);
    await expect(rt.get(offer, 'o-3').execute({ ...make, validFor: 'two weeks' })).rejects.toMatchObject({
      code: 'INVALID_COMMAND',
    });
    await expect(rt.get(offer, 'o-3').execute({ ...make, validFor: 'P91D' })).rejects.toMatchObject({
      reason: 'invalid-validity',
    });
  });
});
