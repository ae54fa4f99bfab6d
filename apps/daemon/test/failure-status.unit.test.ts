import { InvalidCommand, MailboxFull, Rejection, StoreError } from '@actorfold/core';
import { describe, expect, it } from 'vitest';
import { failureStatus } from '../src/command-api.js';

describe('the HTTP status of a failed command', () => {
  it('is 503 (retry with the same commandId) when the store cannot reach its database, 500 for other store failures', () => {
    expect(failureStatus(new StoreError('CONNECTION', 'connection refused'))).toBe(503);
    expect(failureStatus(new StoreError('IO', 'disk full'))).toBe(500);
    expect(failureStatus(new StoreError('DAMAGED', 'no CURRENT'))).toBe(500);
  });

  it('is 503 (resend with the same commandId after the restart) for a write whose outcome is unknown', () => {
    expect(failureStatus(new StoreError('IO', 'fsync failed', { outcomeUnknown: true }))).toBe(503);
  });

  it('follows the error code otherwise', () => {
    expect(failureStatus(new MailboxFull('account/a', 1))).toBe(503);
    expect(failureStatus(new InvalidCommand('bad'))).toBe(400);
    expect(failureStatus(new Rejection('insufficient-funds'))).toBe(422);
    expect(failureStatus({ code: 'SOMETHING_NEW' })).toBe(500);
  });
});
