/**
 * Snapshots of statechart processes: the machine's persisted snapshot (value, context, history,
 * status, output) plus the workflow version, restored through the machine of that version.
 *
 * A snapshot is only a shortcut (invariant 7), so anything doubtful throws here and the runtime
 * ignores the snapshot and replays the stream: an unknown workflow version (replay then fails
 * with UnknownWorkflowVersion, as it would without the snapshot), a state the machine no longer
 * has, a malformed record. The context is kept by core's rich codec, so that Dates, Maps, Sets,
 * undefined-valued keys, -0 and NaN come back exactly as a replay builds them; `encode` refuses a
 * context it cannot keep (a class instance, a function), as the restored state would then differ
 * from a replay; the runtime logs the failed save and carries on.
 */
import { InvalidArgument, richCodec } from '@actorfold/core';
import type { AnyStateMachine, StateNode } from 'xstate';
import type { MachineSnapshots, StatechartState } from './statechart-state.js';
import type { WorkflowVersions } from './workflow-versions.js';

/** The machine's persisted snapshot, as a statechart snapshot stores it. */
interface EncodedMachine {
  value: unknown;
  /** The context, when it is plain JSON data (under `machine`). */
  context?: unknown;
  /**
   * Otherwise `{ context, output? }` as core's rich codec encodes it: a Date, a Map, undefined,
   * -0 … kept exactly (under `richMachine`, with no `context` and `output` of its own).
   */
  rich?: unknown;
  status: unknown;
  historyValue?: unknown;
  output?: unknown;
}

/**
 * What a statechart snapshot stores: `machine.getPersistedSnapshot(snapshot)` under `machine`
 * when its context is JSON data (the format of every snapshot before rich contexts), otherwise
 * under `richMachine`, which a decoder that does not know it finds no `machine` in and so
 * ignores (it replays) instead of restoring the context wrongly.
 */
export interface EncodedStatechart {
  workflowVersion: string;
  machine?: EncodedMachine;
  richMachine?: EncodedMachine;
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
      const wrapped =
        persisted.output === undefined
          ? { context: persisted.context }
          : { context: persisted.context, output: persisted.output };
      let rich: unknown;
      try {
        rich = richCodec.encode(wrapped, '$');
      } catch (error) {
        throw new InvalidArgument(
          `${type}: cannot snapshot this context or output (${error instanceof Error ? error.message : String(error)}); keep the context data (plain objects, arrays, Date, Map, Set)`,
        );
      }
      const encoded: EncodedMachine = {
        value: persisted.value,
        // JSON data as it is (the rich codec gives it back unchanged); anything else with its metadata.
        ...(rich === wrapped ? wrapped : { rich }),
        status: persisted.status,
        historyValue: persisted.historyValue,
      };
      return rich === wrapped
        ? { workflowVersion: state.workflowVersion, machine: encoded }
        : { workflowVersion: state.workflowVersion, richMachine: encoded };
    },

    decode(data) {
      const d = data as Partial<EncodedStatechart> | null;
      if (typeof d !== 'object' || d === null || typeof d.workflowVersion !== 'string')
        throw new InvalidArgument(`${type}: not a statechart snapshot`);
      const rich = d.machine === undefined;
      const m = rich ? d.richMachine : d.machine;
      if (
        typeof m !== 'object' ||
        m === null ||
        (m.status !== 'active' && m.status !== 'done') ||
        (rich && (typeof m.rich !== 'object' || m.rich === null))
      )
        throw new InvalidArgument(`${type}: the snapshot's machine state is malformed`);
      const machine = versions.machine(d.workflowVersion);
      const kept = rich ? (richCodec.decode(m.rich) as { context?: unknown; output?: unknown }) : m;
      const snapshot = machine.resolveState({
        value: m.value as string,
        context: kept.context,
        historyValue: reviveHistory(machine, m.historyValue),
        status: m.status,
        output: kept.output,
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
