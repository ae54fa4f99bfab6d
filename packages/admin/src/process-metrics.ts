/**
 * Process and Node.js metrics under the names prom-client's default collectors use
 * (`process_cpu_seconds_total`, `nodejs_heap_size_used_bytes`, …), so existing Node dashboards
 * work, without the dependency: everything comes from `process` and `node:v8`.
 */
import { readdirSync } from 'node:fs';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import { labelText } from './histogram.js';

/** Renders the process metrics; `loop` is an enabled event-loop delay monitor (nanoseconds). */
export function processMetrics(loop?: IntervalHistogram): string {
  const out: string[] = [];
  const metric = (
    name: string,
    type: 'counter' | 'gauge',
    help: string,
    samples: Array<[string, number]>,
  ) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) out.push(`${name}${labels} ${value}`);
  };
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  metric('process_cpu_user_seconds_total', 'counter', 'User CPU time spent in seconds', [
    ['', cpu.user / 1e6],
  ]);
  metric('process_cpu_system_seconds_total', 'counter', 'System CPU time spent in seconds', [
    ['', cpu.system / 1e6],
  ]);
  metric('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds', [
    ['', (cpu.user + cpu.system) / 1e6],
  ]);
  metric('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds', [
    ['', Math.round(Date.now() / 1000 - process.uptime())],
  ]);
  metric('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes', [['', mem.rss]]);
  const fds = openFds();
  if (fds !== undefined) metric('process_open_fds', 'gauge', 'Number of open file descriptors', [['', fds]]);
  metric('nodejs_heap_size_total_bytes', 'gauge', 'Process heap size from Node.js in bytes', [
    ['', mem.heapTotal],
  ]);
  metric('nodejs_heap_size_used_bytes', 'gauge', 'Process heap size used from Node.js in bytes', [
    ['', mem.heapUsed],
  ]);
  metric('nodejs_external_memory_bytes', 'gauge', 'Node.js external memory size in bytes', [
    ['', mem.external],
  ]);
  metric(
    'nodejs_heap_space_size_used_bytes',
    'gauge',
    'Process heap space size used from Node.js in bytes',
    getHeapSpaceStatistics().map((s) => [
      labelText({ space: s.space_name.replace(/_space$/, '') }),
      s.space_used_size,
    ]),
  );
  metric(
    'nodejs_active_resources_total',
    'gauge',
    'Number of active resources keeping the event loop alive',
    [['', process.getActiveResourcesInfo().length]],
  );
  if (loop !== undefined) {
    // Before the first sample the monitor reads NaN/huge values: report 0 then, never a gap.
    const s = (ns: number) => (loop.count === 0 ? 0 : ns / 1e9);
    metric('nodejs_eventloop_lag_mean_seconds', 'gauge', 'The mean of the recorded event loop delays', [
      ['', s(loop.mean)],
    ]);
    metric(
      'nodejs_eventloop_lag_p99_seconds',
      'gauge',
      'The 99th percentile of the recorded event loop delays',
      [['', s(loop.percentile(99))]],
    );
    metric('nodejs_eventloop_lag_max_seconds', 'gauge', 'The maximum recorded event loop delay', [
      ['', s(loop.max)],
    ]);
  }
  const [major, minor, patch] = process.versions.node.split('.');
  metric('nodejs_version_info', 'gauge', 'Node.js version info', [
    [labelText({ version: process.version, major: major ?? '', minor: minor ?? '', patch: patch ?? '' }), 1],
  ]);
  return `${out.join('\n')}\n`;
}

/** An event-loop delay monitor, sampling every 20 ms (what prom-client uses by default is 10 ms). */
export function eventLoopMonitor(): IntervalHistogram {
  const h = monitorEventLoopDelay({ resolution: 20 });
  h.enable();
  return h;
}

function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined; // not Linux
  }
}
