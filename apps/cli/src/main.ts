/**
 * The `actorfold` entry point: runs the command line and turns every outcome into an exit code
 * (see EXIT). Failures print one plain message and a hint on stderr, never a stack trace unless
 * ACTORFOLD_DEBUG=1.
 */
import { CommanderError } from 'commander';
import { EXIT, toCliError } from './cli-error.js';
import { terminalSafe } from './output.js';
import { buildProgram } from './program.js';

// `actorfold … | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(EXIT.OK);
  throw e;
});

let code: number = EXIT.OK;
try {
  await buildProgram().parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // commander has printed its message (or the help) already.
    code = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? EXIT.OK : EXIT.USAGE;
  } else {
    const err = toCliError(e);
    // The command's name, past any global option such as --no-color.
    const command = process.argv.slice(2).find((a) => !a.startsWith('-')) ?? '';
    // Messages name streams and ids, which come from users: no control character reaches the terminal.
    process.stderr.write(`actorfold ${terminalSafe(command)}: ${terminalSafe(err.message)}\n`);
    if (err.hint !== undefined) process.stderr.write(`${terminalSafe(err.hint).replace(/^/gm, '  ')}\n`);
    if (process.env.ACTORFOLD_DEBUG === '1')
      process.stderr.write(`${(err.cause as Error)?.stack ?? err.stack}\n`);
    code = err.exitCode;
  }
}
process.exit(code);
