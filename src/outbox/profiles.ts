import type { Tuning } from './types.js';

/** Starting points for {@link Tuning}; anything set in `tuning` overrides them. */
export const OutboxProfile = {
  /** Balanced: moderate batches, a one-second safety-net poll. */
  default: (): Tuning => ({
    sequencerBatch: 500,
    processorBatch: 50,
    partitionBatchLimit: 128,
    pollIntervalMs: 1000,
    vacuumIntervalMs: 5000,
    vacuumChunk: 5000,
  }),
  /** Large batches for bulk flows, where a few milliseconds of latency do not matter. */
  highThroughput: (): Tuning => ({
    sequencerBatch: 1000,
    processorBatch: 200,
    partitionBatchLimit: 256,
    pollIntervalMs: 2000,
    vacuumIntervalMs: 2000,
    vacuumChunk: 10_000,
  }),
  /** Small batches and a quick poll, for interactive flows on databases without notifications. */
  lowLatency: (): Tuning => ({
    sequencerBatch: 100,
    processorBatch: 10,
    partitionBatchLimit: 64,
    pollIntervalMs: 250,
    vacuumIntervalMs: 5000,
    vacuumChunk: 2000,
  }),
};
