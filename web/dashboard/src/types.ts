/** The shapes the API answers with (as JSON: dates are ISO strings). */

export interface QueueStats {
  queue: string;
  partitions: number;
  pending: number;
  lag: number;
  depth: number;
  oldestAgeMs: number;
  retryingPartitions: number;
  cursorsAhead: number;
  acknowledgedPosition: number;
  deadLetters: number;
}

export interface Overview {
  readOnly: boolean;
  outbox: { queues: QueueStats[] } | null;
  journal: {
    stats: { events: number; streams: number; segments: number; bytes: number };
    watermarks: Record<string, number>;
  } | null;
}

export interface QueueSample {
  at: number;
  queues: {
    queue: string;
    depth: number;
    lag: number;
    oldestAgeMs: number;
    throughputPerSec: number | null;
    deadLetters: number;
  }[];
}

export interface History {
  intervalMs: number;
  samples: QueueSample[];
}

export interface PartitionState {
  partition: number;
  sequenced: number;
  acknowledged: number;
  pending: number;
  undelivered: number;
  leaseOwner: string | null;
  leaseExpiresInMs: number | null;
  attempts: number;
  retryInMs: number | null;
  lastError: string | null;
  oldestAgeMs: number;
  stuck: 'retrying' | 'waiting' | 'ahead' | null;
}

export interface PartitionPage {
  total: number;
  stuck: number;
  partitions: PartitionState[];
}

export interface DeadLetter {
  deadLetterId: number;
  id: string;
  queue: string;
  partition: number;
  seq: number;
  type: string;
  key: string | null;
  payload: unknown;
  headers: Record<string, string>;
  enqueuedAt: string;
  failedAt: string;
  attempts: number;
  lastError: string | null;
}

export interface StoredEvent {
  id: string;
  type: string;
  data: unknown;
  metadata?: Record<string, unknown>;
  entity: string;
  scope: string;
  streamVersion: number;
  position: number;
  timestamp: number;
  correlationId: string;
  causationId: string | null;
  payloadVersion: number;
  prevHash: string;
  hash: string;
  extensions?: Record<string, unknown>;
}

export interface StreamSummary {
  entity: string;
  scope: string;
  events: number;
}

export type ReceiptVerification =
  | { status: 'signed'; keyId: string }
  | { status: 'unsigned' }
  | { status: 'invalid'; reason: string; field?: string; message: string };

export interface EventDetail {
  event: StoredEvent;
  receipt: Record<string, unknown>;
  verification: ReceiptVerification;
}

export interface CausalGraph {
  root: string;
  correlationId: string;
  nodes: StoredEvent[];
  edges: { from: string; to: string }[];
  truncated: boolean;
}

export interface VerifyState {
  running: boolean;
  checked: number;
  total: number;
  startedAt: number | null;
  result: { ok: boolean; events: number; streams: number; firstBreak: unknown } | null;
  error: string | null;
}
