import type { MetricsSnapshot } from '@actorfold/core';
import { describe, expect, it } from 'vitest';
import { toPrometheus } from '../src/index.js';

const latency = { count: 4, min: 1, max: 9, mean: 2.5, p50: 2, p90: 8, p99: 9 };
const snapshot = {
  counters: { commandsOk: 3, eventsAppended: 7 },
  gauges: { liveActors: 2 },
  latency: { command: latency },
} as unknown as MetricsSnapshot;

describe('the Prometheus exposition of the metrics', () => {
  it('renders counters with _total, gauges, and latencies as summaries in seconds', () => {
    expect(toPrometheus(snapshot)).toBe(
      [
        '# HELP actorfold_commands_ok_total Commands that succeeded',
        '# TYPE actorfold_commands_ok_total counter',
        'actorfold_commands_ok_total 3',
        '# HELP actorfold_events_appended_total Events appended to the store',
        '# TYPE actorfold_events_appended_total counter',
        'actorfold_events_appended_total 7',
        '# HELP actorfold_live_actors Resident actors',
        '# TYPE actorfold_live_actors gauge',
        'actorfold_live_actors 2',
        '# HELP actorfold_command_latency_seconds command latency in seconds',
        '# TYPE actorfold_command_latency_seconds summary',
        'actorfold_command_latency_seconds{quantile="0.5"} 0.002',
        'actorfold_command_latency_seconds{quantile="0.9"} 0.008',
        'actorfold_command_latency_seconds{quantile="0.99"} 0.009',
        'actorfold_command_latency_seconds_sum 0.01',
        'actorfold_command_latency_seconds_count 4',
        '',
      ].join('\n'),
    );
  });

  it('gives every sample line a metric name and a number', () => {
    for (const line of toPrometheus(snapshot).trimEnd().split('\n')) {
      if (!line.startsWith('#')) expect(line).toMatch(/^[a-z_]+(\{quantile="[0-9.]+"\})? -?[0-9.e+-]+$/);
    }
  });
});
