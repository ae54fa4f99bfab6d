/**
 * The example daemon's parts and their order: the runtime on the LevelDB store, the command API,
 * the admin socket; and the reverse on stop: no new commands, mailboxes drained, store closed.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type MetricsServer, serveAdmin, serveMetrics } from '@actorfold/admin';
import { createRuntime, type StoreError } from '@actorfold/core';
import type { Logger } from 'pino';
import { type ReadModel, startCommandApi } from './command-api.js';
import { commandLatency } from './command-latency.js';
import type { DaemonOptions } from './daemon-options.js';
import { aggregates, balances, GRID_REQUEST_SWITCH, openSwitches } from './domain/index.js';
import { simulatedGridOperator } from './grid-operator.js';
import { startTracing, type Tracing } from './tracing.js';

/** How long open keep-alive connections may linger after the runtime shut down (503s only). */
const DRAIN_LINGER_MS = 500;

/** A started daemon. */
export interface Daemon {
  /** The command API's port (the one asked for, or the one picked for port 0). */
  readonly port: number;
  /** The metrics listener's port, when one was asked for. */
  readonly metricsPort: number | undefined;
  /**
   * Calls `listener` once the store refuses every write until it is reopened (the LevelDB store
   * after a write failed with an unknown outcome), at once when it already does; never for a
   * store that does not report it (PostgreSQL: a lost connection passes by itself).
   */
  onStoreRefusal(listener: (refusal: StoreError) => void): void;
  /**
   * Stops accepting commands, lets mailboxes drain (up to the shutdown timeout), closes the store
   * and the admin socket. Idempotent.
   */
  stop(): Promise<void>;
}

/** Opens the store, starts the runtime, the command API and the admin socket. */
export async function startDaemon(options: DaemonOptions, logger: Logger): Promise<Daemon> {
  // The socket's folder must exist before the bind; the store creates its own folder.
  await mkdir(dirname(options.socket), { recursive: true });
  const pg = options.postgres;
  if (pg === undefined) await mkdir(dirname(options.data), { recursive: true });
  // Loaded only when asked for: without the flag no OpenTelemetry module is imported.
  const tracing: Tracing | undefined =
    options.otelEndpoint === undefined
      ? undefined
      : await startTracing(options.otelEndpoint, logger.child({ component: 'tracing' }));
  // Only the store asked for is loaded (the PostgreSQL driver or LevelDB's binding, not both):
  // start-up is most of what a short-lived daemon costs, and the tests start hundreds.
  const store =
    pg === undefined
      ? (await import('@actorfold/level')).levelStore({ path: options.data, durability: options.durability })
      : (await import('@actorfold/postgres')).postgresStore({
          connectionString: pg.url,
          schema: pg.schema,
          migrate: true,
          ownership: pg.ownership,
          ...(pg.nodeId === undefined ? {} : { nodeId: pg.nodeId }),
        });
  const runtime = await createRuntime({
    store,
    aggregates,
    // The supplier switch's registration goes to the (simulated) grid operator as a durable effect.
    effects: {
      implementations: {
        [GRID_REQUEST_SWITCH]: simulatedGridOperator(options.grid).definition,
      },
      maxAttempts: options.effects.maxAttempts,
      timeoutMs: options.effects.timeoutMs,
      // A first back-off above the runtime's default ceiling (60 s) raises the ceiling with it.
      backoff: { initialMs: options.effects.backoffMs, maxMs: Math.max(60_000, options.effects.backoffMs) },
    },
    idleTimeoutMs: options.idleTimeoutMs,
    logger: logger.child({ component: 'runtime' }),
    ...(tracing === undefined ? {} : { observer: tracing.observer }),
  });
  // The read models, kept by exactly-once projections in the same store; served at /v1/read-models.
  const switches = runtime.project(openSwitches);
  const totals = runtime.project(balances);
  const readModels = new Map<string, ReadModel>([
    [
      openSwitches.name,
      {
        status: () => switches.status(),
        waitFor: (position) => switches.waitFor(position),
        // The full statechart states are the projection's working data; the API shows the summary.
        view: () => {
          const { machines: _, ...summary } = switches.state();
          return summary;
        },
      },
    ],
    [
      balances.name,
      {
        status: () => totals.status(),
        waitFor: (position) => totals.waitFor(position),
        view: () => totals.state(),
      },
    ],
  ]);
  const latency = commandLatency(runtime.aggregateTypes);
  let api: Awaited<ReturnType<typeof startCommandApi>>;
  let admin: Awaited<ReturnType<typeof serveAdmin>>;
  let metrics: MetricsServer | undefined;
  try {
    api = await startCommandApi(runtime, {
      host: options.host,
      port: options.port,
      logger,
      readModels,
      onRequest: latency.onRequest,
    });
    try {
      admin = await serveAdmin(runtime, {
        socketPath: options.socket,
        logger: logger.child({ component: 'admin' }),
        histograms: [latency.histogram],
      });
      if (options.metrics !== undefined) {
        metrics = await serveMetrics(runtime, {
          ...options.metrics,
          histograms: [latency.histogram],
          logger: logger.child({ component: 'metrics' }),
        }).catch(async (e: unknown) => {
          await admin.close();
          throw e;
        });
      }
    } catch (e) {
      await api.close();
      throw e;
    }
  } catch (e) {
    await runtime.shutdown();
    await tracing?.shutdown();
    throw e;
  }

  let stopping: Promise<void> | undefined;
  return {
    port: api.port,
    metricsPort: metrics?.port,
    onStoreRefusal(listener) {
      const refusal = runtime.store.writeRefusal?.();
      if (refusal !== undefined) queueMicrotask(() => listener(refusal));
      else runtime.store.onWriteRefusal?.(listener);
    },
    stop() {
      stopping ??= (async () => {
        const apiClosed = api.close(); // refuse new connections; requests in flight still run
        await runtime.shutdown({ timeoutMs: options.shutdownTimeoutMs });
        // Keep-alive clients get a last moment to receive their 503 and hang up; anything still
        // connected after that is cut.
        await api.settle(DRAIN_LINGER_MS);
        api.closeAllConnections();
        await apiClosed;
        // Last, so operators can watch the drain through the admin socket and the metrics.
        await Promise.all([admin.close(), metrics?.close()]);
        // The spans of the drained commands go out before the process ends.
        await tracing?.shutdown();
      })();
      return stopping;
    },
  };
}
