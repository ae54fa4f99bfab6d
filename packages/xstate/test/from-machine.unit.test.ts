import { type DomainEvent, type EventOf, isRejection, upcast } from '@actorfold/core';
import { given } from '@actorfold/testing';
import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { fromMachine } from '../src/index.js';
import { type ApprovalCommand, approval, approvalMachine, MAX_REVISIONS } from './support/approval.js';
import { history, replay, stored } from './support/history.js';
import { decideContext } from './support/runtime.js';

type Event = EventOf<typeof approval>;

/** given/when/then's fixed `ctx.now`. */
const NOW = '2025-01-01T00:00:00.000Z';
const submit: ApprovalCommand = { type: 'submit', title: 'laptop', amount: 800 };
const submitted: Event = {
  type: 'Submitted',
  command: submit,
  acceptedAt: NOW,
  workflowVersion: 'v1',
  emitted: [{ type: 'reviewRequested', line: 'first' }],
};

/** Every command type, with a payload each guard accepts where it can. */
const everyCommand: ApprovalCommand[] = [
  submit,
  { type: 'approve', by: 'zoe' },
  { type: 'escalate' },
  { type: 'comment', text: 'ok' },
  { type: 'revise', amount: 700 },
  { type: 'pause' },
  { type: 'resume' },
  { type: 'reject', reason: 'budget' },
  { type: 'withdraw' },
];

describe('a statechart aggregate', () => {
  describe('a new process', () => {
    it('records the first accepted command with the workflow version it starts on', async () => {
      await given(approval).when(submit).then([submitted]);
    });

    it('is in the initial state of the current version before its first command', () => {
      expect(approval.initialState()).toEqual({
        value: 'draft',
        context: { title: '', amount: 0, submittedAt: '', approvals: [], comments: 0, revisions: 0 },
        workflowVersion: 'v1',
        done: false,
      });
    });

    it('exposes value, context, workflowVersion and done as its state', async () => {
      await given(approval)
        .when(submit)
        .thenState({
          value: { review: 'firstLine' },
          context: {
            title: 'laptop',
            amount: 800,
            submittedAt: NOW,
            approvals: [],
            comments: 0,
            revisions: 0,
          },
          workflowVersion: 'v1',
          done: false,
        });
    });

    it('refuses a command the initial state does not take as invalid-state, with the state and what it accepts', async () => {
      await given(approval)
        .when({ type: 'approve', by: 'zoe' })
        .thenRejects('invalid-state', { state: 'draft', accepted: ['submit'] });
    });

    it('refuses a command whose guard fails on the payload, and still lists its type as accepted', async () => {
      const refusal = await given(approval)
        .when({ type: 'submit', title: 'free', amount: 0 })
        .thenRejects('invalid-state', { state: 'draft', accepted: ['submit'] });
      expect(refusal.message).toMatch(/its guard refused it/);
    });
  });

  describe('in review', () => {
    const inReview = given(approval, [submitted]);

    it('lists the accepted commands in definition order, innermost state first', async () => {
      await inReview.when({ type: 'resume' }).thenRejects('invalid-state', {
        state: { review: 'firstLine' },
        accepted: ['approve', 'escalate', 'comment', 'revise', 'pause', 'reject', 'withdraw'],
      });
    });

    it.each([
      [{ type: 'approve', by: 'zoe' }, 'approved'],
      [{ type: 'escalate' }, { review: 'secondLine' }],
      [{ type: 'comment', text: 'ok' }, { review: 'firstLine' }],
      [{ type: 'revise', amount: 700 }, { review: 'firstLine' }],
      [{ type: 'pause' }, 'paused'],
      [{ type: 'reject', reason: 'budget' }, 'rejected'],
      [{ type: 'withdraw' }, 'withdrawn'],
    ] as Array<[ApprovalCommand, unknown]>)('accepts %o, moving to %o', async (command, value) => {
      await inReview.when(command).thenState((s) => expect(s.value).toEqual(value));
    });

    it.each(everyCommand.filter((c) => c.type === 'submit' || c.type === 'resume'))(
      'refuses $type as invalid-state',
      async (command) => {
        await inReview.when(command).thenRejects('invalid-state');
      },
    );

    it('records a targetless transition and keeps the state value', async () => {
      await inReview
        .when({ type: 'comment', text: 'ok' })
        .then([{ type: 'Commented', command: { type: 'comment', text: 'ok' }, acceptedAt: NOW }]);
      await inReview.when({ type: 'comment', text: 'ok' }).thenState((s) => s.context.comments === 1);
    });

    it('carries what the machine emitted, entry actions of re-entered states included', async () => {
      await inReview.when({ type: 'revise', amount: 500 }).then([
        {
          type: 'Revised',
          command: { type: 'revise', amount: 500 },
          acceptedAt: NOW,
          emitted: [{ type: 'reviewRequested', line: 'first' }],
        },
      ]);
    });

    it('decides with guards on the context: large amounts need a second line', async () => {
      await inReview.when({ type: 'approve', by: 'zoe' }).thenState((s) => s.value === 'approved');
      const large = given(approval).given(
        history(approval, [{ type: 'submit', title: 'car', amount: 30_000 }]).events,
      );
      await large
        .when({ type: 'approve', by: 'zoe' })
        .thenState((s) => expect(s.value).toEqual({ review: 'secondLine' }));
    });

    it(`stops listing and accepting revise after ${MAX_REVISIONS} revisions (a guard on the context)`, async () => {
      const revised = history(approval, [
        submit,
        { type: 'revise', amount: 700 },
        { type: 'revise', amount: 600 },
      ]).events;
      await given(approval, revised)
        .when({ type: 'revise', amount: 500 })
        .thenRejects('invalid-state', (d: { accepted: string[] }) => !d.accepted.includes('revise'));
    });

    it('accepts withdraw within 7 days of submission and neither accepts nor lists it later (a guard on acceptedAt)', async () => {
      const on = (iso: string) => given(approval, [submitted], { now: new Date(iso) });
      await on('2025-01-08T00:00:00Z')
        .when({ type: 'withdraw' })
        .thenState((s) => s.done);
      const late = on('2025-01-08T00:00:01Z').when({ type: 'withdraw' });
      await late.thenRejects('invalid-state', {
        state: { review: 'firstLine' },
        accepted: ['approve', 'escalate', 'comment', 'revise', 'pause', 'reject'],
      });
    });

    it('lists approve in the second line although only another approver passes its guard (a guard on the payload)', async () => {
      const second = history(approval, [
        { type: 'submit', title: 'car', amount: 30_000 },
        { type: 'approve', by: 'zoe' },
      ]).events;
      await given(approval, second)
        .when({ type: 'approve', by: 'zoe' })
        .thenRejects('invalid-state', {
          state: { review: 'secondLine' },
          accepted: ['approve', 'comment', 'revise', 'pause', 'reject', 'withdraw'],
        });
      await given(approval, second)
        .when({ type: 'approve', by: 'max' })
        .thenState((s) => s.done);
    });

    it('returns to the nested state it was paused in (history state)', async () => {
      const paused = history(approval, [submit, { type: 'escalate' }, { type: 'pause' }]).events;
      await given(approval, paused)
        .when({ type: 'approve', by: 'x' })
        .thenRejects('invalid-state', {
          state: 'paused',
          accepted: ['resume', 'withdraw'],
        });
      await given(approval, paused)
        .when({ type: 'resume' })
        .thenState((s) => expect(s.value).toEqual({ review: 'secondLine' }));
    });
  });

  describe('a completed process', () => {
    const done = history(approval, [submit, { type: 'approve', by: 'zoe' }]);

    it('is done in a final state', () => {
      expect(done.state).toMatchObject({ value: 'approved', done: true });
      expect(done.events[1]?.emitted).toEqual([{ type: 'decided', outcome: 'approved' }]);
    });

    it.each(everyCommand)('refuses $type as completed, naming the final state', async (command) => {
      await given(approval, done.events).when(command).thenRejects('completed', { state: 'approved' });
    });
  });

  describe('commands', () => {
    it('are refused as invalid when they carry acceptedAt, which the runtime sets', async () => {
      const command = { ...submit, acceptedAt: '2020-01-01T00:00:00Z' } as ApprovalCommand;
      await given(approval).when(command).thenInvalid('acceptedAt');
    });

    it("are refused as invalid with an 'xstate.' type, which only the machine may raise", async () => {
      const fake = { type: 'xstate.done.state.approval.review' } as unknown as ApprovalCommand;
      await given(approval).when(fake).thenInvalid("'xstate.'");
    });

    it('are decided as the JSON data they are stored as, so replay sees what decide saw', async () => {
      const dated = { type: 'submit', title: new Date('2025-02-03T04:05:06Z'), amount: 1, note: undefined };
      const { events, state } = await given(approval)
        .when(dated as unknown as ApprovalCommand)
        .thenState(() => true);
      expect(events[0]?.command).toStrictEqual({
        type: 'submit',
        title: '2025-02-03T04:05:06.000Z',
        amount: 1,
      });
      expect(state.context.title).toBe('2025-02-03T04:05:06.000Z');
    });

    it('get the time the runtime accepted them as event.acceptedAt, recorded in the event', async () => {
      const { events, state } = await given(approval, [], { now: new Date('2025-06-30T12:00:00Z') })
        .when(submit)
        .thenState(() => true);
      expect(events[0]?.acceptedAt).toBe('2025-06-30T12:00:00.000Z');
      expect(state.context.submittedAt).toBe('2025-06-30T12:00:00.000Z');
    });
  });

  describe('event types', () => {
    it('are the past tense of the command type unless eventTypes names them', async () => {
      const named = fromMachine({
        type: 'approval',
        machines: { v1: approvalMachine },
        eventTypes: { submit: 'ApprovalRequested', approve: 'ApprovalGranted' },
      });
      const [first] = history(named, [submit]).events;
      expect(first?.type).toBe('ApprovalRequested');
      await given(named, [first as Event])
        .when({ type: 'escalate' })
        .then([
          {
            type: 'Escalated',
            command: { type: 'escalate' },
            acceptedAt: NOW,
            emitted: [{ type: 'reviewRequested', line: 'second' }],
          },
        ]);
    });
  });

  describe('parallel states', () => {
    const onboarding = fromMachine({
      type: 'onboarding',
      machines: {
        v1: createMachine({
          id: 'onboarding',
          type: 'parallel',
          states: {
            documents: {
              initial: 'missing',
              states: { missing: { on: { upload: 'present' } }, present: { type: 'final' } },
            },
            payment: { initial: 'open', states: { open: { on: { pay: 'paid' } }, paid: { type: 'final' } } },
          },
        }),
      },
    });

    it('accepts what any region takes, listing regions in document order', async () => {
      await given(onboarding)
        .when({ type: 'sign' })
        .thenRejects('invalid-state', {
          state: { documents: 'missing', payment: 'open' },
          accepted: ['upload', 'pay'],
        });
      const uploaded = history(onboarding, [{ type: 'upload' }]).events;
      await given(onboarding, uploaded)
        .when({ type: 'upload' })
        .thenRejects('invalid-state', {
          state: { documents: 'present', payment: 'open' },
          accepted: ['pay'],
        });
    });

    it('is done when every region is final, and replays to the same state', () => {
      const { events, state } = history(onboarding, [{ type: 'upload' }, { type: 'pay' }]);
      expect(state.done).toBe(true);
      expect(replay(onboarding, stored(events))).toStrictEqual(state);
    });
  });

  describe('options', () => {
    /** A Standard Schema validator refusing amounts above 10 000, asynchronously like some libraries do. */
    const capped = {
      '~standard': {
        version: 1 as const,
        vendor: 'test',
        validate: async (value: unknown) => {
          const amount = (value as { amount?: unknown }).amount;
          return typeof amount === 'number' && amount > 10_000
            ? { issues: [{ message: 'amount above 10 000', path: ['amount'] }] }
            : { value: value as ApprovalCommand };
        },
      },
    };
    const validated = fromMachine({
      type: 'approval',
      machines: { v1: approvalMachine },
      validateCommand: capped,
    });

    it('runs validateCommand before the statechart rules, refusing as invalid', async () => {
      await given(validated)
        .when({ type: 'submit', title: 'yacht', amount: 20_000 })
        .thenInvalid('above 10 000');
      await given(validated)
        .when({ ...submit, acceptedAt: 'x' } as ApprovalCommand)
        .thenInvalid('acceptedAt');
      await given(validated).when(submit).then([submitted]);
    });

    it('stores eventSchemaVersion with every event (default 1)', () => {
      expect(approval.eventSchemaVersion).toBe(1);
      const v3 = fromMachine({ type: 'approval', machines: { v1: approvalMachine }, eventSchemaVersion: 3 });
      expect(v3.eventSchemaVersion).toBe(3);
    });

    it('passes upcasters on: events stored at an older schema are read through them', async () => {
      // Schema 1 stored the title under another name.
      const v2 = fromMachine({
        type: 'approval',
        machines: { v1: approvalMachine },
        eventSchemaVersion: 2,
        upcasters: [
          {
            type: 'Submitted',
            fromVersion: 1,
            upcast: (e: DomainEvent) => {
              const { name, ...command } = (e as Event & { command: { name: string } }).command;
              return { ...e, command: { ...command, title: name } };
            },
          },
        ],
      });
      const old = { ...submitted, command: { type: 'submit', name: 'laptop', amount: 800 } };
      expect(upcast(v2, old, 1)).toEqual([submitted]);
      const approve = { type: 'approve', by: 'zoe' } as const;
      const after = await given(v2)
        .givenAtSchema(1, [old])
        .when(approve)
        .thenState(() => true);
      const same = await given(approval, [submitted])
        .when(approve)
        .thenState(() => true);
      expect(after.state).toEqual(same.state);
      expect(after.events).toEqual(same.events);
      expect(after.version).toBe(2);
      expect(() =>
        fromMachine({
          type: 'approval',
          machines: { v1: approvalMachine },
          upcasters: [{ type: 'Submitted', fromVersion: 1, upcast: (e: DomainEvent) => e }],
        }),
      ).toThrow(/need an eventSchemaVersion above 1/);
    });

    it("refuses what defineAggregate refuses, such as a type with '/'", () => {
      expect(() => fromMachine({ type: 'a/b', machines: { v1: approvalMachine } })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    });
  });

  it('decides one command into exactly one event', () => {
    const [event, ...more] = approval.decide(approval.initialState(), submit, decideContext(0));
    expect(more).toEqual([]);
    expect(event?.type).toBe('Submitted');
  });

  it('reports refusals as Rejections carrying reason and details', () => {
    let caught: unknown;
    try {
      approval.decide(approval.initialState(), { type: 'pause' }, decideContext(0));
    } catch (e) {
      caught = e;
    }
    expect(isRejection(caught)).toBe(true);
    expect(caught).toMatchObject({ code: 'REJECTED', reason: 'invalid-state', details: { state: 'draft' } });
  });
});
