import { type DomainEvent, defineAggregate, upcaster } from '@actorfold/core';
import { describe, expect, it } from 'vitest';
import { given, ScenarioFailure } from '../src/index.js';

type Added = { type: 'Added'; by: number; unit: string };
type AddedV1 = { type: 'Added'; by: number };

/** Schema 2: Added gained a `unit`; Reset@1 events are dropped; Doubled@1 becomes two Added. */
const counter = defineAggregate<{ total: number; units: string[] }, { type: 'add'; by: number }, Added>({
  type: 'counter',
  eventSchemaVersion: 2,
  upcasters: [
    upcaster<AddedV1, Added>('Added', 1, (e) => ({ ...e, unit: 'pcs' })),
    upcaster('Reset', 1, () => []),
    upcaster<{ type: 'Doubled'; by: number }, Added>('Doubled', 1, (e) => [
      { type: 'Added', by: e.by, unit: 'pcs' },
      { type: 'Added', by: e.by, unit: 'pcs' },
    ]),
  ],
  initialState: () => ({ total: 0, units: [] }),
  decide: (_s, c, ctx) => [{ type: 'Added', by: c.by + ctx.version * 1000, unit: 'pcs' }],
  evolve: (s, e) => ({ total: s.total + e.by, units: [...s.units, e.unit] }),
});

describe('given(): events stored at an older schema', () => {
  it('reads them through the upcasters, once each, and counts one version per stored event', async () => {
    const result = await given(counter)
      .givenAtSchema(1, [
        { type: 'Added', by: 1 },
        { type: 'Reset' },
        { type: 'Doubled', by: 2 } as DomainEvent,
      ] as DomainEvent[])
      .given([{ type: 'Added', by: 3, unit: 'kg' }])
      .when({ type: 'add', by: 0 })
      .then([{ type: 'Added', by: 4000, unit: 'pcs' }]);
    expect(result.state).toEqual({ total: 4008, units: ['pcs', 'pcs', 'pcs', 'kg', 'pcs'] });
    expect(result.version).toBe(5);
  });

  it('fails the scenario with the upcaster error (UPCAST_FAILED) as its cause, never skipping the event', async () => {
    const broken = defineAggregate({
      ...counter,
      upcasters: [{ type: 'Added', fromVersion: 1, upcast: () => 'oops' as unknown as DomainEvent }],
    });
    const failure = await given(broken)
      .givenAtSchema(1, [{ type: 'Added', by: 1 } as DomainEvent])
      .when({ type: 'add', by: 1 })
      .thenNothingHappens()
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ScenarioFailure);
    expect((failure as Error).message).toContain(
      'given event #1 {"type":"Added","by":1} at schema version 1 cannot be read: counter/test@1: the upcaster of Added from schema version 1 returned a string',
    );
    expect((failure as Error).cause).toMatchObject({
      code: 'UPCAST_FAILED',
      streamId: 'counter/test',
      version: 1,
    });
  });

  it('refuses events from a newer schema than the definition (UNKNOWN_EVENT_SCHEMA)', async () => {
    const failure = await given(counter)
      .givenAtSchema(3, [{ type: 'Added', by: 1 } as DomainEvent])
      .when({ type: 'add', by: 1 })
      .thenNothingHappens()
      .catch((e: unknown) => e);
    expect((failure as Error).cause).toMatchObject({
      code: 'UNKNOWN_EVENT_SCHEMA',
      schemaVersion: 3,
      supported: 2,
    });
  });

  it('names the schema of older events in failure messages', async () => {
    const failure = await given(counter)
      .givenAtSchema(1, [{ type: 'Added', by: 1 } as DomainEvent])
      .when({ type: 'add', by: 1 })
      .thenNothingHappens()
      .catch((e: unknown) => e);
    expect((failure as Error).message).toContain("counter 'test' given [Added@v1], when");
  });

  it('rejects a schemaVersion that is not a positive integer', () => {
    expect(() => given(counter).givenAtSchema(0, [])).toThrow(/positive integer/);
  });
});
