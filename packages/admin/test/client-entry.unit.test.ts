/** The `@actorfold/admin/client` entry: a part of the main entry, the same objects under the same names. */
import { describe, expect, it } from 'vitest';
import * as client from '../src/client.js';
import * as main from '../src/index.js';

describe('the client entry', () => {
  it('exports only names the main entry exports, bound to the same values', () => {
    const all: Record<string, unknown> = main;
    for (const [name, value] of Object.entries(client)) expect(all[name], name).toBe(value);
    expect(Object.keys(client).sort()).toEqual(
      [
        'AdminError',
        'EFFECT_STATES',
        'TIMER_STATUSES',
        'adminClient',
        'eventMatcher',
        'filteredPage',
        'httpStatusOf',
        'isAdminError',
        'isFiltering',
        'parseInstant',
      ].sort(),
    );
  });
});
