/** `actorfold verify`: checks a store folder end to end; exit 1 with a report on any problem. */
import { CliError, EXIT } from '../cli-error.js';
import { type Output, plural } from '../output.js';
import { progress } from '../progress.js';
import { withStore } from '../store-access.js';
import { verifyStore } from '../store-verifier.js';

export async function verify(opts: { data: string; maxProblems: number }, out: Output): Promise<void> {
  const liveForm = 'actorfold actors --socket <path> (verify itself needs the folder: stop the daemon first)';
  const report = await withStore(opts.data, liveForm, async (store) => {
    const bar = progress('verifying', { json: out.json });
    try {
      return await verifyStore(store, {
        maxProblems: opts.maxProblems,
        onProgress: (done, total) => bar.update(done, total),
      });
    } finally {
      bar.stop();
    }
  });
  if (out.json) out.data(report);
  else {
    const summary = `${plural(report.streams, 'stream')}, ${plural(report.events, 'event')}, ${plural(report.logEvents, 'log record')}, ${plural(report.snapshots, 'snapshot')}`;
    if (report.ok) out.line(`ok: ${summary} in ${report.path}`);
    else {
      out.table(
        ['problem', 'stream', 'version', 'position', 'what'],
        report.problems.map((p) => [p.kind, p.streamId ?? '', p.version ?? '', p.position ?? '', p.message]),
        ['left', 'left', 'right', 'right'],
      );
      out.line(
        `${plural(report.problems.length, 'problem')}${report.truncated ? ' (and more)' : ''}: ${summary} in ${report.path}`,
      );
    }
  }
  // Exit non-zero after printing: the report is the useful part.
  if (!report.ok) throw new CliError(EXIT.PROBLEMS, 'verify found problems', undefined, { cause: report });
}
