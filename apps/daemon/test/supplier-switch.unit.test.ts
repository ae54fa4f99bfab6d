import { createRuntime, type EventOf, type EventStore, memoryStore, type Runtime } from '@actorfold/core';
import { given } from '@actorfold/testing';
import { fromMachine } from '@actorfold/xstate';
import { afterEach, describe, expect, it } from 'vitest';
import {
  isMaLoId,
  rejectionReasons,
  type SupplierSwitchCommand,
  supplierSwitch,
  supplierSwitchV1,
} from '../src/domain/supplier-switch.js';

type SwitchEvent = EventOf<typeof supplierSwitch>;

const V1 = 'FV2025-04-01';
const V2 = 'FV2025-10-01';
const MALO = '51238696781';
const NEW_SUPPLIER = '9900000000011';
const OLD_SUPPLIER = '9900000000028';
const GRID_OPERATOR = '9900000000035';

/** given/when/then's `ctx.now` unless a scenario sets its own. */
const NOW = '2025-01-01T00:00:00.000Z';
/** On or after the switch date. */
const SWITCH_DAY = { now: new Date('2025-01-15T06:00:00Z') };

const request = {
  type: 'requestSwitch',
  meteringPoint: MALO,
  newSupplier: NEW_SUPPLIER,
  oldSupplier: OLD_SUPPLIER,
  gridOperator: GRID_OPERATOR,
  switchDate: '2025-01-15',
} as const satisfies SupplierSwitchCommand;

/** The events of a history, as the process records them (all at NOW, the first on `version`). */
function recorded(commands: SupplierSwitchCommand[], version = V2): SwitchEvent[] {
  const names: Record<string, string> = {
    requestSwitch: 'SwitchRequested',
    confirmSwitch: 'SwitchConfirmed',
    verifyMasterData: 'MasterDataVerified',
  };
  return commands.map((command, i) => ({
    type: names[command.type] ?? command.type,
    command,
    acceptedAt: NOW,
    ...(i === 0 ? { workflowVersion: version } : {}),
  }));
}

const requested = recorded([request]);
const confirmed = recorded([request, { type: 'confirmSwitch' }]);
const verified = recorded([
  request,
  { type: 'confirmSwitch' },
  { type: 'verifyMasterData', meterNumber: '1EMH0012345678' },
]);

describe('supplier switch (GPKE-style, FV2025-10-01)', () => {
  describe('a new switch', () => {
    it('starts on the current workflow version when the new supplier registers the market location', async () => {
      await given(supplierSwitch)
        .when(request)
        .then([
          {
            type: 'SwitchRequested',
            command: request,
            acceptedAt: NOW,
            workflowVersion: V2,
            emitted: [
              { type: 'registrationSent', to: GRID_OPERATOR, meteringPoint: MALO, switchDate: '2025-01-15' },
            ],
          },
        ]);
    });

    it('records the request in the context and awaits the grid operator', async () => {
      await given(supplierSwitch)
        .when(request)
        .thenState((s) => {
          expect(s.value).toBe('requested');
          expect(s.workflowVersion).toBe(V2);
          expect(s.context).toMatchObject({
            meteringPoint: MALO,
            switchDate: '2025-01-15',
            requestedAt: NOW,
          });
        });
    });

    it.each([
      [
        'a MaLo-ID with a wrong check digit',
        { meteringPoint: '51238696782' },
        'meteringPoint: expected a MaLo-ID',
      ],
      ['a MaLo-ID of 10 digits', { meteringPoint: '5123869678' }, 'meteringPoint: expected a MaLo-ID'],
      [
        'a grid operator id that is not 13 digits',
        { gridOperator: '99' },
        'gridOperator: expected a market partner id',
      ],
      ['a malformed switch date', { switchDate: '15.01.2025' }, 'switchDate: expected a date YYYY-MM-DD'],
      ['a number for a switch date', { switchDate: 20250115 }, 'switchDate: expected a string'],
    ])('refuses a request with %s as an invalid command naming the field', async (_what, change, message) => {
      await given(supplierSwitch)
        .when({ ...request, ...change } as SupplierSwitchCommand)
        .thenInvalid(message);
    });

    it('refuses an unknown command type naming the accepted ones', async () => {
      await given(supplierSwitch)
        .when({ type: 'fly' } as never)
        .thenInvalid(/type: expected one of "requestSwitch", .*"startSupply", got "fly"/);
    });

    it.each([
      ['the same old and new supplier', { oldSupplier: NEW_SUPPLIER }],
      ['a switch date today', { switchDate: '2025-01-01' }],
      ['a switch date in the past', { switchDate: '2024-12-31' }],
    ])('refuses a request with %s as invalid-state', async (_what, change) => {
      await given(supplierSwitch)
        .when({ ...request, ...change })
        .thenRejects('invalid-state', { state: 'idle', accepted: ['requestSwitch'] });
    });

    it.each<SupplierSwitchCommand>([
      { type: 'confirmSwitch' },
      { type: 'rejectSwitch', reasonCode: 'Z01' },
      { type: 'cancelSwitch', reason: 'customer changed mind' },
      { type: 'verifyMasterData', meterNumber: 'x' },
      { type: 'startSupply' },
    ])('refuses $type before a request', async (command) => {
      await given(supplierSwitch)
        .when(command)
        .thenRejects('invalid-state', { state: 'idle', accepted: ['requestSwitch'] });
    });
  });

  describe('awaiting the grid operator', () => {
    // #region testing (shown in docs/statecharts.md)
    const pending = given(supplierSwitch, requested);
    // #endregion testing

    it('takes a confirmation, a rejection or a cancellation', async () => {
      // #region testing (shown in docs/statecharts.md)
      await pending.when({ type: 'startSupply' }).thenRejects('invalid-state', {
        state: 'requested',
        accepted: ['confirmSwitch', 'rejectSwitch', 'cancelSwitch', 'recordGridReceipt'],
      });
      // #endregion testing
    });

    it('is confirmed before the switch date, and the old supplier is notified of its last supply day', async () => {
      await pending.when({ type: 'confirmSwitch' }).then([
        {
          type: 'SwitchConfirmed',
          command: { type: 'confirmSwitch' },
          acceptedAt: NOW,
          emitted: [
            {
              type: 'oldSupplierNotified',
              to: OLD_SUPPLIER,
              meteringPoint: MALO,
              lastSupplyDay: '2025-01-14',
            },
          ],
        },
      ]);
    });

    it('can no longer be confirmed on the switch date: the confirmation is refused and not offered', async () => {
      // #region testing (shown in docs/statecharts.md)
      await given(supplierSwitch, requested, SWITCH_DAY)
        .when({ type: 'confirmSwitch' })
        .thenRejects('invalid-state', {
          state: 'requested',
          accepted: ['rejectSwitch', 'cancelSwitch', 'recordGridReceipt'],
        });
      // #endregion testing
    });

    it.each(Object.keys(rejectionReasons))(
      'is rejected with answer code %s, and the new supplier informed',
      async (code) => {
        const { state, events } = await pending
          .when({ type: 'rejectSwitch', reasonCode: code })
          .thenState((s) => s.done);
        expect(state.value).toBe('rejected');
        expect(state.context.rejection?.code).toBe(code);
        expect(events[0]?.emitted).toEqual([{ type: 'switchFailed', to: NEW_SUPPLIER, reasonCode: code }]);
      },
    );

    it('refuses a rejection with an unknown answer code, still offering rejectSwitch', async () => {
      const refusal = await pending
        .when({ type: 'rejectSwitch', reasonCode: 'E99' })
        .thenRejects('invalid-state', {
          state: 'requested',
          accepted: ['confirmSwitch', 'rejectSwitch', 'cancelSwitch', 'recordGridReceipt'],
        });
      expect(refusal.message).toMatch(/its guard refused it/);
    });

    it('may be cancelled by the new supplier', async () => {
      await pending
        .when({ type: 'cancelSwitch', reason: 'Kunde widerruft' })
        .thenState((s) => s.value === 'cancelled' && s.done && s.context.cancellation === 'Kunde widerruft');
    });
  });

  describe('confirmed', () => {
    it('cannot be cancelled any more: only the master data reconciliation is accepted', async () => {
      await given(supplierSwitch, confirmed)
        .when({ type: 'cancelSwitch', reason: 'too late' })
        .thenRejects('invalid-state', { state: 'confirmed', accepted: ['verifyMasterData'] });
    });

    it('needs the master data reconciled before supply starts', async () => {
      await given(supplierSwitch, confirmed, SWITCH_DAY)
        .when({ type: 'startSupply' })
        .thenRejects('invalid-state', { state: 'confirmed', accepted: ['verifyMasterData'] });
      await given(supplierSwitch, confirmed)
        .when({ type: 'verifyMasterData', meterNumber: '1EMH0012345678' })
        .thenState((s) => s.value === 'masterDataVerified' && s.context.meterNumber === '1EMH0012345678');
    });
  });

  describe('master data reconciled', () => {
    it('starts supply on the switch date, completing the switch', async () => {
      await given(supplierSwitch, verified, SWITCH_DAY)
        .when({ type: 'startSupply' })
        .thenState(
          (s) =>
            s.value === 'supplying' && s.done && s.context.supplyStartedAt === '2025-01-15T06:00:00.000Z',
        );
    });

    it('does not start supply before the switch date, and offers nothing until then', async () => {
      await given(supplierSwitch, verified)
        .when({ type: 'startSupply' })
        .thenRejects('invalid-state', { state: 'masterDataVerified', accepted: [] });
    });
  });

  describe('a completed switch', () => {
    const done = [
      ...verified,
      { type: 'SupplyStarted', command: { type: 'startSupply' }, acceptedAt: '2025-01-15T06:00:00.000Z' },
    ] as SwitchEvent[];

    it.each<SupplierSwitchCommand>([
      request,
      { type: 'confirmSwitch' },
      { type: 'cancelSwitch', reason: 'x' },
      { type: 'startSupply' },
    ])('refuses $type as completed', async (command) => {
      await given(supplierSwitch, done).when(command).thenRejects('completed', { state: 'supplying' });
    });
  });
});

describe('supplier switch on FV2025-04-01 (version pinning)', () => {
  const confirmedOnV1 = recorded([request, { type: 'confirmSwitch' }], V1);

  it('keeps running on FV2025-04-01 after FV2025-10-01 is registered: no master data step', async () => {
    await given(supplierSwitch, confirmedOnV1)
      .when({ type: 'verifyMasterData', meterNumber: 'x' })
      .thenRejects('invalid-state', { state: 'confirmed', accepted: [] });
    await given(supplierSwitch, confirmedOnV1, SWITCH_DAY)
      .when({ type: 'startSupply' })
      .thenState((s) => s.value === 'supplying' && s.workflowVersion === V1);
  });

  describe('through the runtime', () => {
    const open: Runtime[] = [];
    afterEach(async () => {
      for (const rt of open.splice(0)) await rt.shutdown();
    });
    const disk = (): EventStore => ({ ...memoryStore(), close: async () => {} });
    const runtimeWith = async (store: EventStore, def: typeof supplierSwitch) => {
      const rt = await createRuntime({ store, aggregates: [def] });
      open.push(rt);
      return rt;
    };

    it('finishes switches started on FV2025-04-01 there, and starts new ones on FV2025-10-01', async () => {
      const store = disk();
      const onlyV1 = fromMachine({ type: 'supplier-switch', machines: { [V1]: supplierSwitchV1 } });
      const before = await runtimeWith(store, onlyV1);
      const upcoming = { ...request, switchDate: '2999-01-01' };
      await before.get(onlyV1, 'old').execute(upcoming);
      await before.shutdown();

      const rt = await runtimeWith(store, supplierSwitch);
      const old = rt.get(supplierSwitch, 'old');
      const confirmation = await old.execute({ type: 'confirmSwitch' });
      expect(confirmation.state).toMatchObject({ value: 'confirmed', workflowVersion: V1 });
      await expect(old.execute({ type: 'verifyMasterData', meterNumber: 'x' })).rejects.toMatchObject({
        reason: 'invalid-state',
        details: { state: 'confirmed', accepted: [] },
      });

      const fresh = rt.get(supplierSwitch, 'new');
      await fresh.execute(upcoming);
      await fresh.execute({ type: 'confirmSwitch' });
      const step = await fresh.execute({ type: 'verifyMasterData', meterNumber: '1EMH0012345678' });
      expect(step.state).toMatchObject({ value: 'masterDataVerified', workflowVersion: V2 });
    });
  });
});

describe('MaLo-IDs', () => {
  it.each([
    ['51238696781', true],
    ['51238696782', false],
    ['01238696781', false],
    ['5123869678a', false],
  ])('%s is valid: %s', (id, valid) => {
    expect(isMaLoId(id)).toBe(valid);
  });
});
