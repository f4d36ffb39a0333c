/**
 * Publishers to message brokers, for `journal.sinkTo(sink, ...)` and an outbox queue's
 * `delivery: sink(sink)`. Each loads its client package (an optional peer dependency) when connected.
 * @packageDocumentation
 */
export type { Sink, SinkRecord } from '../sink.js';
export type { Envelope } from './envelope.js';
export { connectNatsSink, type NatsSinkOptions } from './nats/sink.js';
export { connectRabbitMqSink, type RabbitMqSinkOptions } from './rabbitmq/sink.js';
