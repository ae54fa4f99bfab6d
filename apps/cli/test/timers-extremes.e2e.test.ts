/**
 * `actorfold timers --data` on a folder holding a timer due beyond the range of a Date (stores
 * keep any safe integer; the runtime schedules none, but another writer or an old record may):
 * the listing shows it, in the table and in --json, instead of failing the command.
 */
import { join } from 'node:path';
import type { TimersView } from '@actorfold/admin';
import type { TimerRecord } from '@actorfold/core';
import { levelStore } from '@actorfold/level';
import { describe, expect, it } from 'vitest';
import { cli, cliJson } from './support/cli.js';
import { freshDir } from './support/folders.js';

describe('actorfold timers on a due time no Date can hold', () => {
  it('lists a stored timer due at Number.MAX_SAFE_INTEGER, offline, in the table and as JSON', async () => {
    const data = join(freshDir(), 'store');
    const store = await levelStore({ path: data });
    const timer: TimerRecord = {
      streamId: 'offer/far',
      name: 'expiry',
      dueAt: Number.MAX_SAFE_INTEGER,
      command: { type: 'expire' },
      version: 1,
      missed: 'fire',
    };
    await store.append('offer/far', [{ data: { type: 'OfferMade' } }], {
      expectedVersion: 0,
      timers: [{ op: 'schedule', timer }],
    });
    await store.close();

    const table = await cli(['timers', '--data', data]);
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/offer\/far\s+expiry\s+\+287396-10-12T08:59:00\.991Z\s+expire\s+fire/);
    const view = await cliJson<TimersView>(['timers', '--data', data]);
    expect(view.timers.map((t) => [t.streamId, t.dueAt])).toEqual([
      ['offer/far', '+287396-10-12T08:59:00.991Z'],
    ]);
  });
});
