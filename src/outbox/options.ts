import { InvalidArgument } from '../errors.js';
import { checkOptions, isPlainText, keys, MAX_TIMER_MS, wholeNumberIn } from '../validation.js';
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

const positiveInt = (value: unknown, what: string, max = Number.MAX_SAFE_INTEGER): number =>
  wholeNumberIn(value, what, 1, max);

const OUTBOX_OPTIONS = keys(
  'prefix',
  'migrate',
  'queues',
  'processors',
  'maintenance',
  'tuning',
  'maxPayloadBytes',
  'dedupeRetentionMs',
  'logger',
  'onError',
  'onDeadLetter',
  'stopOnSignals',
  'owner',
);
const QUEUE_OPTIONS = keys('partitions', 'delivery');
const DELIVERY_OPTIONS = keys('batchSize', 'maxAttempts', 'retryBackoff', 'leaseMs', 'handlerTimeoutMs');
const TIMER_TUNING = new Set(['pollIntervalMs', 'vacuumIntervalMs']);

/** `value`, or `fallback` when it was left out; `null` is a value, and refused by the checks. */
const given = <T>(value: T | undefined, fallback: T): T => (value === undefined ? fallback : value);

export function resolveOptions(o: OutboxOptions = {}): ResolvedOptions {
  checkOptions(o, OUTBOX_OPTIONS, 'outbox option');
  const declared = given(o.queues, {});
  if (declared === null || typeof declared !== 'object')
    throw new InvalidArgument('queues must be an object of queue declarations', { queues: declared });
  for (const hook of ['onError', 'onDeadLetter'] as const)
    if (o[hook] !== undefined && typeof o[hook] !== 'function')
      throw new InvalidArgument(`${hook} must be a function`, { [hook]: o[hook] });
  if (
    o.owner !== undefined &&
    (typeof o.owner !== 'string' || !isPlainText(o.owner) || !/^.{1,200}$/su.test(o.owner))
  )
    throw new InvalidArgument('owner must be 1 to 200 characters of plain text', { owner: o.owner });
  const queues = new Map<string, QueueDeclaration>();
  for (const [name, q] of Object.entries(declared)) {
    checkQueueName(name);
    checkOptions(q, QUEUE_OPTIONS, `option of queue ${name}`);
    checkPartitionCount(q?.partitions, name);
    if (q.delivery !== undefined) settingsFor(q.delivery, OutboxProfile.default());
    queues.set(name, q);
  }
  const defaults = OutboxProfile.default();
  checkOptions(o.tuning, keys(...Object.keys(defaults)), 'tuning option');
  const tuning = { ...defaults, ...o.tuning };
  for (const [k, v] of Object.entries(tuning))
    positiveInt(v, `tuning.${k}`, TIMER_TUNING.has(k) ? MAX_TIMER_MS : Number.MAX_SAFE_INTEGER);
  const maintenance = given(o.maintenance, { guaranteed: 2, shared: 1 });
  checkOptions(maintenance, keys('guaranteed', 'shared'), 'maintenance option');
  if (o.stopOnSignals !== undefined && typeof o.stopOnSignals !== 'boolean')
    throw new InvalidArgument('stopOnSignals must be true or false', { stopOnSignals: o.stopOnSignals });
  return {
    prefix: checkPrefix(given(o.prefix, 'outbox')),
    migrate: check(given(o.migrate, 'auto'), ['auto', 'verify'], 'migrate'),
    queues,
    processors: positiveInt(given(o.processors, 4), 'processors', 1000),
    maintenance: {
      guaranteed: positiveInt(maintenance?.guaranteed, 'maintenance.guaranteed', 100),
      shared: positiveInt(maintenance?.shared, 'maintenance.shared', 100),
    },
    tuning,
    maxPayloadBytes: positiveInt(given(o.maxPayloadBytes, 1024 * 1024), 'maxPayloadBytes', 64 * 1024 * 1024),
    dedupeRetentionMs: positiveInt(given(o.dedupeRetentionMs, 7 * 24 * 3600_000), 'dedupeRetentionMs'),
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
  const o = given(d.options, {});
  checkOptions(o, DELIVERY_OPTIONS, 'delivery option');
  const maxAttempts = given(o.maxAttempts, 10);
  if (!(maxAttempts === Number.POSITIVE_INFINITY || (Number.isInteger(maxAttempts) && maxAttempts >= 1)))
    throw new InvalidArgument('maxAttempts must be a whole number >= 1 or Infinity', { maxAttempts });
  const backoff = given(o.retryBackoff, {});
  checkOptions(backoff, keys('initialMs', 'maxMs', 'multiplier'), 'retryBackoff option');
  const settings: ProcessorSettings = {
    batchSize: positiveInt(given(o.batchSize, tuning.processorBatch), 'batchSize', 10_000),
    maxAttempts,
    leaseMs: positiveInt(given(o.leaseMs, 30_000), 'leaseMs', MAX_TIMER_MS),
    retryInitialMs: positiveInt(given(backoff.initialMs, 1000), 'retryBackoff.initialMs', MAX_TIMER_MS),
    retryMaxMs: positiveInt(given(backoff.maxMs, 60_000), 'retryBackoff.maxMs', MAX_TIMER_MS),
    retryMultiplier: given(backoff.multiplier, 2),
    handlerTimeoutMs: positiveInt(given(o.handlerTimeoutMs, 300_000), 'handlerTimeoutMs', MAX_TIMER_MS),
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
