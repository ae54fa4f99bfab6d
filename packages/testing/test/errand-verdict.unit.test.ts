import type { EventEnvelope } from '@actorfold/core';
import { describe, expect, it } from 'vitest';
import type { ErrandEvent, JournalEntry } from '../src/crash/index.js';
import { errandVerdict, overlappingExecutions } from '../src/crash/index.js';

const S = 'errand/e1';

function event(version: number, data: ErrandEvent): EventEnvelope {
  return {
    streamId: S,
    aggregateType: 'errand',
    aggregateId: 'e1',
    version,
    position: version,
    data,
    metadata: {},
    timestamp: new Date(0).toISOString(),
  } as unknown as EventEnvelope;
}

const sent = (version: number, marker: string) => event(version, { type: 'Sent', marker, effectId: marker });
const settled = (version: number, marker: string, effectVersion: number, attempt: number, pid = 7) =>
  event(version, {
    type: 'Settled',
    effectId: marker,
    effectVersion,
    attempts: attempt,
    outcome: 'done',
    output: { marker, attempt, pid },
    at: 0,
  });

function entry(
  kind: JournalEntry['kind'],
  marker: string,
  version: number,
  attempt: number,
  at = 0,
  node = 'a',
  pid = 7,
): JournalEntry {
  return { kind, node, pid, key: `k-${marker}`, streamId: S, effectId: marker, version, attempt, at };
}

describe('errandVerdict', () => {
  it('finds nothing wrong when each request ran and settled once, and counts repeated attempts', () => {
    const v = errandVerdict({
      events: [sent(1, 'm1'), sent(2, 'm2'), settled(3, 'm1', 1, 2), settled(4, 'm2', 2, 1)],
      journal: [
        entry('start', 'm1', 1, 1),
        entry('fail', 'm1', 1, 1),
        entry('start', 'm1', 1, 2),
        entry('start', 'm1', 1, 2), // a kill cut the first run of attempt 2 short
        entry('end', 'm1', 1, 2),
        entry('start', 'm2', 2, 1),
        entry('end', 'm2', 2, 1),
      ],
      acknowledged: [{ streamId: S, marker: 'm1' }],
    });
    expect(v).toEqual({
      problems: [],
      effects: 2,
      executions: 4,
      reExecutions: 1,
      effectsReExecuted: 1,
      deliberateFailures: 1,
    });
  });

  it('names a result applied twice, one never applied, a lost acknowledged request and runs never requested', () => {
    const v = errandVerdict({
      events: [sent(1, 'm1'), sent(2, 'm2'), settled(3, 'm1', 1, 1), settled(4, 'm1', 1, 1)],
      journal: [
        entry('start', 'm1', 1, 1),
        entry('end', 'm1', 1, 1),
        entry('start', 'm2', 2, 1),
        entry('start', 'm3', 9, 1),
      ],
      acknowledged: [{ streamId: S, marker: 'm9' }],
    });
    expect(v.problems).toEqual([
      `${S} m9: acknowledged but not stored`,
      `${S} m3@9: executed (start on a) but never requested`,
      `${S} m1: its result took effect 2 times`,
      `${S} m2: its result took effect 0 times`,
    ]);
  });

  it('names a request never executed and a result whose output no finished attempt produced', () => {
    const v = errandVerdict({
      events: [sent(1, 'm1'), sent(2, 'm2'), settled(3, 'm1', 1, 1), settled(4, 'm2', 2, 1)],
      journal: [entry('start', 'm1', 1, 1)],
      acknowledged: [],
    });
    expect(v.problems).toEqual([
      `${S} m1: its output (attempt 1, pid 7) has no finished execution`,
      `${S} m2: never executed`,
      `${S} m2: its output (attempt 1, pid 7) has no finished execution`,
    ]);
  });
});

describe('overlappingExecutions', () => {
  it('accepts runs one after the other, a killed run ending at the kill', () => {
    const journal = [
      entry('start', 'm1', 1, 1, 100, 'a', 1),
      entry('start', 'm1', 1, 1, 600, 'b', 2),
      entry('end', 'm1', 1, 1, 700, 'b', 2),
    ];
    expect(overlappingExecutions(journal, new Map([['a', 500]]))).toEqual([]);
  });

  it('names runs of one effect that overlap, also behind a shorter one, and a run that never ended', () => {
    const journal = [
      entry('start', 'm1', 1, 1, 100, 'a', 1),
      entry('start', 'm1', 1, 1, 150, 'b', 2),
      entry('end', 'm1', 1, 1, 160, 'b', 2),
      entry('start', 'm1', 1, 1, 170, 'c', 3),
      entry('end', 'm1', 1, 1, 180, 'c', 3),
      entry('end', 'm1', 1, 1, 200, 'a', 1),
      entry('start', 'm2', 2, 1, 100, 'c', 3),
    ];
    expect(overlappingExecutions(journal, new Map())).toEqual([
      'k-m2: attempt 1 on c never finished',
      `${S} m1@1: ran on b from 150 while it ran on a until 200`,
      `${S} m1@1: ran on c from 170 while it ran on a until 200`,
    ]);
  });
});
