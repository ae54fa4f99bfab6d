/**
 * `onAppend` across nodes. Each append batch, once committed and flushed, runs
 * `pg_notify(<channel>, <log head>)` in a short transaction of its own (`append_settle`,
 * global-order.ts; not inside the append transaction, where PostgreSQL's notification lock would
 * be held through the WAL flush), so PostgreSQL delivers the new head to every session that
 * LISTENs on the channel, on every node, once the batch is durable. This store LISTENs on
 * one dedicated session, started when the first listener is added.
 *
 * Notifications are lost only while that session is down (not yet connected, or dropped with the
 * network or a server restart). Then the store polls the log head every `pollIntervalMs`,
 * reconnects with a growing, jittered delay (capped at 30 s), and after each successful LISTEN
 * reads the head once more, so
 * nothing committed in between goes unannounced. Appends made through this store are announced
 * directly, before they resolve. Listeners hear only positions newer than the last one announced.
 */
import type { PoolClient } from 'pg';

export interface AppendNotifierOptions {
  /** Opens the dedicated session (a client taken from the store's pool; destroyed, never returned). */
  connect(): Promise<PoolClient>;
  /** The channel, an unquoted identifier. */
  channel: string;
  /** Reads the committed log head. */
  readHead(): Promise<number>;
  /** false: never LISTEN, only poll. */
  listen: boolean;
  pollIntervalMs: number;
}

/** How the store learns about other nodes' appends right now. */
export type NotificationMode = 'idle' | 'listening' | 'polling';

export interface NotificationStats {
  mode: NotificationMode;
  /** Sessions that ended unexpectedly, or failed to connect, since open. */
  listenFailures: number;
  /** Polls of the log head that failed (the next one tries again). */
  pollFailures: number;
  /** The last failure's message, if any. */
  lastError: string | undefined;
}

/** Longest wait between two attempts to LISTEN again. */
const MAX_RECONNECT_DELAY_MS = 30_000;

export class AppendNotifier {
  readonly #opts: AppendNotifierOptions;
  readonly #listeners = new Set<(position: number) => void>();
  #announced = 0;
  #started = false;
  #closed = false;
  #session: PoolClient | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #consecutiveFailures = 0;
  readonly #stats: NotificationStats = {
    mode: 'idle',
    listenFailures: 0,
    pollFailures: 0,
    lastError: undefined,
  };

  constructor(opts: AppendNotifierOptions) {
    this.#opts = opts;
  }

  /** Adds a listener (starting to listen if this is the first); returns its removal. */
  add(listener: (position: number) => void): () => void {
    this.#listeners.add(listener);
    this.#start();
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** The log grew to `position` (an append of ours, a notification, or a poll). */
  announce(position: number): void {
    if (!(position > this.#announced)) return;
    this.#announced = position;
    for (const listener of [...this.#listeners]) listener(position);
  }

  stats(): NotificationStats {
    return { ...this.#stats };
  }

  /** Stops listening and polling. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    clearTimeout(this.#pollTimer);
    clearTimeout(this.#reconnectTimer);
    const session = this.#session;
    this.#session = undefined;
    this.#stats.mode = 'idle';
    session?.release(true);
  }

  #start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.#stats.mode = 'polling';
    this.#schedulePoll();
    if (this.#opts.listen) void this.#listen();
  }

  async #listen(): Promise<void> {
    let session: PoolClient | undefined;
    try {
      session = await this.#opts.connect();
      const s = session;
      s.on('error', (e) => this.#lost(s, e));
      s.on('end', () => this.#lost(s, new Error('the LISTEN session ended')));
      s.on('notification', (msg) => {
        if (msg.channel !== this.#opts.channel) return;
        const position = Number(msg.payload);
        if (Number.isSafeInteger(position)) this.announce(position);
      });
      if (this.#closed) {
        s.release(true);
        return;
      }
      await s.query(`LISTEN ${this.#opts.channel}`);
      if (this.#closed) return;
      this.#session = s;
      this.#consecutiveFailures = 0;
      this.#stats.mode = 'listening';
      clearTimeout(this.#pollTimer);
      this.#pollTimer = undefined;
      // Whatever committed before LISTEN took effect was not notified to us: read the head once.
      await this.#poll();
    } catch (e) {
      session?.release(true);
      this.#failed(e);
      this.#retryLater();
    }
  }

  /** The LISTEN session broke: poll until a new one listens. */
  #lost(session: PoolClient, e: unknown): void {
    if (this.#session !== session) return;
    this.#session = undefined;
    session.release(true);
    this.#failed(e);
    if (this.#closed) return;
    this.#stats.mode = 'polling';
    this.#schedulePoll();
    this.#retryLater();
  }

  #failed(e: unknown): void {
    this.#stats.listenFailures++;
    this.#stats.lastError = e instanceof Error ? e.message : String(e);
    this.#consecutiveFailures++;
  }

  #retryLater(): void {
    if (this.#closed || this.#reconnectTimer !== undefined) return;
    // Doubling per failure in a row, capped, and jittered so that the nodes of a cluster that
    // lost their server together do not all reconnect in the same instant.
    const ceiling = Math.min(
      MAX_RECONNECT_DELAY_MS,
      this.#opts.pollIntervalMs * 2 ** Math.min(10, this.#consecutiveFailures - 1),
    );
    const delay = ceiling / 2 + (Math.random() * ceiling) / 2;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (!this.#closed) void this.#listen();
    }, delay);
    this.#reconnectTimer.unref();
  }

  #schedulePoll(): void {
    if (this.#closed || this.#pollTimer !== undefined) return;
    this.#pollTimer = setTimeout(async () => {
      await this.#poll();
      this.#pollTimer = undefined;
      if (this.#session === undefined) this.#schedulePoll();
    }, this.#opts.pollIntervalMs);
    this.#pollTimer.unref();
  }

  async #poll(): Promise<void> {
    if (this.#closed) return;
    try {
      this.announce(await this.#opts.readHead());
    } catch (e) {
      // Counted and kept; the next poll (or notification) tries again.
      this.#stats.pollFailures++;
      this.#stats.lastError = e instanceof Error ? e.message : String(e);
    }
  }
}
