/**
 * The durable-effect crash tests' verdict, from what outlived the kills: the stored `errand`
 * events and the fsync'd journal of executions. It lists every broken promise as a sentence
 * (the tests expect none) and counts what the kills cost.
 */
import type { EventEnvelope } from '@actorfold/core';
import type { ErrandEvent } from './errand.js';
import type { JournalEntry } from './journal.js';

/** What the verdict found. */
export interface ErrandVerdict {
  /** Broken promises, one sentence each; empty when every promise held. */
  readonly problems: string[];
  /** Effects requested (stored `Sent` events). */
  readonly effects: number;
  /** Attempts started (journal `start` entries). */
  readonly executions: number;
  /** Attempts started again with the same attempt number: runs a kill made the runtime repeat. */
  readonly reExecutions: number;
  /** Effects with at least one repeated attempt. */
  readonly effectsReExecuted: number;
  /** Attempts that failed on purpose (journal `fail`), each retried. */
  readonly deliberateFailures: number;
}

/**
 * Checks the promises of durable effects: every acknowledged `send` is stored; every stored
 * request ran at least once and its result took effect exactly once (one `Settled`, outcome
 * 'done', for the right version), carrying the output of an attempt that the journal shows
 * finished; and the journal holds no execution of an effect that was never requested.
 */
export function errandVerdict(input: {
  readonly events: Iterable<EventEnvelope>;
  readonly journal: readonly JournalEntry[];
  readonly acknowledged: Iterable<{ readonly streamId: string; readonly marker: string }>;
}): ErrandVerdict {
  const problems: string[] = [];
  const sent = new Map<string, { streamId: string; marker: string; version: number }>();
  const settled = new Map<string, Array<Extract<ErrandEvent, { type: 'Settled' }>>>();
  for (const e of input.events) {
    const data = e.data as ErrandEvent;
    const key = `${e.streamId} ${data.effectId}`;
    if (data.type === 'Sent') {
      if (sent.has(key)) problems.push(`${key}: requested twice`);
      sent.set(key, { streamId: e.streamId, marker: data.marker, version: e.version });
    } else if (data.type === 'Settled') {
      if (!sent.has(key)) problems.push(`${key}: settled before or without its request`);
      settled.set(key, [...(settled.get(key) ?? []), data]);
    }
  }
  for (const a of input.acknowledged) {
    if (!sent.has(`${a.streamId} ${a.marker}`))
      problems.push(`${a.streamId} ${a.marker}: acknowledged but not stored`);
  }

  const ends = new Set<string>();
  const startsByAttempt = new Map<string, number>();
  const startedEffects = new Set<string>();
  let executions = 0;
  let deliberateFailures = 0;
  for (const j of input.journal) {
    const key = `${j.streamId} ${j.effectId}`;
    const request = sent.get(key);
    if (request === undefined || request.version !== j.version) {
      problems.push(`${key}@${j.version}: executed (${j.kind} on ${j.node}) but never requested`);
      continue;
    }
    if (j.kind === 'start') {
      executions++;
      startedEffects.add(key);
      const attempt = `${key} ${j.attempt}`;
      startsByAttempt.set(attempt, (startsByAttempt.get(attempt) ?? 0) + 1);
    } else if (j.kind === 'end') ends.add(`${key} ${j.attempt} ${j.pid}`);
    else if (j.kind === 'fail') deliberateFailures++;
  }

  for (const [key, request] of sent) {
    const results = settled.get(key) ?? [];
    if (!startedEffects.has(key)) problems.push(`${key}: never executed`);
    if (results.length !== 1) {
      problems.push(`${key}: its result took effect ${results.length} times`);
      continue;
    }
    const r = results[0] as (typeof results)[number];
    if (r.effectVersion !== request.version) {
      problems.push(`${key}: settled for version ${r.effectVersion}, requested at ${request.version}`);
    }
    if (r.outcome !== 'done' || r.output === undefined) {
      problems.push(`${key}: settled as ${r.outcome} (${r.error ?? 'no output'})`);
      continue;
    }
    if (r.output.marker !== request.marker) problems.push(`${key}: the output of another effect`);
    if (r.attempts !== r.output.attempt) {
      problems.push(
        `${key}: settled after ${r.attempts} attempts, its output from attempt ${r.output.attempt}`,
      );
    }
    if (!ends.has(`${key} ${r.output.attempt} ${r.output.pid}`)) {
      problems.push(
        `${key}: its output (attempt ${r.output.attempt}, pid ${r.output.pid}) has no finished execution`,
      );
    }
  }

  let reExecutions = 0;
  const reExecuted = new Set<string>();
  for (const [attempt, n] of startsByAttempt) {
    if (n <= 1) continue;
    reExecutions += n - 1;
    reExecuted.add(attempt.slice(0, attempt.lastIndexOf(' ')));
  }
  return {
    problems,
    effects: sent.size,
    executions,
    reExecutions,
    effectsReExecuted: reExecuted.size,
    deliberateFailures,
  };
}

/**
 * The executions of one effect that overlapped in time (its `start` to its `end`, `fail` or
 * `abort` in the same process), as sentences. An execution never finished ran until its node was
 * killed (`killedAt`); one whose node was not killed and that never finished is listed too.
 */
export function overlappingExecutions(
  journal: readonly JournalEntry[],
  killedAt: ReadonlyMap<string, number>,
): string[] {
  const open = new Map<string, JournalEntry>();
  const runs = new Map<string, Array<{ node: string; from: number; to: number }>>();
  const add = (start: JournalEntry, to: number) => {
    const key = `${start.streamId} ${start.effectId}@${start.version}`;
    runs.set(key, [...(runs.get(key) ?? []), { node: start.node, from: start.at, to }]);
  };
  const problems: string[] = [];
  for (const j of journal) {
    const run = `${j.key} ${j.pid} ${j.attempt}`;
    if (j.kind === 'start') {
      if (open.has(run)) problems.push(`${run}: started twice in one process without finishing`);
      open.set(run, j);
      continue;
    }
    const start = open.get(run);
    if (start === undefined) {
      problems.push(`${run}: ${j.kind} without its start`);
      continue;
    }
    open.delete(run);
    add(start, j.at);
  }
  for (const start of open.values()) {
    const killed = killedAt.get(start.node);
    if (killed === undefined)
      problems.push(`${start.key}: attempt ${start.attempt} on ${start.node} never finished`);
    else add(start, killed);
  }
  for (const [key, list] of runs) {
    list.sort((a, b) => a.from - b.from);
    // The run that reaches latest so far: a later start before its end overlaps it.
    let reach = list[0] as (typeof list)[number];
    for (const run of list.slice(1)) {
      if (run.from < reach.to) {
        problems.push(
          `${key}: ran on ${run.node} from ${run.from} while it ran on ${reach.node} until ${reach.to}`,
        );
      }
      if (run.to > reach.to) reach = run;
    }
  }
  return problems;
}
