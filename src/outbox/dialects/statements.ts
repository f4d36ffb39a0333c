/**
 * Every statement the outbox runs, whole, with `?` placeholders in parameter order. Text that
 * differs between dialects comes from the dialect's own `statements.ts`.
 */
import type { Dialect, Tables } from './dialect.js';

const list = (n: number) => new Array(n).fill('?').join(', ');
const MESSAGE_COLUMNS = 'message_id, msg_key, payload, payload_kind, payload_type, headers, created_at';

export function buildStatements(t: Tables, dialect: Dialect) {
  const d = dialect.statements(t);
  const now = d.now;
  const insertIncoming = (n: number) =>
    `INSERT INTO ${t.incoming} (partition_id, ${MESSAGE_COLUMNS}) VALUES ${new Array(n)
      .fill(`(?, ?, ?, ?, ?, ?, ?, ${now})`)
      .join(', ')}`;
  return {
    now: `SELECT ${now} AS now`,

    // Queue registry
    insertQueue: d.insertIgnore(t.queues, ['name', 'partitions'], ['(?, ?)']),
    selectQueue: `SELECT partitions FROM ${t.queues} WHERE name = ?`,
    selectQueues: `SELECT name, partitions FROM ${t.queues} ORDER BY name`,
    insertPartitions: (n: number) =>
      d.insertIgnore(t.partitions, ['queue', 'part'], new Array(n).fill('(?, ?)')),
    selectPartitions: `SELECT id, part FROM ${t.partitions} WHERE queue = ? ORDER BY part`,
    insertProcessors: (n: number) => d.insertIgnore(t.processors, ['partition_id'], new Array(n).fill('(?)')),
    insertVacuum: (n: number) => d.insertIgnore(t.vacuum, ['partition_id'], new Array(n).fill('(?)')),

    // Enqueue
    insertDedupe: (n: number) =>
      d.insertIgnore(
        t.dedupe,
        ['queue', 'dedupe_key', 'message_id', 'created_at'],
        new Array(n).fill(`(?, ?, ?, ${now})`),
      ),
    selectDedupe: (n: number) =>
      `SELECT dedupe_key, message_id FROM ${t.dedupe} WHERE queue = ? AND dedupe_key IN (${list(n)})${d.currentRead}`,
    insertIncoming,
    /** The insert and, once it has written a row, a NOTIFY that PostgreSQL delivers on commit. */
    insertIncomingAndNotify: (n: number) =>
      `WITH ins AS (${insertIncoming(n)} RETURNING 1) SELECT pg_notify(?, ?) FROM (SELECT 1 FROM ins LIMIT 1) x`,

    // Sequencer
    lockPartition: d.lockPartition,
    sequencePartitions: d.sequencePartitions,
    pickIncoming: `SELECT id FROM ${t.incoming} WHERE partition_id = ? ORDER BY id LIMIT ?`,
    moveToOutgoing: (n: number) =>
      `INSERT INTO ${t.outgoing} (partition_id, seq, ${MESSAGE_COLUMNS})
       SELECT partition_id, ? + ROW_NUMBER() OVER (ORDER BY id) - 1, ${MESSAGE_COLUMNS}
       FROM ${t.incoming} WHERE id IN (${list(n)})`,
    deleteIncoming: (n: number) => `DELETE FROM ${t.incoming} WHERE id IN (${list(n)})`,
    setNextSeq: `UPDATE ${t.partitions} SET next_seq = ? WHERE id = ?`,

    // Processors
    claimLease: `UPDATE ${t.processors}
       SET lease_owner = ?, lease_token = ?, lease_expires_at = ${now} + ?
       WHERE partition_id = ?
         AND (lease_token IS NULL OR lease_token = ? OR lease_expires_at <= ${now})
         AND (retry_at IS NULL OR retry_at <= ${now})`,
    readCursor: `SELECT acked_seq, attempts, lease_expires_at - ${now} AS lease_left, retry_at - ${now} AS retry_left
       FROM ${t.processors} WHERE partition_id = ?`,
    lockCursor: d.lockCursor,
    /** The partition's record of the last delivery that began (see the processor's beginDelivery). */
    readStart: `SELECT seq, started, until_seq FROM ${t.starts} WHERE partition_id = ?`,
    recordStart: d.upsert(t.starts, ['partition_id', 'seq', 'started', 'until_seq']),
    /** Puts back a start that did not happen, unless another delivery's start replaced it since. */
    withdrawStart: `UPDATE ${t.starts} SET seq = ?, started = 0, until_seq = ?
       WHERE partition_id = ? AND seq = ? AND started = ? AND until_seq = ?`,
    takeMessages: d.takeMessages,
    selectMessages: `SELECT seq, ${MESSAGE_COLUMNS} FROM ${t.outgoing}
       WHERE partition_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
    // Each guarded update changes the token, so MySQL's "changed rows" count is reliable.
    heartbeat: `UPDATE ${t.processors} SET lease_token = ?, lease_expires_at = ${now} + ?
       WHERE partition_id = ? AND lease_token = ?`,
    ackLeased: `UPDATE ${t.processors}
       SET acked_seq = ?, attempts = 0, retry_at = NULL, last_error = NULL,
           lease_token = ?, lease_expires_at = ${now} + ?
       WHERE partition_id = ? AND lease_token = ?`,
    ackLeasedMany: d.ackLeasedMany,
    releaseLease: `UPDATE ${t.processors} SET lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
       WHERE partition_id = ? AND lease_token = ?`,
    ackLocked: `UPDATE ${t.processors} SET acked_seq = ?, attempts = 0, retry_at = NULL, last_error = NULL
       WHERE partition_id = ?`,
    scheduleRetry: (leased: boolean) => `UPDATE ${t.processors}
       SET acked_seq = ?, attempts = ?, retry_at = ${now} + ?, last_error = ?,
           lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
       WHERE partition_id = ?${leased ? ' AND lease_token = ?' : ''}`,
    deadLetter: `INSERT INTO ${t.deadLetters}
         (queue, part, seq, ${MESSAGE_COLUMNS}, failed_at, attempts, last_error)
       SELECT p.queue, p.part, o.seq, o.message_id, o.msg_key, o.payload, o.payload_kind, o.payload_type,
              o.headers, o.created_at, ${now}, ?, ?
       FROM ${t.outgoing} o JOIN ${t.partitions} p ON p.id = o.partition_id
       WHERE o.partition_id = ? AND o.seq = ?`,

    // Reconciler
    partitionsWithIncoming: `SELECT p.id FROM ${t.partitions} p
       WHERE EXISTS (SELECT 1 FROM ${t.incoming} i WHERE i.partition_id = p.id)`,
    /** Partitions whose cursor is past their last message: changed by hand, or a restored database. */
    partitionsAhead: `SELECT pr.partition_id, pr.acked_seq, pt.next_seq - 1 AS last_seq FROM ${t.processors} pr
       JOIN ${t.partitions} pt ON pt.id = pr.partition_id
       WHERE pr.acked_seq > pt.next_seq - 1`,
    partitionsWithUndelivered: `SELECT pr.partition_id FROM ${t.processors} pr
       JOIN ${t.partitions} pt ON pt.id = pr.partition_id
       WHERE pt.next_seq - 1 > pr.acked_seq`,

    // Vacuum
    vacuumable: `SELECT v.partition_id, v.vacuumed_seq, pr.acked_seq FROM ${t.vacuum} v
       JOIN ${t.processors} pr ON pr.partition_id = v.partition_id
       WHERE pr.acked_seq > v.vacuumed_seq LIMIT ?`,
    deleteDelivered: `DELETE FROM ${t.outgoing} WHERE partition_id = ? AND seq > ? AND seq <= ?`,
    setVacuumed: `UPDATE ${t.vacuum} SET vacuumed_seq = ? WHERE partition_id = ? AND vacuumed_seq < ?`,
    deleteExpiredDedupe: `DELETE FROM ${t.dedupe} WHERE created_at < ${now} - ?`,

    // Dead letters (the filter is appended as `WHERE ...` by the caller)
    selectDeadLetters: (where: string, lock: boolean) =>
      `SELECT id, queue, part, seq, ${MESSAGE_COLUMNS}, failed_at, attempts, last_error
       FROM ${t.deadLetters}${where} ORDER BY id LIMIT ?${lock ? d.lockSuffix : ''}`,
    countDeadLetters: (where: string) =>
      `SELECT queue, COUNT(*) AS n FROM ${t.deadLetters}${where} GROUP BY queue`,
    deleteDeadLetters: (where: string) => `DELETE FROM ${t.deadLetters}${where}`,
    deadLetterAgeColumn: `${now} - failed_at`,

    // Stats
    pendingByQueue: `SELECT p.queue, COUNT(*) AS n, MIN(i.created_at) AS oldest
       FROM ${t.incoming} i JOIN ${t.partitions} p ON p.id = i.partition_id GROUP BY p.queue`,
    undeliveredByQueue: `SELECT pt.queue,
         SUM(CASE WHEN pt.next_seq - 1 > pr.acked_seq THEN pt.next_seq - 1 - pr.acked_seq ELSE 0 END) AS n,
         SUM(CASE WHEN pr.acked_seq > pt.next_seq - 1 THEN 1 ELSE 0 END) AS ahead,
         SUM(CASE WHEN pr.attempts > 0 THEN 1 ELSE 0 END) AS retrying, MIN(o.created_at) AS oldest,
         SUM(pr.acked_seq) AS acked
       FROM ${t.partitions} pt
       JOIN ${t.processors} pr ON pr.partition_id = pt.id
       LEFT JOIN ${t.outgoing} o ON o.partition_id = pt.id AND o.seq = pr.acked_seq + 1
       GROUP BY pt.queue`,
    /** One queue's partitions from a part number on, each with its cursor, lease and oldest messages. */
    partitionStates: `SELECT pt.part, pt.next_seq, pr.acked_seq, pr.lease_owner,
         pr.lease_expires_at - ${now} AS lease_left, pr.attempts, pr.retry_at - ${now} AS retry_left,
         pr.last_error, o.created_at AS head_created,
         (SELECT COUNT(*) FROM ${t.incoming} i WHERE i.partition_id = pt.id) AS pending,
         (SELECT MIN(i.created_at) FROM ${t.incoming} i WHERE i.partition_id = pt.id) AS pending_created
       FROM ${t.partitions} pt
       JOIN ${t.processors} pr ON pr.partition_id = pt.id
       LEFT JOIN ${t.outgoing} o ON o.partition_id = pt.id AND o.seq = pr.acked_seq + 1
       WHERE pt.queue = ? AND pt.part >= ?
       ORDER BY pt.part LIMIT ?`,
  };
}

export type Statements = ReturnType<typeof buildStatements>;
