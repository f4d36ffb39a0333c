import { InvalidArgument } from '../errors.js';
import type { SinkRecord } from '../sink.js';

/** The placeholders a subject or routing-key template may use. */
const FIELDS = new Set([
  'type',
  'entity',
  'scope',
  'queue',
  'key',
  'partition',
  'aggregateType',
  'aggregateId',
]);

/** Builds a record's subject or routing key; throws `InvalidArgument` for a field its source lacks. */
export type Route = (record: SinkRecord) => string;

/**
 * Compiles `template` (`orders.{scope}.{type}`): each `{field}` is replaced by the record's field,
 * passed through `clean` (a broker's rules for one token). An unknown field is refused here, a field
 * the record does not have (`{queue}` on a journal event) when the record is routed.
 */
export function compileRoute(template: string, clean: (value: string) => string): Route {
  if (typeof template !== 'string' || template.length === 0)
    throw new InvalidArgument('a route template must be a non-empty string', { template });
  const parts = template.split(/(\{[^{}]*\})/);
  const isField = (part: string) => /^\{[^{}]*\}$/.test(part);
  for (const part of parts) {
    if (isField(part) && !FIELDS.has(part.slice(1, -1)))
      throw new InvalidArgument(`unknown field ${part} in route template; use ${[...FIELDS].join(', ')}`, {
        template,
      });
    if (!isField(part) && /[{}]/.test(part))
      throw new InvalidArgument('unbalanced braces in route template', { template });
  }
  return (record) =>
    parts
      .map((part) => {
        if (!isField(part)) return part;
        const name = part.slice(1, -1);
        const value = fieldOf(record, name);
        if (value === undefined)
          throw new InvalidArgument(`a ${record.source} record has no field ${name} for the route`, {
            template,
            id: record.id,
          });
        return clean(value);
      })
      .join('');
}

function fieldOf(record: SinkRecord, name: string): string | undefined {
  if (name === 'aggregateType') return record.aggregateType;
  if (name === 'aggregateId') return record.aggregateId;
  if (name === 'type') return record.type;
  return record.fields[name];
}
