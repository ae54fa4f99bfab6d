/**
 * How a command type becomes the type of the domain event that records it: commands are
 * imperative and verb first (`confirmSwitch`), events are past tense with the verb last
 * (`SwitchConfirmed`). The rule is part of the stored format: it never changes, and a verb it
 * gets wrong is named in `eventTypes` instead.
 */
import { InvalidArgument } from '@actorfold/core';

/** Past participles the regular rule would get wrong. Frozen: entries are never changed or added. */
const IRREGULAR: Readonly<Record<string, string>> = {
  bind: 'bound',
  build: 'built',
  buy: 'bought',
  choose: 'chosen',
  cut: 'cut',
  deal: 'dealt',
  do: 'done',
  find: 'found',
  freeze: 'frozen',
  give: 'given',
  hold: 'held',
  lay: 'laid',
  lend: 'lent',
  make: 'made',
  pay: 'paid',
  put: 'put',
  read: 'read',
  reset: 'reset',
  sell: 'sold',
  send: 'sent',
  set: 'set',
  shut: 'shut',
  spend: 'spent',
  split: 'split',
  take: 'taken',
  undo: 'undone',
  unfreeze: 'unfrozen',
  withdraw: 'withdrawn',
  write: 'written',
};

/** Verbs whose last consonant doubles (`stop` → `stopped`; `cancel` → `cancelled`, as event-sourcing examples spell it). Frozen. */
const DOUBLED: ReadonlySet<string> = new Set([
  'admit',
  'ban',
  'cancel',
  'commit',
  'drop',
  'emit',
  'flag',
  'grab',
  'label',
  'omit',
  'permit',
  'pin',
  'plan',
  'plug',
  'refer',
  'ship',
  'skip',
  'step',
  'stop',
  'submit',
  'swap',
  'tag',
  'transfer',
  'trim',
  'unpin',
  'unplug',
  'zip',
]);

/**
 * The default event type of a command type: the words after the first, then the first word in
 * the past tense, in PascalCase. Words are split at camelCase humps, `-`, `_` and spaces. A
 * dotted prefix is a namespace and stays in front.
 * @example
 * pastTenseEventType('confirm');            // 'Confirmed'
 * pastTenseEventType('requestSwitch');      // 'SwitchRequested'
 * pastTenseEventType('verify-master-data'); // 'MasterDataVerified'
 * pastTenseEventType('mako.cancelSwitch');  // 'MakoSwitchCancelled'
 */
export function pastTenseEventType(commandType: string): string {
  const dot = commandType.lastIndexOf('.');
  const namespace = words(commandType.slice(0, Math.max(dot, 0)));
  const [verb, ...rest] = words(commandType.slice(dot + 1));
  if (verb === undefined) return namespace.map(capitalise).join('');
  return [...namespace, ...rest, pastParticiple(verb)].map(capitalise).join('');
}

function words(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[\s\-_.]+/)
    .filter((w) => w.length > 0)
    .map((w) => w.toLowerCase());
}

function pastParticiple(verb: string): string {
  // Own entries only: the verb 'constructor' must not find Object.prototype's.
  if (Object.hasOwn(IRREGULAR, verb)) return IRREGULAR[verb] as string;
  if (DOUBLED.has(verb)) return `${verb}${verb.slice(-1)}ed`;
  if (verb.endsWith('e')) return `${verb}d`;
  if (/[^aeiou]y$/.test(verb)) return `${verb.slice(0, -1)}ied`;
  return `${verb}ed`;
}

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/**
 * Maps every command type the machines take to its event type: `overrides` first, the
 * past-tense rule otherwise. Refuses overrides for commands no machine takes (a typo), empty
 * names, and two commands recorded under one event type (readers could not tell them apart).
 */
export function eventTypeTable(
  aggregateType: string,
  commandTypes: readonly string[],
  overrides: Readonly<Record<string, string | undefined>> = {},
): ReadonlyMap<string, string> {
  const known = new Set(commandTypes);
  for (const key of Object.keys(overrides)) {
    if (!known.has(key)) {
      throw new InvalidArgument(
        `${aggregateType}: eventTypes names '${key}', which no machine takes as a command (commands: ${commandTypes.join(', ')})`,
      );
    }
  }
  const table = new Map<string, string>();
  const byEvent = new Map<string, string>();
  for (const command of commandTypes) {
    // Own keys only: a command named 'toString' or 'constructor' must not find Object.prototype's.
    const eventType =
      (Object.hasOwn(overrides, command) ? overrides[command] : undefined) ?? pastTenseEventType(command);
    if (typeof eventType !== 'string' || eventType.trim().length === 0) {
      throw new InvalidArgument(`${aggregateType}: the event type of command '${command}' is empty`);
    }
    const clash = byEvent.get(eventType);
    if (clash !== undefined) {
      throw new InvalidArgument(
        `${aggregateType}: commands '${clash}' and '${command}' would both be recorded as '${eventType}'; ` +
          'name one of them in eventTypes',
      );
    }
    byEvent.set(eventType, command);
    table.set(command, eventType);
  }
  return table;
}
