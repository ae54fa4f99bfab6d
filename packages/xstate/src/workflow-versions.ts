/**
 * The registered workflow versions of one statechart aggregate: which machine runs a process
 * (the version its first event recorded) and which one new processes start on (the current one).
 */
import { InvalidArgument } from '@actorfold/core';
import type { AnyStateMachine } from 'xstate';
import { withDurableDelays } from './durable-delays.js';
import { UnknownWorkflowVersion } from './errors.js';
import { vetted } from './vetted.js';

export class WorkflowVersions {
  readonly aggregateType: string;
  /** Every registered version, in the order of `machines`. */
  readonly names: readonly string[];
  /** The version new processes start on. */
  readonly current: string;
  readonly #machines: ReadonlyMap<string, AnyStateMachine>;

  /**
   * Validates `machines` and settles the current version: `current` when given, otherwise the
   * last key of `machines`, which must then also be the newest in natural order (so a list
   * written newest-first is refused rather than silently starting processes on an old version).
   */
  constructor(aggregateType: string, machines: unknown, current: unknown) {
    this.aggregateType = aggregateType;
    if (typeof machines !== 'object' || machines === null || Array.isArray(machines)) {
      throw new InvalidArgument(
        `${aggregateType}: machines must be an object mapping workflow versions to machines`,
      );
    }
    const entries = Object.entries(machines);
    if (entries.length === 0)
      throw new InvalidArgument(`${aggregateType}: machines must name at least one workflow version`);
    for (const [name, machine] of entries) {
      if (name.trim().length === 0)
        throw new InvalidArgument(`${aggregateType}: a workflow version name is empty`);
      if (!isStateMachine(machine)) {
        throw new InvalidArgument(
          `${aggregateType}: machines['${name}'] is not an xstate v5 machine (createMachine or setup().createMachine)`,
        );
      }
    }
    // Delays become milliseconds up front (ISO-8601 keys and results), see durable-delays.ts.
    this.#machines = new Map(
      (entries as Array<[string, AnyStateMachine]>).map(([name, m]) => [
        name,
        vetted(aggregateType, name, () => withDurableDelays(m)),
      ]),
    );
    this.names = entries.map(([name]) => name);
    this.current = resolveCurrent(aggregateType, this.names, current);
  }

  /** The machine of a version; {@link UnknownWorkflowVersion} when it is not registered. */
  machine(version: string): AnyStateMachine {
    const machine = this.#machines.get(version);
    if (machine === undefined) throw new UnknownWorkflowVersion(this.aggregateType, version, this.names);
    return machine;
  }

  /** Every registered machine with its version name. */
  entries(): IterableIterator<[string, AnyStateMachine]> {
    return this.#machines.entries();
  }
}

function resolveCurrent(aggregateType: string, names: readonly string[], current: unknown): string {
  if (current !== undefined) {
    if (typeof current !== 'string' || !names.includes(current)) {
      throw new InvalidArgument(
        `${aggregateType}: current must be one of the workflow versions in machines (${names.join(', ')}), got ${JSON.stringify(current)}`,
      );
    }
    return current;
  }
  for (let i = 1; i < names.length; i++) {
    const before = names[i - 1] as string;
    const after = names[i] as string;
    if (compareVersionNames(before, after) >= 0) {
      throw new InvalidArgument(
        `${aggregateType}: cannot tell the newest workflow version: machines lists '${before}' before '${after}'; ` +
          'list the versions oldest first, or name the one new processes start on in `current`',
      );
    }
  }
  return names[names.length - 1] as string;
}

/**
 * Natural order of version names: runs of digits compare as numbers, everything else by code
 * unit. `'FV2025-04-01' < 'FV2025-10-01'`, `'v2' < 'v10'`. Locale-independent, so deterministic.
 */
export function compareVersionNames(a: string, b: string): number {
  const pa = a.split(/(\d+)/);
  const pb = b.split(/(\d+)/);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] as string;
    const y = pb[i] as string;
    if (x === y) continue;
    // Odd indexes of a split on a capturing group are the digit runs.
    if (i % 2 === 1) {
      const nx = BigInt(x);
      const ny = BigInt(y);
      if (nx !== ny) return nx < ny ? -1 : 1;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

function isStateMachine(value: unknown): value is AnyStateMachine {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Partial<
    Record<'root' | 'resolveState' | 'getPersistedSnapshot' | 'transition', unknown>
  >;
  return (
    typeof m.root === 'object' &&
    m.root !== null &&
    typeof m.resolveState === 'function' &&
    typeof m.getPersistedSnapshot === 'function' &&
    typeof m.transition === 'function'
  );
}
