import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, defineAggregate, memoryStore, type Runtime } from '../src/index.js';

const open: Runtime[] = [];
afterEach(async () => {
  for (const rt of open.splice(0)) await rt.shutdown();
});

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { logger, lines };
}

class InsufficientFunds extends Error {
  readonly code = 'INSUFFICIENT_FUNDS';
  constructor(readonly missing: number) {
    super(`missing ${missing}`);
  }
}
class AccountClosed extends Error {
  override name = 'AccountClosed';
}

type Cmd = { type: 'deposit'; amount: number } | { type: 'withdraw'; amount: number } | { type: 'close' };
type Evt = { type: 'Deposited'; amount: number } | { type: 'Withdrawn'; amount: number };

const spec = {
  initialState: () => ({ balance: 0 }),
  evolve: (s: { balance: number }, e: Evt) => ({
    balance: s.balance + (e.type === 'Deposited' ? e.amount : -e.amount),
  }),
};

/** An account whose decide is async and refuses by throwing its own errors, as Decider-style code does. */
const asyncAccount = defineAggregate<{ balance: number }, Cmd, Evt>({
  ...spec,
  type: 'async-account',
  domainErrors: [InsufficientFunds, AccountClosed],
  async decide(state, cmd) {
    await new Promise((r) => setImmediate(r));
    if (cmd.type === 'close') throw new AccountClosed('closed for good');
    if (cmd.type === 'withdraw' && cmd.amount > state.balance)
      throw new InsufficientFunds(cmd.amount - state.balance);
    if (cmd.amount === 13) throw new Error('unlucky bug');
    return [{ type: cmd.type === 'deposit' ? 'Deposited' : 'Withdrawn', amount: cmd.amount }];
  },
});

async function start(logger = pino({ level: 'silent' })) {
  const rt = await createRuntime({ store: memoryStore(), aggregates: [asyncAccount], logger });
  open.push(rt);
  return rt;
}

describe('async decide', () => {
  it('awaits a decide that returns a promise, in mailbox order, and stores what it resolved to', async () => {
    const h = (await start()).get(asyncAccount, 'a');
    const results = await Promise.all([1, 2, 3].map((amount) => h.execute({ type: 'deposit', amount })));
    expect(results.map((r) => r.version)).toEqual([1, 2, 3]);
    expect(results[2]?.state).toEqual({ balance: 6 });
    expect((await h.state()).state).toEqual({ balance: 6 });
  });

  it('handles a rejected decide exactly like a throw: DECIDE_FAILED, nothing stored, the actor lives on', async () => {
    const { logger, lines } = capture();
    const rt = await start(logger);
    const h = rt.get(asyncAccount, 'a');
    await h.execute({ type: 'deposit', amount: 5 });
    await expect(h.execute({ type: 'deposit', amount: 13 })).rejects.toMatchObject({ code: 'DECIDE_FAILED' });
    expect(await h.execute({ type: 'deposit', amount: 1 })).toMatchObject({
      version: 2,
      state: { balance: 6 },
    });
    expect(rt.stats()).toMatchObject({ commandsFailed: 1, crashes: 0 });
    expect(lines.some((l) => l.msg === 'decide threw' && l.level === 50)).toBe(true);
  });
});

describe('domainErrors', () => {
  it('turns a thrown domain error into REJECTED: reason = its code (else its name), message = its message, logged at debug only', async () => {
    const { logger, lines } = capture();
    const rt = await start(logger);
    const h = rt.get(asyncAccount, 'a');
    await h.execute({ type: 'deposit', amount: 5 });
    const funds = await h.execute({ type: 'withdraw', amount: 8 }).catch((e: unknown) => e);
    expect(funds).toMatchObject({ code: 'REJECTED', reason: 'INSUFFICIENT_FUNDS', message: 'missing 3' });
    const closed = await h.execute({ type: 'close' }).catch((e: unknown) => e);
    expect(closed).toMatchObject({ code: 'REJECTED', reason: 'AccountClosed', message: 'closed for good' });
    expect(rt.stats()).toMatchObject({ commandsRejected: 2, commandsFailed: 0 });
    expect((await h.state()).version).toBe(1);
    expect(lines.filter((l) => (l.level as number) >= 40)).toEqual([]);
    expect(lines.filter((l) => l.msg === 'command rejected').map((l) => l.reason)).toEqual([
      'INSUFFICIENT_FUNDS',
      'AccountClosed',
    ]);
  });

  it('takes a predicate instead of classes; an error it does not match stays DECIDE_FAILED', async () => {
    const picky = defineAggregate<{ balance: number }, Cmd, Evt>({
      ...spec,
      type: 'picky',
      domainErrors: (e) => e instanceof Error && e.message.startsWith('domain:'),
      decide(_s, cmd) {
        if (cmd.type === 'close') throw new Error('domain: cannot close');
        throw new RangeError('a bug');
      },
    });
    const rt = await createRuntime({ aggregates: [picky] });
    open.push(rt);
    const h = rt.get(picky, 'p');
    await expect(h.execute({ type: 'close' })).rejects.toMatchObject({
      code: 'REJECTED',
      reason: 'Error',
      message: 'domain: cannot close',
    });
    await expect(h.execute({ type: 'deposit', amount: 1 })).rejects.toMatchObject({ code: 'DECIDE_FAILED' });
  });

  it('is checked by defineAggregate', () => {
    expect(() =>
      defineAggregate({ ...spec, type: 'bad', decide: () => [], domainErrors: ['nope'] as never }),
    ).toThrow(/domainErrors/);
  });
});
