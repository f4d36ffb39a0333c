// Compiled by the consumer's TypeScript under each module setting the package supports.
import { type CausewayError, coordinate, leased, Outbox, open, Result } from 'causewayjs';
import { gate, permit } from 'causewayjs/gates';
import type { OutboxOptions } from 'causewayjs/outbox';
import { Notifier } from 'causewayjs/worker';

const journal = open('./typed-journal');
const receipt = journal.append(coordinate('order:1', 'shop'), { type: 'OrderPlaced', data: { total: 1 } });
const position: number = receipt.position;
const check = gate('always', () => permit());
const options: OutboxOptions = {
  queues: { q: { partitions: 1, delivery: leased(async () => Result.ok()) } },
};
const failure = (e: CausewayError): string => e.code;

export { check, failure, Notifier, Outbox, options, position };
