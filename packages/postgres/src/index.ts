export type { ReleaseLease } from './lease.js';
export { type MigrateOptions, type MigrationResult, migrate, SCHEMA_VERSION } from './migrations.js';
export { isNotOwner, NotOwner } from './not-owner.js';
export type { NotificationMode, NotificationStats } from './notifications.js';
export {
  type Ownership,
  type PostgresStore,
  type PostgresStoreOptions,
  type PostgresStoreStats,
  postgresStore,
} from './postgres-store.js';
