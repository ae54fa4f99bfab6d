/**
 * A simulated grid operator: the remote the supplier switch's registration effect calls. It lives
 * inside the daemon so the example runs without a network, and behaves like a remote worth
 * retrying: it answers after a latency, is sometimes unavailable (the attempt fails and the
 * runtime retries it), refuses some registrations with an answer code, and deduplicates by the
 * idempotency key (a registration sent twice gets the same receipt once more).
 *
 * Deterministic: whether an attempt fails and whether a registration is refused follow from a
 * hash of the idempotency key (and the attempt), not from a random source, so a run with the same
 * data and settings behaves the same.
 */
import type { EffectContext, EffectDefinition } from '@actorfold/core';
import type { GridRegistration } from './domain/grid-registration.js';
import { type GridReceipt, type RejectionCode, rejectionReasons } from './domain/supplier-switch.js';

/** How the simulated grid operator behaves. */
export interface GridOperatorOptions {
  /** Share of attempts that fail as if the operator were unreachable, 0 to 1. */
  failureRate: number;
  /** Share of registrations the operator refuses with an answer code, 0 to 1. */
  refusalRate: number;
  /** How long each answer takes, in ms. */
  latencyMs: number;
}

/** The defaults: mostly succeeding, a little slow. */
export const GRID_OPERATOR_DEFAULTS: Readonly<GridOperatorOptions> = {
  failureRate: 0.05,
  refusalRate: 0.02,
  latencyMs: 20,
};

/** An attempt the simulated operator failed: retryable, like a timeout or a 503. */
export class GridOperatorUnavailable extends Error {
  override readonly name = 'GridOperatorUnavailable';
  readonly code = 'GRID_UNAVAILABLE';
}

/** What the simulated operator has seen, for tests and logs. */
export interface GridOperatorStats {
  /** Attempts that reached it. */
  attempts: number;
  /** Attempts it failed. */
  failed: number;
  /** Distinct registrations it answered (by idempotency key). */
  answered: number;
  /** Attempts for a registration it had answered already (answered again, the same receipt). */
  duplicates: number;
}

/** The effect implementation, with its counters. */
export interface SimulatedGridOperator {
  readonly definition: EffectDefinition<GridRegistration, GridReceipt>;
  stats(): GridOperatorStats;
}

const CODES = Object.keys(rejectionReasons) as RejectionCode[];

/**
 * The simulated grid operator as an effect implementation.
 * @example createRuntime({ ..., effects: { implementations: { [GRID_REQUEST_SWITCH]: simulatedGridOperator(GRID_OPERATOR_DEFAULTS).definition } } })
 */
export function simulatedGridOperator(options: GridOperatorOptions): SimulatedGridOperator {
  const receipts = new Map<string, GridReceipt>();
  const stats: GridOperatorStats = { attempts: 0, failed: 0, answered: 0, duplicates: 0 };
  const run = async (registration: GridRegistration, ctx: EffectContext): Promise<GridReceipt> => {
    stats.attempts++;
    await sleep(options.latencyMs, ctx.signal);
    if (unit(`${ctx.idempotencyKey}#${ctx.attempt}`) < options.failureRate) {
      stats.failed++;
      throw new GridOperatorUnavailable(
        `grid operator ${registration.gridOperator} unavailable (simulated, attempt ${ctx.attempt})`,
      );
    }
    const known = receipts.get(ctx.idempotencyKey);
    if (known !== undefined) {
      stats.duplicates++;
      return known;
    }
    const h = unit(`${ctx.idempotencyKey}#answer`);
    const receipt: GridReceipt =
      h < options.refusalRate
        ? {
            receipt: 'refused',
            reasonCode: CODES[Math.floor(unit(ctx.idempotencyKey) * CODES.length)] ?? 'Z01',
          }
        : { receipt: 'accepted', receiptId: `R-${hash(ctx.idempotencyKey).toString(16).padStart(8, '0')}` };
    receipts.set(ctx.idempotencyKey, receipt);
    stats.answered++;
    return receipt;
  };
  return { definition: { run }, stats: () => ({ ...stats }) };
}

/** Waits `ms`, or rejects when `signal` aborts (a timeout, a cancellation, the shutdown). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return signal.aborted ? Promise.reject(signal.reason) : Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', done);
      resolve();
    }, ms);
    if (signal.aborted) done();
    else signal.addEventListener('abort', done, { once: true });
  });
}

/** FNV-1a, 32 bits. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** A number in [0, 1) that follows from `text`. */
function unit(text: string): number {
  return hash(text) / 2 ** 32;
}
