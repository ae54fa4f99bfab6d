/**
 * A dry run of `assign` actions at definition time, to find the ones that spawn actors. xstate
 * hands every assigner a `spawn` function next to `context` and `event`; an assigner that reads
 * it (destructuring `({ spawn })` reads it on entry) is refused by `fromMachine`, instead of
 * failing every command that takes its transition. The assigner runs on stand-in values, so
 * whatever it throws is ignored: only whether it reached for `spawn` counts. A transition that
 * spawns in a way this misses is still refused when it runs (see unsupportedInTransition).
 */

/** Property reads and calls a dry run may make before it is stopped (no assigner loops forever on a stand-in). */
const BUDGET = 10_000;

class BudgetSpent extends Error {}

/** True when running `assignment` (an assign action's argument: a function or an object of them) reads `spawn`. */
export function assignerSpawns(assignment: unknown): boolean {
  const assigners =
    typeof assignment === 'function'
      ? [assignment]
      : typeof assignment === 'object' && assignment !== null
        ? Object.values(assignment).filter((v) => typeof v === 'function')
        : [];
  return assigners.some((fn) => readsSpawn(fn as (...args: unknown[]) => unknown));
}

/**
 * The assign actions an `enqueueActions` callback enqueues (xstate's `enqueue.assign(…)`), found
 * by running it on stand-ins; `spawnChild` when it enqueues a spawn directly.
 */
export function enqueuedByDryRun(collect: unknown): {
  assignments: unknown[];
  spawnsChild: boolean;
  /** The targets of the `stopChild`s it enqueues (an id, or a function). */
  stops: unknown[];
  /** The guards it checks with `check(…)`. */
  checked: unknown[];
  /** What it enqueues with `enqueue(action)`: named actions, action objects, functions. */
  actions: unknown[];
  /** Whether it enqueues a `raise` with a delay. */
  delayedRaise: boolean;
  /** Whether it enqueues a `sendTo` or `sendParent`. */
  sends: boolean;
} {
  const found = {
    assignments: [] as unknown[],
    spawnsChild: false,
    stops: [] as unknown[],
    checked: [] as unknown[],
    actions: [] as unknown[],
    delayedRaise: false,
    sends: false,
  };
  if (typeof collect !== 'function') return found;
  const budget = { left: BUDGET };
  const enqueue = Object.assign(
    (action: unknown) => {
      found.actions.push(action);
    },
    {
      raise: (_event: unknown, options?: { delay?: unknown }) => {
        if (options?.delay !== undefined) found.delayedRaise = true;
      },
      sendTo: () => {
        found.sends = true;
      },
      sendParent: () => {
        found.sends = true;
      },
      assign: (assignment: unknown) => {
        found.assignments.push(assignment);
      },
      spawnChild: () => {
        found.spawnsChild = true;
      },
      stopChild: (ref: unknown) => {
        found.stops.push(ref);
      },
    },
  );
  const check = (guard: unknown) => {
    found.checked.push(guard);
    return true;
  };
  const args = new Proxy(
    {},
    {
      get: (_target, key) => (key === 'enqueue' ? enqueue : key === 'check' ? check : standIn(budget)),
    },
  );
  try {
    collect(args, standIn(budget));
  } catch {
    // Stand-ins make real code throw somewhere; what was enqueued before that still counts.
  }
  return found;
}

function readsSpawn(fn: (...args: unknown[]) => unknown): boolean {
  let spawns = false;
  const budget = { left: BUDGET };
  const args = new Proxy(
    {},
    {
      get(_target, key) {
        if (key === 'spawn') {
          spawns = true;
          return () => standIn(budget);
        }
        return standIn(budget);
      },
    },
  );
  try {
    fn(args, standIn(budget));
  } catch {
    // Only whether it reached for `spawn` matters.
  }
  return spawns;
}

/** A value that is any shape the code expects: every property and call gives another stand-in. */
function standIn(budget: { left: number }): unknown {
  const spend = () => {
    budget.left -= 1;
    if (budget.left < 0) throw new BudgetSpent('dry run stopped');
  };
  const proxy: unknown = new Proxy(() => undefined, {
    get(_target, key) {
      spend();
      if (key === Symbol.toPrimitive) return () => 0;
      if (key === Symbol.iterator) return function* () {};
      if (key === 'then') return undefined; // never a thenable
      return proxy;
    },
    apply() {
      spend();
      return proxy;
    },
    construct() {
      spend();
      return proxy as object;
    },
    has() {
      spend();
      return true;
    },
  });
  return proxy;
}
