/** Starts `test/support/<script>.ts` as a child process (see @actorfold/testing/crash). */
import { type Child, startScript } from '@actorfold/testing/crash';

export type { Child };

export function startChild(
  script: string,
  args: string[],
  opts: { cwd?: string; wrap?: string[] } = {},
): Child {
  return startScript(new URL(`./${script}.ts`, import.meta.url), args, opts);
}
