/**
 * `actorfold repair`: LevelDB's own repair on a store folder that refuses to open as damaged,
 * with a copy always kept (a backup taken first, or the repair done on a copy), then `verify` on
 * the result. Exit 0 when everything acknowledged came back and verify passes; 1 when events were
 * lost or verify found problems (the report says which); 3 locked; 4 no store there.
 */
import { resolve } from 'node:path';
import { repairLevelStore } from '@actorfold/level';
import { CliError, EXIT } from '../cli-error.js';
import { type Output, plural } from '../output.js';
import { offlineOpenError, withStore } from '../store-access.js';
import { type VerifyReport, verifyStore } from '../store-verifier.js';

/** The `--json` shape of `actorfold repair`. */
export interface RepairReport {
  /** Nothing acknowledged was lost and verify found no problem. */
  ok: boolean;
  /** The folder that was repaired (`--data`, or `--into`). */
  repaired: string;
  /** The folder as it was before the repair: the backup, or `--data` itself with `--into`. */
  original: string;
  /** The newest acknowledged position the store had recorded before the damage (null: unknown). */
  recordedLastPosition: number | null;
  /** The newest position the repaired store holds. */
  lastPosition: number;
  /** Acknowledged positions that did not come back, or null. */
  lostTail: { from: number; to: number } | null;
  verify: VerifyReport;
}

export async function repair(
  opts: { data: string; backup?: string; into?: string; maxProblems: number },
  out: Output,
): Promise<void> {
  const path = resolve(opts.data);
  if (opts.backup !== undefined && opts.into !== undefined)
    throw new CliError(EXIT.USAGE, 'give either --backup <dir> or --into <dir>, not both');
  const target =
    opts.into === undefined
      ? { backup: resolve(opts.backup ?? `${path}.backup-${new Date().toISOString().replace(/[:.]/g, '-')}`) }
      : { into: resolve(opts.into) };
  const liveForm = 'actorfold actors --socket <path> (repair needs the folder: stop the daemon first)';
  let result: Awaited<ReturnType<typeof repairLevelStore>>;
  try {
    result = await repairLevelStore({ path, ...target });
  } catch (e) {
    throw offlineOpenError(e, path, liveForm);
  }
  const verify = await withStore(
    result.repaired,
    liveForm,
    (store) => verifyStore(store, { maxProblems: opts.maxProblems }),
    { tailLoss: 'open' },
  );
  const report: RepairReport = {
    ok: result.lostTail === undefined && verify.ok,
    repaired: result.repaired,
    original: result.original,
    recordedLastPosition: result.recordedLastPosition ?? null,
    lastPosition: result.lastPosition,
    lostTail: result.lostTail ?? null,
    verify,
  };

  if (out.json) out.data(report);
  else {
    const kept = opts.into === undefined ? 'backup of the folder as it was' : 'left as it was';
    out.line(`repaired ${report.repaired} (${kept}: ${report.original})`);
    const recorded =
      report.recordedLastPosition === null
        ? 'no tail mark: the positions acknowledged before are unknown'
        : `the store had recorded ${report.recordedLastPosition}`;
    out.line(
      `recovered ${plural(report.lastPosition, 'event')} (positions 1..${report.lastPosition}; ${recorded})`,
    );
    if (report.lostTail !== null) {
      const { from, to } = report.lostTail;
      out.line(
        `LOST positions ${from}..${to} (${plural(to - from + 1, 'acknowledged event')}): not in any file LevelDB could read`,
      );
    }
    const summary = `${plural(verify.streams, 'stream')}, ${plural(verify.events, 'event')}, ${plural(verify.logEvents, 'log record')}, ${plural(verify.snapshots, 'snapshot')}`;
    if (verify.ok) out.line(`verify: ok: ${summary}`);
    else {
      out.table(
        ['problem', 'stream', 'version', 'position', 'what'],
        verify.problems.map((p) => [p.kind, p.streamId ?? '', p.version ?? '', p.position ?? '', p.message]),
        ['left', 'left', 'right', 'right'],
      );
      out.line(
        `verify: ${plural(verify.problems.length, 'problem')}${verify.truncated ? ' (and more)' : ''}: ${summary}`,
      );
    }
  }
  if (!report.ok) {
    throw new CliError(
      EXIT.PROBLEMS,
      report.lostTail === null
        ? 'repaired, but verify found problems'
        : 'repaired, but acknowledged events were lost',
      `the folder as it was is kept in ${report.original}`,
      { cause: report },
    );
  }
}
