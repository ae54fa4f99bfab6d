/**
 * The daemon with `--otel-endpoint`: a real daemon process exports its spans over OTLP/HTTP to a
 * collector played by this test (an HTTP server that keeps what it is sent). A command and the
 * projection that reads its event end up in one trace.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CommandClient } from '../src/command-client.js';
import { parseDaemonOptions } from '../src/daemon-options.js';
import {
  distFile,
  freshDir,
  isReady,
  logEntries,
  type Ready,
  type Spawned,
  spawnNode,
} from './support/processes.js';

interface OtlpSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
}

const running: Spawned[] = [];
let collector: Server | undefined;
afterEach(async () => {
  for (const p of running.splice(0)) {
    p.process.kill('SIGKILL');
    await p.exited;
  }
  await new Promise<void>((r) => (collector === undefined ? r() : collector.close(() => r())));
  collector = undefined;
});

/** An OTLP/HTTP (JSON) trace collector on a free port; `spans` grows as batches arrive. */
async function startCollector(): Promise<{ url: string; spans: OtlpSpan[]; services: Set<string> }> {
  const spans: OtlpSpan[] = [];
  const services = new Set<string>();
  collector = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const sent = JSON.parse(body) as {
          resourceSpans: Array<{
            resource: { attributes: OtlpSpan['attributes'] };
            scopeSpans: Array<{ spans: OtlpSpan[] }>;
          }>;
        };
        for (const r of sent.resourceSpans) {
          const name = r.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue;
          if (typeof name === 'string') services.add(name);
          for (const s of r.scopeSpans) spans.push(...s.spans);
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => collector?.listen(0, '127.0.0.1', r));
  const { port } = collector.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/traces`, spans, services };
}

describe('tracing in the example daemon', () => {
  it('takes the endpoint from --otel-endpoint or ACTORFOLD_OTEL_ENDPOINT, and refuses what is not a URL', () => {
    expect(parseDaemonOptions(['--otel-endpoint', 'http://c:4318/v1/traces'])?.otelEndpoint).toBe(
      'http://c:4318/v1/traces',
    );
    expect(parseDaemonOptions([], { ACTORFOLD_OTEL_ENDPOINT: 'https://c/v1/traces' })?.otelEndpoint).toBe(
      'https://c/v1/traces',
    );
    expect(parseDaemonOptions([], {})?.otelEndpoint).toBeUndefined();
    expect(() => parseDaemonOptions(['--otel-endpoint', 'collector:4318'])).toThrow(/http\(s\) URL/);
  });

  it('exports a command span and, in the same trace, the span of the projection that read its event', async () => {
    const otlp = await startCollector();
    const dir = freshDir();
    const daemon = spawnNode(distFile('daemon-main'), [
      '--data',
      join(dir, 'store'),
      '--socket',
      join(dir, 'admin.sock'),
      '--port',
      '0',
      '--otel-endpoint',
      otlp.url,
    ]);
    running.push(daemon);
    const ready = await daemon.message<Ready>(isReady);
    const base = `http://127.0.0.1:${ready.port}`;
    const api = new CommandClient(base);
    await api.execute('account', 'ada', { type: 'open', owner: 'Ada' });
    const deposit = await api.execute('account', 'ada', { type: 'deposit', amount: 9 });
    const position = (deposit as { events: Array<{ position: number }> }).events[0]?.position as number;
    await fetch(`${base}/v1/read-models/balances?atLeast=${position}`);
    // A clean stop flushes the batched spans before the process exits.
    daemon.process.kill('SIGTERM');
    expect(await daemon.exited).toEqual({ code: 0, signal: null });
    expect(logEntries(daemon.lines).map((l) => l.msg)).toContain('tracing: exporting spans over OTLP/HTTP');
    expect(otlp.services).toEqual(new Set(['actorfold-example-daemon']));
    const command = otlp.spans.find((s) => s.name === 'command account.deposit');
    expect(command).toBeDefined();
    const attr = (s: OtlpSpan, key: string) => s.attributes.find((a) => a.key === key)?.value;
    expect(attr(command as OtlpSpan, 'actorfold.command.outcome')).toEqual({ stringValue: 'ok' });
    const projected = otlp.spans.find((s) => s.name === 'project balances Deposited');
    expect(projected?.traceId).toBe(command?.traceId);
    expect(projected?.parentSpanId).toBe(command?.spanId);
    expect(otlp.spans.some((s) => s.name === 'activate account')).toBe(true);
  });
});
