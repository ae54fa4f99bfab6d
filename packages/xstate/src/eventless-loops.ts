/**
 * Eventless (`always`) transitions that can never stop: xstate takes eventless transitions until
 * none is enabled, synchronously, so one that stays enabled for good spins inside `transition`
 * forever, and with it the daemon's event loop (xstate has no bound on it). Found without running
 * the machine, for the transitions without a guard (a guard may end the loop, and only running
 * can tell):
 *
 * - a targetless one (it runs its actions and stays enabled);
 * - one that re-enters its own state or an ancestor (`reenter: true`);
 * - a cycle of them through other states (`a` always to `b`, `b` always to `a`).
 */
import type { StateNode } from 'xstate';

type Transition = { target?: readonly StateNode[] | undefined; guard?: unknown; reenter?: boolean };

/** For each state node whose unguarded eventless transitions can loop forever, why. */
export function endlessEventless(root: StateNode): Map<StateNode, string> {
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
        found.set(node, 'an eventless (always) transition without guard or target is taken again and again');
        continue;
      }
      for (const target of targets) {
        const reentered = target === node || isAncestor(target, node);
        if (reentered && t.reenter === true) {
          found.set(
            node,
            `an eventless (always) transition without guard re-enters '${target.id}' again and again`,
          );
        } else if (!reentered) {
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
