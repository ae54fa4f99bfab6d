/**
 * The code of README.md and docs/ runs as written: each example file is a program, started with
 * `node --import tsx` in an empty folder (its `./data` lands there), and what it prints is what
 * the comments in the docs say it prints.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
// tsx from this package's node_modules, since the examples run in a folder outside the repository.
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const scratch = mkdtempSync(join(tmpdir(), 'af-examples-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs one example file in a fresh empty folder; resolves to the lines it printed. */
async function runExample(name: string): Promise<string[]> {
  const cwd = mkdtempSync(join(scratch, `${name}-`));
  const file = fileURLToPath(new URL(`../src/${name}.ts`, import.meta.url));
  const { stdout } = await run(process.execPath, ['--import', tsx, file], { cwd });
  return stdout.trim().split('\n');
}

describe('the documentation examples', () => {
  it("README's taste opens an account, deposits and prints version 2, balance 5", async () => {
    expect(await runExample('taste')).toEqual(['2 5']);
  });

  it('getting-started runs top to bottom: open, deposit, a deduplicated retry, a rejection, a handle by name, stop', async () => {
    expect(await runExample('getting-started')).toEqual([
      '2 5 1 false',
      '2 true',
      'insufficient-funds { balance: 5 }',
      '3',
    ]);
  });

  it('projections: subscribe reads the log from position 1, a projection catches up to a position', async () => {
    expect(await runExample('projections')).toEqual([
      '1 account/alice Opened',
      '2 account/alice Deposited',
      '{"total":5,"byAccount":{"alice":5}} true',
    ]);
  });
  it('timers: an offer expires a week after it was made unless accepted, on the simulated clock', async () => {
    expect(await runExample('timers')).toEqual([
      'offer/o-1 expiry 2026-03-08T00:00:00.000Z expire',
      'accepted 1',
    ]);
  });

  it('effects: a supplier switch asks a flaky grid operator through a durable effect, retried once, confirmed', async () => {
    expect(await runExample('effects')).toEqual(['confirmed 2 2 1 1']);
  });

  it('upcasting: a stream written by v1 is read by v2 through its upcasters, on a LevelDB folder', async () => {
    expect(await runExample('upcasting')).toEqual([
      '{ state: { cents: 500 }, version: 2 }',
      '3 2',
      '{ cents: 750 }',
      "[ { type: 'Credited', cents: 200, currency: 'EUR' } ]",
    ]);
  });
  it("statecharts: the supplier switch lists what it accepts; a deploy without the process's workflow version crashes the actor", async () => {
    expect(await runExample('statecharts')).toEqual([
      'true',
      'true',
      'true',
      "FV2025-10-01 [ 'FV2025-04-01' ]",
    ]);
  });

  it('invoke: a checkout invokes the payment provider as a durable effect; one order is paid, one declined after its retries', async () => {
    expect(await runExample('invoke')).toEqual(['paid rcpt-o-1 2', 'declined card declined 2']);
  });

  it('interceptors: the guard enriches the metadata, the listener hears the append, a command without tenant is refused', async () => {
    expect(await runExample('interceptors')).toEqual([
      'appended account/ada 1',
      'api-1',
      'refused account/ada REJECTED',
      'REJECTED no-tenant',
    ]);
  });

  it('tracing: the command span, the projection span and a subscriber span share one trace', async () => {
    expect(await runExample('tracing')).toEqual([
      'traceparent stored',
      'command account.deposit, project balances Deposited, notify Deposited',
    ]);
  });
});
