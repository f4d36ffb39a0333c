import type { Migration, Plan, SqlDialect, SqlExecutor } from '../../sql/index.js';

/** The table names of one outbox, all sharing its prefix. */
export interface Tables {
  readonly migrations: string;
  readonly queues: string;
  readonly partitions: string;
  readonly incoming: string;
  readonly outgoing: string;
  readonly processors: string;
  readonly vacuum: string;
  readonly deadLetters: string;
  readonly dedupe: string;
  readonly starts: string;
}

export function tablesFor(prefix: string): Tables {
  return {
    migrations: `${prefix}_migrations`,
    queues: `${prefix}_queues`,
    partitions: `${prefix}_partitions`,
    incoming: `${prefix}_incoming`,
    outgoing: `${prefix}_outgoing`,
    processors: `${prefix}_processors`,
    vacuum: `${prefix}_vacuum`,
    deadLetters: `${prefix}_dead_letters`,
    dedupe: `${prefix}_dedupe`,
    starts: `${prefix}_starts`,
  };
}

/** One schema version: the statements that bring the previous version to this one. */
export type { Migration };

/** What a dialect can do, so shared code branches on capabilities rather than on names. */
export interface Capabilities {
  /** NOTIFY inside a transaction is delivered to other connections when it commits. */
  readonly notifyOnCommit: boolean;
  /** `FOR UPDATE SKIP LOCKED` lets concurrent workers pass rows another one holds. */
  readonly skipLocked: boolean;
  /** One writer at a time for the whole database; the outbox uses a single connection. */
  readonly singleWriter: boolean;
  /** DDL can run inside a transaction and roll back. */
  readonly transactionalDdl: boolean;
}

/**
 * The statements whose text differs between dialects. Everything else is in
 * `shared-statements.ts`. All use `?` placeholders, in the order the parameters are passed.
 */
export interface DialectStatements {
  /** Epoch milliseconds by the database clock, so every process judges leases by one clock. */
  readonly now: string;
  /** `INSERT` of `rows` value tuples (each given as SQL) that skips rows whose key exists. */
  insertIgnore(table: string, columns: readonly string[], rows: readonly string[]): string;
  /** Reads a partition's next sequence number, locking its row (or nothing when another holds it). */
  readonly lockPartition: string;
  /** Reads a partition's processor cursor, locking it for a transactional delivery. */
  readonly lockCursor: string;
  /** Reads dead letters for a redrive, locking them where the database can. */
  readonly lockSuffix: string;
  /**
   * Ends the read of dedupe owners after their insert, so it sees the newest committed row and not
   * the transaction's snapshot (MySQL's REPEATABLE READ would miss a key committed since).
   */
  readonly currentRead: string;
  /** `INSERT` of one row (`?` per column) that replaces the row with the same first column. */
  upsert(table: string, columns: readonly string[]): string;
  /** The names among `?` (as many as given) of tables that exist in the current schema. */
  existingTables(n: number): string;
  /**
   * Sequences many partitions in one statement, notifying their processors, and reads the first
   * messages of those whose processor here waits for them, recording that their delivery begins
   * (parameters: partition ids, how many per partition; the waiting partitions' ids, acknowledged
   * sequences and batch sizes; notification channel, sender). Returns rows per partition it locked:
   * `id`, `moved`, `picked`, and a message read for it (`seq` and the message columns) or none;
   * a partition without a row was busy.
   */
  readonly sequencePartitions?: string;
  /**
   * Reads a partition's next messages and records that their delivery begins, in one statement, for
   * a holder that knows the start record covers none of them (parameters: partition id, acknowledged
   * sequence, limit). Without it, the select and the record run one after the other.
   */
  readonly takeMessages?: string;
  /**
   * Leased acknowledgements of many partitions in one statement (parameters: arrays of partition
   * ids, sequences, lease tokens, next tokens, lease milliseconds); returns the `partition_id`s
   * whose lease still held.
   */
  readonly ackLeasedMany?: string;
}

/**
 * True for an error that asks for its connection to be closed: code that may still hold the
 * connection (a handler past its deadline) must not reach whoever uses it next.
 */
export const mustDiscard = (e: unknown): boolean =>
  (e as { discardConnection?: unknown })?.discardConnection === true;

/** A dialect: its name, capabilities, schema history and the statements that differ. */
export interface Dialect {
  readonly name: SqlDialect;
  readonly capabilities: Capabilities;
  migrations(t: Tables): Migration[];
  /** Creates the table that records applied versions, if missing. */
  migrationsTable(t: Tables): string;
  statements(t: Tables): DialectStatements;
  /** Runs `fn` holding a lock that keeps other processes from migrating the same prefix at once. */
  withMigrationLock<T>(conn: OutboxConnection, key: string, fn: (ex: SqlExecutor) => Promise<T>): Promise<T>;
}

/** The outbox's own connections to its database (not the caller's). */
export interface OutboxConnection {
  readonly dialect: SqlDialect;
  /** Runs one statement outside any transaction. */
  readonly executor: SqlExecutor;
  /**
   * Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. `client` is
   * the driver's own connection, handed to transactional handlers. When `fn` throws an error with
   * `discardConnection: true` (see {@link mustDiscard}), the connection is closed, not reused.
   */
  transaction<T>(fn: (tx: SqlExecutor, client: unknown) => Promise<T>): Promise<T>;
  /**
   * Runs a plan in a transaction. On SQLite it runs synchronously, so the write lock is never held
   * across an await (other code in the process may want to write meanwhile).
   */
  transactionPlan<T>(plan: () => Plan<T>): Promise<T>;
  /** Runs `fn` on one connection outside a transaction (for session locks). */
  withConnection<T>(fn: (conn: SqlExecutor) => Promise<T>): Promise<T>;
  /** Delivers notifications sent on `channel` (PostgreSQL only); resolves once listening. */
  listen?(
    channel: string,
    onMessage: (payload: string) => void,
    onError: (e: unknown) => void,
  ): Promise<() => Promise<void>>;
  /** Closes what the outbox opened; a pool the caller gave is left open. */
  close(): Promise<void>;
}
