export { databaseErrorOf, translatingErrors, typedErrors } from './database-errors.js';
export { dialectOfUrl } from './database-url.js';
export {
  type MysqlQueryable,
  mysqlExecutor,
  type PgQueryable,
  pgExecutor,
  type SqliteDatabase,
  sqliteExecutor,
} from './drivers.js';
export { type SqlTarget, toSqlExecutor } from './executor.js';
export {
  type ListenerHooks,
  type OpenListening,
  pgListening,
  ReconnectingListener,
} from './listener.js';
export { driverLocation, loadDriver, type OptionalDriver, optionalDrivers } from './load-driver.js';
export {
  appliedVersion,
  latestVersion,
  type Migration,
  type MigrationTarget,
  migrateSchema,
  refuseUnrecordedTables,
  schemaSql,
  type VersionedSchema,
} from './migrations.js';
export { listenToEveryClient, withPgClient } from './pg-client.js';
export { type Plan, runPlan, runPlanSync, type Step } from './plan.js';
export { redactUrl } from './redact.js';
export {
  isSync,
  type QueryResult,
  type Row,
  type SqlDialect,
  type SqlExecutor,
  type SyncSqlExecutor,
} from './types.js';
