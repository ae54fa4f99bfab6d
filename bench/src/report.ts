import type { TopLevelSpec } from 'vega-lite';

/** What a scenario hands back to the runner: prose for the doc and one or more tables. */
export interface ScenarioReport {
  /** Section heading in docs/benchmarks.md. */
  title: string;
  /** What was measured and how, in a few sentences (Markdown). */
  method: string;
  tables: Table[];
  /** Conclusions computed from this run's numbers (Markdown, one bullet each). */
  findings: string[];
  /** Charts of this run's numbers, drawn by plots.ts into docs/ and linked from the section. */
  charts?: Chart[];
  /** The ratios this scenario contributes to the summary at the top of the page. */
  headlines?: Headline[];
  /**
   * Where actorfold came out slower than a comparison in this run, each with the reason found
   * (Markdown, one bullet each); gathered into one list at the top of the page.
   */
  losses?: string[];
}

/** A Vega-Lite chart, rendered to `docs/<file>` as SVG. */
export interface Chart {
  /** File name under docs/, e.g. `bench-heap.svg`. */
  file: string;
  /** Alt text and caption. */
  title: string;
  spec: TopLevelSpec;
}

/** One line of the summary: a measured ratio and what it compares. */
export interface Headline {
  what: string;
  value: string;
  /** The comparison, in words (what the ratio divides by). */
  against: string;
}

export interface Table {
  caption: string;
  columns: string[];
  /** Cells already formatted; numeric columns are right-aligned. */
  rows: string[][];
  /** Indexes of the columns to right-align. */
  numeric: number[];
}

/** A Markdown table padded so that it also reads well in a terminal. Columns are at least 3 wide. */
export function renderTable(t: Table): string {
  const widths = t.columns.map((c, i) => Math.max(3, c.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const right = new Set(t.numeric);
  const cells = (row: readonly string[]) =>
    `| ${widths.map((w, i) => (right.has(i) ? (row[i] ?? '').padStart(w) : (row[i] ?? '').padEnd(w))).join(' | ')} |`;
  // The rule row as Biome's Markdown formatter writes it, so a generated page passes `npm run lint`.
  const rule = `| ${widths.map((w, i) => (right.has(i) ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [cells(t.columns), rule, ...t.rows.map(cells)].join('\n');
}

/** Formats a number with a fixed count of decimals and thousands separators. */
export function num(n: number, decimals = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** "2.41×" — a ratio for a table cell. */
export function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}×`;
}

/** "1.2 ms" / "850 µs": a latency for a table cell, in the unit that keeps it readable. */
export function ms(value: number): string {
  if (value >= 100) return `${num(value)} ms`;
  if (value >= 1) return `${num(value, 2)} ms`;
  return `${num(value * 1000)} µs`;
}

/** "3.4 %": a fraction as a percentage. */
export function pct(fraction: number, decimals = 0): string {
  return `${num(fraction * 100, decimals)} %`;
}
