/**
 * `actorfold top` against a real daemon: `--once --json` for scripts, and the live view in a real
 * terminal (tmux): drawn and refreshed in place, and q or Ctrl-C quit with exit 0 and give the
 * terminal back (main screen, cooked mode, echo). Skipped, saying why, only when tmux is absent.
 */
import { execFile, execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TopView } from '../src/commands/top.js';
import { cli } from './support/cli.js';
import { type RunningDaemon, startDaemon } from './support/daemon.js';

const bin = fileURLToPath(new URL('../bin/actorfold.js', import.meta.url));
const run = promisify(execFile);

let daemon: RunningDaemon;
beforeAll(async () => {
  daemon = await startDaemon();
  await daemon.command('account', 'alice', { type: 'open', owner: 'Alice' });
  await daemon.command('account', 'bob', { type: 'open', owner: 'Bob' });
});
afterAll(() => daemon.stop());

/** Deposits into alice until `stop` is set, so that the rates have something to count. */
function load(): { stop(): Promise<void> } {
  let going = true;
  const loop = (async () => {
    while (going) await daemon.command('account', 'alice', { type: 'deposit', amount: 1 });
  })();
  return {
    async stop() {
      going = false;
      await loop;
    },
  };
}

describe('actorfold top --once', () => {
  it('prints one view as JSON: actors per type, rates over the interval, latency, projections, readiness', async () => {
    const busy = load();
    const r = await cli(['top', '--socket', daemon.socket, '--once', '--json', '--interval', '300']);
    await busy.stop();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const view = JSON.parse(r.stdout) as TopView;
    expect(view.ready).toBe(true);
    expect(view.actors.byType.account).toBe(2);
    expect(view.rates?.commandsPerSecond).toBeGreaterThan(0);
    expect(view.rates?.eventsPerSecond).toBeGreaterThan(0);
    expect(view.latency.count).toBeGreaterThan(2);
    expect(view.projections.map((p) => p.name).sort()).toEqual(['balances', 'open-switches']);
    for (const p of view.projections) expect(p.lag).toBeGreaterThanOrEqual(0);
  });

  it('prints the same view as text with --once, and refuses to draw when stdout is not a terminal', async () => {
    const text = await cli(['top', '--socket', daemon.socket, '--once', '--interval', '100']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^actorfold top {2}.+ {2}pid \d+/);
    expect(text.stdout).toContain('busiest mailboxes');
    expect(text.stdout).not.toContain('q or Ctrl-C quits');
    const jsonLive = await cli(['top', '--socket', daemon.socket, '--json']);
    expect(jsonLive.code).toBe(2);
    expect(jsonLive.stderr).toContain('--json needs --once');
    const piped = await cli(['top', '--socket', daemon.socket]);
    expect(piped.code).toBe(2);
    expect(piped.stderr).toContain('top draws on a terminal, and this is not one');
    expect(piped.stderr).toContain('actorfold top --once');
  });
});

const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** A private tmux server (its own socket name), so nothing else's sessions are touched. */
const server = `af-top-${process.pid}`;
const tmux = (...args: string[]) => run('tmux', ['-L', server, '-f', '/dev/null', ...args]);
const screen = async (session: string) => (await tmux('capture-pane', '-p', '-t', session)).stdout;

async function waitFor(session: string, test: (text: string) => boolean, what: string): Promise<string> {
  let text = '';
  for (let i = 0; i < 200; i++) {
    text = await screen(session);
    if (test(text)) return text;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}; the pane shows:\n${text}`);
}

/**
 * Runs top in a fresh 100x30 session inside a shell that, once top exits, prints its exit code
 * and the terminal's mode (stty), so the test can see what top left behind.
 */
async function startTop(session: string): Promise<void> {
  const script = [
    'echo BEFORE-TOP',
    `${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} top --socket ${JSON.stringify(daemon.socket)} --interval 200`,
    'echo "EXIT=$?"',
    `stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\\n' ' '`,
    'echo; echo AFTER-TOP',
    'sleep 600',
  ].join('; ');
  await tmux('new-session', '-d', '-s', session, '-x', '100', '-y', '30', 'sh', '-c', script);
}

describe.skipIf(!hasTmux)(
  `actorfold top in a real terminal${hasTmux ? '' : ' (skipped: tmux is not installed)'}`,
  () => {
    afterAll(async () => {
      await tmux('kill-server').catch(() => undefined);
      // The server is gone with its last session, but may leave its socket file behind.
      rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.()}`, server), { force: true });
    });

    for (const [name, key] of [
      ['q', 'q'],
      ['Ctrl-C', 'C-c'],
    ] as const) {
      it(`draws the live view, refreshes it in place, and quits on ${name} restoring the terminal`, async () => {
        const session = `top-${name === 'q' ? 'q' : 'c'}`;
        const busy = load();
        try {
          await startTop(session);
          const first = await waitFor(
            session,
            (t) => t.includes('busiest mailboxes') && /commands +\d+\.\d\/s/.test(t),
            'the view with a rate',
          );
          expect(first).toContain('actorfold top');
          expect(first).toMatch(/actors +2 resident/);
          expect(first).toMatch(/account 2/);
          expect(first).toMatch(/balances +\S+ +lag +\d/);
          expect(first).toContain('q or Ctrl-C quits');
          // Drawn in place: one header on the screen, not a scrolling log; the alternate screen
          // hides the shell's line until top quits.
          expect(first.match(/actorfold top/g)).toHaveLength(1);
          expect(first).not.toContain('BEFORE-TOP');
          const stamp = (t: string) => t.match(/\d{4}-\d\d-\d\dT[\d:.]+Z/)?.[0];
          await waitFor(session, (t) => stamp(t) !== undefined && stamp(t) !== stamp(first), 'a refresh');
        } finally {
          await busy.stop();
        }
        await tmux('send-keys', '-t', session, key);
        const after = await waitFor(session, (t) => t.includes('AFTER-TOP'), 'top to exit');
        expect(after).toContain('BEFORE-TOP');
        expect(after).toContain('EXIT=0');
        expect(after).not.toContain('busiest mailboxes');
        // Cooked mode and echo are back.
        expect(after).toMatch(/(^| )icanon( |$)/m);
        expect(after).toMatch(/(^| )echo( |$)/m);
        await tmux('kill-session', '-t', session);
      });
    }
  },
);
