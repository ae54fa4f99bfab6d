/**
 * The demo load: a short, explained series of commands sent to a running daemon over its command
 * API, the way any client would. Accounts first (idempotent retries, concurrent deposits in
 * arrival order, a refused overdraw, many small aggregates), then a supplier switch statechart
 * (commands accepted only in the right state; its registration goes to the simulated grid
 * operator as a durable effect, whose receipt the demo waits for). Safe to run again: commandIds
 * deduplicate.
 */
import { CommandClient, CommandFailed } from './command-client.js';
import type { AccountState } from './domain/account.js';
import type { SupplierSwitchContext } from './domain/supplier-switch.js';

interface SwitchState {
  value: string;
  workflowVersion: string;
  context: SupplierSwitchContext;
}

/** How long the demo waits for the grid operator's receipt (the effect retries with back-off). */
const RECEIPT_WAIT_MS = 15_000;

/** Runs the demo against `baseUrl`, printing one line per step through `print`. */
export async function demoLoad(
  baseUrl: string,
  print: (line: string) => void,
): Promise<{ commands: number }> {
  const api = new CommandClient(baseUrl);
  let commands = 0;
  const run = <S>(
    type: string,
    id: string,
    command: { type: string; [k: string]: unknown },
    commandId?: string,
  ) => {
    commands++;
    return api.execute<S>(type, id, command, commandId === undefined ? {} : { commandId });
  };
  const refused = async (type: string, id: string, command: { type: string; [k: string]: unknown }) => {
    try {
      await run(type, id, command);
      return 'accepted';
    } catch (e) {
      if (!(e instanceof CommandFailed) || e.code !== 'REJECTED') throw e;
      const accepted = (e.details as { accepted?: string[] } | undefined)?.accepted;
      return `refused (${e.status}): ${e.reason}${accepted === undefined ? '' : `, accepted now: ${accepted.join(', ')}`}`;
    }
  };

  print(`demo load: commands over ${baseUrl}`);
  let r = await run<AccountState>('account', 'alice', { type: 'open', owner: 'Alice' }, 'open-alice');
  print(
    `  open account/alice         -> version ${r.version}${r.deduplicated ? ' (opened by an earlier run)' : ''}`,
  );
  r = await run<AccountState>('account', 'alice', { type: 'open', owner: 'Alice' }, 'open-alice');
  print(`  retry with same commandId  -> deduplicated=${r.deduplicated}, nothing appended`);

  const deposits = await Promise.all(
    Array.from({ length: 100 }, (_, i) =>
      run<AccountState>('account', 'alice', { type: 'deposit', amount: i + 1 }),
    ),
  );
  const versions = deposits.map((d) => d.version).sort((a, b) => a - b);
  const contiguous = versions.every((v, i) => i === 0 || v === (versions[i - 1] as number) + 1);
  print(
    `  100 concurrent deposits    -> versions ${versions[0]}..${versions.at(-1)}, contiguous: ${contiguous}`,
  );
  print(
    `  overdraw                   -> ${await refused('account', 'alice', { type: 'withdraw', amount: 1e12 })}`,
  );

  const ids = Array.from({ length: 50 }, (_, i) => `acct-${i}`);
  await Promise.all(ids.map((id) => run('account', id, { type: 'open', owner: id }, `open-${id}`)));
  await Promise.all(ids.map((id) => run('account', id, { type: 'deposit', amount: 10 })));
  print(`  50 more accounts           -> opened and funded, one actor each`);

  const switchDate = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const switchId = `51238696781-${Date.now().toString(36)}`;
  const s = await run<SwitchState>('supplier-switch', switchId, {
    type: 'requestSwitch',
    meteringPoint: '51238696781',
    newSupplier: '9900000000011',
    oldSupplier: '9900000000028',
    gridOperator: '9900000000035',
    switchDate,
  });
  print(`  supplier-switch/${switchId} requested -> ${s.state.value} on workflow ${s.state.workflowVersion}`);
  print(
    `  start supply now           -> ${await refused('supplier-switch', switchId, { type: 'startSupply' })}`,
  );
  const receipt = await waitForReceipt(api, switchId);
  print(`  grid operator's receipt    -> ${receipt}`);
  const now = await api.state<SwitchState>('supplier-switch', switchId);
  if (now.state.value !== 'requested') {
    print(`  the switch ended as ${now.state.value}; no answer to send`);
  } else {
    await answer();
  }
  const alice = await api.state<AccountState>('account', 'alice');
  print(`  account/alice now          -> version ${alice.version}, balance ${alice.state.balance}`);
  return { commands };

  async function answer(): Promise<void> {
    const confirmed = await run<SwitchState>('supplier-switch', switchId, { type: 'confirmSwitch' });
    print(`  grid operator confirms     -> ${confirmed.state.value}`);
    const verified = await run<SwitchState>('supplier-switch', switchId, {
      type: 'verifyMasterData',
      meterNumber: '1EMH0012345678',
    });
    print(`  master data verified       -> ${verified.state.value}; supply may start on ${switchDate}`);
  }
}

/** Polls the switch until the registration effect's receipt is recorded (or the switch ended). */
async function waitForReceipt(api: CommandClient, switchId: string): Promise<string> {
  const until = Date.now() + RECEIPT_WAIT_MS;
  for (;;) {
    const { state } = await api.state<SwitchState>('supplier-switch', switchId);
    const r = state.context.registration;
    if (r?.status === 'accepted') return `accepted (${r.receiptId})`;
    if (r?.status === 'undelivered') return `not delivered: ${r.error}`;
    if (state.context.rejection !== null) return `refused with ${state.context.rejection.code}`;
    if (state.value !== 'requested') return `none (the switch is ${state.value})`;
    if (Date.now() > until)
      return `none yet after ${RECEIPT_WAIT_MS / 1000} s (see actorfold effects --socket <path>)`;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
