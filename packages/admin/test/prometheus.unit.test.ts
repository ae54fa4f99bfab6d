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

  it('renders commands, activations and latency per aggregate type with an aggregate_type label, totals unchanged', () => {
    const typed = {
      ...snapshot,
      byAggregateType: {
        account: { commandsOk: 5, commandsRejected: 1, commandsFailed: 0, activations: 2, latency },
        'supplier-switch': {
          commandsOk: 0,
          commandsRejected: 0,
          commandsFailed: 2,
          activations: 1,
          latency: { ...latency, count: 0, mean: 0, p50: 0, p90: 0, p99: 0 },
        },
      },
    } as unknown as MetricsSnapshot;
    const text = toPrometheus(typed);
    // The unlabelled totals keep their names and values.
    expect(text).toContain('\nactorfold_commands_ok_total 3\n');
    const lines = text.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        '# TYPE actorfold_aggregate_commands_total counter',
        'actorfold_aggregate_commands_total{aggregate_type="account",outcome="ok"} 5',
        'actorfold_aggregate_commands_total{aggregate_type="account",outcome="rejected"} 1',
        'actorfold_aggregate_commands_total{aggregate_type="supplier-switch",outcome="failed"} 2',
        '# TYPE actorfold_aggregate_activations_total counter',
        'actorfold_aggregate_activations_total{aggregate_type="account"} 2',
        'actorfold_aggregate_activations_total{aggregate_type="supplier-switch"} 1',
        '# TYPE actorfold_aggregate_command_latency_seconds summary',
        'actorfold_aggregate_command_latency_seconds{aggregate_type="account",quantile="0.99"} 0.009',
        'actorfold_aggregate_command_latency_seconds_sum{aggregate_type="account"} 0.01',
        'actorfold_aggregate_command_latency_seconds_count{aggregate_type="account"} 4',
        'actorfold_aggregate_command_latency_seconds_count{aggregate_type="supplier-switch"} 0',
      ]),
    );
    // Each metric family is declared once.
    expect(lines.filter((l) => l === '# TYPE actorfold_aggregate_commands_total counter')).toHaveLength(1);
  });
});
