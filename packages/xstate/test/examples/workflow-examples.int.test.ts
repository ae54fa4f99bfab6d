/**
 * xstate's published workflow examples, ported: each one that runs is driven end to end through
 * the runtime (a LevelDB folder or a memory store, a simulated clock, its services as simulated
 * effect implementations), then checked for replay: the stored events folded by evolve alone,
 * and a fresh runtime over the same store, give exactly the state the live run reached, and
 * the restart calls no service again. Each refused one is refused by `fromMachine` with a
 * message that names the way out.
 */
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import type { AnyAggregate } from '@actorfold/core';
import { describe, expect, it } from 'vitest';
import { fromMachine, type StatechartState, UnsupportedMachine } from '../../src/index.js';
import { replay } from '../support/history.js';
import { catalogue, SPEC_EXAMPLES } from './catalogue.js';
import type { AnyCommand, RunningExample, Scenario, ScenarioContext } from './support/ported-example.js';
import { WorkflowRun } from './support/workflow-run.js';

type State = StatechartState<unknown>;

/** The handle calls the scenarios make, without the machine-specific command types. */
interface LooseHandle {
  execute(command: AnyCommand): Promise<{ state: State; version: number }>;
  state(): Promise<{ state: State; version: number }>;
}

const PROCESS_ID = 'p-1';

async function runScenario(example: RunningExample, scenario: Scenario): Promise<void> {
  const def = fromMachine({ type: example.example, machines: { v1: example.machine } });
  const services = (scenario.services ?? example.services)();
  const implementations = services.implementations();
  const run = await WorkflowRun.open({
    kind: scenario.store,
    aggregates: [def as unknown as AnyAggregate],
    ...(Object.keys(implementations).length === 0 ? {} : { effects: { ...example.runner, implementations } }),
  });
  const handle = (): LooseHandle => run.runtime.get(def, PROCESS_ID) as unknown as LooseHandle;
  const ctx: ScenarioContext = {
    run,
    services,
    send: async (command) => (await handle().execute(command)).state,
    state: async () => (await handle().state()).state,
    reach: async (value, what) => {
      let last: unknown;
      await run.until(
        async () => {
          last = (await handle().state()).state.value;
          return isDeepStrictEqual(last, value);
        },
        () => `${what ?? 'state'} ${JSON.stringify(value)} (last ${JSON.stringify(last)})`,
      );
      return (await handle().state()).state;
    },
  };
  try {
    await scenario.drive(ctx);
    await run.settle();
    // Replay: what the store holds, folded by evolve alone, is the live state.
    const live = await handle().state();
    const events: unknown[] = [];
    for await (const e of run.store.readStream(`${example.example}/${PROCESS_ID}`)) events.push(e.data);
    expect(events).toHaveLength(live.version);
    expect(replay(def, events as never[])).toEqual(live.state);
    const pending = await run.store.timers?.count();
    const effects = await run.runtime.effects().count();
    const calls = services.calls.length;
    // A fresh runtime over the same store (the LevelDB folder reopened) reaches the same state,
    // keeps the same pending timers and effects, and calls no service again.
    await run.restart();
    expect(await handle().state()).toEqual(live);
    await run.settle();
    expect(await run.store.timers?.count()).toBe(pending);
    expect(await run.runtime.effects().count()).toBe(effects);
    expect(services.calls).toHaveLength(calls);
    expect(await handle().state()).toEqual(live);
  } finally {
    await run.close();
  }
}

describe("xstate's workflow examples, ported", () => {
  it('the catalogue holds each of the 25 examples once', () => {
    expect(catalogue.map((e) => e.example)).toEqual([...SPEC_EXAMPLES]);
  });

  it("docs/statecharts.md's table and count say what the catalogue says", () => {
    const docs = readFileSync(new URL('../../../../docs/statecharts.md', import.meta.url), 'utf8');
    const section = docs.slice(docs.indexOf("## xstate's workflow examples"));
    const rows = [...section.matchAll(/^\| `(workflow-[a-z-]+)` +\|[^|]*\| (runs|refused)/gm)].map((m) => [
      m[1],
      m[2],
    ]);
    expect(rows).toEqual(catalogue.map((e) => [e.example, e.status]));
    const running = catalogue.filter((e) => e.status === 'runs').length;
    expect(section).toContain(`**${running} of the ${SPEC_EXAMPLES.length} run**`);
  });

  for (const example of catalogue) {
    if (example.status === 'runs') {
      describe(`${example.example} runs end to end and replays`, () => {
        for (const scenario of example.scenarios) {
          it(`${scenario.title} (${scenario.store})`, () => runScenario(example, scenario), 30_000);
        }
      });
    } else {
      it(`${example.example} is refused by fromMachine, naming the alternative`, () => {
        let error: unknown;
        try {
          fromMachine({ type: example.example, machines: { v1: example.machine } });
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(UnsupportedMachine);
        const refused = error as UnsupportedMachine;
        const features = refused.features.map((f) => f.feature);
        for (const feature of example.features) expect(features).toContain(feature);
        expect(refused.message).toMatch(example.alternative);
      });
      const rewritten = example.rewritten;
      if (rewritten !== undefined) {
        describe(`${example.example}, rewritten as its refusal suggests, runs end to end and replays`, () => {
          for (const scenario of rewritten.scenarios) {
            it(`${scenario.title} (${scenario.store})`, () => runScenario(rewritten, scenario), 30_000);
          }
        });
      }
    }
  }
});
