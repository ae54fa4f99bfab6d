import {
  type CheckpointStore,
  CorruptData,
  type EventEnvelope,
  type EventStore,
  type ReadAllOptions,
  StoreError,
} from '../../src/index.js';

/**
 * A store whose reads and checkpoints fail while `down` (StoreError CONNECTION, as a database
 * that restarts), or with CorruptData while `corrupt`. Appends always go through, as another
 * node's would. A read that fails does so after yielding part of its page, so a subscriber that
 * delivered a page before it was read whole would repeat events.
 */
export class OutageStore implements EventStore {
  down = false;
  corrupt = false;
  /** Calls refused while down. */
  refused = 0;
  readonly inner: EventStore;
  readonly checkpoints: CheckpointStore;

  constructor(inner: EventStore) {
    this.inner = inner;
    const cp = inner.checkpoints;
    this.checkpoints = {
      get: (name) => this.#gate().then(() => cp.get(name)),
      set: (name, position) => this.#gate().then(() => cp.set(name, position)),
      getState: (name) => this.#gate().then(() => cp.getState?.(name)),
      setState: (name, position, state) => this.#gate().then(() => cp.setState?.(name, position, state)),
      delete: (name) => this.#gate().then(() => cp.delete?.(name)),
    };
  }

  get snapshots() {
    return this.inner.snapshots;
  }

  append: EventStore['append'] = (streamId, events, opts) => this.inner.append(streamId, events, opts);
  readStream: EventStore['readStream'] = (streamId, opts) => this.inner.readStream(streamId, opts);
  streamVersion: EventStore['streamVersion'] = (streamId) => this.inner.streamVersion(streamId);
  knownStreamVersion = (streamId: string) => this.inner.knownStreamVersion?.(streamId);
  onAppend = (listener: (position: number) => void) => this.inner.onAppend?.(listener) ?? (() => undefined);

  async lastPosition(): Promise<number> {
    await this.#gate();
    return (await this.inner.lastPosition?.()) ?? 0;
  }

  async *readAll(opts?: ReadAllOptions): AsyncIterable<EventEnvelope> {
    let n = 0;
    for await (const e of this.inner.readAll(opts)) {
      // Fail part-way through the page (after its first event), or at its start when it has one.
      if (n++ >= 1 || this.corrupt) await this.#gate(e.position);
      yield e;
    }
    await this.#gate();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  async #gate(position = 0): Promise<void> {
    if (this.corrupt && position > 0) throw new CorruptData('log', position, 'damaged record');
    if (!this.down) return;
    this.refused++;
    throw new StoreError('CONNECTION', 'connection refused (the server is restarting)');
  }
}
