import { TimerRecorder } from '@actorfold/core';
import { describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { fromMachine, pastTenseEventType } from '../src/index.js';
import { RecordingEffects } from './support/recording-effects.js';

describe('event names', () => {
  it.each([
    ['confirm', 'Confirmed'],
    ['approve', 'Approved'],
    ['verify', 'Verified'],
    ['deploy', 'Deployed'],
    ['requestSwitch', 'SwitchRequested'],
    ['verifyMasterData', 'MasterDataVerified'],
    ['verify-master-data', 'MasterDataVerified'],
    ['start_supply', 'SupplyStarted'],
    ['REQUEST_SWITCH', 'SwitchRequested'],
    ['mako.confirm', 'MakoConfirmed'],
    ['mako.gpke.cancelSwitch', 'MakoGpkeSwitchCancelled'],
    ['cancelSwitch', 'SwitchCancelled'],
    ['stop', 'Stopped'],
    ['submitForm', 'FormSubmitted'],
    ['payInvoice', 'InvoicePaid'],
    ['sendReminder', 'ReminderSent'],
    ['withdraw', 'Withdrawn'],
    ['open', 'Opened'],
    ['resetPIN', 'PinReset'],
    ['parseXMLFile', 'XmlFileParsed'],
  ])('records command %s as %s', (command, event) => {
    expect(pastTenseEventType(command)).toBe(event);
  });

  const machine = createMachine({
    id: 'm',
    initial: 'a',
    states: { a: { on: { confirmSwitch: 'b', 'confirm-switch': 'b', go: 'b' } }, b: {} },
  });

  it('refuses two commands that would share an event type, until eventTypes tells them apart', () => {
    expect(() => fromMachine({ type: 'm', machines: { v1: machine } })).toThrow(
      /commands 'confirmSwitch' and 'confirm-switch' would both be recorded as 'SwitchConfirmed'; name one of them in eventTypes/,
    );
    const named = fromMachine({
      type: 'm',
      machines: { v1: machine },
      eventTypes: { 'confirm-switch': 'Legacy' },
    });
    expect(named.decide(named.initialState(), { type: 'confirm-switch' }, ctx)[0]?.type).toBe('Legacy');
    expect(named.decide(named.initialState(), { type: 'confirmSwitch' }, ctx)[0]?.type).toBe(
      'SwitchConfirmed',
    );
    // The definition lists every event type it records, for projections' handlers.
    expect([...named.eventTypes].sort()).toEqual(['Goed', 'Legacy', 'SwitchConfirmed']);
  });

  it("names commands called like Object.prototype's members (toString, constructor) by the rule", () => {
    const odd = createMachine({
      initial: 'a',
      states: { a: { on: { toString: 'b', constructor: 'b' } }, b: {} },
    });
    const def = fromMachine({ type: 'odd', machines: { v1: odd } });
    expect([...def.eventTypes].sort()).toEqual(['Constructored', 'StringToed']);
    expect(def.decide(def.initialState(), { type: 'toString' }, ctx)[0]?.type).toBe('StringToed');
    expect(pastTenseEventType('constructor')).toBe('Constructored');
  });

  it('refuses eventTypes for a command no machine takes (a typo) and empty names', () => {
    const base = { type: 'm', machines: { v1: machine } } as const;
    expect(() => fromMachine({ ...base, eventTypes: { go: 'Went', cofnirm: 'Y' } as never })).toThrow(
      /eventTypes names 'cofnirm', which no machine takes as a command/,
    );
    expect(() => fromMachine({ ...base, eventTypes: { 'confirm-switch': 'Legacy', go: ' ' } })).toThrow(
      /the event type of command 'go' is empty/,
    );
  });
});

const ctx = {
  aggregateType: 'm',
  aggregateId: 'x',
  version: 0,
  now: new Date(0),
  metadata: {},
  timers: new TimerRecorder(0),
  effects: new RecordingEffects(),
};
