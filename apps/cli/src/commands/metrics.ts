/** `actorfold metrics --socket`: the daemon's counters, gauges and latencies (or Prometheus text). */
import { count, type Output } from '../output.js';
import { live } from '../store-access.js';

export async function metrics(opts: { socket: string; prometheus: boolean }, out: Output): Promise<void> {
  const client = live(opts.socket);
  if (opts.prometheus) {
    out.block((await client.prometheus()).trimEnd());
    return;
  }
  const m = await client.metrics();
  if (out.json) return out.data(m);
  out.table(
    ['counter', 'value'],
    Object.entries(m.counters).map(([k, v]) => [k, v]),
    ['left', 'right'],
  );
  out.line();
  out.table(
    ['gauge', 'value'],
    Object.entries(m.gauges).map(([k, v]) => [k, v]),
    ['left', 'right'],
  );
  out.line();
  const ms = (n: number) => n.toFixed(2);
  out.table(
    ['latency (ms)', 'count', 'p50', 'p90', 'p99', 'max'],
    Object.entries(m.latency).map(([k, l]) => [
      k,
      count(l.count),
      ms(l.p50),
      ms(l.p90),
      ms(l.p99),
      ms(l.max),
    ]),
    ['left', 'right', 'right', 'right', 'right', 'right'],
  );
}
