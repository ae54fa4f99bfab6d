import { defineAggregate, reject } from '@actorfold/core';
import { describe, expect, it } from 'vitest';
import { given, givenState, ScenarioFailure } from '../src/index.js';

type NoteCommand = { type: 'add'; text: string } | { type: 'check' };
type NoteEvent = { type: 'Added'; id: string; text: string; at?: number } | { type: 'Checked' };
interface Notes {
  ids: string[];
  seen: number;
}

const pure = {
  type: 'notes',
  initialState: (): Notes => ({ ids: [], seen: 0 }),
  decide: (state: Notes, c: NoteCommand): NoteEvent[] =>
    c.type === 'add'
      ? [{ type: 'Added', id: `n-${state.ids.length + 1}`, text: c.text }]
      : [{ type: 'Checked' }],
  evolve: (state: Notes, e: NoteEvent): Notes =>
    e.type === 'Added' ? { ...state, ids: [...state.ids, e.id] } : { ...state, seen: state.seen + 1 },
};

const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('the scenario passed');
    },
    (e: unknown) => e as ScenarioFailure,
  );

describe('given() checks that decide and evolve are pure', () => {
  it('fails a decide that makes ids from Math.random, naming the command and the path', async () => {
    const notes = defineAggregate({
      ...pure,
      decide: (_s: Notes, c: NoteCommand): NoteEvent[] =>
        c.type === 'add' ? [{ type: 'Added', id: Math.random().toString(36), text: c.text }] : [],
    });
    const failure = await failureOf(
      given(notes)
        .when({ type: 'add', text: 'hi' })
        .thenState(() => true),
    );
    expect(failure).toBeInstanceOf(ScenarioFailure);
    expect(failure.message).toMatch(/^notes 'test' given no events, when \{"type":"add","text":"hi"\}:\n/);
    expect(failure.message).toMatch(/decide is not pure: the command \{"type":"add","text":"hi"\}/);
    expect(failure.message).toMatch(/decide\[0\]\.id: "0\.\w+" vs "0\.\w+"/);
    expect(failure.message).toMatch(/ctx\.now for the time/);
  });

  it('fails a decide that reads the clock, though both runs fall within one millisecond', async () => {
    const notes = defineAggregate({
      ...pure,
      decide: (state: Notes, c: NoteCommand): NoteEvent[] =>
        c.type === 'add'
          ? [{ type: 'Added', id: `n-${state.ids.length}`, text: c.text, at: Date.now() }]
          : [],
    });
    for (let i = 0; i < 20; i++) {
      const failure = await failureOf(given(notes).when({ type: 'add', text: 'hi' }).thenFails());
      expect(failure.message).toMatch(/decide\[0\]\.at: \d+ vs \d+/);
    }
  });

  it('fails a decide that rejects only sometimes', async () => {
    let calls = 0;
    const notes = defineAggregate({
      ...pure,
      decide: (s: Notes, c: NoteCommand): NoteEvent[] => {
        calls += 1;
        if (calls % 2 === 0) reject('busy', 'try later');
        return pure.decide(s, c);
      },
    });
    const failure = await failureOf(
      given(notes)
        .when({ type: 'check' })
        .then([{ type: 'Checked' }]),
    );
    expect(failure.message).toMatch(
      /decide is not pure.*decide: \[\{"type":"Checked"\}\] vs \{"rejected":"busy"/s,
    );
  });

  it('fails an evolve that reads the clock, naming the event, even when decide is pure', async () => {
    const notes = defineAggregate({
      ...pure,
      evolve: (state: Notes, e: NoteEvent): Notes => ({ ...pure.evolve(state, e), seen: Date.now() }),
    });
    const failure = await failureOf(
      givenState(notes, { ids: [], seen: 0 }).when({ type: 'check' }).thenFails(),
    );
    expect(failure.message).toMatch(
      /evolve is not pure: folding event #1 \{"type":"Checked"\} twice into the same state gave two different states \(state\.seen: \d+ vs \d+\)/,
    );
  });

  it('fails an evolve that keeps a counter outside the state', async () => {
    let folded = 0;
    const notes = defineAggregate({
      ...pure,
      evolve: (state: Notes, e: NoteEvent): Notes => {
        folded += 1;
        return { ...pure.evolve(state, e), seen: folded };
      },
    });
    const failure = await failureOf(
      given(notes)
        .when({ type: 'check' })
        .then([{ type: 'Checked' }]),
    );
    expect(failure.message).toMatch(/evolve is not pure/);
  });

  it('passes pure aggregates, rejections and thrown bugs alike', async () => {
    const notes = defineAggregate(pure);
    await given(notes, [{ type: 'Added', id: 'n-1', text: 'a' }])
      .when({ type: 'add', text: 'b' })
      .then([{ type: 'Added', id: 'n-2', text: 'b' }]);
    const picky = defineAggregate({
      ...pure,
      decide: (_s: Notes, c: NoteCommand): NoteEvent[] => {
        if (c.type === 'check') reject('nothing-to-check');
        throw new Error('decide bug');
      },
    });
    await given(picky).when({ type: 'check' }).thenRejects('nothing-to-check');
    await given(picky).when({ type: 'add', text: 'x' }).thenFails('decide bug');
  });

  it('can be turned off with checkPurity: false, and refuses a non-boolean', async () => {
    const notes = defineAggregate({
      ...pure,
      decide: (_s: Notes, c: NoteCommand): NoteEvent[] =>
        c.type === 'add' ? [{ type: 'Added', id: Math.random().toString(36), text: c.text }] : [],
    });
    await given(notes, [], { checkPurity: false })
      .when({ type: 'add', text: 'hi' })
      .thenState((s) => s.ids.length === 1);
    expect(() => given(notes, [], { checkPurity: 'no' as unknown as boolean })).toThrow(
      /'checkPurity' must be a boolean/,
    );
  });

  it('leaves the real clock in place after each check, even when the second run throws', async () => {
    const RealDate = Date;
    let calls = 0;
    const notes = defineAggregate({
      ...pure,
      decide: (): NoteEvent[] => {
        calls += 1;
        if (calls === 2) throw new Error('only the second time');
        return [];
      },
    });
    await failureOf(given(notes).when({ type: 'check' }).thenNothingHappens());
    expect(globalThis.Date).toBe(RealDate);
  });
});
