/**
 * `node dist/healthcheck.js`: exits 0 when the daemon on this machine answers 200 on
 * `GET /v1/ready`, 1 otherwise (not ready, not answering, or slower than 2 s). For container
 * HEALTHCHECKs and probes in images without curl. Reads the daemon's own settings (ACTORFOLD_PORT,
 * ACTORFOLD_HOST; a host of 0.0.0.0 or :: is asked on loopback).
 */
import { parseDaemonOptions, UsageError } from './daemon-options.js';

let url: string;
try {
  const o = parseDaemonOptions(process.argv.slice(2));
  if (o === undefined) {
    process.stdout.write(
      'usage: node dist/healthcheck.js [daemon flags]: exit 0 when GET /v1/ready answers 200\n',
    );
    process.exit(0);
  }
  const host =
    o.host === '0.0.0.0'
      ? '127.0.0.1'
      : o.host === '::'
        ? '[::1]'
        : o.host.includes(':')
          ? `[${o.host}]`
          : o.host;
  url = `http://${host}:${o.port}/v1/ready`;
} catch (e) {
  if (!(e instanceof UsageError)) throw e;
  process.stderr.write(`healthcheck: ${e.message}\n`);
  process.exit(2);
}

try {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  const body = await res.text();
  process.stdout.write(`${res.status} ${body}\n`);
  process.exit(res.status === 200 ? 0 : 1);
} catch (e) {
  process.stdout.write(`${url}: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
