export type { FormatMigrationProgress } from './format-migration.js';
export {
  type Durability,
  type LevelStore,
  type LevelStoreOptions,
  type LevelStoreStats,
  levelStore,
} from './level-store.js';
export { type RepairOptions, type RepairResult, repairLevelStore } from './repair.js';
export type { ListStreamsOptions, StreamInfo } from './stream-listing.js';
export type { LostTail } from './tail-mark.js';
