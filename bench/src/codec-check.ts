/**
 * Scenario: what the codec boundary costs per event.
 *
 * The json codec's check runs on every event of every command before the store turns the event
 * into JSON text, so it is measured against that `JSON.stringify` alone, on typical events. The
 * rich codec is opt-in and measured for the whole trip it adds: encode, the store's JSON text and
 * parse, and decode. Synchronous loops, the contestants interleaved round by round; medians.
 */
import { jsonCodec, richCodec } from '@actorfold/core';
import { type BenchOptions, median } from './measure.js';
import { num, ratio, type ScenarioReport } from './report.js';

/** Typical events, as JSON data (what the json codec accepts and returns as they are). */
const EVENTS: ReadonlyArray<[label: string, event: object]> = [
  ['small: `{ type, amount }`', { type: 'Deposited', amount: 5 }],
  [
    'medium: 6 fields',
    {
      type: 'ProductItemAdded',
      cartId: 'cart-00042',
      productId: 'p-1234',
      quantity: 2,
      unitPrice: 10.5,
      addedAt: '2025-01-02T03:04:05.006Z',
    },
  ],
  [
    'nested: 5 order lines',
    {
      type: 'OrderPlaced',
      orderId: 'o-77',
      customer: { id: 'c-9', name: 'Ada Lovelace', vip: true },
      lines: Array.from({ length: 5 }, (_, i) => ({ sku: `sku-${i}`, quantity: i + 1, price: 9.99 + i })),
      total: 123.45,
    },
  ],
];

/** The medium event with what only the rich codec keeps: a Date, a Map, a BigInt. */
const RICH_EVENT = {
  type: 'ProductItemAdded',
  cartId: 'cart-00042',
  productId: 'p-1234',
  quantity: 2,
  unitPriceCents: 1050n,
  addedAt: new Date('2025-01-02T03:04:05.006Z'),
  attributes: new Map([
    ['colour', 'red'],
    ['size', 'M'],
  ]),
};

const ROUNDS = 9;

/** Keeps results alive so the JIT cannot drop the work. */
let sink: unknown;

/** ns per call of `fn` over `n` calls. */
function nsPer(n: number, fn: () => unknown): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink = fn();
  return Number(process.hrtime.bigint() - start) / n;
}

type Contestants = ReadonlyArray<[name: string, fn: () => unknown]>;

/** Median ns per call of each contestant, interleaved round by round after a warm-up. */
function measure(contestants: Contestants, n: number, rounds: number): Map<string, number> {
  const samples = new Map<string, number[]>(contestants.map(([name]) => [name, []]));
  for (const [, fn] of contestants) nsPer(Math.max(1000, n / 10), fn);
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of contestants) samples.get(name)?.push(nsPer(n, fn));
  }
  return new Map([...samples].map(([name, xs]) => [name, median(xs)]));
}

export async function codecCheck(opts: BenchOptions): Promise<ScenarioReport> {
  const n = opts.quick ? 2_000 : 200_000;
  const rounds = opts.quick ? 1 : ROUNDS;
  const rows: string[][] = [];
  const findings: string[] = [];
  let worst = 0;
  const checks: number[] = [];
  for (const [label, event] of EVENTS) {
    const t = measure(
      [
        ['stringify', () => JSON.stringify(event)],
        ['check', () => jsonCodec.encode(event, 'events[0]')],
        ['check + stringify', () => JSON.stringify(jsonCodec.encode(event, 'events[0]'))],
      ],
      n,
      rounds,
    );
    const at = (name: string) => t.get(name) ?? Number.NaN;
    const [s, c, both] = [at('stringify'), at('check'), at('check + stringify')];
    worst = Math.max(worst, c / s);
    checks.push(c);
    rows.push([label, num(s), num(c), num(both), ratio(c, s)]);
  }
  if (sink === undefined) throw new Error('nothing was measured');
  findings.push(
    `The json codec's check costs at most ${ratio(worst, 1)} the \`JSON.stringify\` a store already does ` +
      `for the same event (${num(Math.min(...checks))} to ${num(Math.max(...checks))} ns per event in this run), ` +
      'and returns an event that is already exact JSON as it is, without a copy. Compare it with the µs per command of ' +
      'the mailbox hop and hot path sections, measured on the same machine.',
  );
  const rich = measure(
    [
      ['JSON text trip of the plain event', () => JSON.parse(JSON.stringify(EVENTS[1]?.[1]))],
      [
        'rich: encode, JSON text trip, decode',
        () => richCodec.decode(JSON.parse(JSON.stringify(richCodec.encode(RICH_EVENT, 'events[0]')))),
      ],
      ['rich: encode only', () => richCodec.encode(RICH_EVENT, 'events[0]')],
    ],
    Math.max(1_000, n / 10),
    rounds,
  );
  const plainTrip = rich.get('JSON text trip of the plain event') as number;
  const richRows = [...rich].map(([name, ns]) => [name, num(ns), ratio(ns, plainTrip)]);
  const richTrip = rich.get('rich: encode, JSON text trip, decode') as number;
  findings.push(
    `The rich codec's whole trip for an event with a Date, a Map and a BigInt costs ${num(richTrip / 1000, 1)} µs, ` +
      `${ratio(richTrip, plainTrip)} a JSON text trip of the same event without them: a price per event ` +
      'that an aggregate pays only when it chooses that codec.',
  );
  return {
    title: 'Codec boundary: ns per event',
    method:
      'Synchronous loops over one event at a time: `JSON.stringify(event)` (what a store does with every ' +
      'event today), `jsonCodec.encode(event)` (the strict check, which returns the event itself), and both. ' +
      `${num(n)} calls per round, ${rounds} rounds with the contestants interleaved after a warm-up; the ` +
      'median round. The rich codec: `encode`, then the JSON text trip a store makes (`JSON.stringify`, ' +
      '`JSON.parse`), then `decode`, on a medium event carrying a Date, a Map and a BigInt.',
    tables: [
      {
        caption: 'Median ns per event, json codec (lower is better)',
        columns: ['event', 'JSON.stringify', 'jsonCodec.encode', 'both', 'check ÷ stringify'],
        rows,
        numeric: [1, 2, 3, 4],
      },
      {
        caption: 'Median ns per event, rich codec',
        columns: ['what', 'ns', '÷ plain JSON trip'],
        rows: richRows,
        numeric: [1, 2],
      },
    ],
    findings,
    headlines: [
      {
        what: 'json codec check per event',
        value: ratio(worst, 1),
        against: 'the `JSON.stringify` of the same event (worst of three typical events)',
      },
    ],
  };
}
