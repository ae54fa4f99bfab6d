/**
 * docs/interceptors.md: a runtime-level guard and listener, an aggregate-level interceptor, and
 * what each sees. Runs as one program (test/examples.test.ts) on the in-memory store.
 */

// #region interceptors
import { createRuntime, defineAggregate, type Interceptor, reject } from '@actorfold/core';
import { account } from '@actorfold/example-daemon/domain';

// Runtime level: every aggregate's commands pass through it.
const tenantGuard: Interceptor = {
  name: 'tenant-guard',
  beforeDecide(ctx) {
    // Refuse with a Rejection (REJECTED); anything else thrown here is INTERCEPTOR_FAILED.
    if (ctx.metadata.tenantId === undefined) reject('no-tenant', 'send a tenantId');
    ctx.metadata.receivedBy = 'api-1'; // stored with the command's events
  },
  afterAppend(ctx) {
    // At most once, after the events are durable: a notification, never a duty.
    console.log('appended', ctx.streamId, ctx.version);
  },
  onRefusal(ctx) {
    console.log('refused', ctx.streamId, (ctx.error as { code: string }).code);
  },
};

// Aggregate level: runs inside the runtime's interceptors, with the aggregate's own types.
const audited = defineAggregate({
  ...account,
  interceptors: [
    {
      name: 'large-deposits',
      async beforeDecide(ctx) {
        // Async hooks are awaited (the aggregate's next command waits); sync ones cost no await.
        if (ctx.command.type === 'deposit' && ctx.command.amount > 1_000) await Promise.resolve();
      },
    },
  ],
});

const runtime = await createRuntime({ aggregates: [audited], interceptors: [tenantGuard] });
// #endregion interceptors

const h = runtime.get(audited, 'ada');
const opened = await h.execute({ type: 'open', owner: 'Ada' }, { tenantId: 't1' });
console.log(opened.events[0]?.metadata.receivedBy);
await h.execute({ type: 'deposit', amount: 5 }).catch((e: { code: string; reason: string }) => {
  console.log(e.code, e.reason);
});
await runtime.shutdown();
