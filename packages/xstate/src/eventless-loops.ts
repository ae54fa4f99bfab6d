/**
 * Eventless (`always`) transitions that can never stop: xstate takes eventless transitions,
 * synchronously, as long as one is enabled and the last one changed the snapshot, so one that
 * stays enabled and keeps changing it spins inside `transition` forever, and with it the
 * daemon's event loop (xstate has no bound on it). Found without running the machine, for the
 * transitions without a guard (a guard may end the loop, and only running can tell):
 *
 * - one that leaves its state active (targetless, or to its own state, an ancestor or a
 *   descendant) and assigns each time: by its own `assign`, or by the entry or exit actions
 *   it re-runs (`reenter: true`);
 * - a cycle of them through other states (`a` always to `b`, `b` always to `a`), which changes
 *   the state configuration each time.
 */
import type { StateNode } from 'xstate';

type Transition = {
  target?: readonly StateNode[] | undefined;
  guard?: unknown;
  reenter?: boolean;
  actions: readonly unknown[];
};

/** For each state node whose unguarded eventless transitions can loop forever, why. */
export function endlessEventless(
  root: StateNode,
  actions: Readonly<Record<string, unknown>>,
): Map<StateNode, string> {
  const assigns = (list: readonly unknown[]) => list.some((a) => isAssign(a, actions));
  const found = new Map<StateNode, string>();
  const edges = new Map<StateNode, Set<StateNode>>();
  const all: StateNode[] = [];
  const collect = (node: StateNode): void => {
    all.push(node);
    for (const child of Object.values(node.states)) collect(child);
  };
  collect(root);
  for (const node of all) {
    const next = new Set<StateNode>();
    for (const t of unguarded(node)) {
      const targets = t.target ?? [];
      if (targets.length === 0) {
        if (assigns(t.actions))
          found.set(node, 'an eventless (always) transition without guard or target assigns again and again');
        continue;
      }
      for (const target of targets) {
        const ancestorOrSelf = target === node || isAncestor(target, node);
        if (ancestorOrSelf || isAncestor(node, target)) {
          // Its state stays active, so it stays enabled: it loops as long as it changes something.
          const reruns =
            t.reenter === true && ancestorOrSelf && (assigns(target.entry) || assigns(node.exit));
          if (assigns(t.actions) || reruns) {
            found.set(
              node,
              `an eventless (always) transition without guard to '${target.id}' assigns again and again`,
            );
          }
        } else {
          for (const entered of enteredBy(target, node)) if (unguarded(entered).length > 0) next.add(entered);
        }
      }
    }
    edges.set(node, next);
  }
  // A cycle of unguarded eventless transitions: each state entered leads straight back.
  const state = new Map<StateNode, 'open' | 'done'>();
  const visit = (node: StateNode, path: StateNode[]): void => {
    state.set(node, 'open');
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'open') {
        const cycle = [...path.slice(path.indexOf(next)), node, next].map((n) => `'${n.id}'`);
        if (!found.has(next))
          found.set(next, `eventless (always) transitions without guard go round ${cycle.join(' → ')}`);
      } else if (state.get(next) === undefined) visit(next, [...path, node]);
    }
    state.set(node, 'done');
  };
  for (const node of all) if (state.get(node) === undefined) visit(node, []);
  return found;
}

/** Whether an action (inline, named, or `{ type }`) is an `assign`. */
function isAssign(action: unknown, actions: Readonly<Record<string, unknown>>): boolean {
  const name = typeof action === 'string' ? action : (action as { type?: unknown } | null)?.type;
  const impl =
    typeof action === 'function'
      ? action
      : typeof name === 'string' && Object.hasOwn(actions, name)
        ? actions[name]
        : undefined;
  return (impl as { type?: unknown } | undefined)?.type === 'xstate.assign';
}

function unguarded(node: StateNode): Transition[] {
  return ((node.always ?? []) as Transition[]).filter((t) => t.guard === undefined);
}

function isAncestor(ancestor: StateNode, node: StateNode): boolean {
  for (let p = node.parent; p !== undefined; p = p.parent) if (p === ancestor) return true;
  return false;
}

/** The state nodes a transition from `source` into `target` enters: its ancestors not active already, itself, its initial descendants. */
function enteredBy(target: StateNode, source: StateNode): StateNode[] {
  const entered: StateNode[] = [];
  for (let p = target.parent; p !== undefined && p !== source && !isAncestor(p, source); p = p.parent) {
    entered.push(p);
  }
  const down = (node: StateNode): void => {
    entered.push(node);
    if (node.type === 'parallel') for (const child of Object.values(node.states)) down(child);
    else if (node.type === 'compound') for (const t of node.initial.target) down(t);
  };
  down(target);
  return entered;
}
