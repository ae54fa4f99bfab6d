/**
 * Supervisor: keeps one daemon process running. It spawns the daemon with an IPC channel, waits
 * for its `{ type: 'ready' }` message, restarts it after a crash as the RestartPolicy says, and on
 * stop forwards the signal and escalates to SIGKILL after a grace period. Every transition is
 * logged. The daemon runs in its own process group, so a terminal's Ctrl-C reaches the supervisor
 * alone and the daemon receives exactly one, forwarded, signal.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { RestartPolicy, type RestartPolicyOptions } from './restart-policy.js';

export interface SupervisorOptions {
  /** The daemon's entry script, run with this Node binary. */
  script: string;
  args?: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** A daemon not ready by then is killed and counts as a crash. Default 30 000 ms. */
  readyTimeoutMs?: number;
  /** After forwarding SIGTERM/SIGINT, wait this long before SIGKILL. Default 15 000 ms. */
  graceMs?: number;
  restart?: RestartPolicyOptions;
  logger: Logger;
}

/** What the daemon reports when it serves (see daemon-main.ts). */
export interface ReadyInfo {
  type: 'ready';
  pid: number;
  port: number;
  socket: string;
  data: string;
  metricsPort?: number;
}

export type SupervisorState = 'idle' | 'starting' | 'ready' | 'backoff' | 'stopping' | 'stopped' | 'failed';

export class Supervisor extends EventEmitter<{ ready: [ReadyInfo]; state: [SupervisorState] }> {
  readonly #o: SupervisorOptions;
  readonly #log: Logger;
  readonly #policy: RestartPolicy;
  #state: SupervisorState = 'idle';
  #child: ChildProcess | undefined;
  #backoff: NodeJS.Timeout | undefined;
  #grace: NodeJS.Timeout | undefined;
  #escalated = false;
  #finish!: (code: number) => void;
  /** The supervisor's exit code once it is done: 0 stopped cleanly, 1 gave up or had to SIGKILL. */
  readonly done: Promise<number>;

  constructor(options: SupervisorOptions) {
    super();
    this.#o = options;
    this.#log = options.logger;
    this.#policy = new RestartPolicy(options.restart);
    this.done = new Promise((resolve) => {
      this.#finish = resolve;
    });
  }

  get state(): SupervisorState {
    return this.#state;
  }

  /** The daemon's pid while one runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Spawns the first daemon. */
  start(): void {
    if (this.#state !== 'idle') throw new Error('the supervisor was already started');
    this.#spawn();
  }

  /**
   * Forwards `signal` to the daemon and resolves with the supervisor's exit code once it is gone.
   * A second call while stopping sends SIGKILL at once.
   */
  stop(signal: 'SIGTERM' | 'SIGINT' = 'SIGTERM'): Promise<number> {
    if (this.#state === 'stopping') {
      this.#kill('a second stop request');
      return this.done;
    }
    if (this.#state === 'stopped' || this.#state === 'failed') return this.done;
    this.#set('stopping');
    const child = this.#child;
    if (child === undefined) {
      // Between a crash and its restart: nothing to stop.
      clearTimeout(this.#backoff);
      this.#log.info({ signal }, 'stopped while waiting to restart');
      this.#end('stopped', 0);
      return this.done;
    }
    const graceMs = this.#o.graceMs ?? 15_000;
    this.#log.info({ signal, daemonPid: child.pid, graceMs }, 'stopping: signal forwarded to the daemon');
    child.kill(signal);
    this.#grace = setTimeout(() => this.#kill(`no exit within the ${graceMs} ms grace period`), graceMs);
    return this.done;
  }

  #spawn(): void {
    this.#set('starting');
    const o = this.#o;
    const child = spawn(process.execPath, [o.script, ...(o.args ?? [])], {
      stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
      detached: true,
      env: o.env ?? process.env,
      ...(o.cwd === undefined ? {} : { cwd: o.cwd }),
    });
    this.#child = child;
    const pid = child.pid;
    this.#log.info({ daemonPid: pid }, 'daemon spawned');
    let readyAt: number | undefined;
    const readyTimeoutMs = o.readyTimeoutMs ?? 30_000;
    const notReady = setTimeout(() => {
      this.#log.error({ daemonPid: pid, readyTimeoutMs }, 'daemon not ready in time: killing it');
      child.kill('SIGKILL');
    }, readyTimeoutMs);

    child.on('message', (m: unknown) => {
      if (!isReady(m) || readyAt !== undefined) return;
      clearTimeout(notReady);
      readyAt = Date.now();
      if (this.#state === 'starting') this.#set('ready');
      this.#log.info({ daemonPid: pid, port: m.port, socket: m.socket }, 'daemon ready');
      this.emit('ready', m);
    });
    child.once('error', (err) => this.#log.error({ err, daemonPid: pid }, 'daemon process error'));
    child.once('exit', (code, signal) => {
      clearTimeout(notReady);
      this.#child = undefined;
      const upForMs = readyAt === undefined ? undefined : Date.now() - readyAt;
      if (this.#state === 'stopping') {
        clearTimeout(this.#grace);
        const clean = code === 0 && !this.#escalated;
        this.#log[clean ? 'info' : 'warn'](
          { daemonPid: pid, code, signal },
          clean ? 'daemon stopped cleanly' : 'daemon stopped uncleanly',
        );
        this.#end('stopped', clean ? 0 : 1);
        return;
      }
      if (code === 0) {
        this.#log.info({ daemonPid: pid }, 'daemon exited 0 on its own: not restarting');
        this.#end('stopped', 0);
        return;
      }
      this.#log.warn({ daemonPid: pid, code, signal, upForMs }, 'daemon crashed');
      const decision = this.#policy.onCrash(upForMs);
      if (!decision.restart) {
        this.#log.error(
          { restartsInWindow: decision.restartsInWindow },
          'restart budget exhausted: giving up',
        );
        this.#end('failed', 1);
        return;
      }
      this.#set('backoff');
      this.#log.info(
        { delayMs: decision.delayMs, attempt: decision.attempt, restartsInWindow: decision.restartsInWindow },
        'restarting after backoff',
      );
      this.#backoff = setTimeout(() => this.#spawn(), decision.delayMs);
    });
  }

  #kill(why: string): void {
    const child = this.#child;
    if (child === undefined) return;
    this.#escalated = true;
    this.#log.warn({ daemonPid: child.pid, why }, 'escalating to SIGKILL');
    child.kill('SIGKILL');
  }

  #end(state: 'stopped' | 'failed', code: number): void {
    this.#set(state);
    this.#log.info({ exitCode: code }, `supervisor ${state}`);
    this.#finish(code);
  }

  #set(state: SupervisorState): void {
    this.#state = state;
    this.emit('state', state);
  }
}

function isReady(m: unknown): m is ReadyInfo {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'ready';
}
