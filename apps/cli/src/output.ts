/**
 * Where the CLI writes: JSON for scripts (`--json`, one document per command, or one line per
 * event for `tail`), readable tables otherwise. Colors come from picocolors, which turns them
 * off when stdout is not a terminal or NO_COLOR is set; `--no-color` turns them off too.
 */
import { createRequire } from 'node:module';
import type Table from 'cli-table3';
import picocolors from 'picocolors';

/**
 * cli-table3 (CommonJS, about a dozen modules), required on the first table: a `--json` run
 * never draws one, and loading it was a noticeable part of a short command's start-up.
 */
let TableClass: typeof Table | undefined;
function tableClass(): typeof Table {
  TableClass ??= createRequire(import.meta.url)('cli-table3') as typeof Table;
  return TableClass;
}

type Colors = ReturnType<typeof picocolors.createColors>;
let pc: Colors = picocolors;

/** The colors to use now (plain functions once `--no-color` turned them off). */
export function colors(): Colors {
  return pc;
}

/** `--no-color`: every later output is plain text. */
export function disableColor(): void {
  pc = picocolors.createColors(false);
}

export type Align = 'left' | 'right';

/** Borderless columns separated by two spaces: easy on the eye, easy to grep. */
const PLAIN = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

export class Output {
  constructor(
    readonly json: boolean,
    private readonly write: (text: string) => void = (t) => process.stdout.write(t),
  ) {}

  /** The command's whole result as one JSON document. */
  data(value: unknown): void {
    this.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** One compact JSON line (NDJSON), for streams of results. */
  jsonLine(value: unknown): void {
    this.write(`${JSON.stringify(value)}\n`);
  }

  /** One line: a newline inside it (from an id, say) is shown as `\\n`, never starts a line of its own. */
  line(text = ''): void {
    this.write(`${terminalSafe(text, true, true)}\n`);
  }

  /** Several lines of structured text (indented JSON, Prometheus text): its own newlines kept. */
  block(text: string): void {
    this.write(`${terminalSafe(text, false, true)}\n`);
  }

  /** A table with bold headers; `align` per column (numbers right). */
  table(
    head: readonly string[],
    rows: ReadonlyArray<ReadonlyArray<string | number>>,
    align: readonly Align[] = [],
  ): void {
    const table = new (tableClass())({
      head: head.map((h) => pc.bold(h)),
      chars: PLAIN,
      style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
      colAligns: head.map((_, i) => align[i] ?? 'left'),
    });
    for (const row of rows) {
      table.push(row.map((c) => (typeof c === 'number' ? count(c) : terminalSafe(c, true))));
    }
    // cli-table3 pads the last column too: trailing blanks only make diffs noisy.
    this.write(`${table.toString().replace(/ +$/gm, '')}\n`);
  }

  /** Label/value lines, labels aligned. */
  pairs(rows: ReadonlyArray<readonly [string, string]>): void {
    const width = Math.max(0, ...rows.map(([k]) => k.length));
    for (const [k, v] of rows) this.write(`${pc.bold(k.padEnd(width))}  ${terminalSafe(v, true)}\n`);
  }

  /** A dimmed note under a table (totals, the next page). */
  note(text: string): void {
    this.write(`${pc.dim(terminalSafe(text, true))}\n`);
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is matched
const CONTROL = /\u001b\[[0-9;]*m|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]|\n/g;

/**
 * Text with every control character a terminal would act on written out visibly (`\x1b`, `\r`):
 * ids, event types and data come from users, and printed raw an escape sequence could clear the
 * screen, retitle the window or write the clipboard, and a carriage return or newline forge a
 * table row. Tabs pass; newlines unless `oneLine`; color sequences (`ESC [ … m`) only with
 * `colors`, for text the CLI colored itself (escape what users wrote before coloring it).
 */
export function terminalSafe(text: string, oneLine = false, colors = false): string {
  return text.replace(CONTROL, (c) => {
    if (c.length > 1) return colors ? c : `\\x1b${c.slice(1)}`;
    if (c === '\n') return oneLine ? '\\n' : c;
    if (c === '\r') return '\\r';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

/** 1234567 → "1,234,567" */
export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** "1 stream", "2 streams": a count with its noun. */
export function plural(n: number, noun: string): string {
  return `${count(n)} ${noun}${n === 1 ? '' : 's'}`;
}

/** Bytes for humans: 512 B, 1.5 KiB, 3.2 MiB. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** Milliseconds for humans: 850ms, 12.3s, 4m 05s, 2h 10m. */
export function duration(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** Compact JSON cut to `max` characters, for table cells. */
export function brief(value: unknown, max = 60): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
