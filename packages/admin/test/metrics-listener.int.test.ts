/**
 * The TCP metrics listener Prometheus scrapes: the runtime's metrics, per aggregate type and per
 * projection gauges, the host's histograms with buckets, process and Node.js metrics; bound to
 * 127.0.0.1 unless told otherwise.
 */
import { defineProjection } from '@actorfold/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Histogram, type MetricsServer, serveMetrics } from '../src/index.js';
import { counter, type Served, served } from './support/fixture.js';

let s: Served;
let listener: MetricsServer | undefined;
beforeEach(async () => {
  s = await served();
});
afterEach(async () => {
  await listener?.close();
  listener = undefined;
  await s.close();
});

async function scrape(port: number, path = '/metrics'): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}${path}`);
}

describe('serveMetrics', () => {
  it('serves the exposition on 127.0.0.1 with runtime, per-type, projection, histogram and process metrics', async () => {
    const latency = new Histogram('actorfold_command_duration_seconds', 'Command latency');
    latency.observe(0.002, { aggregate_type: 'counter', outcome: 'ok' });
    s.runtime.project(
      defineProjection({ name: 'adds', init: () => 0, handlers: { Added: (n: number) => n + 1 } }),
    );
    for (let i = 0; i < 3; i++) await s.runtime.get(counter, 'a').execute({ type: 'add', by: 1 });
    listener = await serveMetrics(s.runtime, { port: 0, histograms: [latency] });
    expect(listener.host).toBe('127.0.0.1');
    const res = await scrape(listener.port);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    for (const line of [
      'actorfold_commands_ok_total 3',
      'actorfold_resident_actors{aggregate_type="counter"} 1',
      'actorfold_mailbox_depth_by_type{aggregate_type="note"} 0',
      'actorfold_projection_up{projection="adds"} 1',
      'actorfold_command_duration_seconds_bucket{aggregate_type="counter",outcome="ok",le="0.001"} 0',
      'actorfold_command_duration_seconds_bucket{aggregate_type="counter",outcome="ok",le="0.0025"} 1',
      'actorfold_command_duration_seconds_bucket{aggregate_type="counter",outcome="ok",le="+Inf"} 1',
      'actorfold_command_duration_seconds_count{aggregate_type="counter",outcome="ok"} 1',
    ]) {
      expect(text).toContain(`${line}\n`);
    }
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'process_start_time_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_version_info',
    ]) {
      expect(text).toMatch(new RegExp(`^${name}(\\{[^}]*\\})? [0-9.e+]+$`, 'm'));
    }
    expect(text).toMatch(/^actorfold_projection_lag_events\{projection="adds"\} \d+$/m);
    // Every sample is a name, optional labels and a number; every name has a TYPE.
    const typed = new Set(
      text
        .split('\n')
        .filter((l) => l.startsWith('# TYPE '))
        .map((l) => l.split(' ')[2]),
    );
    for (const line of text.trimEnd().split('\n')) {
      if (line.startsWith('#')) continue;
      expect(line).toMatch(/^[a-z_][a-z0-9_]*(\{[^}]*\})? (-?[0-9.e+-]+|\+Inf|NaN)$/);
      const name = line.split(/[{ ]/)[0] as string;
      expect(typed.has(name) || typed.has(name.replace(/_(bucket|sum|count)$/, ''))).toBe(true);
    }
  });

  it('answers 404 on other paths and frees its port on close', async () => {
    listener = await serveMetrics(s.runtime, { port: 0 });
    const { port } = listener;
    expect((await scrape(port, '/')).status).toBe(404);
    await listener.close();
    await expect(scrape(port)).rejects.toThrow();
  });

  it('fails to start on a port already taken, naming EADDRINUSE', async () => {
    listener = await serveMetrics(s.runtime, { port: 0 });
    await expect(serveMetrics(s.runtime, { port: listener.port })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
  });
});
