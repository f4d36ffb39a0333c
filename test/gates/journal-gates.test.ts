import { describe, expect, it } from 'vitest';
import {
  type AppendProposal,
  coordinate,
  DENIAL_EVENT_TYPE,
  deny,
  GateDenied,
  gate,
  gateSet,
  generateReceiptKey,
  permit,
} from '../../src/index.js';
import { freshJournal } from '../helpers.js';

interface Order {
  total: number;
  customer: string;
}

const order = coordinate('order:1', 'shop');
const placed = { type: 'OrderPlaced', data: { total: 40 } };
const policy = gateSet<Order>([
  gate('customer-known', (o) => (o.customer ? permit() : deny('unknown-customer', 'who is this?'))),
  gate('total-positive', (o) => (o.total > 0 ? permit() : deny('bad-total', 'total must be positive'))),
  gate('credit-limit', (o) =>
    o.total <= 100 ? permit() : deny('over-limit', 'over the credit limit', { total: o.total, limit: 100 }),
  ),
]);

describe('gated appends', () => {
  it('a denial appends nothing and throws GateDenied carrying the denial', () => {
    const { journal } = freshJournal();
    journal.append(order, { type: 'OrderOpened', data: {} });
    const before = journal.stats().events;
    let thrown: unknown;
    try {
      journal.append(order, placed, { gates: policy, context: { total: 400, customer: 'ann' } });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(GateDenied);
    expect((thrown as GateDenied).code).toBe('GATE_DENIED');
    expect((thrown as GateDenied).denial).toEqual({
      gate: 'credit-limit',
      code: 'over-limit',
      message: 'over the credit limit',
      context: { total: 400, limit: 100 },
    });
    expect(journal.stats().events).toBe(before);
    expect(journal.streamVersion('order:1')).toBe(0);
  });

  it('a pass records the gates that ran with the event and on its receipt', () => {
    const { journal } = freshJournal();
    const receipt = journal.append(order, placed, { gates: policy, context: { total: 40, customer: 'ann' } });
    const gates = ['customer-known', 'total-positive', 'credit-limit'];
    expect(receipt.extensions).toEqual({ 'causeway.gates': gates });
    expect(journal.get(receipt.id)?.extensions).toEqual({ 'causeway.gates': gates });
    expect(journal.verify().ok).toBe(true);
  });

  it('one denied item of a batch appends none of it', () => {
    const { journal } = freshJournal();
    expect(() =>
      journal.appendBatch([
        {
          coordinate: order,
          event: placed,
          options: { gates: policy, context: { total: 1, customer: 'a' } },
        },
        { coordinate: order, event: placed, options: { gates: policy, context: { total: 1, customer: '' } } },
      ]),
    ).toThrow(GateDenied);
    expect(journal.stats().events).toBe(0);
  });

  it('a guard receipt from evaluate commits once; a refused commit leaves it usable', () => {
    const key = generateReceiptKey();
    const { journal } = freshJournal({ receiptKeys: [key.privateKey] });
    const proposal: AppendProposal = { coordinate: order, event: placed, options: { expectedVersion: 0 } };
    const verdict = policy.evaluate({ total: 40, customer: 'ann' }, proposal);
    if (!verdict.permitted) throw new Error('expected a permit');
    // The stream does not exist yet, so expectedVersion 0 fails and nothing is spent.
    expect(() => journal.commit(verdict.receipt)).toThrow(
      expect.objectContaining({ code: 'WRONG_EXPECTED_VERSION' }),
    );
    expect(verdict.receipt.spent).toBe(false);
    journal.append(order, { type: 'OrderOpened', data: {} });
    const receipt = journal.commit(verdict.receipt);
    expect(receipt).toMatchObject({ type: 'OrderPlaced', streamVersion: 1 });
    expect(receipt.extensions).toEqual({ 'causeway.gates': policy.names });
    expect(journal.verifyReceipt(receipt)).toEqual({ status: 'signed', keyId: key.keyId });
    expect(verdict.receipt.spent).toBe(true);
    expect(() => journal.commit(verdict.receipt)).toThrow(/already committed/);
    expect(journal.stats().events).toBe(2);
  });

  it('commits what the gates passed, even if the caller changes its objects afterwards', () => {
    const { journal } = freshJournal();
    const proposal = {
      coordinate: { entity: 'order:1', scope: 'shop' },
      event: { type: 'OrderPlaced', data: { total: 40 } },
    };
    const verdict = policy.evaluate({ total: 40, customer: 'ann' }, proposal);
    if (!verdict.permitted) throw new Error('expected a permit');
    proposal.coordinate.entity = 'admin:1';
    proposal.event.type = 'Evil';
    proposal.event.data.total = 4000;
    const receipt = journal.commit(verdict.receipt);
    expect(receipt).toMatchObject({ entity: 'order:1', type: 'OrderPlaced' });
    expect(journal.get(receipt.id)?.data).toEqual({ total: 40 });
    expect(() => policy.evaluate({ total: 1, customer: 'a' }, { run: () => 1 })).toThrow(/plain data/);
  });

  it('committing needs a genuine guard receipt', () => {
    const { journal } = freshJournal();
    const forged = {
      proposal: { coordinate: order, event: placed },
      gates: ['credit-limit'],
      evaluatedAt: 0,
    };
    expect(() => journal.commit(forged as never)).toThrow(/not a guard receipt/);
    expect(journal.stats().events).toBe(0);
  });

  it('with requireGates, an append without gates needs a bypass reason, which is recorded', () => {
    const { journal } = freshJournal({ requireGates: true });
    expect(() => journal.append(order, placed)).toThrow(expect.objectContaining({ code: 'GUARD_REQUIRED' }));
    expect(() => journal.appendBatch([{ coordinate: order, event: placed }])).toThrow(
      expect.objectContaining({ code: 'GUARD_REQUIRED' }),
    );
    const bypass = {
      name: 'backfill-2026-11',
      justification: 'import of legacy orders',
      approvedBy: 'ops-lead',
    };
    const receipt = journal.append(order, placed, { bypass });
    expect(receipt.extensions).toEqual({ 'causeway.bypass': bypass });
    expect(journal.get(receipt.id)?.extensions).toEqual({ 'causeway.bypass': bypass });
    const gated = journal.append(order, placed, { gates: policy, context: { total: 1, customer: 'a' } });
    expect(gated.extensions).toHaveProperty(['causeway.gates']);
    expect(journal.stats().events).toBe(2);
  });

  it('a retry with an idempotency key still has its options checked', () => {
    const { journal } = freshJournal();
    journal.append(order, placed, {
      idempotencyKey: 'k',
      gates: policy,
      context: { total: 1, customer: 'a' },
    });
    expect(() =>
      journal.append(order, placed, {
        idempotencyKey: 'k',
        gates: policy,
        context: { total: 1, customer: 'a' },
        bypass: { name: 'n', justification: 'j' },
      }),
    ).toThrow(/either gates or a bypass/);
    expect(() => journal.append(order, placed, { idempotencyKey: 'k', extensions: { bad: 1 } })).toThrow(
      /namespace/,
    );
    expect(journal.append(order, placed, { idempotencyKey: 'k' }).deduplicated).toBe(true);
  });

  it('refuses malformed bypass reasons and gates together with a bypass, changing nothing', () => {
    const { journal } = freshJournal({ requireGates: true });
    const bad = [
      { name: '', justification: 'x' },
      { name: 'n', justification: '   ' },
      { name: 'n' },
      { name: 'n', justification: 'j', approvedBy: 7 },
    ];
    for (const bypass of bad)
      expect(() => journal.append(order, placed, { bypass: bypass as never })).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    expect(() =>
      journal.append(order, placed, {
        gates: policy,
        context: { total: 1, customer: 'a' },
        bypass: { name: 'n', justification: 'j' },
      }),
    ).toThrow(/either gates or a bypass/);
    expect(() =>
      journal.append(order, placed, { gates: { evaluate: () => ({ permitted: true }) } as never }),
    ).toThrow(/GateSet/);
    expect(journal.stats().events).toBe(0);
  });

  it('a denial recorded as an event is readable and its signed receipt verifies', () => {
    const key = generateReceiptKey();
    const { journal } = freshJournal({ requireGates: true, receiptKeys: [key.privateKey] });
    const verdict = policy.evaluate({ total: 0, customer: 'ann' }, { coordinate: order, event: placed });
    if (verdict.permitted) throw new Error('expected a denial');
    const receipt = journal.appendDenial(order, verdict.denial);
    expect(receipt.type).toBe(DENIAL_EVENT_TYPE);
    expect(receipt.extensions).toEqual({ 'causeway.denial': 'total-positive' });
    const [stored] = journal.readStream('order:1');
    expect(stored.data).toEqual({
      gate: 'total-positive',
      code: 'bad-total',
      message: 'total must be positive',
      context: {},
    });
    expect(journal.verifyReceipt(receipt)).toEqual({ status: 'signed', keyId: key.keyId });
    expect(() => journal.appendDenial(order, { reason: 'x' } as never)).toThrow(
      /unknown denial field "reason"/,
    );
  });

  it('a reactor under requireGates appends its reactions with their own gates or bypass', async () => {
    const { journal } = freshJournal({ requireGates: true });
    const bypass = { name: 'reactor', justification: 'follow-up events are derived' };
    const handle = journal.reactor({
      name: 'shipping',
      handlers: {
        OrderPlaced: () => ({
          coordinate: coordinate('shipment:1', 'shop'),
          event: { type: 'ShipmentRequested', data: {} },
          bypass,
        }),
      },
    });
    journal.append(order, placed, { gates: policy, context: { total: 5, customer: 'a' } });
    await journal.waitFor('visible', 2, { timeoutMs: 5000 });
    const [reaction] = journal.readStream('shipment:1');
    expect(reaction.extensions).toEqual({ 'causeway.bypass': bypass });
    handle.stop();
    await handle.join();
  });
});
