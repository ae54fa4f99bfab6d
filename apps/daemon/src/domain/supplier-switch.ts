/**
 * A supplier switch (Lieferantenwechsel) in the German energy market, in the style of the GPKE
 * market-communication process: the new supplier (Lieferant neu) registers a market location
 * (Marktlokation, MaLo) for supply from a switch date; the grid operator (Netzbetreiber)
 * confirms or rejects the registration with an answer code; supply starts on the switch date.
 * The new supplier may cancel only until the grid operator has confirmed.
 *
 * Two workflow versions, named like the market's format versions: FV2025-10-01 adds a master
 * data reconciliation (Stammdatenabgleich) between confirmation and supply start. Processes
 * started on FV2025-04-01 finish on it. Deliberately simplified: real processes run on UTILMD
 * messages with deadlines in working days; dates here are calendar days in UTC.
 *
 * The grid operator's answer period is a durable timer (an `after` transition): a registration
 * left unanswered for {@link ANSWER_PERIOD} ends as `unanswered`, and the new supplier is told.
 * ILLUSTRATIVE: the period and its consequence are made up for the example, not the market's rule.
 *
 * The registration travels to the grid operator as a durable effect (grid-registration.ts): the
 * operator's receipt comes back as the command `recordGridReceipt`. A refused registration ends
 * the process as rejected; an accepted one (or one that could not be delivered) leaves it waiting
 * for the answer, which still has to come within the answer period.
 */
// #region definition (shown in docs/statecharts.md)
import { fromMachine, isoDurationMs, type WithAcceptedAt } from '@actorfold/xstate';
import * as v from 'valibot';
import { and, assign, emit, setup } from 'xstate';
// #endregion definition
import { namedIssues } from './named-issues.js';

/** Answer codes of a grid operator's rejection. Illustrative, in the style of the market's codes; not the official list. */
export const rejectionReasons = {
  Z01: 'Marktlokation nicht identifizierbar (market location unknown)',
  Z02: 'Fristverletzung (registration deadline missed)',
  Z03: 'Konkurrierende Anmeldung (another supplier registered first)',
  Z04: 'Marktlokation bereits beliefert (already supplied by this supplier)',
  Z05: 'Marktlokation stillgelegt (market location decommissioned)',
} as const;

export type RejectionCode = keyof typeof rejectionReasons;

/**
 * The grid operator's receipt for a registration: accepted (the answer follows within the answer
 * period) or refused at once with an answer code.
 */
export type GridReceipt =
  | { receipt: 'accepted'; receiptId: string }
  | { receipt: 'refused'; reasonCode: RejectionCode };

/**
 * The result of the registration effect, as the runtime delivers it (an `EffectResult` of type
 * `recordGridReceipt`): never sent by a client (the command schema does not know it).
 */
export type RecordGridReceipt = {
  type: 'recordGridReceipt';
  effect: { id: string; name: string; version: number; attempts: number };
} & (
  | { outcome: 'done'; output: GridReceipt }
  | { outcome: 'failed'; error: { message: string; code?: string; name?: string } }
);

export type SupplierSwitchCommand =
  | {
      type: 'requestSwitch';
      /** MaLo-ID: 11 digits, the last a check digit. */
      meteringPoint: string;
      /** Market partner ids (13 digits) of the new and the old supplier and of the grid operator. */
      newSupplier: string;
      oldSupplier: string;
      gridOperator: string;
      /** First day of supply by the new supplier, `YYYY-MM-DD`; at the earliest the next day. */
      switchDate: string;
    }
  | { type: 'confirmSwitch' }
  | { type: 'rejectSwitch'; reasonCode: string }
  | { type: 'cancelSwitch'; reason: string }
  | { type: 'verifyMasterData'; meterNumber: string }
  | { type: 'startSupply' };

export interface SupplierSwitchContext {
  meteringPoint: string;
  newSupplier: string;
  oldSupplier: string;
  gridOperator: string;
  switchDate: string;
  requestedAt: string | null;
  confirmedAt: string | null;
  rejection: { code: RejectionCode; reason: string } | null;
  cancellation: string | null;
  meterNumber: string | null;
  supplyStartedAt: string | null;
  /** The grid operator's receipt for the registration, or why it could not be delivered. */
  registration:
    | { status: 'accepted'; receiptId: string; at: string }
    | { status: 'undelivered'; error: string; at: string }
    | null;
}

/** What the process emits for the market-communication outbox. */
export type SupplierSwitchEmitted =
  | { type: 'registrationSent'; to: string; meteringPoint: string; switchDate: string }
  | { type: 'answerOverdue'; to: string; meteringPoint: string; gridOperator: string }
  | { type: 'oldSupplierNotified'; to: string; meteringPoint: string; lastSupplyDay: string }
  | { type: 'switchFailed'; to: string; reasonCode: RejectionCode };

/** True for a MaLo-ID: 11 digits whose last is the check digit over the first ten. */
export function isMaLoId(id: string): boolean {
  if (!/^[1-9]\d{10}$/.test(id)) return false;
  let sum = 0;
  for (let i = 0; i < 10; i++) sum += Number(id[i]) * (i % 2 === 0 ? 1 : 2);
  return (10 - (sum % 10)) % 10 === Number(id[10]);
}

/**
 * How long the grid operator has to answer a registration (ISO-8601, calendar days in UTC).
 * Illustrative only: the real answer periods are set by the market rules in working days.
 */
export const ANSWER_PERIOD = 'P10D';

const isPartnerId = (id: string) => /^\d{13}$/.test(id);
const dayOf = (iso: string) => iso.slice(0, 10);
const dayBefore = (day: string) => dayOf(new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString());

// #region definition (shown in docs/statecharts.md)
const switchSetup = setup({
  types: {
    context: {} as SupplierSwitchContext,
    events: {} as WithAcceptedAt<SupplierSwitchCommand | RecordGridReceipt>,
    emitted: {} as SupplierSwitchEmitted,
  },
  delays: { answerPeriod: isoDurationMs(ANSWER_PERIOD) },
  guards: {
    validMarketLocation: ({ event }) => event.type === 'requestSwitch' && isMaLoId(event.meteringPoint),
    validParties: ({ event }) =>
      event.type === 'requestSwitch' &&
      [event.newSupplier, event.oldSupplier, event.gridOperator].every(isPartnerId) &&
      event.newSupplier !== event.oldSupplier,
    switchDateAhead: ({ event }) =>
      event.type === 'requestSwitch' &&
      /^\d{4}-\d\d-\d\d$/.test(event.switchDate) &&
      event.switchDate > dayOf(event.acceptedAt),
    gridRefused: ({ event }) =>
      event.type === 'recordGridReceipt' && event.outcome === 'done' && event.output.receipt === 'refused',
    knownReasonCode: ({ event }) =>
      event.type === 'rejectSwitch' && Object.hasOwn(rejectionReasons, event.reasonCode),
    // #region accepted-at (shown in docs/statecharts.md)
    beforeSwitchDate: ({ context, event }) => dayOf(event.acceptedAt) < context.switchDate,
    // #endregion accepted-at
    onOrAfterSwitchDate: ({ context, event }) => dayOf(event.acceptedAt) >= context.switchDate,
  },
  actions: {
    recordRequest: assign(({ event }) =>
      event.type === 'requestSwitch'
        ? {
            meteringPoint: event.meteringPoint,
            newSupplier: event.newSupplier,
            oldSupplier: event.oldSupplier,
            gridOperator: event.gridOperator,
            switchDate: event.switchDate,
            requestedAt: event.acceptedAt,
          }
        : {},
    ),
    sendRegistration: emit(({ context }) => ({
      type: 'registrationSent' as const,
      to: context.gridOperator,
      meteringPoint: context.meteringPoint,
      switchDate: context.switchDate,
    })),
    recordConfirmation: assign({ confirmedAt: ({ event }) => event.acceptedAt }),
    notifyOldSupplier: emit(({ context }) => ({
      type: 'oldSupplierNotified' as const,
      to: context.oldSupplier,
      meteringPoint: context.meteringPoint,
      lastSupplyDay: dayBefore(context.switchDate),
    })),
    recordRejection: assign({
      rejection: ({ event }) => {
        const code = (
          event.type === 'rejectSwitch'
            ? event.reasonCode
            : event.type === 'recordGridReceipt' &&
                event.outcome === 'done' &&
                event.output.receipt === 'refused'
              ? event.output.reasonCode
              : 'Z01'
        ) as RejectionCode;
        return { code, reason: rejectionReasons[code] };
      },
    }),
    recordReceipt: assign({
      registration: ({ event }) => {
        if (event.type !== 'recordGridReceipt') return null;
        if (event.outcome === 'failed')
          return { status: 'undelivered' as const, error: event.error.message, at: event.acceptedAt };
        const receiptId = event.output.receipt === 'accepted' ? event.output.receiptId : '';
        return { status: 'accepted' as const, receiptId, at: event.acceptedAt };
      },
    }),
    reportOverdueAnswer: emit(({ context }) => ({
      type: 'answerOverdue' as const,
      to: context.newSupplier,
      meteringPoint: context.meteringPoint,
      gridOperator: context.gridOperator,
    })),
    reportFailure: emit(({ context }) => ({
      type: 'switchFailed' as const,
      to: context.newSupplier,
      reasonCode: context.rejection?.code ?? 'Z01',
    })),
    recordCancellation: assign({
      cancellation: ({ event }) => (event.type === 'cancelSwitch' ? event.reason : ''),
    }),
    recordMasterData: assign({
      meterNumber: ({ event }) => (event.type === 'verifyMasterData' ? event.meterNumber : null),
    }),
    recordSupplyStart: assign({ supplyStartedAt: ({ event }) => event.acceptedAt }),
  },
});

const initialContext: SupplierSwitchContext = {
  ...{ meteringPoint: '', newSupplier: '', oldSupplier: '', gridOperator: '', switchDate: '' },
  ...{ requestedAt: null, confirmedAt: null, rejection: null, cancellation: null },
  ...{ meterNumber: null, supplyStartedAt: null, registration: null },
};

/**
 * The grid operator's receipt and answer, and the new supplier's cancellation while it is
 * pending; no answer within the answer period (a durable timer, cancelled by any way out of this
 * state) ends it. A receipt that accepts the registration, or says it could not be delivered,
 * only records that: the answer period goes on.
 */
const awaitingAnswer = {
  after: { answerPeriod: { target: 'unanswered', actions: 'reportOverdueAnswer' } },
  on: {
    confirmSwitch: {
      guard: 'beforeSwitchDate',
      target: 'confirmed',
      actions: ['recordConfirmation', 'notifyOldSupplier'],
    },
    rejectSwitch: {
      guard: 'knownReasonCode',
      target: 'rejected',
      actions: ['recordRejection', 'reportFailure'],
    },
    cancelSwitch: { target: 'cancelled', actions: 'recordCancellation' },
    recordGridReceipt: [
      { guard: 'gridRefused', target: 'rejected', actions: ['recordRejection', 'reportFailure'] },
      { actions: 'recordReceipt' },
    ],
  },
} as const;

const request = {
  on: {
    requestSwitch: {
      guard: and(['validMarketLocation', 'validParties', 'switchDateAhead']),
      target: 'requested',
      actions: ['recordRequest', 'sendRegistration'],
    },
  },
} as const;

const ended = {
  supplying: { type: 'final' },
  rejected: { type: 'final' },
  cancelled: { type: 'final' },
  unanswered: { type: 'final' },
} as const;

/** FV2025-04-01: requested → confirmed → supplying (or rejected, or cancelled before confirmation). */
export const supplierSwitchV1 = switchSetup.createMachine({
  id: 'supplierSwitch',
  context: initialContext,
  initial: 'idle',
  states: {
    idle: request,
    requested: awaitingAnswer,
    confirmed: {
      on: {
        startSupply: { guard: 'onOrAfterSwitchDate', target: 'supplying', actions: 'recordSupplyStart' },
      },
    },
    ...ended,
  },
});

/** FV2025-10-01: as FV2025-04-01, with the master data reconciliation after confirmation. */
export const supplierSwitchV2 = switchSetup.createMachine({
  id: 'supplierSwitch',
  context: initialContext,
  initial: 'idle',
  states: {
    idle: request,
    requested: awaitingAnswer,
    confirmed: { on: { verifyMasterData: { target: 'masterDataVerified', actions: 'recordMasterData' } } },
    masterDataVerified: {
      on: {
        startSupply: { guard: 'onOrAfterSwitchDate', target: 'supplying', actions: 'recordSupplyStart' },
      },
    },
    ...ended,
  },
});
// #endregion definition

const text = v.pipe(v.string('expected a string'), v.nonEmpty('must not be empty'));
const partnerId = v.pipe(
  v.string('expected a string'),
  v.regex(/^\d{13}$/, 'expected a market partner id of 13 digits'),
);

/**
 * The commands' shapes and field formats; a request the formats allow may still be refused by
 * the process's guards (a switch date not ahead, a supplier switching to itself: `invalid-state`).
 */
export const supplierSwitchCommandSchema = namedIssues<SupplierSwitchCommand>(
  v.variant(
    'type',
    [
      v.strictObject({
        type: v.literal('requestSwitch'),
        meteringPoint: v.pipe(
          v.string('expected a string'),
          v.check(isMaLoId, 'expected a MaLo-ID: 11 digits, the last a valid check digit'),
        ),
        newSupplier: partnerId,
        oldSupplier: partnerId,
        gridOperator: partnerId,
        switchDate: v.pipe(v.string('expected a string'), v.isoDate('expected a date YYYY-MM-DD')),
      }),
      v.strictObject({ type: v.literal('confirmSwitch') }),
      v.strictObject({ type: v.literal('rejectSwitch'), reasonCode: text }),
      v.strictObject({ type: v.literal('cancelSwitch'), reason: text }),
      v.strictObject({ type: v.literal('verifyMasterData'), meterNumber: text }),
      v.strictObject({ type: v.literal('startSupply') }),
    ],
    (issue) =>
      `expected one of "requestSwitch", "confirmSwitch", "rejectSwitch", "cancelSwitch", "verifyMasterData", "startSupply", got ${issue.received}`,
  ),
);

// #region definition (shown in docs/statecharts.md)
/** The supplier-switch process: one stream per switch, e.g. `supplier-switch/51238696781-2025-05-01`. */
export const supplierSwitch = fromMachine({
  type: 'supplier-switch',
  machines: { 'FV2025-04-01': supplierSwitchV1, 'FV2025-10-01': supplierSwitchV2 },
  snapshots: { every: 20 },
  validateCommand: supplierSwitchCommandSchema,
});
// #endregion definition
