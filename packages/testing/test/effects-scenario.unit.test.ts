import { defineAggregate } from '@actorfold/core';
import { describe, expect, it } from 'vitest';
import { given } from '../src/index.js';

const mailer = defineAggregate<
  { sent: boolean },
  { type: 'send'; to: string },
  { type: 'MailRequested'; id: string }
>({
  type: 'mailer',
  initialState: () => ({ sent: false }),
  decide(_state, cmd, ctx) {
    const id = ctx.effects.request('mail.send', { to: cmd.to });
    return [{ type: 'MailRequested', id }];
  },
  evolve: () => ({ sent: true }),
});

describe('scenarios of aggregates that request durable effects', () => {
  it('give decide a ctx.effects that records the request (any effect name) and returns its id', async () => {
    await given(mailer, [])
      .when({ type: 'send', to: 'a@example.com' })
      .then([{ type: 'MailRequested', id: 'mail.send' }]);
  });

  it('refuse input that is not plain JSON, as the runtime does', async () => {
    const bad = defineAggregate<null, { type: 'go' }, { type: 'Went' }>({
      type: 'bad',
      initialState: () => null,
      decide(_s, _c, ctx) {
        ctx.effects.request('x', { at: new Date(0) });
        return [{ type: 'Went' }];
      },
      evolve: (s) => s,
    });
    await expect(
      given(bad, [])
        .when({ type: 'go' })
        .then([{ type: 'Went' }]),
    ).rejects.toThrow(/input\.at is a Date/);
  });
});
