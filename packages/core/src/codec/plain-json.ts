/**
 * The plain-JSON check shared by everything decide hands the runtime to keep for later (timer
 * commands, effect inputs) and by effect outputs: values that must survive JSON exactly.
 */

/**
 * Why `v` is not plain JSON (JSON.parse(JSON.stringify(v)) would differ), or undefined. Never
 * throws: a value that cannot even be read (a getter or a proxy trap that throws) is a problem too.
 */
export function plainJsonProblem(v: unknown, path: string, depth: number): string | undefined {
  try {
    return problemOf(v, path, depth, []);
  } catch (error) {
    const why = error instanceof Error ? error.message : 'it threw';
    return `${path} could not be read (${why}), not JSON`;
  }
}

/** `ancestors`: the objects on the path to `v`, so that a cycle is named as one. */
function problemOf(v: unknown, path: string, depth: number, ancestors: object[]): string | undefined {
  if (depth > 64) return `${path} is nested too deeply`;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : `${path} is ${v}, not JSON`;
  if (typeof v !== 'object') return `${path} is a ${typeof v}, not JSON`;
  if (ancestors.includes(v)) return `${path} refers back to an object that contains it (a cycle), not JSON`;
  ancestors.push(v);
  try {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        if (!(i in v)) return `${path}[${i}] is a hole, not JSON`;
        const p = problemOf(v[i], `${path}[${i}]`, depth + 1, ancestors);
        if (p !== undefined) return p;
      }
      return undefined;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      return `${path} is a ${(v as object).constructor?.name ?? 'class instance'}, not a plain object`;
    }
    for (const [key, value] of Object.entries(v)) {
      const p = problemOf(value, `${path}.${key}`, depth + 1, ancestors);
      if (p !== undefined) return p;
    }
    if (Object.getOwnPropertySymbols(v).length > 0) return `${path} has symbol keys, not JSON`;
    return undefined;
  } finally {
    ancestors.pop();
  }
}
