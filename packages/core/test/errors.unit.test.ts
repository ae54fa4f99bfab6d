import { describe, expect, it } from 'vitest';
import * as errorsModule from '../src/errors.js';
import * as errorsEntry from '../src/errors-entry.js';
import * as main from '../src/index.js';
import {
  ActorCrashed,
  ActorfoldError,
  CommandTimeout,
  CorruptData,
  isActorfoldError,
  isRejection,
  isRetryable,
  isTransientStoreError,
  isVersionConflict,
  MailboxFull,
  Rejection,
  reject,
  StoreError,
  VersionConflict,
} from '../src/index.js';

describe('errors', () => {
  it('reject() throws a Rejection carrying reason, message and details', () => {
    let caught: unknown;
    try {
      reject('insufficient-funds', 'balance 3', { balance: 3 });
    } catch (e) {
      caught = e;
    }
    expect(isRejection(caught)).toBe(true);
    const r = caught as Rejection;
    expect(r.code).toBe('REJECTED');
    expect(r.reason).toBe('insufficient-funds');
    expect(r.details).toEqual({ balance: 3 });
    expect(r.message).toBe('insufficient-funds: balance 3');
    expect(r.name).toBe('Rejection');
  });

  it('recognises errors by brand, so a copy from another installed version still counts', () => {
    const foreign = Object.assign(new Error('x'), {
      [Symbol.for('actorfold.error')]: true,
      code: 'REJECTED',
    });
    expect(isActorfoldError(foreign)).toBe(true);
    expect(isRejection(foreign)).toBe(true);
    expect(isActorfoldError(new Error('plain'))).toBe(false);
    expect(isActorfoldError('REJECTED')).toBe(false);
    expect(isActorfoldError(null)).toBe(false);
  });

  it('carries structured fields on version conflicts', () => {
    const e = new VersionConflict('account/a', 3, 5);
    expect(isVersionConflict(e)).toBe(true);
    expect([e.streamId, e.expected, e.actual, e.code]).toEqual(['account/a', 3, 5, 'VERSION_CONFLICT']);
    expect(e).toBeInstanceOf(ActorfoldError);
  });

  it('marks mailbox-full, timeouts, crashes and a lost store connection as retryable, and nothing else', () => {
    expect(isRetryable(new MailboxFull('a/1', 4))).toBe(true);
    expect(isRetryable(new CommandTimeout('a/1', 10))).toBe(true);
    expect(isRetryable(new ActorCrashed('a/1', new Error('x')))).toBe(true);
    expect(isRetryable(new StoreError('CONNECTION', 'server restarting'))).toBe(true);
    expect(isRetryable(new Rejection('no'))).toBe(false);
    expect(isRetryable(new StoreError('LOCKED', 'held'))).toBe(false);
    expect(isRetryable(new StoreError('IO', 'disk full'))).toBe(false);
    expect(isRetryable(new Error('plain'))).toBe(false);
  });

  it('calls only IO and CONNECTION store errors transient (what subscriptions and projections retry)', () => {
    expect(isTransientStoreError(new StoreError('IO', 'read failed'))).toBe(true);
    expect(isTransientStoreError(new StoreError('CONNECTION', 'refused'))).toBe(true);
    expect(isTransientStoreError(new StoreError('CLOSED', 'closed'))).toBe(false);
    expect(isTransientStoreError(new StoreError('LOCKED', 'held'))).toBe(false);
    expect(isTransientStoreError(new CorruptData('a/1', 3, 'gap'))).toBe(false);
    expect(isTransientStoreError(Object.assign(new Error('ECONNRESET'), { code: 'ECONNRESET' }))).toBe(false);
  });

  it('the @actorfold/core/errors entry exports what the main entry exports from errors.ts, and nothing else', () => {
    const entry: Record<string, unknown> = errorsEntry;
    const all: Record<string, unknown> = main;
    const fromErrorsModule = Object.keys(all).filter((name) => name in errorsModule);
    expect(Object.keys(entry).sort()).toEqual(fromErrorsModule.sort());
    for (const [name, value] of Object.entries(entry)) expect(value, name).toBe(all[name]);
  });
});
