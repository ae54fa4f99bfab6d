/**
 * The `actorfold` command line (commander): every command, its options and its help. Actions
 * delegate to `commands/*`; failures propagate to main.ts, which maps them to exit codes.
 *
 * Each action imports its command's module when it runs: a process loads only what its command
 * uses (a live command never loads the LevelDB store, `--help` loads no command at all). Start-up
 * is most of what a short command costs, and scripts and the tests start the CLI hundreds of times.
 * So the modules every command loads import the narrow entry points (`@actorfold/admin/client`,
 * `@actorfold/core/errors`), never the runtime, pino or the store; test/startup.e2e.test.ts checks.
 */
import { createRequire } from 'node:module';
import { EFFECT_STATES, parseInstant, TIMER_STATUSES, type TimerStatus } from '@actorfold/admin/client';
import type { EffectState } from '@actorfold/core';
import { Command, InvalidArgumentError, Option } from 'commander';
import { CliError, EXIT } from './cli-error.js';
import { disableColor, Output } from './output.js';
import { allowForeignSocket } from './store-access.js';
import { target } from './target.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const EXIT_CODES = `
Exit codes:
  0  success
  1  verify found problems, or a read met corrupt data
  2  bad arguments or options
  3  the store folder is locked by a running daemon (use the --socket form)
  4  no such store folder, stream, aggregate, type or module
  5  nothing answers on the admin socket
  6  any other failure (I/O error, the daemon failed the request)`;

function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError('must be a positive integer');
  }
  return Number(value);
}

function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value)))
    throw new InvalidArgumentError('must be an integer >= 0');
  return Number(value);
}

function positionOrEnd(value: string): number | 'end' {
  return value === 'end' ? 'end' : positiveInt(value);
}

function instant(value: string): string {
  if (parseInstant(value) === undefined)
    throw new InvalidArgumentError('must be an ISO 8601 time, like 2026-03-01 or 2026-03-01T12:00:00Z');
  return value;
}

function timerStatus(value: string): TimerStatus {
  if (!(TIMER_STATUSES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`must be one of ${TIMER_STATUSES.join(', ')}`);
  return value as TimerStatus;
}

function effectState(value: string): EffectState {
  if (!(EFFECT_STATES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`must be one of ${EFFECT_STATES.join(', ')}`);
  return value as EffectState;
}

function list(value: string): string[] {
  const items = value.split(',').filter((s) => s.length > 0);
  if (items.length === 0) throw new InvalidArgumentError('must name at least one value');
  return items;
}

const DATA = ['--data <dir>', 'a store folder, read offline (the daemon must not be running on it)'] as const;
/** `--socket`, defaulting to ACTORFOLD_SOCKET (which an explicit --data overrides; see the hook below). */
const socket = (required: boolean) => {
  const o = new Option('--socket <path>', "a running daemon's admin socket").env('ACTORFOLD_SOCKET');
  return required ? o.makeOptionMandatory() : o;
};
/** A `--socket` on an offline-only command, only to say so plainly. */
const offlineOnly = () => new Option('--socket <path>').hideHelp();
const AGGREGATE = [
  '<aggregate>',
  'type/id (account/alice), or the type with the id as a second word',
] as const;
const ID = ['[id]', 'the id, when the first word is only the type'] as const;

function refuseSocket(command: string, o: { socket?: string; data?: string }, liveForm: string): void {
  if (o.socket !== undefined)
    throw new CliError(
      EXIT.USAGE,
      `${command} works offline: give the store folder with --data <dir> (the daemon must not be running on it)`,
      `to look at a running daemon instead: ${liveForm}`,
    );
  if (o.data === undefined)
    throw new CliError(
      EXIT.USAGE,
      `${command} needs --data <dir> (a store folder)`,
      `see actorfold ${command} --help`,
    );
}
const JSON_FLAG = ['--json', 'print JSON for scripts instead of tables'] as const;

/** Builds the program. `exitOverride` makes commander throw instead of exiting, so main decides the code. */
export function buildProgram(): Command {
  const program = new Command('actorfold')
    .description('Inspect actorfold stores offline (--data) and running daemons live (--socket).')
    .version(version)
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError(true)
    .option('--no-color', 'plain text without colors (also NO_COLOR=1)')
    .addHelpText(
      'after',
      `${EXIT_CODES}\n\nEnvironment:\n  ACTORFOLD_SOCKET  the default --socket (an explicit --data wins)\n  NO_COLOR          no colors\n  ACTORFOLD_DEBUG=1 stack traces on failures`,
    )
    .option('--allow-foreign-socket', 'talk to an admin socket owned by another user (refused by default)')
    .hook('preAction', (root, action) => {
      if (root.opts().allowForeignSocket === true) allowForeignSocket();
      if (root.opts().color === false) disableColor();
      // A socket from ACTORFOLD_SOCKET must not turn `--data x` into "give one, not both".
      if (action.getOptionValueSource('socket') === 'env' && action.opts().data !== undefined)
        action.setOptionValue('socket', undefined);
    });
  const out = (o: { json?: boolean }) => new Output(o.json === true);

  program
    .command('streams')
    .description('list streams with their event counts, in id order')
    .option(...DATA)
    .addOption(socket(false))
    .option('--type <type>', 'only streams of this aggregate type')
    .option('--prefix <prefix>', 'only stream ids starting with this (after the type, with --type)')
    .option('--min-events <n>', 'only streams with at least this many events', positiveInt)
    .option('--after <streamId>', 'start after this stream id (the next page)')
    .option('--limit <n>', 'streams to show', positiveInt, 100)
    .option(...JSON_FLAG)
    .addHelpText(
      'after',
      '\nOffline, every matching stream is counted (with a progress bar on a terminal).\nExample: actorfold streams --data data/store --type account --limit 20',
    )
    .action(async (o) => (await import('./commands/streams.js')).streams(o, out(o)));

  program
    .command('events')
    .description("one stream's events, a page at a time, optionally only some types or times")
    .argument(...AGGREGATE)
    .argument(...ID)
    .option(...DATA)
    .addOption(socket(false))
    .option('--from <version>', 'first version to show (default 1)', positiveInt)
    .option('--last <n>', 'the newest n events instead', positiveInt)
    .option('--limit <n>', 'events per page', positiveInt, 100)
    .option('--type <types>', 'only these event types (comma-separated)', list)
    .option('--since <time>', 'only events at or after this ISO 8601 time', instant)
    .option('--until <time>', 'only events before this ISO 8601 time', instant)
    .option(
      '--upcast',
      "offline: show the events as --module's definition reads them (decoded, then upcast to its eventSchemaVersion)",
    )
    .option('--module <file>', 'with --upcast: an ES module exporting the aggregate definitions')
    .option(...JSON_FLAG)
    .addHelpText(
      'after',
      '\nWith --type/--since/--until, --limit and --last count matching events (with --upcast, --type matches the upcast type).\nExamples:\n  actorfold events account/alice --data data/store --from 101 --limit 50\n  actorfold events account alice --socket data/admin.sock --last 5\n  actorfold events account/alice --data data/store --type Withdrawn --since 2026-03-01 --until 2026-04-01\n  actorfold events account/alice --data data/store --upcast --module apps/daemon/dist/domain/index.js',
    )
    .action(async (first: string, second: string | undefined, o) =>
      (await import('./commands/events.js')).events(target(first, second).stream, o, out(o)),
    );

  program
    .command('snapshots')
    .description('the snapshots kept for a stream, newest first')
    .argument(...AGGREGATE)
    .argument(...ID)
    .option(...DATA)
    .addOption(socket(false))
    .option(...JSON_FLAG)
    .action(async (first: string, second: string | undefined, o) =>
      (await import('./commands/snapshots.js')).snapshots(target(first, second).stream, o, out(o)),
    );

  program
    .command('state')
    .description("replay a stream's state offline with the aggregates a module exports (writes nothing)")
    .argument(...AGGREGATE)
    .argument(...ID)
    .option(...DATA)
    .addOption(offlineOnly())
    .requiredOption(
      '--module <file>',
      'an ES module exporting the aggregate definitions: built .js (for example apps/daemon/dist/domain/index.js), or .ts when tsx is installed',
    )
    .option('--to <version>', 'replay up to this version only', positiveInt)
    .option(...JSON_FLAG)
    .addHelpText(
      'after',
      '\nExample: actorfold state account/alice --data data/store --module apps/daemon/dist/domain/index.js',
    )
    .action(async (first: string, second: string | undefined, o) => {
      const t = target(first, second);
      refuseSocket('state', o, `actorfold inspect ${t.type} ${t.id} --socket ${o.socket ?? '<path>'}`);
      return (await import('./commands/state.js')).state(t.stream, o, out(o));
    });

  program
    .command('verify')
    .description(
      'check a store folder end to end: records decode, versions contiguous, positions increasing, log complete, snapshots sane',
    )
    .option(...DATA)
    .addOption(offlineOnly())
    .option('--max-problems <n>', 'stop listing problems after this many', positiveInt, 100)
    .option(...JSON_FLAG)
    .addHelpText('after', '\nExits 1 when it finds any problem, after printing the report.')
    .action(async (o) => {
      refuseSocket(
        'verify',
        o,
        `actorfold stats --socket ${o.socket ?? '<path>'} (verify itself needs the folder: stop the daemon first)`,
      );
      return (await import('./commands/verify.js')).verify(o, out(o));
    });

  program
    .command('repair')
    .description(
      "run LevelDB's repair on a damaged store folder (a backup is taken first), then verify; the daemon must be stopped",
    )
    .requiredOption(...DATA)
    .option(
      '--backup <dir>',
      'copy the folder here before repairing it in place (default <data>.backup-<time>)',
    )
    .option('--into <dir>', 'repair a copy made here instead, leaving --data as it is')
    .option('--max-problems <n>', 'stop listing problems after this many', positiveInt, 100)
    .option(...JSON_FLAG)
    .addHelpText(
      'after',
      '\nExits 0 when everything acknowledged came back and verify passes; 1 when events were lost or verify found problems.\nExample: actorfold repair --data data/store',
    )
    .action(async (o) => (await import('./commands/repair.js')).repair(o, out(o)));

  program
    .command('stats')
    .description("a store folder's size and contents (offline) or a daemon's counters (live)")
    .option(...DATA)
    .addOption(socket(false))
    .option(...JSON_FLAG)
    .action(async (o) => (await import('./commands/stats.js')).stats(o, out(o)));

  program
    .command('timers')
    .description(
      "durable timers: pending, due, overdue (due over a minute ago), or one aggregate's fired ones",
    )
    .argument('[status]', 'pending (default), due, overdue or fired', timerStatus, 'pending')
    .option(...DATA)
    .addOption(socket(false))
    .option('--aggregate <type/id>', "only this aggregate's timers (required for fired)")
    .option('--due-before <time>', 'only timers due before this ISO 8601 time', instant)
    .option('--limit <n>', 'timers to show', positiveInt, 100)
    .option('--fire <name>', 'live: fire this pending timer of --aggregate now, through its actor')
    .option('--cancel <name>', 'live: cancel this pending timer of --aggregate, through its actor')
    .option(...JSON_FLAG)
    .addHelpText(
      'after',
      '\nExamples:\n  actorfold timers --data data/store\n  actorfold timers overdue --socket data/admin.sock --json\n  actorfold timers fired --data data/store --aggregate offer/o-1\n  actorfold timers --socket data/admin.sock --aggregate offer/o-1 --fire expiry',
    )
    .action(async (status: TimerStatus, o) =>
      (await import('./commands/timers.js')).timers(status, o, out(o)),
    );

  const effectsCommand = program
    .command('effects')
    .description(
      'durable effects not yet settled (pending, running, retrying, delivering, failed); retry or abandon one by hand',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  actorfold effects --socket data/admin.sock\n  actorfold effects retrying --socket data/admin.sock --json\n  actorfold effects retry supplier-switch/51238696781-2026-05-01 registration --socket data/admin.sock\n  actorfold effects abandon supplier-switch/51238696781-2026-05-01 registration --reason "sent by hand" --socket data/admin.sock',
    );
  effectsCommand
    // The default: `actorfold effects [state]` lists.
    .command('list', { isDefault: true })
    .description('list the effects not yet settled, earliest next first (the default)')
    .argument(
      '[state]',
      `only effects in this state: ${EFFECT_STATES.join(', ')} (default: all)`,
      effectState,
    )
    .addOption(socket(true))
    .option('--aggregate <type/id>', "only this aggregate's effects")
    .option('--limit <n>', 'effects to show', positiveInt, 100)
    .option(...JSON_FLAG)
    .action(async (state: EffectState | undefined, o) =>
      (await import('./commands/effects.js')).effects(state, o, out(o)),
    );
  effectsCommand
    .command('retry')
    .description(
      'run an effect again now, with a fresh retry budget (a failed one too, before its failure is delivered)',
    )
    .argument('<aggregate>', 'its aggregate: type/id (the stream id the listing shows)')
    .argument('<id>', "the effect's id (the listing's effect column)")
    .addOption(socket(true))
    .option(...JSON_FLAG)
    .action(async (aggregate: string, id: string, o) =>
      (await import('./commands/effects.js')).retryEffect(aggregate, id, o, out(o)),
    );
  effectsCommand
    .command('abandon')
    .description('stop retrying an effect: its aggregate receives the failure (EFFECT_ABANDONED) now')
    .argument('<aggregate>', 'its aggregate: type/id (the stream id the listing shows)')
    .argument('<id>', "the effect's id (the listing's effect column)")
    .addOption(socket(true))
    .option('--reason <text>', 'why, delivered with the failure')
    .option(...JSON_FLAG)
    .action(async (aggregate: string, id: string, o) =>
      (await import('./commands/effects.js')).abandonEffect(aggregate, id, o, out(o)),
    );

  program
    .command('actors')
    .description("the daemon's resident actors")
    .addOption(socket(true))
    .option('--type <type>', 'only actors of this aggregate type')
    .option('--limit <n>', 'actors to show', positiveInt, 100)
    .option(
      '--state-size',
      "also measure each state's JSON size (asks each actor through its mailbox; at most 1000)",
      false,
    )
    .option(...JSON_FLAG)
    .action(async (o) => (await import('./commands/actors.js')).actors(o, out(o)));

  program
    .command('inspect')
    .description("one aggregate's state, its actor and its newest events")
    .argument(...AGGREGATE)
    .argument(...ID)
    .addOption(socket(true))
    .option('--events <n>', 'newest events to show', nonNegativeInt, 10)
    .option(...JSON_FLAG)
    .action(async (first: string, second: string | undefined, o) => {
      const t = target(first, second);
      return (await import('./commands/inspect.js')).inspect(t.type, t.id, o, out(o));
    });

  program
    .command('metrics')
    .description("the daemon's counters, gauges and latency percentiles")
    .addOption(socket(true))
    .option('--prometheus', 'print the Prometheus text exposition instead', false)
    .option(...JSON_FLAG)
    .action(async (o) => (await import('./commands/metrics.js')).metrics(o, out(o)));

  program
    .command('projections')
    .description("the daemon's projections: state, position, saved checkpoint and lag behind the log")
    .addOption(socket(true))
    .option(...JSON_FLAG)
    .action(async (o) => (await import('./commands/projections.js')).projections(o, out(o)));

  program
    .command('top')
    .description(
      'a live view of the daemon: actors, busiest mailboxes, commands/s, latency, projection lag (q quits)',
    )
    .addOption(socket(true))
    .option('--interval <ms>', 'refresh every this many milliseconds', positiveInt, 1000)
    .option('--limit <n>', 'busiest mailboxes to list', positiveInt, 10)
    .option('--once', 'print one view and exit (sampled over one interval, for the rates)', false)
    .option('--json', 'with --once: the view as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  actorfold top --socket data/admin.sock\n  actorfold top --socket data/admin.sock --once --json | jq .rates',
    )
    .action(async (o) => (await import('./commands/top.js')).top(o, out(o)));

  program
    .command('tail')
    .description('follow new events as the daemon appends them (Ctrl-C stops)')
    .addOption(socket(true))
    .option(
      '--from <position>',
      "'end' for new events only, or a global position to catch up from",
      positionOrEnd,
      'end',
    )
    .option('--type <types>', 'only these aggregate types (comma-separated)', list)
    .option('--event <types>', 'only these event types (comma-separated)', list)
    .option('--limit <n>', 'stop after this many events', positiveInt)
    .option('--json', 'one JSON event per line (NDJSON)')
    .action(async (o) => (await import('./commands/tail.js')).tail(o, out(o)));

  program
    .command('evict')
    .description('passivate an actor now (it finishes queued work and snapshots if due)')
    .argument(...AGGREGATE)
    .argument(...ID)
    .addOption(socket(true))
    .option(...JSON_FLAG)
    .action(async (first: string, second: string | undefined, o) => {
      const t = target(first, second);
      return (await import('./commands/evict.js')).evict(t.type, t.id, o, out(o));
    });

  program
    .command('snapshot')
    .description('save a snapshot of one aggregate now (its type must have a snapshot policy)')
    .argument(...AGGREGATE)
    .argument(...ID)
    .addOption(socket(true))
    .option(...JSON_FLAG)
    .action(async (first: string, second: string | undefined, o) => {
      const t = target(first, second);
      return (await import('./commands/snapshot.js')).snapshot(t.type, t.id, o, out(o));
    });

  return program;
}
