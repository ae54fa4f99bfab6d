/** What the LevelDB scenarios share: scratch folders on the real disk, the event, the aggregate. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineAggregate } from '@actorfold/core';

const root = mkdtempSync(join(tmpdir(), 'actorfold-bench-'));
let folders = 0;

/** A new folder path under the OS temp dir (the same disk as the project on our machines). */
export function scratchFolder(): string {
  folders++;
  return join(root, `db-${folders}`);
}

export function removeFolder(path: string): void {
  rmSync(path, { recursive: true, force: true });
}

export function removeAllFolders(): void {
  rmSync(root, { recursive: true, force: true });
}

/** The event every contestant writes: a typical small domain event. */
export const DEPOSITED = { type: 'Deposited', amount: 42, note: 'monthly top-up' } as const;

/** The record levelStore writes for it, for the raw contestants to write the same bytes. */
export function rawRecord(streamId: string, version: number, position: number): string {
  return `[${JSON.stringify(streamId)},${version},${position},1,"2026-11-23T10:00:00.000Z",{},${JSON.stringify(DEPOSITED)}]`;
}

type Deposit = { type: 'deposit' };
type Deposited = typeof DEPOSITED;

/** An account whose one command appends one Deposited event. */
// A synchronous decide (the fourth type argument): the naive baseline calls it directly.
export const account = defineAggregate<{ balance: number }, Deposit, Deposited, readonly Deposited[]>({
  type: 'account',
  initialState: () => ({ balance: 0 }),
  decide: () => [DEPOSITED],
  evolve: (s, e) => ({ balance: s.balance + e.amount }),
});

/** Fixed-width hex as levelStore's keys use (the raw contestants mirror its layout). */
export const hex = (n: number): string => n.toString(16).padStart(14, '0');
