/**
 * Type tests of the journal's event-union parameter. Checked by `npm run typecheck` (tsc), not run
 * by vitest (its include is `*.test.ts`): every `@ts-expect-error` below must stay an error, and
 * every `expectTypeOf` must hold, or the typecheck fails. Nothing here is executed; the runtime
 * behaviour is covered by test/journal/typed-events.test.ts.
 */
import { expectTypeOf } from 'vitest';
import {
  type AppendProposal,
  type AppendReceipt,
  type AsyncJournal,
  type BatchItem,
  type Cursor,
  type CursorWorkerHandle,
  coordinate,
  type DenialEvent,
  type EffectTree,
  type EventOfType,
  gate,
  gateSet,
  type Journal,
  type JournalEvent,
  type LossySubscription,
  type NewEvent,
  type NewEventOf,
  open,
  openReadOnly,
  type Projection,
  permit,
  type Reaction,
  type ReactionHandlers,
  type ReadPage,
  type StoredEvent,
  type StoredEventOf,
} from '../../src/index.js';

// ---------------------------------------------------------------- the application's union

type OrderPlaced = { type: 'OrderPlaced'; data: { total: number; lines: string[] } };
type OrderPaid = JournalEvent<'OrderPaid', { amount: number }>;
interface OrderShipped {
  type: 'OrderShipped';
  data: { carrier: string };
}
type ShopEvent = OrderPlaced | OrderPaid | OrderShipped;
type OrderEvent = OrderPlaced | OrderPaid;

const order = coordinate('order:507', 'shop');
declare const journal: Journal<ShopEvent>;
declare const untyped: Journal;

// ---------------------------------------------------------------- helper types

export function helperTypes(): void {
  expectTypeOf<NewEventOf<OrderPaid>>().toEqualTypeOf<NewEvent<{ amount: number }, 'OrderPaid'>>();
  expectTypeOf<StoredEventOf<OrderPaid>>().toEqualTypeOf<StoredEvent<{ amount: number }, 'OrderPaid'>>();
  expectTypeOf<StoredEventOf<ShopEvent, 'OrderPaid'>>().toEqualTypeOf<StoredEventOf<OrderPaid>>();
  expectTypeOf<EventOfType<ShopEvent, 'OrderPaid' | 'OrderShipped'>>().toEqualTypeOf<
    OrderPaid | OrderShipped
  >();
  // The untyped defaults are what the journal had before it had a type parameter.
  expectTypeOf<NewEventOf>().toEqualTypeOf<NewEvent>();
  expectTypeOf<StoredEventOf>().toEqualTypeOf<StoredEvent>();
  expectTypeOf<StoredEvent>().toEqualTypeOf<StoredEvent<unknown, string>>();
  expectTypeOf<EventOfType<JournalEvent, 'A'>>().toEqualTypeOf<JournalEvent<'A', unknown>>();
  // @ts-expect-error a type name outside the union
  type _Nope = StoredEventOf<ShopEvent, 'Nope'>;
}

// ---------------------------------------------------------------- opening

export function opening(dir: string): void {
  expectTypeOf(open<ShopEvent>(dir)).toEqualTypeOf<Journal<ShopEvent>>();
  expectTypeOf(openReadOnly<ShopEvent>(dir)).toEqualTypeOf<Journal<ShopEvent>>();
  expectTypeOf(open(dir)).toEqualTypeOf<Journal>();
  expectTypeOf(openReadOnly(dir)).toEqualTypeOf<Journal<JournalEvent>>();
  // @ts-expect-error the union's members are { type, data } objects
  open<string>(dir);
  // @ts-expect-error a member without data
  open<{ type: 'A' }>(dir);
  // @ts-expect-error a member whose type is not a string
  openReadOnly<{ type: 1; data: null }>(dir);
  // A typed journal goes where an untyped one is expected (helpers, the outbox relay)...
  const plain: Journal = journal;
  expectTypeOf(plain).toEqualTypeOf<Journal>();
  const generic = <E extends JournalEvent>(j: Journal<E>): Journal => j;
  generic(journal);
  // ...but an untyped journal is not a typed one, nor one typed with another union.
  // @ts-expect-error nothing says what an untyped journal holds
  const typed: Journal<ShopEvent> = untyped;
  expectTypeOf(typed).toEqualTypeOf<Journal<ShopEvent>>();
  // @ts-expect-error the unions differ
  const other: Journal<{ type: 'UserRegistered'; data: { email: string } }> = journal;
  expectTypeOf(other).not.toEqualTypeOf<Journal<ShopEvent>>();
  // @ts-expect-error a union is not assignable to one of its parts
  const narrower: Journal<OrderEvent> = journal;
  expectTypeOf(narrower).toEqualTypeOf<Journal<OrderEvent>>();
}

// ---------------------------------------------------------------- appending

export async function appending(): Promise<void> {
  expectTypeOf(
    journal.append(order, { type: 'OrderPlaced', data: { total: 42, lines: ['a'] } }),
  ).toEqualTypeOf<AppendReceipt>();
  journal.append(
    order,
    { type: 'OrderPaid', data: { amount: 42 }, metadata: { by: 'ann' }, payloadVersion: 2 },
    { expectedVersion: 0, idempotencyKey: 'pay-1', durable: true },
  );
  await journal.appendAsync(order, { type: 'OrderShipped', data: { carrier: 'post' } });
  const paid: NewEventOf<ShopEvent> = { type: 'OrderPaid', data: { amount: 1 } };
  journal.append(order, paid);

  // @ts-expect-error a type name outside the union
  journal.append(order, { type: 'OrderCancelled', data: { total: 42, lines: [] } });
  // @ts-expect-error the data of another member (OrderPaid's shape under OrderPlaced)
  journal.append(order, { type: 'OrderPlaced', data: { amount: 42 } });
  // @ts-expect-error a field of the payload has the wrong type
  journal.append(order, { type: 'OrderPaid', data: { amount: '42' } });
  // @ts-expect-error a field the member's payload does not have
  journal.append(order, { type: 'OrderPaid', data: { amount: 42, currency: 'EUR' } });
  // @ts-expect-error a field of another member's payload
  journal.append(order, { type: 'OrderPaid', data: { amount: 42, carrier: 'post' } });
  // @ts-expect-error no data
  journal.append(order, { type: 'OrderPaid' });
  // @ts-expect-error appendAsync checks the same way
  await journal.appendAsync(order, { type: 'OrderPaid', data: { total: 1, lines: [] } });
  const wide = { type: 'OrderPaid', data: { amount: 1 } }; // type: string
  // @ts-expect-error a type name that is any string is not one of the union's
  journal.append(order, wide);

  journal.appendBatch([
    { coordinate: order, event: { type: 'OrderPlaced', data: { total: 1, lines: [] } } },
    { coordinate: order, event: { type: 'OrderPaid', data: { amount: 1 } }, options: { causedByItem: 0 } },
  ]);
  await journal.appendBatchAsync([
    { coordinate: order, event: { type: 'OrderShipped', data: { carrier: 'x' } } },
  ]);
  const item: BatchItem<ShopEvent> = { coordinate: order, event: { type: 'OrderPaid', data: { amount: 1 } } };
  journal.appendBatch([item]);
  journal.appendBatch([
    // @ts-expect-error a batch item of another type
    { coordinate: order, event: { type: 'Refunded', data: {} } },
  ]);
  journal.appendBatch([
    // @ts-expect-error a batch item with another member's data
    { coordinate: order, event: { type: 'OrderShipped', data: { amount: 1 } } },
  ]);

  // Gated commits: the proposal is declared for the union, so the receipt fits this journal.
  const policy = gateSet<{ total: number }>([gate('positive', () => permit())]);
  const proposal: AppendProposal<ShopEvent> = {
    coordinate: order,
    event: { type: 'OrderPlaced', data: { total: 1, lines: [] } },
  };
  const verdict = policy.evaluate({ total: 1 }, proposal);
  if (verdict.permitted) journal.commit(verdict.receipt);
  const bad: AppendProposal = { coordinate: order, event: { type: 'Nope', data: 1 } };
  const badVerdict = policy.evaluate({ total: 1 }, bad);
  // @ts-expect-error an untyped proposal may hold any event, so this journal does not commit it
  if (badVerdict.permitted) journal.commit(badVerdict.receipt);
  // @ts-expect-error a proposal outside the union
  const _wrong: AppendProposal<ShopEvent> = { coordinate: order, event: { type: 'Nope', data: 1 } };

  journal.declarePayloadVersion('OrderPaid', { current: 2 });
  // @ts-expect-error payload versions are declared for the union's types
  journal.declarePayloadVersion('Nope', { current: 2 });

  // The untyped journal takes any { type, data }, as before.
  untyped.append(order, { type: 'Anything', data: { whatever: [1, 2] } });
  untyped.append(order, wide);
  untyped.appendBatch([{ coordinate: order, event: { type: 'X', data: null } }]);
  untyped.declarePayloadVersion('Anything', { current: 1 });
}

// ---------------------------------------------------------------- reading

export function reading(id: string): void {
  const events = journal.readStream('order:507');
  expectTypeOf(events).toEqualTypeOf<StoredEventOf<ShopEvent>[]>();
  for (const e of events) {
    expectTypeOf(e.id).toBeString();
    expectTypeOf(e.streamVersion).toBeNumber();
    expectTypeOf(e.metadata).toEqualTypeOf<Record<string, unknown> | undefined>();
    expectTypeOf(e.type).toEqualTypeOf<'OrderPlaced' | 'OrderPaid' | 'OrderShipped'>();
    if (e.type === 'OrderPlaced') {
      expectTypeOf(e.data).toEqualTypeOf<{ total: number; lines: string[] }>();
      expectTypeOf(e.data.total).toBeNumber();
      // @ts-expect-error a field of another member after narrowing
      e.data.amount;
    }
    switch (e.type) {
      case 'OrderPaid':
        expectTypeOf(e.data.amount).toBeNumber();
        // @ts-expect-error OrderPaid has no carrier
        e.data.carrier;
        break;
      case 'OrderShipped':
        expectTypeOf(e.data.carrier).toBeString();
        break;
      case 'OrderPlaced':
        break;
      default:
        expectTypeOf(e).toBeNever(); // the switch is exhaustive
    }
    // @ts-expect-error not narrowed: not every member has a total
    e.data.total;
    // @ts-expect-error a type name outside the union is never equal to one in it
    if (e.type === 'OrderCancelled') break;
  }

  // A per-call sub-union: the caller's assertion about what the stream holds.
  const orderEvents = journal.readStream<OrderEvent>('order:507', { backwards: true, limit: 2 });
  expectTypeOf(orderEvents).toEqualTypeOf<StoredEventOf<OrderEvent>[]>();
  expectTypeOf(orderEvents[0].type).toEqualTypeOf<'OrderPlaced' | 'OrderPaid'>();
  expectTypeOf(journal.readStream<OrderPaid>('order:507')[0].data).toEqualTypeOf<{ amount: number }>();
  // @ts-expect-error the type argument must be an event { type, data }
  journal.readStream<string>('order:507');
  // @ts-expect-error the type argument must be an event { type, data }
  journal.readStream<{ total: number }>('order:507');
  // @ts-expect-error the type argument must be part of the journal's union
  journal.readStream<{ type: 'Refunded'; data: { amount: number } }>('order:507');
  // On the untyped journal any event type narrows, and without one data is unknown.
  expectTypeOf(untyped.readStream('x')).toEqualTypeOf<StoredEvent[]>();
  expectTypeOf(untyped.readStream('x')[0].data).toBeUnknown();
  expectTypeOf(untyped.readStream<OrderEvent>('x')).toEqualTypeOf<StoredEventOf<OrderEvent>[]>();
  // @ts-expect-error not an event type even for the untyped journal
  untyped.readStream<number>('x');

  expectTypeOf(journal.get(id)).toEqualTypeOf<StoredEventOf<ShopEvent> | undefined>();
  expectTypeOf(journal.get<OrderPaid>(id)).toEqualTypeOf<StoredEventOf<OrderPaid> | undefined>();
  expectTypeOf(untyped.get(id)).toEqualTypeOf<StoredEvent | undefined>();
  // @ts-expect-error not part of the union
  journal.get<{ type: 'Refunded'; data: null }>(id);
  expectTypeOf(journal.walkAncestors(id)).toEqualTypeOf<StoredEventOf<ShopEvent>[]>();
  expectTypeOf(journal.walkAncestors<OrderEvent>(id, { limit: 2 })).toEqualTypeOf<
    StoredEventOf<OrderEvent>[]
  >();

  // Global reads: a region's types select members of the union.
  expectTypeOf(journal.readAll()).toEqualTypeOf<ReadPage<ShopEvent>>();
  const page = journal.readAll({ after: 0, region: { types: ['OrderPaid', 'OrderShipped'] } });
  expectTypeOf(page.events).toEqualTypeOf<StoredEventOf<ShopEvent, 'OrderPaid' | 'OrderShipped'>[]>();
  const first = page.events[0];
  if (first.type === 'OrderPaid') expectTypeOf(first.data.amount).toBeNumber();
  // @ts-expect-error OrderPlaced is not in the region, so it is not a type of the page's events
  if (first.type === 'OrderPlaced') first.data;
  expectTypeOf(journal.readAll({ region: { entityPrefix: 'order' } }).events).toEqualTypeOf<
    StoredEventOf<ShopEvent>[]
  >();
  // @ts-expect-error a region type outside the union
  journal.readAll({ region: { types: ['OrderCancelled'] } });
  expectTypeOf(untyped.readAll({ region: { types: ['A'] } }).events[0]).toEqualTypeOf<
    StoredEvent<unknown, 'A'>
  >();
  expectTypeOf(untyped.readAll().events).toEqualTypeOf<StoredEvent[]>();

  for (const e of journal.query({ types: ['OrderShipped'] })) expectTypeOf(e.data.carrier).toBeString();
  for (const e of journal.query()) expectTypeOf(e).toEqualTypeOf<StoredEventOf<ShopEvent>>();

  // The causal graph.
  expectTypeOf(journal.correlated(id)).toEqualTypeOf<StoredEventOf<ShopEvent>[]>();
  expectTypeOf(journal.causes(id)).toEqualTypeOf<StoredEventOf<ShopEvent>[]>();
  const tree = journal.effects(id);
  expectTypeOf(tree).toEqualTypeOf<EffectTree<ShopEvent>>();
  expectTypeOf(tree.effects[0].event).toEqualTypeOf<StoredEventOf<ShopEvent>>();
  expectTypeOf(untyped.effects(id)).toEqualTypeOf<EffectTree>();
}

// ---------------------------------------------------------------- consumers

export async function consuming(): Promise<void> {
  const all = journal.subscribeLossy();
  expectTypeOf(all).toEqualTypeOf<LossySubscription<ShopEvent>>();
  for await (const e of all) {
    if (e.type === 'OrderShipped') expectTypeOf(e.data.carrier).toBeString();
  }
  const payments = journal.subscribeLossy({ types: ['OrderPaid'] }, { capacity: 10 });
  for await (const e of payments) expectTypeOf(e.data.amount).toBeNumber();
  expectTypeOf(payments.take()).toEqualTypeOf<StoredEventOf<OrderPaid>[]>();
  // @ts-expect-error a subscription region type outside the union
  journal.subscribeLossy({ types: ['Nope'] });
  expectTypeOf(untyped.subscribeLossy().take()).toEqualTypeOf<StoredEvent[]>();

  const cursor = journal.cursor({ types: ['OrderPlaced'] }, { checkpointId: 'placed' });
  expectTypeOf(cursor).toEqualTypeOf<Cursor<OrderPlaced>>();
  expectTypeOf(cursor.poll(10)[0].data.total).toBeNumber();
  expectTypeOf(journal.cursor().poll()).toEqualTypeOf<StoredEventOf<ShopEvent>[]>();
  expectTypeOf(untyped.cursor().poll()).toEqualTypeOf<StoredEvent[]>();

  const worker = journal.cursorWorker({ types: ['OrderPaid'] }, { checkpointId: 'billing' }, (batch) => {
    expectTypeOf(batch).toEqualTypeOf<StoredEventOf<OrderPaid>[]>();
    for (const e of batch) expectTypeOf(e.data.amount).toBeNumber();
    // @ts-expect-error the worker's region holds only OrderPaid
    batch[0].data.total;
    return 'continue';
  });
  expectTypeOf(worker).toEqualTypeOf<CursorWorkerHandle>();
  journal.cursorWorker({}, {}, (batch) => {
    expectTypeOf(batch).toEqualTypeOf<StoredEventOf<ShopEvent>[]>();
    return 'stop';
  });
  // @ts-expect-error a worker region type outside the union
  journal.cursorWorker({ types: ['Nope'] }, {}, () => 'continue');

  // Reactors: handlers by type name get their member and return events of the union.
  journal.reactor({
    name: 'billing',
    handlers: {
      OrderPlaced: (e) => {
        expectTypeOf(e).toEqualTypeOf<StoredEventOf<OrderPlaced>>();
        // @ts-expect-error OrderPlaced has no amount
        e.data.amount;
        return { coordinate: order, event: { type: 'OrderPaid', data: { amount: e.data.total } } };
      },
      OrderPaid: async (e) => [
        { coordinate: order, event: { type: 'OrderShipped', data: { carrier: String(e.data.amount) } } },
      ],
      OrderShipped: () => undefined,
    },
    region: { entityPrefix: 'order' },
    onReactions: (source, receipts) => {
      expectTypeOf(source).toEqualTypeOf<StoredEventOf<ShopEvent>>();
      expectTypeOf(receipts).toEqualTypeOf<readonly AppendReceipt[]>();
    },
  });
  journal.reactor({
    name: 'bad-key',
    handlers: {
      OrderPaid: () => undefined,
      // @ts-expect-error a handler key outside the union
      OrderCancelled: () => undefined,
    },
  });
  journal.reactor({
    name: 'bad-reaction',
    handlers: {
      // @ts-expect-error a reaction outside the union
      OrderPaid: () => ({ coordinate: order, event: { type: 'Refunded', data: {} } }),
    },
  });
  journal.reactor({
    name: 'bad-reaction-data',
    handlers: {
      // @ts-expect-error a reaction with another member's data
      OrderPaid: () => ({ coordinate: order, event: { type: 'OrderShipped', data: { amount: 1 } } }),
    },
  });
  const handlers: ReactionHandlers<ShopEvent> = {
    OrderShipped: (e): Reaction<ShopEvent> => ({
      coordinate: order,
      event: { type: 'OrderPaid', data: { amount: e.data.carrier.length } },
    }),
  };
  journal.reactor({ name: 'standalone', handlers });
  // The untyped reactor takes any key and gets untyped events, as before.
  untyped.reactor({
    name: 'any',
    handlers: {
      Whatever: (e) => {
        expectTypeOf(e.data).toBeUnknown();
        return { coordinate: order, event: { type: 'Other', data: e.data } };
      },
    },
  });

  // Projections: apply gets the members the region's types select, inferred from an inline one.
  const revenue = journal.project({
    name: 'revenue',
    version: 1,
    region: { types: ['OrderPaid'] },
    initial: () => 0,
    apply: (sum, e) => {
      expectTypeOf(e).toEqualTypeOf<StoredEventOf<OrderPaid>>();
      // @ts-expect-error OrderPaid has no total
      e.data.total;
      return sum + e.data.amount;
    },
  });
  expectTypeOf(revenue.state).toBeNumber();
  journal.project(
    {
      name: 'orders',
      version: 1,
      initial: () => ({ placed: 0, paid: 0 }),
      apply(state, e) {
        expectTypeOf(e).toEqualTypeOf<StoredEventOf<ShopEvent>>();
        if (e.type === 'OrderPlaced') state.placed += e.data.total;
        else if (e.type === 'OrderPaid') state.paid += e.data.amount;
        return state;
      },
    },
    { entity: 'order:507' },
  );
  journal.registerProjection({
    name: 'shipped',
    version: 1,
    region: { types: ['OrderShipped', 'OrderPaid'], entityPrefix: 'order' },
    initial: (): string[] => [],
    apply: (carriers, e) => {
      expectTypeOf(e.type).toEqualTypeOf<'OrderShipped' | 'OrderPaid'>();
      return e.type === 'OrderShipped' ? [...carriers, e.data.carrier] : carriers;
    },
  });
  journal.project({
    name: 'bad',
    version: 1,
    // @ts-expect-error a projection region type outside the union
    region: { types: ['OrderCancelled'] },
    initial: () => 0,
    apply: (n) => n,
  });
  const paidTotal: Projection<number, ShopEvent, 'OrderPaid'> = {
    name: 'paid',
    version: 1,
    region: { types: ['OrderPaid'] },
    initial: () => 0,
    apply: (sum, e) => sum + e.data.amount,
  };
  expectTypeOf(journal.project(paidTotal).state).toBeNumber();
  const otherUnion = {} as Projection<number, { type: 'OrderPaid'; data: { cents: string } }>;
  // @ts-expect-error a projection written for another union
  journal.project(otherUnion);
  // An untyped projection (today's Projection<S>) still works on an untyped journal.
  const count: Projection<number> = { name: 'count', version: 1, initial: () => 0, apply: (n) => n + 1 };
  untyped.project(count);
  untyped.registerProjection({
    name: 'typed-by-region',
    version: 1,
    region: { types: ['A'] },
    initial: () => 0,
    apply: (n, e) => {
      expectTypeOf(e).toEqualTypeOf<StoredEvent<unknown, 'A'>>();
      return n + 1;
    },
  });
}

// ---------------------------------------------------------------- denials

export function denials(j: Journal<ShopEvent | DenialEvent>): void {
  for (const e of j.readStream('order:507')) {
    if (e.type === 'causeway.denied') expectTypeOf(e.data.gate).toBeString();
  }
}

// ---------------------------------------------------------------- the async contract

export async function asyncContract(dir: string) {
  const shop = open<ShopEvent>(dir).async;
  expectTypeOf(shop).toEqualTypeOf<AsyncJournal<ShopEvent>>();
  await shop.append(coordinate('order:1', 'shop'), { type: 'OrderPaid', data: { amount: 1 } });
  // @ts-expect-error -- not a member of the union
  await shop.append(coordinate('order:1', 'shop'), { type: 'OrderLost', data: {} });
  // @ts-expect-error -- the wrong data for its type
  await shop.append(coordinate('order:1', 'shop'), { type: 'OrderPaid', data: { total: 1 } });
  const page = await shop.readAll({ region: { types: ['OrderPaid'] } });
  expectTypeOf(page.events[0].data).toEqualTypeOf<{ amount: number }>();
  // A typed journal can be used where an untyped contract is expected (generic tooling).
  const untyped: AsyncJournal = shop;
  expectTypeOf(untyped).toEqualTypeOf<AsyncJournal>();
}
