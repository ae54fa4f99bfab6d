/**
 * The shape of one ported example (xstate's `examples/workflow-*`, ports of the Serverless
 * Workflow specification's examples): either it runs, with scenarios that drive it end to end,
 * or `fromMachine` refuses it, with the reason and the alternative its message must name.
 */
import type { EffectsOptions } from '@actorfold/core';
import type { AnyStateMachine } from 'xstate';
import type { StatechartState } from '../../../src/index.js';
import type { SimulatedServices } from './simulated-services.js';
import type { StoreKind, WorkflowRun } from './workflow-run.js';

/** A command as the scenarios send it (the machines' events without `acceptedAt`). */
export type AnyCommand = { type: string } & Record<string, unknown>;

/** What a scenario is given: the run, the services' call log, and the process under test. */
export interface ScenarioContext {
  run: WorkflowRun;
  services: SimulatedServices;
  /** Sends a command to the process; resolves with its state after the decision. */
  send(command: AnyCommand): Promise<StatechartState<unknown>>;
  /** The process's state now. */
  state(): Promise<StatechartState<unknown>>;
  /** Settles until the process is in a state whose value matches, or fails. */
  reach(value: unknown, what?: string): Promise<StatechartState<unknown>>;
}

/** One end-to-end run of an example: drives it and asserts what the example's description expects. */
export interface Scenario {
  /** States the promise: "an approved customer's application is started and the process ends". */
  title: string;
  store: StoreKind;
  /** This scenario's services, where they differ from the example's. */
  services?: () => SimulatedServices;
  drive(ctx: ScenarioContext): Promise<void>;
}

interface Catalogued {
  /** xstate's example directory, e.g. 'workflow-credit-check'. */
  example: string;
  /** The xstate features the original uses. */
  uses: readonly string[];
}

/** An example that runs. */
export interface RunningExample extends Catalogued {
  status: 'runs';
  /** How our machine departs from the original (none, or why: e.g. `input` becomes a first command). */
  adaptations: readonly string[];
  machine: AnyStateMachine;
  /** Fresh simulated services for one scenario. */
  services(): SimulatedServices;
  /** The effect runner's settings other than the implementations. */
  runner?: Omit<EffectsOptions, 'implementations'>;
  scenarios: readonly Scenario[];
}

/** An example `fromMachine` refuses. */
export interface RefusedExample extends Catalogued {
  status: 'refused';
  /** The machine as the example writes it (re-expressed in our words, same features). */
  machine: AnyStateMachine;
  /** Why, in a line (goes into docs/statecharts.md). */
  reason: string;
  /** Features `UnsupportedMachine` must list. */
  features: readonly string[];
  /** What the refusal message must name as the way out. */
  alternative: RegExp;
  /** The example rewritten the way the refusal suggests, which runs (not counted as the example running). */
  rewritten?: RunningExample;
}

export type PortedExample = RunningExample | RefusedExample;
