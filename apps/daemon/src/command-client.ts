/** A small client of the daemon's command API (see command-api.ts), for the demo load and tests. */

/** What a successful command answers. */
export interface CommandAnswer<S = unknown> {
  streamId: string;
  version: number;
  deduplicated: boolean;
  state: S;
  events: Array<{ type: string; version: number; position: number; data: Record<string, unknown> }>;
}

/** A command the API refused or failed: the HTTP status and the error body's fields. */
export class CommandFailed extends Error {
  override readonly name = 'CommandFailed';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly reason?: string,
    readonly details?: unknown,
    /** For INVALID_COMMAND: which field is wrong, and how. */
    readonly issues?: ReadonlyArray<{ path?: string; message: string }>,
    /** For STORE_ERROR: the command may be stored; resend it with the same commandId. */
    readonly outcomeUnknown = false,
  ) {
    super(message);
  }
}

export interface CommandOptions {
  commandId?: string;
  expectedVersion?: number;
  correlationId?: string;
}

/** Talks to the command API at `baseUrl` (for example `http://127.0.0.1:3100`). */
export class CommandClient {
  constructor(readonly baseUrl: string) {}

  /** Sends one command; resolves with the answer or rejects with CommandFailed. */
  async execute<S = unknown>(
    type: string,
    id: string,
    command: { type: string; [k: string]: unknown },
    opts: CommandOptions = {},
  ): Promise<CommandAnswer<S>> {
    const res = await fetch(
      `${this.baseUrl}/v1/commands/${encodeURIComponent(type)}/${encodeURIComponent(id)}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ command, ...opts }),
      },
    );
    return answer<CommandAnswer<S>>(res);
  }

  /** The aggregate's current state and version. */
  async state<S = unknown>(
    type: string,
    id: string,
  ): Promise<{ streamId: string; version: number; state: S }> {
    const res = await fetch(
      `${this.baseUrl}/v1/aggregates/${encodeURIComponent(type)}/${encodeURIComponent(id)}`,
    );
    return answer(res);
  }
}

async function answer<T>(res: Response): Promise<T> {
  const body = (await res.json()) as T & {
    error?: {
      code: string;
      message: string;
      reason?: string;
      details?: unknown;
      issues?: Array<{ path?: string; message: string }>;
      outcomeUnknown?: boolean;
    };
  };
  if (res.ok) return body;
  const e = body.error ?? { code: 'UNKNOWN', message: `HTTP ${res.status}` };
  throw new CommandFailed(
    res.status,
    e.code,
    e.message,
    e.reason,
    e.details,
    e.issues,
    'outcomeUnknown' in e && e.outcomeUnknown === true,
  );
}
