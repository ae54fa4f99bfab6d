import { isRejection } from '@actorfold/core';
import { describe, expect, it } from 'vitest';
import {
  fromMachine,
  isUnknownWorkflowVersion,
  isWorkflowDiverged,
  UnknownWorkflowVersion,
} from '../src/index.js';
import { compareVersionNames } from '../src/workflow-versions.js';
import { history, replay, stored } from './support/history.js';
import { parcelV1, parcelV2 } from './support/parcel.js';
import { disk, start } from './support/runtime.js';

const V1 = 'FV2025-04-01';
const V2 = 'FV2025-10-01';
const onlyV1 = fromMachine({ type: 'parcel', machines: { [V1]: parcelV1 } });
const both = fromMachine({ type: 'parcel', machines: { [V1]: parcelV1, [V2]: parcelV2 } });

async function rejection(p: Promise<unknown>) {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isRejection(error)) throw new Error(`expected a Rejection, got ${String(error)}`);
  return error;
}

describe('workflow versions', () => {
  describe('version pinning', () => {
    it('keeps processes started on v1 on v1 after v2 is registered, and starts new ones on v2', async () => {
      const store = disk();
      const before = await start(store, [onlyV1]);
      await before.get(onlyV1, 'old').execute({ type: 'register', to: 'Berlin' });
      await before.shutdown();

      const after = await start(store, [both]);
      const old = after.get(both, 'old');
      const fresh = after.get(both, 'new');
      expect((await old.state()).state.workflowVersion).toBe(V1);

      // v1 ships straight from registered; v2 must pack first.
      const refused = await rejection(old.execute({ type: 'pack', weightKg: 2 }));
      expect(refused).toMatchObject({
        reason: 'invalid-state',
        details: { state: 'registered', accepted: ['ship'] },
      });
      const shipped = await old.execute({ type: 'ship' });
      expect(shipped.state).toMatchObject({ value: 'shipped', workflowVersion: V1 });

      const registered = await fresh.execute({ type: 'register', to: 'Köln' });
      expect(registered.events[0]?.data).toMatchObject({ type: 'Registered', workflowVersion: V2 });
      const early = await rejection(fresh.execute({ type: 'ship' }));
      expect(early.details).toEqual({ state: 'registered', accepted: ['pack'] });
      await fresh.execute({ type: 'pack', weightKg: 2 });
      expect((await fresh.execute({ type: 'ship' })).state).toMatchObject({
        value: 'shipped',
        workflowVersion: V2,
      });
    });

    it('records the workflow version on the first event of a process only', () => {
      const { events } = history(both, [
        { type: 'register', to: 'x' },
        { type: 'pack', weightKg: 1 },
        { type: 'ship' },
      ]);
      expect(events.map((e) => e.workflowVersion)).toEqual([V2, undefined, undefined]);
    });

    it('replays each process on the machine its first event names, whatever is current', () => {
      const v1Events = stored(history(onlyV1, [{ type: 'register', to: 'x' }, { type: 'ship' }]).events);
      expect(replay(both, v1Events)).toMatchObject({ value: 'shipped', workflowVersion: V1 });
      const startOnV1 = fromMachine({
        type: 'parcel',
        machines: { [V1]: parcelV1, [V2]: parcelV2 },
        current: V1,
      });
      expect(replay(startOnV1, stored(history(both, [{ type: 'register', to: 'x' }]).events))).toMatchObject({
        value: 'registered',
        workflowVersion: V2,
      });
    });
  });

  describe('the current version', () => {
    it('is the last key of machines when the keys are in ascending order', () => {
      expect(both.currentWorkflowVersion).toBe(V2);
      expect(both.workflowVersions).toEqual([V1, V2]);
      expect(both.initialState().workflowVersion).toBe(V2);
    });

    it('is the one named in current, whatever the order', () => {
      const pinned = fromMachine({
        type: 'parcel',
        machines: { [V2]: parcelV2, [V1]: parcelV1 },
        current: V1,
      });
      expect(pinned.currentWorkflowVersion).toBe(V1);
      expect(history(pinned, [{ type: 'register', to: 'x' }]).events[0]?.workflowVersion).toBe(V1);
    });

    it('cannot be told from machines listed newest first, so fromMachine refuses them without current', () => {
      expect(() => fromMachine({ type: 'parcel', machines: { [V2]: parcelV2, [V1]: parcelV1 } })).toThrow(
        /cannot tell the newest workflow version: machines lists 'FV2025-10-01' before 'FV2025-04-01'/,
      );
    });

    it('compares digit runs as numbers, so v2 comes before v10', () => {
      expect(compareVersionNames('v2', 'v10')).toBeLessThan(0);
      expect(compareVersionNames(V1, V2)).toBeLessThan(0);
      expect(compareVersionNames('FV2025-10-01', 'FV2025-04-01')).toBeGreaterThan(0);
      expect(compareVersionNames('a', 'a')).toBe(0);
      expect(
        fromMachine({ type: 'p', machines: { v2: parcelV1, v10: parcelV2 } }).currentWorkflowVersion,
      ).toBe('v10');
    });

    it.each([
      ['no machines', { machines: {} }, /at least one workflow version/],
      ['a machines array', { machines: [parcelV1] }, /must be an object mapping workflow versions/],
      [
        'something else than a machine',
        { machines: { v1: { states: {} } } },
        /machines\['v1'\] is not an xstate v5 machine/,
      ],
      ['an empty version name', { machines: { '': parcelV1 } }, /workflow version name is empty/],
      [
        'a current that is not registered',
        { machines: { v1: parcelV1 }, current: 'v2' },
        /current must be one of/,
      ],
    ])('refuses %s with INVALID_ARGUMENT', (_what, options, message) => {
      const call = () =>
        fromMachine({ type: 'parcel', ...(options as { machines: { v1: typeof parcelV1 } }) });
      expect(call).toThrow(message);
      expect(call).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    });
  });

  describe('a stream whose workflow version is no longer registered', () => {
    it('crashes its actor with UnknownWorkflowVersion as the cause, leaving other processes alone', async () => {
      const store = disk();
      const before = await start(store, [onlyV1]);
      await before.get(onlyV1, 'on-v1').execute({ type: 'register', to: 'x' });
      await before.shutdown();

      const withoutV1 = fromMachine({ type: 'parcel', machines: { [V2]: parcelV2 } });
      const rt = await start(store, [withoutV1]);
      const error = await rt
        .get(withoutV1, 'on-v1')
        .state()
        .then(
          () => ({ code: 'none', cause: undefined }),
          (e: { code: string; cause: unknown }) => e,
        );
      expect(error.code).toBe('ACTOR_CRASHED');
      expect(isUnknownWorkflowVersion(error.cause)).toBe(true);
      expect(error.cause).toBeInstanceOf(UnknownWorkflowVersion);
      expect(error.cause).toMatchObject({
        code: 'UNKNOWN_WORKFLOW_VERSION',
        aggregateType: 'parcel',
        workflowVersion: V1,
        registered: [V2],
      });
      expect(String((error.cause as Error).message)).toMatch(
        /runs on workflow version 'FV2025-04-01', which is not registered/,
      );
      expect(rt.stats().crashes).toBe(1);
      await rt.get(withoutV1, 'fresh').execute({ type: 'register', to: 'y' });
    });

    it('throws UnknownWorkflowVersion from evolve', () => {
      const events = stored(history(onlyV1, [{ type: 'register', to: 'x' }]).events);
      const v2Only = fromMachine({ type: 'parcel', machines: { [V2]: parcelV2 } });
      expect(() => replay(v2Only, events)).toThrow(UnknownWorkflowVersion);
    });
  });

  describe('a registered version changed in place', () => {
    it('fails replay with WorkflowDiverged when its machine no longer takes a recorded command', () => {
      const events = stored(history(onlyV1, [{ type: 'register', to: 'x' }, { type: 'ship' }]).events);
      // "v1" edited to require packing: the recorded ship no longer fits.
      const edited = fromMachine({ type: 'parcel', machines: { [V1]: parcelV2 } });
      let error: unknown;
      try {
        replay(edited, events);
      } catch (e) {
        error = e;
      }
      expect(isWorkflowDiverged(error)).toBe(true);
      expect(error).toMatchObject({ code: 'WORKFLOW_DIVERGED', workflowVersion: V1 });
      expect(String(error)).toMatch(
        /recorded 'Shipped' \(command 'ship'\) is not accepted in state 'registered'/,
      );
    });
  });

  it('refuses to replay an event it did not make (no command recorded)', () => {
    expect(() => both.evolve(both.initialState(), { type: 'Registered' } as never)).toThrow(
      /cannot replay event "Registered": `command` is not an object/,
    );
  });
});
