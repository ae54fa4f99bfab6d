/**
 * Which aggregate a command means. Every command that names one takes both spellings:
 * `account/alice` (the stream id, as `events` prints it) and `account alice` (type and id).
 */
import { CliError, EXIT } from './cli-error.js';

export interface Target {
  type: string;
  id: string;
  /** `type/id` */
  stream: string;
}

/** Reads `<type>/<id>` or `<type> <id>`; anything else is a usage error that shows both forms. */
export function target(first: string, second: string | undefined): Target {
  if (second !== undefined) {
    if (first.length === 0 || second.length === 0) throw bad(`${first} ${second}`);
    return { type: first, id: second, stream: `${first}/${second}` };
  }
  const slash = first.indexOf('/');
  if (slash <= 0 || slash === first.length - 1) throw bad(first);
  return { type: first.slice(0, slash), id: first.slice(slash + 1), stream: first };
}

function bad(given: string): CliError {
  return new CliError(
    EXIT.USAGE,
    `cannot tell the aggregate from ${JSON.stringify(given)}`,
    'name it as type/id (account/alice) or as type and id (account alice)',
  );
}
