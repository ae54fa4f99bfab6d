import { describe, expect, it } from 'vitest';
import { Mailbox, type MailboxProcessor } from '../src/actor/mailbox.js';
import { flush } from './support/probe-store.js';

function recorder(asyncWork: boolean) {
  const seen: number[] = [];
  let drains = 0;
  let active = 0;
  let maxActive = 0;
  const p: MailboxProcessor<number> = {
    process(n) {
      seen.push(n);
      if (!asyncWork) return undefined;
      active++;
      maxActive = Math.max(maxActive, active);
      return flush().then(() => {
        active--;
      });
    },
    drained() {
      drains++;
    },
    freed() {},
  };
  return { p, seen, drains: () => drains, maxActive: () => maxActive };
}

describe('Mailbox', () => {
  it('processes items one at a time in the order offered', async () => {
    const r = recorder(true);
    const m = new Mailbox(r.p);
    for (let i = 0; i < 50; i++) expect(m.offer(i, 100)).toBe(true);
    while (r.drains() === 0) await flush();
    expect(r.seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(r.maxActive()).toBe(1);
    expect(m.size).toBe(0);
  });

  it('refuses an item once capacity items are waiting, counting the running one', async () => {
    const r = recorder(true);
    const m = new Mailbox(r.p);
    expect(m.offer(1, 2)).toBe(true);
    expect(m.offer(2, 2)).toBe(true);
    expect(m.offer(3, 2)).toBe(false);
    while (r.drains() === 0) await flush();
    expect(r.seen).toEqual([1, 2]);
    expect(m.offer(4, 2)).toBe(true);
  });

  it('holds items while held and runs them after release', async () => {
    const r = recorder(false);
    const m = new Mailbox(r.p, true);
    m.offer(1, 10);
    m.offer(2, 10);
    await flush();
    expect(r.seen).toEqual([]);
    m.release();
    await flush();
    expect(r.seen).toEqual([1, 2]);
    expect(r.drains()).toBe(1);
  });

  it('hands back every item not yet started, leaving the running one alone', async () => {
    const r = recorder(true);
    const m = new Mailbox(r.p);
    m.offer(1, 10);
    m.offer(2, 10);
    m.offer(3, 10);
    expect(m.running).toBe(true);
    expect(m.takeAll()).toEqual([2, 3]);
    while (r.drains() === 0) await flush();
    expect(r.seen).toEqual([1]);
  });
});
