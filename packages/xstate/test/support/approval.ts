/**
 * An approval process that exercises what a statechart aggregate must handle: guards on the
 * payload, on the context and on the time a command was accepted; nested states with a history
 * state; targetless and re-entering transitions; emitted events; several final states.
 */
import { assign, emit, setup } from 'xstate';
import { fromMachine, type WithAcceptedAt } from '../../src/index.js';

export type ApprovalCommand =
  | { type: 'submit'; title: string; amount: number }
  | { type: 'approve'; by: string }
  | { type: 'escalate' }
  | { type: 'comment'; text: string }
  | { type: 'revise'; amount: number }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'reject'; reason: string }
  | { type: 'withdraw' };

export interface ApprovalContext {
  title: string;
  amount: number;
  submittedAt: string;
  approvals: string[];
  comments: number;
  revisions: number;
}

/** Amounts up to this need one approval; above, a second line approves. */
export const FIRST_LINE_LIMIT = 1000;
/** Revisions allowed per request. */
export const MAX_REVISIONS = 2;
/** A request may be withdrawn within this many days of its submission. */
export const WITHDRAW_DAYS = 7;

const DAY = 86_400_000;

export const approvalSetup = setup({
  types: {
    context: {} as ApprovalContext,
    events: {} as WithAcceptedAt<ApprovalCommand>,
    emitted: {} as
      | { type: 'reviewRequested'; line: 'first' | 'second' }
      | { type: 'decided'; outcome: string },
  },
  guards: {
    positiveAmount: ({ event }) => event.type === 'submit' && event.amount > 0,
    withinFirstLine: ({ context }) => context.amount <= FIRST_LINE_LIMIT,
    otherApprover: ({ context, event }) => event.type === 'approve' && !context.approvals.includes(event.by),
    revisionsLeft: ({ context }) => context.revisions < MAX_REVISIONS,
    withinWithdrawPeriod: ({ context, event }) =>
      Date.parse(event.acceptedAt) - Date.parse(context.submittedAt) <= WITHDRAW_DAYS * DAY,
  },
  actions: {
    recordApproval: assign({
      approvals: ({ context, event }) =>
        event.type === 'approve' ? [...context.approvals, event.by] : context.approvals,
    }),
  },
});

export const approvalMachine = approvalSetup.createMachine({
  id: 'approval',
  context: { title: '', amount: 0, submittedAt: '', approvals: [], comments: 0, revisions: 0 },
  initial: 'draft',
  states: {
    draft: {
      on: {
        submit: {
          guard: 'positiveAmount',
          target: 'review',
          actions: assign({
            title: ({ event }) => event.title,
            amount: ({ event }) => event.amount,
            submittedAt: ({ event }) => event.acceptedAt,
          }),
        },
      },
    },
    review: {
      initial: 'firstLine',
      on: {
        comment: { actions: assign({ comments: ({ context }) => context.comments + 1 }) },
        revise: {
          guard: 'revisionsLeft',
          target: '.firstLine',
          reenter: true,
          actions: assign({
            amount: ({ event }) => event.amount,
            revisions: ({ context }) => context.revisions + 1,
            approvals: [],
          }),
        },
        pause: 'paused',
        reject: { target: 'rejected', actions: emit({ type: 'decided', outcome: 'rejected' }) },
        withdraw: { guard: 'withinWithdrawPeriod', target: 'withdrawn' },
      },
      states: {
        firstLine: {
          entry: emit({ type: 'reviewRequested', line: 'first' }),
          on: {
            approve: [
              { guard: 'withinFirstLine', target: '#approval.approved', actions: 'recordApproval' },
              { target: 'secondLine', actions: 'recordApproval' },
            ],
            escalate: 'secondLine',
          },
        },
        secondLine: {
          entry: emit({ type: 'reviewRequested', line: 'second' }),
          on: {
            approve: { guard: 'otherApprover', target: '#approval.approved', actions: 'recordApproval' },
          },
        },
        resumePoint: { type: 'history' },
      },
    },
    paused: {
      on: { resume: 'review.resumePoint', withdraw: { guard: 'withinWithdrawPeriod', target: 'withdrawn' } },
    },
    approved: { type: 'final', entry: emit({ type: 'decided', outcome: 'approved' }) },
    rejected: { type: 'final' },
    withdrawn: { type: 'final' },
  },
});

export const approval = fromMachine({ type: 'approval', machines: { v1: approvalMachine } });

/** The same process with a snapshot every 3 events. */
export const approvalWithSnapshots = fromMachine({
  type: 'approval',
  machines: { v1: approvalMachine },
  snapshots: { every: 3 },
});
