/** Starts `test/support/<script>.ts` as a child process (see @actorfold/testing/crash). */
import { type Child, startScript } from '@actorfold/testing/crash';
import { expect } from 'vitest';

export type { Child };

export function startChild(
  script: string,
  args: string[],
  opts: { cwd?: string; wrap?: string[] } = {},
): Child {
  return startScript(new URL(`./${script}.ts`, import.meta.url), args, opts);
}

/** Kills `child` with SIGKILL and checks it died of it (not of its own failure first, said with its output). */
export async function killChild(child: Child): Promise<void> {
  child.process.kill('SIGKILL');
  const { code, signal } = await child.exited;
  expect(
    signal,
    `exit code ${code}, stdout tail ${child.lines.slice(-3).join(' | ')}, stderr ${child.stderr()}`,
  ).toBe('SIGKILL');
}
