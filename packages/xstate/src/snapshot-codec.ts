/**
 * Snapshots of statechart processes: the machine's persisted snapshot (value, context, history,
 * status, output) plus the workflow version, restored through the machine of that version.
 *
 * A snapshot is only a shortcut (invariant 7), so anything doubtful throws here and the runtime
 * ignores the snapshot and replays the stream: an unknown workflow version (replay then fails
 * with UnknownWorkflowVersion, as it would without the snapshot), a state the machine no longer
 * has, a malformed record. `encode` refuses a context that JSON would change (a Date, a Map), as
 * the restored state would then differ from a replay; the runtime logs the failed save and
 * carries on.
 */
import { InvalidArgument } from '@actorfold/core';
import type { AnyStateMachine, StateNode } from 'xstate';
import { notJsonData } from './statechart-event.js';
import type { MachineSnapshots, StatechartState } from './statechart-state.js';
import type { WorkflowVersions } from './workflow-versions.js';

/** What a statechart snapshot stores. */
export interface EncodedStatechart {
  workflowVersion: string;
  /** `machine.getPersistedSnapshot(snapshot)`. */
  machine: {
    value: unknown;
    context: unknown;
    status: unknown;
    historyValue?: unknown;
    output?: unknown;
  };
}

export interface SnapshotCodec {
  encode(state: StatechartState<unknown>): EncodedStatechart;
  decode(data: unknown): StatechartState<unknown>;
}

export function snapshotCodec(versions: WorkflowVersions, snapshots: MachineSnapshots): SnapshotCodec {
  const type = versions.aggregateType;
  return {
    encode(state) {
      const machine = versions.machine(state.workflowVersion);
      const persisted = machine.getPersistedSnapshot(snapshots.snapshotOf(state, machine)) as Record<
        string,
        unknown
      >;
      const problem = notJsonData(persisted.context, '$.context');
      if (problem !== undefined) {
        throw new InvalidArgument(
          `${type}: cannot snapshot a context that JSON would change (${problem}); keep the context JSON data`,
        );
      }
      return {
        workflowVersion: state.workflowVersion,
        machine: {
          value: persisted.value,
          context: persisted.context,
          status: persisted.status,
          historyValue: persisted.historyValue,
          ...(persisted.output === undefined ? {} : { output: persisted.output }),
        },
      };
    },

    decode(data) {
      const d = data as Partial<EncodedStatechart> | null;
      if (typeof d !== 'object' || d === null || typeof d.workflowVersion !== 'string')
        throw new InvalidArgument(`${type}: not a statechart snapshot`);
      const m = d.machine;
      if (typeof m !== 'object' || m === null || (m.status !== 'active' && m.status !== 'done'))
        throw new InvalidArgument(`${type}: the snapshot's machine state is malformed`);
      const machine = versions.machine(d.workflowVersion);
      const snapshot = machine.resolveState({
        value: m.value as string,
        context: m.context,
        historyValue: reviveHistory(machine, m.historyValue),
        status: m.status,
        output: m.output,
      });
      return snapshots.stateOf(snapshot, d.workflowVersion);
    },
  };
}

/** Turns persisted history (`{ [parentId]: [{ id }] }`) back into the machine's state nodes; throws for unknown ids. */
function reviveHistory(machine: AnyStateMachine, persisted: unknown): Record<string, StateNode[]> {
  const revived: Record<string, StateNode[]> = {};
  if (persisted === undefined) return revived;
  if (typeof persisted !== 'object' || persisted === null)
    throw new InvalidArgument('the snapshot history is malformed');
  for (const [key, nodes] of Object.entries(persisted)) {
    if (!Array.isArray(nodes)) throw new InvalidArgument('the snapshot history is malformed');
    revived[key] = nodes.map((n: { id?: unknown }) => machine.getStateNodeById(String(n?.id)));
  }
  return revived;
}
