import fs from 'node:fs';
import path from 'node:path';
import { GateDenied } from '../../errors.js';
import { deny, gate, gateSet, generateReceiptKey, permit } from '../../gates/index.js';
import {
  type AppendReceipt,
  type Coordinate,
  coordinate,
  type EffectTree,
  type Journal,
  open,
  type Projection,
  type StoredEvent,
} from '../../journal/index.js';
import { leased, Outbox, Result, relayToOutbox } from '../../outbox/index.js';

/** What one customer asks for; the gates judge it. */
interface PlaceOrder {
  customer: string;
  knownCustomer: boolean;
  sku: string;
  quantity: number;
  stock: number;
  total: number;
  creditLimit: number;
}

const SHOP = 'shop';
const QUEUE = 'order-notifications';
const RELAYED = ['OrderPlaced', 'OrderPaid', 'ShipmentRequested'];
const BYPASS = { name: 'derived-events', justification: 'follow-ups of orders that passed the gates' };

const placeOrderGates = gateSet<PlaceOrder>([
  gate('customer-known', (c) =>
    c.knownCustomer ? permit() : deny('unknown-customer', `no customer ${c.customer}`),
  ),
  gate('in-stock', (c) =>
    c.quantity <= c.stock
      ? permit()
      : deny('out-of-stock', `only ${c.stock} of ${c.sku} left`, { sku: c.sku, stock: c.stock }),
  ),
  gate('credit-limit', (c) =>
    c.total <= c.creditLimit
      ? permit()
      : deny('over-credit-limit', `${c.total} is over the limit of ${c.creditLimit}`, {
          total: c.total,
          limit: c.creditLimit,
        }),
  ),
]);

const paymentGates = gateSet<{ amount: number; due: number }>([
  gate('amount-due', (p) =>
    p.amount === p.due ? permit() : deny('wrong-amount', `paid ${p.amount}, due ${p.due}`, { ...p }),
  ),
]);

interface Summary {
  placed: number;
  paid: number;
  shipped: number;
  denied: number;
  revenue: number;
}

const summary: Projection<Summary> = {
  name: 'order-summary',
  version: 1,
  region: { types: ['OrderPlaced', 'OrderPaid', 'ShipmentRequested', 'causeway.denied'] },
  cache: 'disk',
  initial: () => ({ placed: 0, paid: 0, shipped: 0, denied: 0, revenue: 0 }),
  apply: (s, e) => {
    if (e.type === 'OrderPlaced') return { ...s, placed: s.placed + 1 };
    if (e.type === 'OrderPaid')
      return { ...s, paid: s.paid + 1, revenue: s.revenue + (e.data as { total: number }).total };
    if (e.type === 'ShipmentRequested') return { ...s, shipped: s.shipped + 1 };
    return { ...s, denied: s.denied + 1 };
  },
};

/**
 * The demo's order workflow on embedded defaults: a journal directory and an SQLite outbox under
 * `dir`. Running it again continues the same journal with new orders.
 */
export async function runDemo(dir: string, log: (line: string) => void): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const journal = open(path.join(dir, 'journal'), { receiptKeys: [receiptKey(dir)], requireGates: true });
  const delivered: string[] = [];
  const outbox = await Outbox.start(`sqlite:${path.join(dir, 'outbox.db')}`, {
    queues: {
      [QUEUE]: {
        partitions: 4,
        delivery: leased(async (m) => {
          delivered.push(`${m.type} ${m.key}`);
          return Result.ok();
        }),
      },
    },
  });
  try {
    const run = journal.streams({ entityPrefix: 'order' }).length === 0 ? 'first run' : 'continuing';
    log(`journal ${path.join(dir, 'journal')} (${run}, ${journal.stats().events} events so far)`);
    log(`outbox  sqlite:${path.join(dir, 'outbox.db')}, queue ${QUEUE}`);

    // Follow-ups: a reservation and a shipment request per placed order, appended once each.
    const fulfilment = journal.reactor({
      name: 'fulfilment',
      handlers: {
        OrderPlaced: (e) => [
          {
            coordinate: coordinate(`stock:${(e.data as { sku: string }).sku}`, SHOP),
            event: { type: 'StockReserved', data: { order: e.entity } },
            bypass: BYPASS,
          },
          {
            coordinate: coordinate(`shipment:${e.entity}`, SHOP),
            event: { type: 'ShipmentRequested', data: { order: e.entity } },
            bypass: BYPASS,
          },
        ],
      },
    });
    const relay = relayToOutbox(journal, outbox, {
      region: { types: RELAYED },
      queue: QUEUE,
      key: (e) => e.entity.replace(/^shipment:/, ''),
    });

    log('');
    log('commands');
    const first = nextOrderNumber(journal);
    const orders: PlaceOrder[] = [
      {
        customer: 'ada',
        knownCustomer: true,
        sku: 'lamp',
        quantity: 1,
        stock: 5,
        total: 120,
        creditLimit: 500,
      },
      {
        customer: 'grace',
        knownCustomer: true,
        sku: 'desk',
        quantity: 1,
        stock: 2,
        total: 380,
        creditLimit: 1000,
      },
      {
        customer: 'linus',
        knownCustomer: true,
        sku: 'chair',
        quantity: 4,
        stock: 10,
        total: 900,
        creditLimit: 600,
      },
    ];
    const placed: AppendReceipt[] = [];
    orders.forEach((command, i) => {
      const order = coordinate(`order:${first + i}`, SHOP);
      const receipt = placeOrder(journal, order, command, log);
      if (receipt) placed.push(receipt);
    });
    const payment = { amount: orders[0].total, due: orders[0].total };
    const paid = journal.append(
      coordinate(placed[0].entity, SHOP),
      { type: 'OrderPaid', data: { total: payment.amount } },
      { causedBy: placed[0], gates: paymentGates, context: payment },
    );
    log(`  pay   ${paid.entity}: OrderPaid at position ${paid.position}`);

    // Every relayed event of this run reaches the handler: the placed orders, the payment, the shipments.
    const expected = placed.length * 2 + 1;
    const before = delivered.length;
    await waitUntil(() => delivered.length - before >= expected, 15_000);
    await fulfilment.stopAndJoin();
    await relay.stopAndJoin();
    log('');
    log('outbox deliveries');
    for (const d of delivered) log(`  delivered ${d}`);

    const s = journal.project(summary).state;
    log('');
    log(
      `summary  ${s.placed} placed, ${s.paid} paid, ${s.shipped} shipments requested, ${s.denied} denied, revenue ${s.revenue}`,
    );

    const verified = journal.verify();
    log(
      `chains   ${verified.ok ? 'intact' : 'BROKEN'}: ${verified.events} events in ${verified.streams} streams`,
    );
    const check = journal.verifyReceipt(paid);
    log(
      `receipt  ${paid.id}: ${check.status}${check.status === 'signed' ? ` by key ${check.keyId.slice(0, 16)}…` : ''}`,
    );

    log('');
    log(`causal tree of ${placed[0].entity}`);
    printTree(journal.effects(placed[0].id), '  ', log);
  } finally {
    await outbox.stop();
    journal.close();
  }
}

function placeOrder(journal: Journal, order: Coordinate, command: PlaceOrder, log: (line: string) => void) {
  const event = {
    type: 'OrderPlaced',
    data: { customer: command.customer, sku: command.sku, total: command.total },
  };
  try {
    const receipt = journal.append(order, event, {
      gates: placeOrderGates,
      context: command,
      expectedVersion: 'no-stream',
    });
    log(`  place ${order.entity} for ${command.customer}: accepted by ${placeOrderGates.names.join(', ')}`);
    return receipt;
  } catch (err) {
    if (!(err instanceof GateDenied)) throw err;
    journal.appendDenial(order, err.denial);
    log(
      `  place ${order.entity} for ${command.customer}: DENIED by ${err.denial.gate} (${err.denial.message}); denial recorded`,
    );
    return undefined;
  }
}

function nextOrderNumber(journal: Journal): number {
  return journal.streams({ entityPrefix: 'order' }).length + 1;
}

function printTree(node: EffectTree, indent: string, log: (line: string) => void): void {
  const e: StoredEvent = node.event;
  log(`${indent}${e.type} ${e.entity}@${e.streamVersion} (position ${e.position})`);
  for (const child of node.effects) printTree(child, `${indent}  `, log);
}

/** The demo's signing key, created on the first run and kept beside the journal. */
function receiptKey(dir: string): string {
  const file = path.join(dir, 'receipt-key.pem');
  if (!fs.existsSync(file)) fs.writeFileSync(file, generateReceiptKey().privateKeyPem, { mode: 0o600 });
  return fs.readFileSync(file, 'utf8');
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('the outbox did not deliver every relayed event in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
