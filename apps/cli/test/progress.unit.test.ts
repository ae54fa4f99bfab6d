/** The progress bar never shows a percentage of a total it does not know yet. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progress } from '../src/progress.js';

/** A terminal-like stream that keeps what was drawn, escape sequences stripped. */
function screen(): { stream: PassThrough & { isTTY: boolean; columns: number }; text(): string } {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
  let drawn = '';
  stream.on('data', (d: Buffer) => {
    drawn += d.toString();
  });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI escapes is the point
  return { stream, text: () => drawn.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '\n') };
}

describe('progress', () => {
  it('counts without a percentage until the total is known, then shows done/total', () => {
    const s = screen();
    const bar = progress('verifying', { json: false, stream: s.stream });
    bar.update(500);
    bar.update(28_500);
    bar.update(29_000, 60_000);
    bar.update(30_000, 60_000);
    bar.stop();
    const text = s.text();
    expect(text).toContain('verifying 28500');
    expect(text).toContain('% 30000/60000');
    expect(text).not.toMatch(/\d+\/[01]\b/);
    expect(text).not.toContain('100%');
  });

  it('draws nothing for --json', () => {
    const s = screen();
    const bar = progress('verifying', { json: true, stream: s.stream });
    bar.update(10, 20);
    bar.stop();
    expect(s.text()).toBe('');
  });
});
