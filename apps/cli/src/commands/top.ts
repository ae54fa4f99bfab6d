/**
 * `actorfold top --socket`: a live view of a running daemon, redrawn in place: resident actors
 * (per type), the busiest mailboxes, commands and events per second, command latency, and each
 * projection's lag. q or Ctrl-C quits and gives the terminal back as it was. `--once` prints one
 * view (after one sampling interval, so that the rates mean something) for scripts, `--json` as
 * JSON.
 */
import type { AdminClient } from '@actorfold/admin/client';
import { CliError, EXIT, toCliError } from '../cli-error.js';
import { colors, count, duration, type Output, terminalSafe } from '../output.js';
import { live } from '../store-access.js';

export interface TopOptions {
  socket: string;
  /** Milliseconds between refreshes (and the sampling interval of `--once`). */
  interval: number;
  /** Busiest mailboxes to list. */
  limit: number;
  once: boolean;
}

/** One sample of the daemon, and the `--json` shape of `--once`. */
export interface TopView {
  at: string;
  pid: number;
  uptimeMs: number;
  ready: boolean;
  notReadyBecause: string[];
  actors: {
    resident: number;
    activating: number;
    idle: number;
    queued: number;
    byType: Record<string, number>;
  };
  /** Resident actors with the fullest mailboxes (only those with something queued). */
  busiest: Array<{ streamId: string; status: string; mailboxDepth: number; version: number }>;
  /** Rates over the last interval; null for the first sample. */
  rates: { commandsPerSecond: number; eventsPerSecond: number; failedPerSecond: number } | null;
  /** The runtime's command latency since the daemon started, in ms. */
  latency: { count: number; p50: number; p99: number; max: number };
  projections: Array<{ name: string; state: string; lag: number; position: number; error?: string }>;
}

interface Totals {
  at: number;
  commands: number;
  events: number;
  failed: number;
}

/** Reads one view; `previous` turns counters into rates. */
async function sample(client: AdminClient, limit: number, previous: Totals | undefined) {
  const [stats, metrics, actors, projections, ready] = await Promise.all([
    client.stats(),
    client.metrics(),
    client.actors({ sort: 'mailbox', limit }),
    client.projections(),
    client.ready(),
  ]);
  const c = metrics.counters;
  const totals: Totals = {
    at: Date.now(),
    commands: c.commandsOk + c.commandsRejected + c.commandsFailed,
    events: c.eventsAppended,
    failed: c.commandsFailed,
  };
  const per = (now: number, then: number, seconds: number) => Math.max(0, (now - then) / seconds);
  const seconds = previous === undefined ? 0 : (totals.at - previous.at) / 1000;
  const view: TopView = {
    at: new Date(totals.at).toISOString(),
    pid: stats.pid,
    uptimeMs: stats.uptimeMs,
    ready: ready.ready,
    notReadyBecause: ready.ready ? [] : ready.reasons,
    actors: {
      resident: metrics.gauges.liveActors,
      activating: metrics.gauges.activatingActors,
      idle: metrics.gauges.idleActors,
      queued: metrics.gauges.mailboxDepth,
      byType: actors.byType,
    },
    busiest: actors.actors
      .filter((a) => a.mailboxDepth > 0)
      .map((a) => ({
        streamId: a.streamId,
        status: a.status,
        mailboxDepth: a.mailboxDepth,
        version: a.version,
      })),
    rates:
      previous === undefined || seconds <= 0
        ? null
        : {
            commandsPerSecond: per(totals.commands, previous.commands, seconds),
            eventsPerSecond: per(totals.events, previous.events, seconds),
            failedPerSecond: per(totals.failed, previous.failed, seconds),
          },
    latency: {
      count: metrics.latency.command.count,
      p50: metrics.latency.command.p50,
      p99: metrics.latency.command.p99,
      max: metrics.latency.command.max,
    },
    projections: projections.projections.map((p) => ({
      name: p.name,
      state: p.state,
      lag: p.lag,
      position: p.position,
      ...(p.error === undefined ? {} : { error: p.error }),
    })),
  };
  return { view, totals };
}

/** The view as lines of text, `width` columns at most. */
export function render(view: TopView, socket: string, width: number, live = true): string[] {
  const pc = colors();
  const rate = (n: number | undefined) => (n === undefined ? '-' : n.toFixed(1));
  const ms = (n: number) => n.toFixed(2);
  const lines: string[] = [
    `${pc.bold('actorfold top')}  ${socket}  pid ${view.pid}  up ${duration(view.uptimeMs)}  ${
      view.ready ? pc.green('ready') : pc.yellow(`not ready: ${view.notReadyBecause.join('; ')}`)
    }`,
    '',
    `${pc.bold('actors')}    ${count(view.actors.resident)} resident, ${count(view.actors.activating)} activating, ${count(view.actors.idle)} idle, ${count(view.actors.queued)} queued`,
    `          ${
      Object.entries(view.actors.byType)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([t, n]) => `${t} ${count(n)}`)
        .join('  ') || 'none resident'
    }`,
    `${pc.bold('commands')}  ${rate(view.rates?.commandsPerSecond)}/s  (failed ${rate(view.rates?.failedPerSecond)}/s)   events ${rate(view.rates?.eventsPerSecond)}/s`,
    `${pc.bold('latency')}   p50 ${ms(view.latency.p50)} ms  p99 ${ms(view.latency.p99)} ms  max ${ms(view.latency.max)} ms  (${count(view.latency.count)} commands since start)`,
    '',
    pc.bold('busiest mailboxes'),
  ];
  if (view.busiest.length === 0) lines.push(pc.dim('  every mailbox is empty'));
  for (const a of view.busiest)
    lines.push(
      `  ${String(a.mailboxDepth).padStart(6)}  ${a.streamId}  ${pc.dim(`${a.status}, v${a.version}`)}`,
    );
  lines.push('', pc.bold('projections'));
  if (view.projections.length === 0) lines.push(pc.dim('  none'));
  for (const p of view.projections)
    lines.push(
      `  ${p.name.padEnd(20)} ${p.state.padEnd(10)} lag ${count(p.lag).padStart(8)}  at ${count(p.position)}${p.error === undefined ? '' : `  ${pc.red(p.error)}`}`,
    );
  lines.push('', pc.dim(live ? `${view.at}   q or Ctrl-C quits` : view.at));
  return lines.map((l) => clip(l, width));
}

/** Cuts a line to `width` visible columns (ANSI color codes do not count). */
function clip(line: string, width: number): string {
  let visible = 0;
  let out = '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: color codes are what is skipped
  for (const part of line.split(/(\u001b\[[0-9;]*m)/)) {
    if (part.startsWith('\u001b[')) {
      out += part;
      continue;
    }
    const room = width - visible;
    if (room <= 0) continue;
    out += part.slice(0, room);
    visible += Math.min(part.length, room);
  }
  return out;
}

export async function top(opts: TopOptions, out: Output): Promise<void> {
  const client = live(opts.socket);
  if (opts.once) {
    const first = await sample(client, opts.limit, undefined);
    await sleep(opts.interval);
    const { view } = await sample(client, opts.limit, first.totals);
    if (out.json) return out.data(view);
    for (const line of render(view, opts.socket, Number.POSITIVE_INFINITY, false)) out.line(line);
    return;
  }
  if (out.json) throw new CliError(EXIT.USAGE, '--json needs --once (one view for scripts)');
  const stdin = process.stdin;
  const stdout = process.stdout;
  if (stdout.isTTY !== true || stdin.isTTY !== true)
    throw new CliError(
      EXIT.USAGE,
      'top draws on a terminal, and this is not one',
      'in scripts use actorfold top --once (--json)',
    );
  await runLive(client, opts, stdin, stdout);
}

const ALT_SCREEN_ON = '\u001b[?1049h';
const ALT_SCREEN_OFF = '\u001b[?1049l';
const HIDE_CURSOR = '\u001b[?25l';
const SHOW_CURSOR = '\u001b[?25h';
const HOME_AND_CLEAR = '\u001b[H\u001b[2J';

/** Draws until q, Ctrl-C or a signal; the terminal is restored on every way out. */
function runLive(
  client: AdminClient,
  opts: TopOptions,
  stdin: NodeJS.ReadStream,
  stdout: NodeJS.WriteStream,
): Promise<void> {
  return new Promise<void>((resolve) => {
    let previous: Totals | undefined;
    let last: string[] = [];
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const draw = (lines: string[]) => {
      last = lines;
      stdout.write(HOME_AND_CLEAR + lines.map((l) => terminalSafe(l, true, true)).join('\n'));
    };
    const tick = async () => {
      try {
        const { view, totals } = await sample(client, opts.limit, previous);
        previous = totals;
        if (!stopped) draw(render(view, opts.socket, stdout.columns || 80));
      } catch (e) {
        // The daemon went away (or restarts): say so and keep trying, rather than exit.
        previous = undefined;
        const pc = colors();
        if (!stopped)
          draw([
            `${pc.bold('actorfold top')}  ${opts.socket}`,
            '',
            pc.yellow(toCliError(e).message),
            pc.dim('retrying; q or Ctrl-C quits'),
          ]);
      }
      if (!stopped) timer = setTimeout(() => void tick(), opts.interval);
    };
    const stop = () => {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      stdin.off('data', onKey);
      stdout.off('resize', onResize);
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      process.off('SIGHUP', stop);
      stdin.setRawMode(false);
      stdin.pause();
      stdout.write(SHOW_CURSOR + ALT_SCREEN_OFF);
      resolve();
    };
    const onKey = (key: Buffer) => {
      const k = key.toString();
      // q, Q, Ctrl-C (raw mode delivers it as a byte, not SIGINT), Ctrl-D, Esc.
      if (k === 'q' || k === 'Q' || k === '\u0003' || k === '\u0004' || k === '\u001b') stop();
    };
    const onResize = () => {
      if (last.length > 0) draw(last.map((l) => clip(l, stdout.columns || 80)));
    };
    stdout.write(ALT_SCREEN_ON + HIDE_CURSOR);
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onKey);
    stdout.on('resize', onResize);
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.on('SIGHUP', stop);
    void tick();
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
