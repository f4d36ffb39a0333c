import { InvalidArgument } from '../errors.js';

const PREFIX = /^[a-z][a-z0-9_]{0,39}$/;
const QUEUE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/;

/** A table-name prefix: it is spliced into SQL, so only a safe identifier passes. */
export function checkPrefix(prefix: string): string {
  if (typeof prefix !== 'string' || !PREFIX.test(prefix))
    throw new InvalidArgument(
      'an outbox prefix is 1 to 40 lower-case letters, digits or _, starting with a letter',
      { prefix },
    );
  return prefix;
}

/** A queue name: 1 to 100 letters, digits, `.`, `_`, `:` or `-`, starting with a letter or digit. */
export function checkQueueName(queue: string): string {
  if (typeof queue !== 'string' || !QUEUE.test(queue))
    throw new InvalidArgument(
      'a queue name is 1 to 100 letters, digits, ".", "_", ":" or "-", starting with a letter or digit',
      { queue },
    );
  return queue;
}

/** A partition count: a whole number from 1 to 10,000. */
export function checkPartitionCount(partitions: number, queue: string): number {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 10_000)
    throw new InvalidArgument(
      `queue ${queue}: partitions must be a whole number from 1 to 10,000, got ${partitions}`,
      {
        queue,
        partitions,
      },
    );
  return partitions;
}
