import {
  type AppendOptions,
  type DomainEvent,
  type EventEnvelope,
  type EventStore,
  memoryStore,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  StoreError,
} from '../../src/index.js';

interface Gated {
  readonly streamId: string;
  readonly events: readonly NewEvent[];
  readonly opts: AppendOptions;
  resolve(envelopes: EventEnvelope[]): void;
  reject(error: unknown): void;
}

/**
 * A memory store whose appends wait, in call order, until the test lets the oldest through
 * (`release`) or fails it (`fail`): a disk whose syncs the test schedules. It declares
 * `pipelinedAppends` (unless told not to) and keeps that contract: appends reach the memory store
 * in call order, and one failed here fails the later ones of its chain.
 */
export class GatedStore implements EventStore {
  readonly inner = memoryStore();
  readonly pending: Gated[] = [];
  /** Most appends waiting at once. */
  mostPending = 0;
  readonly pipelinedAppends: boolean;

  constructor(pipelined = true) {
    this.pipelinedAppends = pipelined;
  }

  get snapshots() {
    return this.inner.snapshots;
  }

  get checkpoints() {
    return this.inner.checkpoints;
  }

  append<E extends DomainEvent>(
    streamId: string,
    events: readonly NewEvent<E>[],
    opts: AppendOptions,
  ): Promise<EventEnvelope<E>[]> {
    return new Promise<EventEnvelope<E>[]>((resolve, reject) => {
      this.pending.push({
        streamId,
        events,
        opts,
        resolve: resolve as (envelopes: EventEnvelope[]) => void,
        reject,
      });
      this.mostPending = Math.max(this.mostPending, this.pending.length);
    });
  }

  /** Lets the oldest waiting append reach the memory store (which checks its version and chain). */
  async release(): Promise<void> {
    const g = this.#next();
    try {
      g.resolve(await this.inner.append(g.streamId, g.events, g.opts));
    } catch (error) {
      g.reject(error);
    }
  }

  /** Fails the oldest waiting append with a StoreError, as a disk that could not write it. */
  fail(): void {
    const g = this.#next();
    if (g.opts.chain !== undefined) g.opts.chain.failed = true;
    g.reject(new StoreError('IO', 'injected write failure'));
  }

  #next(): Gated {
    const g = this.pending.shift();
    if (g === undefined) throw new Error('no append is waiting');
    return g;
  }

  readStream(streamId: string, opts?: ReadStreamOptions) {
    return this.inner.readStream(streamId, opts);
  }

  readAll(opts?: ReadAllOptions) {
    return this.inner.readAll(opts);
  }

  streamVersion(streamId: string): Promise<number> {
    return this.inner.streamVersion(streamId);
  }

  knownStreamVersion(streamId: string): number | undefined {
    return this.inner.knownStreamVersion?.(streamId);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
