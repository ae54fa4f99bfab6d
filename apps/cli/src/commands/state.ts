/**
 * `actorfold state <stream> --module <file>`: an aggregate's state, replayed offline by folding
 * the module's `initialState`/`evolve` over the stream, each event read as the runtime reads it
 * (decoded by its codec, then upcast by the definition's upcasters). No runtime is created, so
 * nothing (not even a snapshot) is written.
 */
import { type EventEnvelope, parseStreamId, upcastEnvelope } from '@actorfold/core';
import { CliError, EXIT } from '../cli-error.js';
import { loadAggregates } from '../load-aggregates.js';
import { count, type Output } from '../output.js';
import { progress } from '../progress.js';
import { withStore } from '../store-access.js';

export interface StateOptions {
  data: string;
  module: string;
  /** Replay up to this version only. */
  to?: number;
}

/** The `--json` shape. */
export interface StateResult {
  stream: string;
  aggregateType: string;
  version: number;
  state: unknown;
}

export async function state(stream: string, opts: StateOptions, out: Output): Promise<void> {
  const { aggregateType, aggregateId } = parseStreamId(stream);
  const defs = await loadAggregates(opts.module);
  const def = defs.get(aggregateType);
  if (def === undefined) {
    throw new CliError(
      EXIT.NOT_FOUND,
      `${opts.module} exports no aggregate of type '${aggregateType}' (it has: ${[...defs.keys()].join(', ')})`,
    );
  }
  const liveForm = `actorfold inspect ${aggregateType} ${aggregateId} --socket <path>`;
  const result = await withStore(opts.data, liveForm, async (store) => {
    const head = await store.streamVersion(stream);
    if (head === 0)
      throw new CliError(
        EXIT.NOT_FOUND,
        `stream ${stream} has no events`,
        'list them with actorfold streams',
      );
    const until = Math.min(head, opts.to ?? head);
    const bar = progress(`replaying ${stream}`, { json: out.json, total: until });
    let s = def.initialState();
    let version = 0;
    try {
      for await (const stored of store.readStream(stream, { limit: until })) {
        // UPCAST_FAILED and UNKNOWN_EVENT_SCHEMA reach the user with their codes.
        for (const e of upcastEnvelope(def, stored)) s = fold(def.evolve, s, e, stream);
        version = stored.version;
        if (version % 1000 === 0) bar.update(version);
      }
    } finally {
      bar.stop();
    }
    return { stream, aggregateType, version, state: s };
  });
  if (out.json) return out.data(result);
  out.line(
    `${stream} at version ${count(result.version)} (replayed with '${aggregateType}' from ${opts.module})`,
  );
  out.block(JSON.stringify(result.state, null, 2));
}

function fold(
  evolve: (state: unknown, event: EventEnvelope['data']) => unknown,
  s: unknown,
  e: EventEnvelope,
  stream: string,
): unknown {
  try {
    return evolve(s, e.data);
  } catch (err) {
    throw new CliError(
      EXIT.FAILED,
      `evolve threw at ${stream} version ${e.version} (${e.type}): ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
