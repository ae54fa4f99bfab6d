/**
 * The command API's latency as a Prometheus histogram by aggregate type and outcome
 * (`actorfold_command_duration_seconds`), observed at the HTTP edge: the runtime keeps
 * percentiles since start, which Prometheus cannot sum over daemons or rate over a window.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Histogram } from '@actorfold/admin';

/** The outcome label per HTTP status of a command request. */
function outcome(status: number): string {
  if (status === 200) return 'ok';
  if (status === 422) return 'rejected';
  if (status === 409) return 'conflict';
  if (status === 503) return 'unavailable';
  if (status === 504) return 'timeout';
  return status < 500 ? 'invalid' : 'failed';
}

/**
 * A histogram and the request hook that fills it. Only `POST /v1/commands/:type/:id` counts; a
 * type the runtime does not know is labelled `unknown`, so bad requests cannot grow the series.
 */
export function commandLatency(knownTypes: readonly string[]): {
  histogram: Histogram;
  onRequest(req: IncomingMessage, res: ServerResponse): void;
} {
  const histogram = new Histogram(
    'actorfold_command_duration_seconds',
    'Command requests on the command API by aggregate type and outcome, in seconds',
  );
  const known = new Set(knownTypes);
  return {
    histogram,
    onRequest(req, res) {
      const [v1, kind, type] = (req.url ?? '').split('?')[0]?.split('/').filter(Boolean) ?? [];
      if (req.method !== 'POST' || v1 !== 'v1' || kind !== 'commands' || type === undefined) return;
      const started = performance.now();
      res.once('finish', () => {
        let decoded = 'unknown';
        try {
          decoded = decodeURIComponent(type);
        } catch {
          // a malformed segment stays 'unknown'
        }
        histogram.observe((performance.now() - started) / 1000, {
          aggregate_type: known.has(decoded) ? decoded : 'unknown',
          outcome: outcome(res.statusCode),
        });
      });
    },
  };
}
