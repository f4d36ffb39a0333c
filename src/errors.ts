/**
 * The one error hierarchy of Causeway. Every failure has a stable `code` that callers can switch
 * on, and structured `details` that say where and why; messages are for people and may change.
 */

/** Stable codes of every Causeway failure. */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'INVALID_COORDINATE'
  | 'UNSERIALIZABLE_DATA'
  | 'EVENT_TOO_LARGE'
  | 'WRONG_EXPECTED_VERSION'
  | 'SCOPE_MISMATCH'
  | 'IDEMPOTENCY_CONFLICT'
  | 'EVENT_NOT_FOUND'
  | 'JOURNAL_LOCKED'
  | 'JOURNAL_CLOSED'
  | 'JOURNAL_READ_ONLY'
  | 'JOURNAL_FAILED'
  | 'CORRUPT_DATA'
  | 'WAIT_TIMEOUT'
  | 'IO_ERROR'
  | 'UNKNOWN_QUEUE'
  | 'QUEUE_CONFLICT'
  | 'MESSAGE_TOO_LARGE'
  | 'LEASE_LOST'
  | 'SCHEMA_VERSION'
  | 'UNSUPPORTED_DATABASE'
  | 'OUTBOX_STOPPED'
  | 'CHECKPOINT_CORRUPT'
  | 'CHECKPOINT_REGION_MISMATCH'
  | 'CHECKPOINT_WRITE_FAILED'
  | 'CHECKPOINT_LEASE_LOST'
  | 'CHECKPOINT_AHEAD'
  | 'RESTART_BUDGET_EXHAUSTED'
  | 'SUBSCRIBER_LAGGED'
  | 'PAYLOAD_VERSION_UNSUPPORTED'
  | 'GATE_DENIED'
  | 'GUARD_REQUIRED'
  | 'DATABASE_UNAVAILABLE'
  | 'DATABASE_ERROR'
  | 'DELIVERY_ENDED'
  | 'DRIVER_MISSING'
  | 'SINK_PUBLISH_FAILED'
  | 'BROKER_UNAVAILABLE';

/** Base class of every error Causeway throws on purpose. */
export class CausewayError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** Structured context: stream, segment, offset, expected/actual, ... */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/** A parameter or option is malformed; nothing was changed. */
export class InvalidArgument extends CausewayError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('INVALID_ARGUMENT', message, details);
  }
}

/** An entity or scope is not a valid coordinate part. */
export class InvalidCoordinate extends CausewayError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('INVALID_COORDINATE', message, details);
  }
}

/** Event data or metadata holds a value MessagePack cannot round-trip (function, symbol, cycle...). */
export class UnserializableData extends CausewayError {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super('UNSERIALIZABLE_DATA', `cannot serialize ${path}: ${reason}`, { path, reason });
  }
}

/** An encoded event exceeds the journal's `maxEventBytes`. */
export class EventTooLarge extends CausewayError {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super('EVENT_TOO_LARGE', `event is ${size} bytes, the limit is ${limit}`, { size, limit });
  }
}

/** The stream was not at the version the append expected. */
export class WrongExpectedVersion extends CausewayError {
  constructor(
    readonly stream: string,
    readonly expected: number | string,
    readonly actual: number | 'no-stream',
  ) {
    super(
      'WRONG_EXPECTED_VERSION',
      `stream ${JSON.stringify(stream)} expected ${expected}, actual ${actual}`,
      { stream, expected, actual },
    );
  }
}

/** A stream belongs to one scope; an append named another. */
export class ScopeMismatch extends CausewayError {
  constructor(
    readonly stream: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      'SCOPE_MISMATCH',
      `stream ${JSON.stringify(stream)} belongs to scope ${JSON.stringify(expected)}, not ${JSON.stringify(actual)}`,
      { stream, expected, actual },
    );
  }
}

/** An idempotency key was reused for a different event. */
export class IdempotencyConflict extends CausewayError {
  constructor(readonly key: string) {
    super(
      'IDEMPOTENCY_CONFLICT',
      `idempotency key ${JSON.stringify(key)} was already used for a different event`,
      { key },
    );
  }
}

/** No event with that id exists (or is visible yet). */
export class EventNotFound extends CausewayError {
  constructor(readonly id: string) {
    super('EVENT_NOT_FOUND', `no event with id ${id}`, { id });
  }
}

/** Another writer holds the journal directory. */
export class JournalLocked extends CausewayError {
  constructor(
    readonly dir: string,
    readonly holder: string,
  ) {
    super('JOURNAL_LOCKED', `journal ${dir} is locked by ${holder}`, { dir, holder });
  }
}

/** The journal was closed. */
export class JournalClosed extends CausewayError {
  constructor() {
    super('JOURNAL_CLOSED', 'journal is closed');
  }
}

/** A write was attempted through a read-only journal. */
export class JournalReadOnly extends CausewayError {
  constructor() {
    super('JOURNAL_READ_ONLY', 'journal was opened read-only');
  }
}

/** An earlier I/O failure left the writer unable to guarantee its state; reopen the journal. */
export class JournalFailed extends CausewayError {
  constructor(cause: unknown) {
    super('JOURNAL_FAILED', 'journal writer failed earlier and must be reopened', {}, cause);
  }
}

/** Stored bytes are damaged: a CRC mismatch, an unreadable frame, a broken sequence. */
export class CorruptData extends CausewayError {
  constructor(reason: string, details: { file: string; offset?: number; segment?: number }) {
    const where = details.offset === undefined ? details.file : `${details.file} at offset ${details.offset}`;
    super('CORRUPT_DATA', `corrupt data in ${where}: ${reason}`, { ...details, reason });
  }
}

/** A timed wait ran out before its condition held. */
export class WaitTimeout extends CausewayError {
  constructor(what: string, timeoutMs: number) {
    super('WAIT_TIMEOUT', `timed out after ${timeoutMs} ms waiting for ${what}`, { what, timeoutMs });
  }
}

/** The operating system refused a file operation. */
export class IoError extends CausewayError {
  constructor(operation: string, file: string, cause: unknown) {
    super(
      'IO_ERROR',
      `${operation} failed on ${file}: ${(cause as Error)?.message ?? cause}`,
      { operation, file },
      cause,
    );
  }
}

/**
 * A database driver Causeway loads on first use is not installed: `pg` for PostgreSQL, `mysql2`
 * for MySQL and MariaDB. They are optional peer dependencies; install the one you use.
 */
export class DriverMissing extends CausewayError {
  constructor(
    readonly driver: string,
    database: string,
    cause?: unknown,
  ) {
    super(
      'DRIVER_MISSING',
      `${database} needs the ${driver} package, which is not installed: npm install ${driver}`,
      { driver, database },
      cause,
    );
  }
}

/**
 * The database could not be reached, or dropped the connection (refused, reset, shut down,
 * restarting, timed out). Retrying later is the remedy; `cause` is the driver's error.
 */
export class DatabaseUnavailable extends CausewayError {
  readonly retryable = true;
  constructor(dialect: string, cause: unknown) {
    super(
      'DATABASE_UNAVAILABLE',
      `the ${dialect} database is unavailable: ${(cause as Error)?.message ?? cause}`,
      { dialect, driverCode: (cause as { code?: unknown })?.code },
      cause,
    );
  }
}

/**
 * The database refused a statement. `retryable` is true for conflicts a retry of the whole
 * transaction resolves (serialization failures, deadlocks, lock timeouts, SQLite's busy lock);
 * `sqlState` and `driverCode` say which, and `cause` is the driver's error.
 */
export class DatabaseError extends CausewayError {
  constructor(
    dialect: string,
    cause: unknown,
    readonly retryable: boolean,
  ) {
    const c = cause as { code?: unknown; sqlState?: unknown; errno?: unknown };
    super(
      'DATABASE_ERROR',
      `the ${dialect} database refused a statement: ${(cause as Error)?.message ?? cause}`,
      { dialect, driverCode: c?.code, sqlState: c?.sqlState ?? c?.code, errno: c?.errno, retryable },
      cause,
    );
  }
}

/**
 * A transactional handler used its transaction after its delivery ended (it returned, or ran past
 * `handlerTimeoutMs` and the transaction was rolled back): nothing ran.
 */
export class DeliveryEnded extends CausewayError {
  constructor(queue: string, partition: number) {
    super(
      'DELIVERY_ENDED',
      `the delivery on ${queue}/${partition} has ended; its transaction can no longer be used`,
      { queue, partition },
    );
  }
}

/** An outbox operation named a queue that no process has registered. */
export class UnknownQueue extends CausewayError {
  /** `why` replaces the plain "is not registered" when the queue is there but incomplete. */
  constructor(
    readonly queue: string,
    why = 'is not registered',
  ) {
    super('UNKNOWN_QUEUE', `queue ${JSON.stringify(queue)} ${why}`, { queue });
  }
}

/** A queue was declared with a different partition count than the database holds. */
export class QueueConflict extends CausewayError {
  constructor(
    readonly queue: string,
    readonly stored: number,
    readonly declared: number,
  ) {
    super(
      'QUEUE_CONFLICT',
      `queue ${JSON.stringify(queue)} has ${stored} partitions in the database, not ${declared}`,
      { queue, stored, declared },
    );
  }
}

/** An outbox message payload exceeds `maxPayloadBytes`. */
export class MessageTooLarge extends CausewayError {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super('MESSAGE_TOO_LARGE', `message payload is ${size} bytes, the limit is ${limit}`, { size, limit });
  }
}

/** A leased processor's lease was taken over or released before it acknowledged. */
export class LeaseLost extends CausewayError {
  constructor(
    readonly queue: string,
    readonly partition: number,
  ) {
    super('LEASE_LOST', `lease on ${queue}/${partition} was lost before the acknowledgement`, {
      queue,
      partition,
    });
  }
}

/**
 * A schema Causeway keeps in a database (the outbox's, under its table prefix) is missing, partly
 * applied, changed by hand or newer than this code understands. `prefix` names which one.
 */
export class SchemaVersionMismatch extends CausewayError {
  constructor(
    message: string,
    details: { prefix: string } & (
      | { found: number; expected: number }
      | { tables: string[] }
      | { problems: string[] }
    ),
  ) {
    super('SCHEMA_VERSION', message, details);
  }
}

/** The database connection given to the outbox is not one it can use. */
export class UnsupportedDatabase extends CausewayError {
  constructor(message: string) {
    super('UNSUPPORTED_DATABASE', message);
  }
}

/** The outbox was stopped. */
export class OutboxStopped extends CausewayError {
  constructor() {
    super('OUTBOX_STOPPED', 'outbox is stopped');
  }
}

/** A checkpoint file exists but cannot be read back (damaged or not a checkpoint). */
export class CheckpointCorrupt extends CausewayError {
  constructor(
    readonly checkpointId: string,
    file: string,
    reason: string,
  ) {
    super(
      'CHECKPOINT_CORRUPT',
      `checkpoint ${checkpointId} (${file}) is unreadable: ${reason}. ` +
        'Nothing resumes from it; delete the file to start that consumer over',
      {
        checkpointId,
        file,
        reason,
      },
    );
  }
}

/** A checkpoint id was reused for a region other than the one it was saved for. */
export class CheckpointRegionMismatch extends CausewayError {
  constructor(
    readonly checkpointId: string,
    readonly saved: unknown,
    readonly requested: unknown,
  ) {
    super(
      'CHECKPOINT_REGION_MISMATCH',
      `checkpoint ${checkpointId} belongs to region ${JSON.stringify(saved)}, not ${JSON.stringify(requested)}`,
      { checkpointId, saved, requested },
    );
  }
}

/**
 * A saved position (a checkpoint, a projection's cache) covers events this journal does not have:
 * the journal ends before it, or holds another event where it points (a journal restored from an
 * older backup, a checkpoint copied from another journal). Resuming would skip events, so nothing
 * resumes; `journal.resetCheckpoint(id, position)` says where to go on from.
 */
export class CheckpointAhead extends CausewayError {
  constructor(
    readonly checkpointId: string,
    readonly position: number,
    readonly journalEnd: number,
    reason: string,
  ) {
    super(
      'CHECKPOINT_AHEAD',
      `checkpoint ${checkpointId} is at position ${position}, but ${reason}; resuming would skip events. ` +
        `Choose where to go on from with journal.resetCheckpoint(${JSON.stringify(checkpointId)}, position): ` +
        `0 delivers everything again, ${journalEnd} only what comes next`,
      { checkpointId, position, journalEnd, reason },
    );
  }
}

/**
 * A consumer's checkpoint lease (one active consumer per checkpoint id, across processes) was taken
 * over by another process before this one saved its progress: it stops, and the other goes on.
 */
export class CheckpointLeaseLost extends CausewayError {
  constructor(readonly checkpointId: string) {
    super(
      'CHECKPOINT_LEASE_LOST',
      `the lease on checkpoint ${checkpointId} was taken over by another consumer`,
      {
        checkpointId,
      },
    );
  }
}

/** A durable checkpoint could not be written; the consumer stopped rather than lose progress silently. */
export class CheckpointWriteFailed extends CausewayError {
  constructor(
    readonly checkpointId: string,
    cause: unknown,
  ) {
    super(
      'CHECKPOINT_WRITE_FAILED',
      `checkpoint ${checkpointId} could not be written: ${(cause as Error)?.message ?? cause}`,
      { checkpointId },
      cause,
    );
  }
}

/** A consumer's handler kept throwing until its restart policy gave up; `cause` is the last throw. */
export class RestartBudgetExhausted extends CausewayError {
  constructor(
    readonly worker: string,
    readonly restarts: number,
    cause: unknown,
  ) {
    super(
      'RESTART_BUDGET_EXHAUSTED',
      `${worker} stopped after ${restarts} restart(s); last error: ${(cause as Error)?.message ?? cause}`,
      { worker, restarts },
      cause,
    );
  }
}

/**
 * A lossy subscriber fell behind and its buffer overflowed. Events after position `after` were not
 * delivered; read them with a cursor from `after` (nothing is skipped that way).
 */
export class SubscriberLagged extends CausewayError {
  constructor(readonly after: number) {
    super('SUBSCRIBER_LAGGED', `subscriber lagged: events after position ${after} were not delivered`, {
      after,
    });
  }
}

/** A stored payload has a version this code has no upcaster path for (newer than it understands, or a gap). */
export class PayloadVersionUnsupported extends CausewayError {
  constructor(
    readonly type: string,
    readonly version: number,
    readonly current: number,
  ) {
    super(
      'PAYLOAD_VERSION_UNSUPPORTED',
      `${type} payload version ${version} cannot be read as version ${current}`,
      { type, version, current },
    );
  }
}

/** A gate refused an append; nothing was appended. `denial` says which gate, why, and with what context. */
export class GateDenied extends CausewayError {
  constructor(
    readonly denial: {
      readonly gate: string;
      readonly code: string;
      readonly message: string;
      readonly context: Readonly<Record<string, unknown>>;
    },
  ) {
    super('GATE_DENIED', `gate ${denial.gate} denied (${denial.code}): ${denial.message}`, {
      gate: denial.gate,
      denialCode: denial.code,
      context: denial.context,
    });
  }
}

/** The journal requires gates and the append brought neither gates, a guard receipt nor a bypass reason. */
export class GuardRequired extends CausewayError {
  constructor(entity: string) {
    super(
      'GUARD_REQUIRED',
      `append to ${entity} needs gates, a guard receipt or a bypass reason (the journal requires gates)`,
      { entity },
    );
  }
}

/**
 * A sink could not publish every record. The first `published` records were acknowledged by the
 * broker; the rest were not (or it is not known). `permanent` says trying again cannot help (a record
 * the broker refuses, a subject no template can build); otherwise the caller retries after a delay.
 * `resumeAfter`, from a sink that keeps positions itself, is the last position it holds.
 */
export class SinkPublishFailed extends CausewayError {
  constructor(
    readonly sink: string,
    readonly published: number,
    readonly permanent: boolean,
    reason: string,
    cause?: unknown,
    readonly resumeAfter?: number,
  ) {
    super(
      'SINK_PUBLISH_FAILED',
      `sink ${sink} failed after ${published} acknowledged record(s)${permanent ? ' (permanent)' : ''}: ${reason}`,
      { sink, published, permanent, ...(resumeAfter !== undefined && { resumeAfter }) },
      cause,
    );
  }
}

/**
 * A sink could not connect to its broker (refused, unreachable, timed out, credentials refused) or
 * the broker's set-up does not fit (a stream or exchange of another kind). `cause` is the client's error.
 */
export class BrokerUnavailable extends CausewayError {
  constructor(
    readonly broker: string,
    reason: string,
    cause?: unknown,
  ) {
    super('BROKER_UNAVAILABLE', `${broker}: ${reason}`, { broker }, cause);
  }
}
