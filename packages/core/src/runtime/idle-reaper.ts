import type { Clock, TimerHandle } from '../clock.js';

/** An idle actor as the reaper sees it: an intrusive list node, so tracking costs no allocation. */
export interface IdleNode {
  idlePrev: IdleNode | null;
  idleNext: IdleNode | null;
  /** When it went idle, in ms since the reaper's epoch (a small integer V8 keeps unboxed). */
  idleSince: number;
  /** Called when the node has been idle for the timeout; it has already been unlinked. */
  idleTimeout(): void;
}

/**
 * Evicts actors that stay idle for `timeoutMs`, with one timer for all of them.
 *
 * Idle actors sit in a list ordered by the time they became idle; because the timeout is the
 * same for every actor, the head is always the next to expire. Going idle appends at the tail
 * and waking up unlinks, both O(1), so the hot path never touches a timer (a per-actor
 * `setTimeout` would cost ~154 B per idle actor and a timer-list operation per command).
 */
export class IdleReaper {
  #head: IdleNode | null = null;
  #tail: IdleNode | null = null;
  #size = 0;
  #timer: TimerHandle | null = null;
  readonly #epoch: number;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  /** Expiries this close together are handled in one wake-up. */
  readonly #slackMs: number;

  constructor(clock: Clock, timeoutMs: number) {
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
    this.#epoch = clock.now();
    this.#slackMs = Number.isFinite(timeoutMs) ? Math.min(1000, Math.floor(timeoutMs / 64)) : 0;
  }

  /** Idle actors being tracked. */
  get size(): number {
    return this.#size;
  }

  /** Marks the node idle as of now (moving it to the tail if it was already tracked). */
  track(node: IdleNode): void {
    if (this.#isLinked(node)) this.untrack(node);
    node.idleSince = this.#clock.now() - this.#epoch;
    node.idlePrev = this.#tail;
    node.idleNext = null;
    if (this.#tail === null) this.#head = node;
    else this.#tail.idleNext = node;
    this.#tail = node;
    this.#size++;
    if (this.#timer === null) this.#arm();
  }

  /** Stops tracking the node (it got work, or it is going away). No-op when untracked. */
  untrack(node: IdleNode): void {
    if (!this.#isLinked(node)) return;
    if (node.idlePrev === null) this.#head = node.idleNext;
    else node.idlePrev.idleNext = node.idleNext;
    if (node.idleNext === null) this.#tail = node.idlePrev;
    else node.idleNext.idlePrev = node.idlePrev;
    node.idlePrev = null;
    node.idleNext = null;
    this.#size--;
    if (this.#size === 0) this.#disarm();
  }

  /** Forgets every node and cancels the timer. */
  clear(): void {
    while (this.#head !== null) this.untrack(this.#head);
    this.#disarm();
  }

  #isLinked(node: IdleNode): boolean {
    return node.idlePrev !== null || node.idleNext !== null || this.#head === node;
  }

  #arm(): void {
    // An infinite timeout never evicts: track idle actors (for stats) but arm nothing.
    if (this.#head === null || !Number.isFinite(this.#timeoutMs)) return;
    const at = this.#epoch + this.#head.idleSince + this.#timeoutMs;
    this.#timer = this.#clock.setTimeout(() => this.#fire(), Math.max(0, at - this.#clock.now()));
  }

  #disarm(): void {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  #fire(): void {
    this.#timer = null;
    const limit = this.#clock.now() - this.#epoch + this.#slackMs - this.#timeoutMs;
    let node = this.#head;
    while (node !== null && node.idleSince <= limit) {
      this.untrack(node);
      node.idleTimeout();
      node = this.#head;
    }
    if (this.#timer === null && this.#head !== null) this.#arm();
  }

  /** How long a tracked node has been idle, in ms. */
  idleFor(node: IdleNode): number {
    return this.#clock.now() - this.#epoch - node.idleSince;
  }
}
