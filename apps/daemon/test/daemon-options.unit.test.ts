/** Every daemon flag also as an ACTORFOLD_* variable; the flag wins; the usage names them all. */
import { describe, expect, it } from 'vitest';
import {
  DAEMON_FLAGS,
  DAEMON_USAGE,
  envName,
  parseDaemonOptions,
  UsageError,
} from '../src/daemon-options.js';

describe('the daemon options', () => {
  it('reads every flag from its ACTORFOLD_* variable when the flag is absent', () => {
    const env = {
      ACTORFOLD_DATA: '/srv/af/store',
      ACTORFOLD_SOCKET: '/srv/af/admin.sock',
      ACTORFOLD_HOST: '0.0.0.0',
      ACTORFOLD_PORT: '4100',
      ACTORFOLD_LOG_LEVEL: 'warn',
      ACTORFOLD_DURABILITY: 'os',
      ACTORFOLD_IDLE_TIMEOUT_MS: '1234',
      ACTORFOLD_SHUTDOWN_TIMEOUT_MS: '30000',
      ACTORFOLD_METRICS_PORT: '9464',
      ACTORFOLD_METRICS_HOST: '0.0.0.0',
      ACTORFOLD_POSTGRES: 'postgres://x/y',
      ACTORFOLD_PG_SCHEMA: 'af',
      ACTORFOLD_OWNERSHIP: 'lease',
      ACTORFOLD_NODE_ID: 'node-a',
      ACTORFOLD_OTEL_ENDPOINT: 'http://collector:4318/v1/traces',
      ACTORFOLD_GRID_FAILURE_RATE: '0.5',
      ACTORFOLD_GRID_REFUSAL_RATE: '0',
      ACTORFOLD_GRID_LATENCY_MS: '0',
      ACTORFOLD_EFFECT_ATTEMPTS: '3',
      ACTORFOLD_EFFECT_BACKOFF_MS: '60000',
      ACTORFOLD_EFFECT_TIMEOUT_MS: '5000',
    };
    // The table covers every flag: a new flag without its variable fails here.
    expect(Object.keys(env).sort()).toEqual(DAEMON_FLAGS.map(envName).sort());
    expect(parseDaemonOptions([], env)).toEqual({
      data: '/srv/af/store',
      socket: '/srv/af/admin.sock',
      host: '0.0.0.0',
      port: 4100,
      logLevel: 'warn',
      durability: 'os',
      idleTimeoutMs: 1234,
      shutdownTimeoutMs: 30000,
      metrics: { host: '0.0.0.0', port: 9464 },
      postgres: { url: 'postgres://x/y', schema: 'af', ownership: 'lease', nodeId: 'node-a' },
      otelEndpoint: 'http://collector:4318/v1/traces',
      grid: { failureRate: 0.5, refusalRate: 0, latencyMs: 0 },
      effects: { maxAttempts: 3, backoffMs: 60000, timeoutMs: 5000 },
    });
  });

  it('lets a flag win over its variable, and ignores empty variables', () => {
    const o = parseDaemonOptions(['--port', '5000', '--data', '/d'], {
      ACTORFOLD_PORT: '4100',
      ACTORFOLD_DATA: '/e',
      ACTORFOLD_HOST: '',
    });
    expect(o).toMatchObject({ port: 5000, data: '/d', host: '127.0.0.1' });
    expect(o?.metrics).toBeUndefined();
    expect(o?.postgres).toBeUndefined();
  });

  it('keeps LOG_LEVEL and ACTORFOLD_POSTGRES_URL as before', () => {
    expect(
      parseDaemonOptions([], { LOG_LEVEL: 'debug', ACTORFOLD_POSTGRES_URL: 'postgres://u' }),
    ).toMatchObject({
      logLevel: 'debug',
      postgres: { url: 'postgres://u' },
    });
  });

  it('refuses bad values from variables as it does from flags, naming the flag', () => {
    expect(() => parseDaemonOptions([], { ACTORFOLD_PORT: 'http' })).toThrow(
      new UsageError('--port must be an integer from 0 to 65535, got "http"'),
    );
    expect(() => parseDaemonOptions([], { ACTORFOLD_METRICS_HOST: '0.0.0.0' })).toThrow(
      '--metrics-host needs --metrics-port <n>',
    );
    expect(() => parseDaemonOptions(['--metrics-port', '-1'], {})).toThrow(UsageError);
    expect(() => parseDaemonOptions([], { ACTORFOLD_GRID_FAILURE_RATE: '1.5' })).toThrow(
      new UsageError('--grid-failure-rate must be a number from 0 to 1, got "1.5"'),
    );
    expect(() => parseDaemonOptions(['--effect-attempts', '0'], {})).toThrow(UsageError);
  });

  it('lists every flag and its variable in the usage', () => {
    for (const flag of DAEMON_FLAGS) {
      expect(DAEMON_USAGE).toContain(`--${flag} `);
      expect(DAEMON_USAGE).toContain(`env ${envName(flag)},`);
    }
  });
});
