/**
 * serveMetrics: an optional TCP listener for Prometheus, which cannot scrape the owner-only
 * admin socket. It serves `GET /metrics` (the same exposition as the socket's) and nothing else,
 * and binds to 127.0.0.1 unless told otherwise: metrics name aggregate types and projections,
 * so exposing them wider is a decision for the operator (`host: '0.0.0.0'`).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Runtime } from '@actorfold/core';
import { type Logger, pino } from 'pino';
import { AdminError } from './admin-error.js';
import { type ExpositionOptions, exposition } from './exposition.js';
import { eventLoopMonitor } from './process-metrics.js';
import { PROMETHEUS_CONTENT_TYPE } from './prometheus.js';
import { readiness } from './readiness.js';

export interface MetricsServerOptions extends Omit<ExpositionOptions, 'eventLoop'> {
  /** The TCP port; 0 picks a free one (see `port` on the result). */
  port: number;
  /** The address to bind; default 127.0.0.1. */
  host?: string;
  logger?: Logger;
}

/** A running metrics listener. */
export interface MetricsServer {
  readonly host: string;
  readonly port: number;
  /** Stops listening and closes its connections. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` for `runtime` on `host:port`.
 * @example
 * const metrics = await serveMetrics(runtime, { port: 9464 });
 * // scrape http://127.0.0.1:9464/metrics; on shutdown: await metrics.close();
 */
export async function serveMetrics(runtime: Runtime, options: MetricsServerOptions): Promise<MetricsServer> {
  const { port } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new AdminError('BAD_REQUEST', `serveMetrics: port must be an integer from 0 to 65535, got ${port}`);
  }
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? pino({ level: 'silent' });
  const eventLoop = eventLoopMonitor();
  void readiness(runtime); // measures the projections' backlog from now (see readiness.ts)
  const server = createServer((req, res) => {
    req.resume();
    const path = new URL(req.url ?? '/', 'http://metrics').pathname;
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('only GET /metrics here\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    exposition(runtime, { ...options, eventLoop }).then(
      (text) => {
        res
          .writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE })
          .end(req.method === 'HEAD' ? '' : text);
      },
      (err: unknown) => {
        logger.error({ err }, 'rendering the metrics failed');
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('internal error\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((e: unknown) => {
    eventLoop.disable();
    throw e;
  });
  const bound = (server.address() as AddressInfo).port;
  logger.info({ host, port: bound }, 'metrics listening');
  let closing: Promise<void> | undefined;
  return {
    host,
    port: bound,
    close() {
      closing ??= new Promise<void>((resolve) => {
        eventLoop.disable();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
