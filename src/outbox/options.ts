import { InvalidArgument } from '../errors.js';
import { MAX_TIMER_MS } from '../validation.js';
import { checkPartitionCount, checkPrefix, checkQueueName } from './names.js';
import { OutboxProfile } from './profiles.js';
import type { Delivery, OutboxOptions, QueueDeclaration, Tuning } from './types.js';
import type { ProcessorSettings } from './workers/processor.js';

/** Options with every default applied, checked. */
export interface ResolvedOptions {
  readonly prefix: string;
  readonly migrate: 'auto' | 'verify';
  readonly queues: ReadonlyMap<string, QueueDeclaration>;
  readonly processors: number;
  readonly maintenance: { readonly guaranteed: number; readonly shared: number };
  readonly tuning: Tuning;
  readonly maxPayloadBytes: number;
  readonly dedupeRetentionMs: number;
}

const positiveInt = (value: unknown, what: string, max = Number.MAX_SAFE_INTEGER): number => {
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > max)
    throw new InvalidArgument(`${what} must be a whole number from 1 to ${max}`, { [what]: value });
  return value as number;
};

export function resolveOptions(o: OutboxOptions = {}): ResolvedOptions {
  const queues = new Map<string, QueueDeclaration>();
  for (const [name, q] of Object.entries(o.queues ?? {})) {
    checkQueueName(name);
    checkPartitionCount(q?.partitions, name);
    if (q.delivery !== undefined) settingsFor(q.delivery, OutboxProfile.default());
    queues.set(name, q);
  }
  const tuning = { ...OutboxProfile.default(), ...o.tuning };
  for (const [k, v] of Object.entries(tuning)) positiveInt(v, `tuning.${k}`);
  const maintenance = o.maintenance ?? { guaranteed: 2, shared: 1 };
  return {
    prefix: checkPrefix(o.prefix ?? 'outbox'),
    migrate: o.migrate === 'verify' ? 'verify' : check(o.migrate ?? 'auto', ['auto'], 'migrate'),
    queues,
    processors: positiveInt(o.processors ?? 4, 'processors', 1000),
    maintenance: {
      guaranteed: positiveInt(maintenance.guaranteed, 'maintenance.guaranteed', 100),
      shared: positiveInt(maintenance.shared, 'maintenance.shared', 100),
    },
    tuning,
    maxPayloadBytes: positiveInt(o.maxPayloadBytes ?? 1024 * 1024, 'maxPayloadBytes', 64 * 1024 * 1024),
    dedupeRetentionMs: positiveInt(o.dedupeRetentionMs ?? 7 * 24 * 3600_000, 'dedupeRetentionMs'),
  };
}

function check<T extends string>(value: T, allowed: readonly T[], what: string): T {
  if (!allowed.includes(value)) throw new InvalidArgument(`unknown ${what} ${JSON.stringify(value)}`);
  return value;
}

/** A delivery's processor settings with defaults; throws on a mistake. */
export function settingsFor(d: Delivery, tuning: Tuning): ProcessorSettings {
  if (!d || (d.mode !== 'leased' && d.mode !== 'transactional') || typeof d.handle !== 'function')
    throw new InvalidArgument(
      'a delivery is built with leased(), leasedBatch(), transactional() or transactionalBatch()',
    );
  const o = d.options ?? {};
  const maxAttempts = o.maxAttempts ?? 10;
  if (!(maxAttempts === Number.POSITIVE_INFINITY || (Number.isInteger(maxAttempts) && maxAttempts >= 1)))
    throw new InvalidArgument('maxAttempts must be a whole number >= 1 or Infinity', { maxAttempts });
  const backoff = o.retryBackoff ?? {};
  const settings: ProcessorSettings = {
    batchSize: positiveInt(o.batchSize ?? tuning.processorBatch, 'batchSize', 10_000),
    maxAttempts,
    leaseMs: positiveInt(o.leaseMs ?? 30_000, 'leaseMs', MAX_TIMER_MS),
    retryInitialMs: positiveInt(backoff.initialMs ?? 1000, 'retryBackoff.initialMs', MAX_TIMER_MS),
    retryMaxMs: positiveInt(backoff.maxMs ?? 60_000, 'retryBackoff.maxMs', MAX_TIMER_MS),
    retryMultiplier: backoff.multiplier ?? 2,
    handlerTimeoutMs: positiveInt(o.handlerTimeoutMs ?? 300_000, 'handlerTimeoutMs', MAX_TIMER_MS),
  };
  if (settings.leaseMs < 100)
    throw new InvalidArgument('leaseMs must be at least 100', { leaseMs: settings.leaseMs });
  if (!(settings.retryMultiplier >= 1))
    throw new InvalidArgument('retryBackoff.multiplier must be >= 1', {
      multiplier: settings.retryMultiplier,
    });
  if (settings.retryMaxMs < settings.retryInitialMs)
    throw new InvalidArgument('retryBackoff.maxMs must be >= initialMs', { ...backoff });
  return settings;
}
