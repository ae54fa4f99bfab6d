import { type AggregateHandle, SimulatedClock } from '@actorfold/core';
import { describe, expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import { fromMachine, type WithAcceptedAt } from '../src/index.js';
import { type ApprovalCommand, approvalMachine } from './support/approval.js';
import { disk, start, T0 } from './support/runtime.js';

const approval = fromMachine({
  type: 'approval',
  machines: { v1: approvalMachine },
  snapshots: { every: 2 },
});

/** Submitted, escalated to the second line, commented, paused: the history state must remember `secondLine`. */
const toPaused: ApprovalCommand[] = [
  { type: 'submit', title: 'car', amount: 30_000 },
  { type: 'approve', by: 'ann' },
  { type: 'comment', text: 'looks fine' },
  { type: 'pause' },
];

async function run(h: AggregateHandle, commands: readonly ApprovalCommand[], clock: SimulatedClock) {
  for (const c of commands) {
    clock.advance(3_600_000);
    await h.execute(c);
  }
}

describe('statechart snapshots', () => {
  it('saves the persisted machine snapshot with its workflow version every N events', async () => {
    const store = disk();
    const clock = new SimulatedClock(T0);
    const rt = await start(store, [approval], clock);
    await run(rt.get(approval, 'a'), toPaused, clock);
    await rt.evict(approval, 'a');
    const saved = await store.snapshots.load('approval/a');
    expect(saved).toMatchObject({
      version: 4,
      schemaVersion: 1,
      state: {
        workflowVersion: 'v1',
        machine: {
          value: 'paused',
          status: 'active',
          context: { amount: 30_000, approvals: ['ann'], comments: 1 },
          historyValue: { 'approval.review.resumePoint': [{ id: 'approval.review.secondLine' }] },
        },
      },
    });
  });

  it('restores from a snapshot and continues exactly like a replay from scratch, history state included', async () => {
    const store = disk();
    const clock = new SimulatedClock(T0);
    const rt = await start(store, [approval], clock);
    const h = rt.get(approval, 'a');
    await run(h, toPaused, clock);
    const before = await h.state();

    await rt.evict(approval, 'a');
    const fromSnapshot = await h.state();
    expect(rt.metrics().counters.snapshotHits).toBe(1);
    expect(fromSnapshot).toEqual(before);
    const resumed = await h.execute({ type: 'resume' });
    expect(resumed.state.value).toEqual({ review: 'secondLine' });

    // The same stream replayed without any snapshot reaches the same state.
    await rt.evict(approval, 'a');
    await store.snapshots.delete('approval/a');
    const replayed = await h.state();
    expect(rt.metrics().counters.snapshotHits).toBe(1);
    expect(replayed).toEqual({ state: resumed.state, version: resumed.version });
    await h.execute({ type: 'approve', by: 'bob' });
    expect((await h.state()).state).toMatchObject({ value: 'approved', done: true });
  });

  it('ignores a snapshot of a workflow version that is no longer registered, like a missing one', async () => {
    const store = disk();
    const rt = await start(store, [approval]);
    await run(rt.get(approval, 'a'), toPaused.slice(0, 2), new SimulatedClock(T0));
    await rt.shutdown();
    const renamed = fromMachine({
      type: 'approval',
      machines: { v9: approvalMachine },
      snapshots: { every: 2 },
    });
    const rt2 = await start(store, [renamed]);
    await expect(rt2.get(renamed, 'a').state()).rejects.toMatchObject({
      code: 'ACTOR_CRASHED',
      cause: { code: 'UNKNOWN_WORKFLOW_VERSION' },
    });
    expect(rt2.metrics().counters.snapshotsIgnored).toBe(1);
  });

  it('does not save a snapshot whose context holds a class instance, and keeps working from the stream', async () => {
    class Stamp {
      constructor(readonly at: string) {}
    }
    const stamped = setup({
      types: { context: {} as { at: Stamp | null }, events: {} as WithAcceptedAt<{ type: 'stamp' }> },
    }).createMachine({
      context: { at: null },
      on: { stamp: { actions: assign({ at: ({ event }) => new Stamp(event.acceptedAt) }) } },
    });
    const def = fromMachine({ type: 'stamped', machines: { v1: stamped }, snapshots: { every: 1 } });
    const store = disk();
    const rt = await start(store, [def]);
    const h = rt.get(def, 'd');
    await h.execute({ type: 'stamp' });
    await h.execute({ type: 'stamp' });
    await rt.evict(def, 'd');
    expect(await store.snapshots.load('stamped/d')).toBeUndefined();
    expect(rt.metrics().counters.snapshotSaveFailures).toBeGreaterThan(0);
    expect((await h.state()).state.context.at).toEqual(new Stamp(new Date(T0).toISOString()));
  });

  it('ignores snapshots of another schemaVersion, so bumping it invalidates them', async () => {
    const store = disk();
    const rt = await start(store, [approval]);
    await run(rt.get(approval, 'a'), toPaused, new SimulatedClock(T0));
    await rt.shutdown();
    const bumped = fromMachine({
      type: 'approval',
      machines: { v1: approvalMachine },
      snapshots: { every: 2, schemaVersion: 2 },
    });
    const rt2 = await start(store, [bumped]);
    expect((await rt2.get(bumped, 'a').state()).state.value).toBe('paused');
    expect(rt2.metrics().counters.snapshotsIgnored).toBe(1);
  });

  it('refuses a snapshot policy that is not an object', () => {
    expect(() =>
      fromMachine({
        type: 'a',
        machines: { v1: approvalMachine },
        snapshots: 5 as unknown as { every: number },
      }),
    ).toThrow(/snapshots must be an object/);
  });
});
