/** Bad command lines get a clear message and exit 2; --help works everywhere; never a stack trace. */
import { describe, expect, it } from 'vitest';
import { cli, STACK } from './support/cli.js';

const COMMANDS = [
  'streams',
  'events',
  'snapshots',
  'state',
  'verify',
  'stats',
  'actors',
  'inspect',
  'metrics',
  'tail',
  'evict',
  'snapshot',
  'projections',
  'top',
  'timers',
];

describe('the actorfold command line', () => {
  it('has --help on every command, and lists the commands and exit codes at the top', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const c of COMMANDS) expect(top.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
    expect(top.stdout).toContain('3  the store folder is locked by a running daemon (use the --socket form)');
    const helps = await Promise.all(COMMANDS.map((c) => cli([c, '--help'])));
    helps.forEach((h, i) => {
      expect(h.code, COMMANDS[i]).toBe(0);
      expect(h.stdout).toContain(`Usage: actorfold ${COMMANDS[i]}`);
      expect(h.stdout).toContain('--json');
    });
  });

  it('prints its version', async () => {
    const r = await cli(['--version']);
    expect(r).toMatchObject({ code: 0, stdout: '0.1.0\n' });
  });

  it('exits 2 with a message naming the problem for bad arguments', async () => {
    const cases: Array<[string[], string]> = [
      [['frobnicate'], "unknown command 'frobnicate'"],
      [['streams', '--data', 'x', '--colour'], "unknown option '--colour'"],
      [
        ['events', 'account/a', '--data', 'x', '--limit', 'ten'],
        "option '--limit <n>' argument 'ten' is invalid. must be a positive integer",
      ],
      [['events', 'account/a', '--data', 'x', '--from', '0'], 'must be a positive integer'],
      [['events'], "missing required argument 'aggregate'"],
      [['inspect', 'account', '--socket', 's'], 'cannot tell the aggregate from "account"'],
      [['actors'], "required option '--socket <path>' not specified"],
      [['verify'], 'verify needs --data <dir> (a store folder)'],
      [['state', 'account/a', '--data', 'x'], "required option '--module <file>' not specified"],
      [['streams'], 'say where to look: --data <dir> (a store folder) or --socket <path> (a running daemon)'],
      [['streams', '--data', 'x', '--socket', 'y'], 'give either --data <dir> or --socket <path>, not both'],
      [
        ['events', 'account/a', '--data', 'x', '--from', '2', '--last', '1'],
        'give --from or --last, not both',
      ],
      [['tail', '--socket', 's', '--from', 'soon'], "argument 'soon' is invalid"],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(args)));
    runs.forEach((r, i) => {
      const [args, message] = cases[i] as [string[], string];
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toMatch(STACK);
      expect(r.stdout).toBe('');
    });
  });
});
