/**
 * The CLI from outside, on a store whose ids, event types and data hold what an attacker would
 * put there (aggregate ids come from users): terminal control sequences that clear the screen,
 * set the window title or write the clipboard, carriage returns and newlines that forge table
 * rows. Human output must show them, never send them to the terminal; `--json` output must stay
 * one valid JSON document that gives the exact strings back.
 */
import { join } from 'node:path';
import { levelStore } from '@actorfold/level';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from './support/cli.js';
import { freshDir } from './support/folders.js';

/** Clear screen, set the title, write the clipboard (OSC 52), a bell, a forged line. */
const EVIL_ID = 'x\u001b[2J\u001b]0;owned\u0007\u001b]52;c;cm0gLXJmIH4=\u0007\r\nacct/forged  1';
const EVIL_TYPE = 'Opened\u001b[31m\u009b2J';
const STREAM = `acct/${EVIL_ID}`;

let data: string;
beforeAll(async () => {
  data = join(freshDir(), 'store');
  const store = await levelStore({ path: data });
  await store.append(STREAM, [{ data: { type: EVIL_TYPE, note: 'a\u001b[2Jb', n: 1 } }], {
    expectedVersion: 0,
  });
  await store.append('acct/plain', [{ data: { type: 'Opened', n: 2 } }], { expectedVersion: 0 });
  await store.close();
});

/** C0 controls other than tab and newline, DEL and the C1 controls: what a terminal acts on. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is looked for
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('hostile strings in a store, shown by the CLI', () => {
  it.each([
    ['streams', ['streams', '--data', '<data>']],
    ['events of the stream', ['events', STREAM, '--data', '<data>']],
    ['snapshots of the stream', ['snapshots', STREAM, '--data', '<data>']],
  ])('%s: the table sends no control character to the terminal and forges no row', async (_name, args) => {
    const r = await cli(args.map((a) => (a === '<data>' ? data : a)));
    expect(r.code, r.stderr).toBe(0);
    const bad = r.stdout.match(CONTROL);
    expect(bad === null ? null : JSON.stringify(bad[0]), r.stdout).toBe(null);
    // The forged row must not appear as a line of its own.
    expect(r.stdout.split('\n').some((l) => l.startsWith('acct/forged'))).toBe(false);
  });

  it('an error naming a hostile id sends no control character to the terminal either', async () => {
    const r = await cli(['snapshots', 'acct/none\u001b]0;owned\u0007\r\nforged', '--data', data]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('acct/none');
    expect(r.stderr.match(CONTROL), r.stderr).toBe(null);
  });

  it.each([
    ['streams', ['streams', '--data', '<data>', '--json']],
    ['events of the stream', ['events', STREAM, '--data', '<data>', '--json']],
  ])('%s --json: one valid JSON document holding the exact strings', async (_name, args) => {
    const r = await cli(args.map((a) => (a === '<data>' ? data : a)));
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as unknown;
    const text = JSON.stringify(doc);
    expect(text).toContain(JSON.stringify(STREAM).slice(1, -1));
  });
});
