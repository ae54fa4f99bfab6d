export {
  type Durability,
  type LevelStore,
  type LevelStoreOptions,
  type LevelStoreStats,
  levelStore,
} from './level-store.js';
export type { ListStreamsOptions, StreamInfo } from './stream-listing.js';
