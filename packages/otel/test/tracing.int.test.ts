import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRuntime,
  defineAggregate,
  defineProjection,
  type Runtime,
  SimulatedClock,
} from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ATTR,
  formatTraceparent,
  otelObserver,
  parseTraceparent,
  traceContextOf,
  traceMetadata,
} from '../src/index.js';

type Cmd = { type: 'open' } | { type: 'deposit'; amount: number } | { type: 'explode' };
type Evt = { type: 'Opened' } | { type: 'Deposited'; amount: number };

const account = defineAggregate<{ balance: number }, Cmd, Evt>({
  type: 'account',
  initialState: () => ({ balance: 0 }),
  decide(_s, c) {
    if (c.type === 'explode') throw new Error('bug in decide');
    return c.type === 'open' ? [{ type: 'Opened' }] : [{ type: 'Deposited', amount: c.amount }];
  },
  evolve: (s, e) => (e.type === 'Deposited' ? { balance: s.balance + e.amount } : s),
  snapshots: { every: 2, schemaVersion: 1 },
});

const totals = defineProjection({
  name: 'totals',
  init: () => ({ sum: 0 }),
  handlers: {
    Deposited: (s: { sum: number }, e) => ({ sum: s.sum + ((e.data as { amount?: number }).amount ?? 0) }),
  },
});

let exporter: InMemorySpanExporter;
let provider: BasicTracerProvider;
let runtime: Runtime | undefined;
let dir: string;

beforeEach(() => {
  exporter = new InMemorySpanExporter();
  provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  dir = mkdtempSync(join(tmpdir(), 'actorfold-otel-'));
});
afterEach(async () => {
  await runtime?.shutdown();
  runtime = undefined;
  await provider.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

const spans = (prefix: string): ReadableSpan[] =>
  exporter.getFinishedSpans().filter((s) => s.name.startsWith(prefix));
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

async function start(): Promise<Runtime> {
  runtime = await createRuntime({
    store: levelStore({ path: dir, durability: 'os' }),
    aggregates: [account],
    observer: otelObserver({ tracer: provider.getTracer('test') }),
  });
  return runtime;
}

describe('a span per command', () => {
  it('records type, id, outcome, mailbox wait, decide and append times, and the events', async () => {
    const rt = await start();
    const h = rt.get(account, 'a1');
    await h.execute({ type: 'open' });
    await h.execute({ type: 'deposit', amount: 5 });
    const [open, deposit] = spans('command ');
    expect(open?.name).toBe('command account.open');
    expect(deposit?.attributes).toMatchObject({
      [ATTR.aggregateType]: 'account',
      [ATTR.aggregateId]: 'a1',
      [ATTR.commandType]: 'deposit',
      [ATTR.outcome]: 'ok',
      [ATTR.events]: 1,
      [ATTR.version]: 2,
      [ATTR.batchSize]: 1,
    });
    for (const key of [ATTR.mailboxWaitMs, ATTR.decideMs, ATTR.appendMs]) {
      expect(deposit?.attributes[key]).toBeTypeOf('number');
      expect(deposit?.attributes[key] as number).toBeGreaterThanOrEqual(0);
    }
    // The appended events carry the command span's context.
    const [, stored] = await collect(rt.store.readStream('account/a1'));
    expect(parseTraceparent(stored?.metadata.traceparent)?.spanId).toBe(deposit?.spanContext().spanId);
    expect(parseTraceparent(stored?.metadata.traceparent)?.traceId).toBe(deposit?.spanContext().traceId);
  });

  it('marks a bug in decide as an ERROR span with its code; a rejection is an outcome, not an error', async () => {
    const rt = await start();
    const h = rt.get(account, 'a1');
    await expect(h.execute({ type: 'explode' })).rejects.toMatchObject({ code: 'DECIDE_FAILED' });
    await expect(h.execute({ type: 'deposit', amount: 1 }, { expectedVersion: 7 })).rejects.toMatchObject({
      code: 'VERSION_CONFLICT',
    });
    const [failed, rejected] = spans('command ');
    expect(failed?.attributes).toMatchObject({ [ATTR.outcome]: 'failed', [ATTR.errorCode]: 'DECIDE_FAILED' });
    expect(failed?.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(rejected?.attributes).toMatchObject({
      [ATTR.outcome]: 'rejected',
      [ATTR.errorCode]: 'VERSION_CONFLICT',
    });
    expect(rejected?.status.code).toBe(0);
  });

  it('continues a trace the caller sends as a traceparent in the metadata', async () => {
    const rt = await start();
    const caller = provider.getTracer('caller').startSpan('http POST');
    const metadata = traceMetadata({ source: 'test' }, contextOf(caller));
    expect(metadata.source).toBe('test');
    await rt.get(account, 'a1').execute({ type: 'open' }, { metadata });
    caller.end();
    const [command] = spans('command ');
    expect(command?.spanContext().traceId).toBe(caller.spanContext().traceId);
    expect(parentOf(command as ReadableSpan)).toBe(caller.spanContext().spanId);
  });
});

describe('across a command and a projection', () => {
  it('makes the projection span of an event a child of the command span that appended it', async () => {
    const rt = await start();
    const projection = rt.project(totals);
    const h = rt.get(account, 'a1');
    await h.execute({ type: 'open' });
    const r = await h.execute({ type: 'deposit', amount: 7 });
    await projection.waitFor(r.events[0]?.position as number);
    const deposit = spans('command account.deposit')[0] as ReadableSpan;
    const projected = spans('project totals Deposited');
    expect(projected).toHaveLength(1);
    const p = projected[0] as ReadableSpan;
    expect(p.spanContext().traceId).toBe(deposit.spanContext().traceId);
    expect(parentOf(p)).toBe(deposit.spanContext().spanId);
    expect(p.attributes).toMatchObject({ [ATTR.projection]: 'totals', [ATTR.eventPosition]: 2 });
    // Events without a handler are not traced by the projection.
    expect(spans('project totals Opened')).toHaveLength(0);
  });

  it('keeps the link after a restart: a projection catching up later still continues the command trace', async () => {
    const first = await start();
    await first.get(account, 'a1').execute({ type: 'deposit', amount: 3 });
    const command = spans('command ')[0] as ReadableSpan;
    await first.shutdown();
    runtime = undefined;
    const rt = await start();
    const projection = rt.project(totals);
    await projection.waitFor(1);
    const p = spans('project totals')[0] as ReadableSpan;
    expect(p.spanContext().traceId).toBe(command.spanContext().traceId);
    expect(parentOf(p)).toBe(command.spanContext().spanId);
  });
});

describe("across a command, its durable timer and the timer's command", () => {
  type ReminderCmd = { type: 'arm' } | { type: 'ring' };
  type ReminderEvt = { type: 'Armed' } | { type: 'Rang' };
  const reminder = defineAggregate<{ rang: boolean }, ReminderCmd, ReminderEvt>({
    type: 'reminder',
    initialState: () => ({ rang: false }),
    decide(_s, c, ctx) {
      if (c.type === 'ring') return [{ type: 'Rang' }];
      ctx.timers.schedule('ring', { after: 'PT1M' }, { type: 'ring' });
      return [{ type: 'Armed' }];
    },
    evolve: (s, e) => (e.type === 'Rang' ? { rang: true } : s),
  });

  it('makes the command span of a timer firing a child of the command span that scheduled it', async () => {
    const clock = new SimulatedClock(Date.parse('2026-01-01T00:00:00Z'));
    runtime = await createRuntime({
      store: levelStore({ path: dir, durability: 'os' }),
      aggregates: [reminder],
      clock,
      observer: otelObserver({ tracer: provider.getTracer('test') }),
    });
    const h = runtime.get(reminder, 'r1');
    await h.execute({ type: 'arm' });
    clock.advance(60_000);
    await vi.waitFor(async () => expect((await h.state()).state).toEqual({ rang: true }), {
      timeout: 10_000,
    });
    console.log(
      'SPANS',
      exporter
        .getFinishedSpans()
        .map((s) => [
          s.name,
          s.attributes[ATTR.commandType],
          s.parentSpanContext?.spanId,
          s.spanContext().spanId,
        ]),
    );
    const arm = spans('command ').find((s) => s.attributes[ATTR.commandType] === 'arm');
    const ring = spans('command ').find((s) => s.attributes[ATTR.commandType] === 'ring');
    expect(arm).toBeDefined();
    expect(ring).toBeDefined();
    expect(ring?.spanContext().traceId).toBe(arm?.spanContext().traceId);
    expect(parentOf(ring as ReadableSpan)).toBe(arm?.spanContext().spanId);
  });
});

describe('a span per activation', () => {
  it('says how many events were replayed and whether a snapshot was used', async () => {
    const first = await start();
    const h = first.get(account, 'a1');
    for (let i = 0; i < 3; i++) await h.execute({ type: 'deposit', amount: 1 });
    await first.shutdown(); // snapshots on eviction (every: 2 keeps one at version 2 or 3)
    runtime = undefined;
    exporter.reset();
    const rt = await start();
    await rt.get(account, 'a1').state();
    const [activation] = spans('activate account');
    expect(activation?.attributes).toMatchObject({
      [ATTR.aggregateType]: 'account',
      [ATTR.version]: 3,
      [ATTR.snapshotHit]: true,
      [ATTR.snapshotVersion]: 3,
      [ATTR.eventsReplayed]: 0,
    });
  });
});

describe('trace context helpers', () => {
  it('round-trips a traceparent and refuses malformed or all-zero ones', () => {
    const span = provider.getTracer('t').startSpan('x');
    const text = formatTraceparent(span.spanContext());
    expect(text).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const { traceId, spanId, traceFlags } = span.spanContext();
    expect(parseTraceparent(text)).toEqual({ traceId, spanId, traceFlags, isRemote: true });
    expect(parseTraceparent(text, 'vendor=abc')?.traceState?.get('vendor')).toBe('abc');
    expect(parseTraceparent('00-00000000000000000000000000000000-0000000000000000-01')).toBeUndefined();
    expect(parseTraceparent('garbage')).toBeUndefined();
    expect(parseTraceparent(undefined)).toBeUndefined();
    span.end();
  });
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** A context whose span is `span` (no context manager needed). */
function contextOf(span: ReturnType<ReturnType<BasicTracerProvider['getTracer']>['startSpan']>) {
  return traceContextOf({ metadata: { traceparent: formatTraceparent(span.spanContext()) } });
}
