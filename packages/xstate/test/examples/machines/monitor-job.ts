/**
 * xstate's workflow-monitor-job: submits a job (a promise service), then polls its status every
 * five seconds (an `after` loop) until it succeeded or failed, and reports the outcome.
 */
import { expect } from 'vitest';
import { assign, setup } from 'xstate';
import type { WithAcceptedAt } from '../../../src/index.js';
import type { RunningExample } from '../support/ported-example.js';
import { remote } from '../support/remote.js';
import { SimulatedServices } from '../support/simulated-services.js';

type JobStatus = 'SUCCEEDED' | 'FAILED' | 'RUNNING';

interface Monitoring {
  job: { name: string } | null;
  jobuid: string | null;
  jobStatus: JobStatus | null;
}

type StartCommand = { type: 'start'; job: { name: string } };

const machine = setup({
  types: { context: {} as Monitoring, events: {} as WithAcceptedAt<StartCommand> },
  actors: {
    submitJob: remote<{ name: string }, { jobuid: string }>(),
    checkJobStatus: remote<{ name: string | null }, { jobStatus: JobStatus }>(),
    reportJobSucceeded: remote<{ jobuid: string | null }>(),
    reportJobFailed: remote<{ jobuid: string | null }>(),
  },
}).createMachine({
  id: 'jobmonitoring',
  initial: 'Ready',
  context: { job: null, jobuid: null, jobStatus: null },
  states: {
    // Added: the original's input arrives with the process's first command.
    Ready: { on: { start: { target: 'SubmitJob', actions: assign({ job: ({ event }) => event.job }) } } },
    SubmitJob: {
      invoke: {
        src: 'submitJob',
        input: ({ context }) => ({ name: context.job?.name ?? '' }),
        onDone: {
          target: 'WaitForCompletion',
          actions: assign({ jobuid: ({ event }) => event.output.jobuid }),
        },
      },
    },
    WaitForCompletion: { after: { 5000: 'GetJobStatus' } },
    GetJobStatus: {
      invoke: {
        src: 'checkJobStatus',
        input: ({ context }) => ({ name: context.jobuid }),
        onDone: {
          target: 'DetermineCompletion',
          actions: assign({ jobStatus: ({ event }) => event.output.jobStatus }),
        },
      },
    },
    DetermineCompletion: {
      always: [
        { guard: ({ context }) => context.jobStatus === 'SUCCEEDED', target: 'JobSucceeded' },
        { guard: ({ context }) => context.jobStatus === 'FAILED', target: 'JobFailed' },
        { target: 'WaitForCompletion' },
      ],
    },
    JobSucceeded: {
      invoke: {
        src: 'reportJobSucceeded',
        input: ({ context }) => ({ jobuid: context.jobuid }),
        onDone: 'End',
      },
    },
    JobFailed: {
      invoke: { src: 'reportJobFailed', input: ({ context }) => ({ jobuid: context.jobuid }), onDone: 'End' },
    },
    End: { type: 'final' },
  },
});

/** A job runner whose job is RUNNING for `polls - 1` status checks, then ends with `outcome`. */
function runner(polls: number, outcome: JobStatus): SimulatedServices {
  let checks = 0;
  return new SimulatedServices({
    submitJob: () => ({ jobuid: 'job-123' }),
    checkJobStatus: () => ({ jobStatus: ++checks < polls ? 'RUNNING' : outcome }),
    reportJobSucceeded: () => undefined,
    reportJobFailed: () => undefined,
  });
}

export const monitorJob: RunningExample = {
  status: 'runs',
  example: 'workflow-monitor-job',
  uses: ['invoke (promise) x4', 'after (5000 ms polling loop)', 'always (guarded)', 'input', 'final'],
  adaptations: [
    'input (the job) comes with a start command',
    'the status service answers RUNNING too (the original always answers SUCCEEDED)',
  ],
  machine,
  services: () => runner(3, 'SUCCEEDED'),
  scenarios: [
    {
      title: 'a job that succeeds on the third poll, five seconds apart, is reported succeeded',
      store: 'level',
      async drive({ run, send, reach, state, services }) {
        await send({ type: 'start', job: { name: 'job1' } });
        await reach('WaitForCompletion', 'the job submitted');
        await run.advance(5_000 * 2, 1_000);
        expect((await state()).value).toBe('WaitForCompletion');
        expect(services.callsOf('checkJobStatus')).toHaveLength(2);
        await run.advance(5_000, 1_000);
        expect(await reach('End')).toMatchObject({
          done: true,
          context: { jobuid: 'job-123', jobStatus: 'SUCCEEDED' },
        });
        expect(services.sequence()).toEqual([
          'submitJob',
          'checkJobStatus',
          'checkJobStatus',
          'checkJobStatus',
          'reportJobSucceeded',
        ]);
      },
    },
    {
      title: 'a job that fails is reported failed',
      store: 'memory',
      services: () => runner(1, 'FAILED'),
      async drive({ run, send, reach, services }) {
        await send({ type: 'start', job: { name: 'job1' } });
        await reach('WaitForCompletion', 'the job submitted');
        await run.advance(5_000, 1_000);
        expect(await reach('End')).toMatchObject({ context: { jobStatus: 'FAILED' } });
        expect(services.sequence()).toEqual(['submitJob', 'checkJobStatus', 'reportJobFailed']);
      },
    },
  ],
};
