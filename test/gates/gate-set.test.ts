import { describe, expect, it } from 'vitest';
import { deny, GATE_DEFECT, type Gate, GuardReceipt, gate, gateSet, permit } from '../../src/index.js';

interface Ctx {
  amount: number;
  user: string | null;
}

/** Gates that record which of them ran. */
function recordingGates(ran: string[]): Gate<Ctx>[] {
  return [
    gate<Ctx>('signed-in', (c) => {
      ran.push('signed-in');
      return c.user ? permit() : deny('anonymous', 'sign in first');
    }),
    gate<Ctx>('positive', (c) => {
      ran.push('positive');
      return c.amount > 0 ? permit() : deny('not-positive', 'amount must be positive', { amount: c.amount });
    }),
    gate<Ctx>('limit', (c) => {
      ran.push('limit');
      return c.amount <= 100
        ? permit()
        : deny('over-limit', 'amount over 100', { amount: c.amount, limit: 100 });
    }),
  ];
}

describe('gate sets', () => {
  it('evaluate stops at the first denial and returns it with gate, code, message and context', () => {
    const ran: string[] = [];
    const verdict = gateSet(recordingGates(ran)).evaluate({ amount: -5, user: null }, 'proposal');
    expect(ran).toEqual(['signed-in']);
    expect(verdict).toEqual({
      permitted: false,
      denial: { gate: 'signed-in', code: 'anonymous', message: 'sign in first', context: {} },
    });

    ran.length = 0;
    const second = gateSet(recordingGates(ran)).evaluate({ amount: -5, user: 'ann' }, 'proposal');
    expect(ran).toEqual(['signed-in', 'positive']);
    expect(second.permitted === false && second.denial).toMatchObject({
      gate: 'positive',
      code: 'not-positive',
      context: { amount: -5 },
    });
  });

  it('evaluateAll runs every gate and returns every denial in gate order', () => {
    const ran: string[] = [];
    const verdict = gateSet(recordingGates(ran)).evaluateAll({ amount: 500, user: null }, 'p');
    expect(ran).toEqual(['signed-in', 'positive', 'limit']);
    expect(verdict.permitted).toBe(false);
    if (verdict.permitted) return;
    expect(verdict.denials.map((d) => [d.gate, d.code])).toEqual([
      ['signed-in', 'anonymous'],
      ['limit', 'over-limit'],
    ]);
  });

  it('a passing proposal becomes a guard receipt naming the gates that ran, in order', () => {
    const set = gateSet(recordingGates([]));
    const proposal = { what: 'pay', amount: 5 };
    for (const verdict of [
      set.evaluate({ amount: 5, user: 'ann' }, proposal),
      set.evaluateAll({ amount: 5, user: 'ann' }, proposal),
    ]) {
      expect(verdict.permitted).toBe(true);
      if (!verdict.permitted) return;
      expect(verdict.receipt).toBeInstanceOf(GuardReceipt);
      expect(verdict.receipt.proposal).toEqual(proposal);
      expect(Object.isFrozen(verdict.receipt.proposal)).toBe(true);
      expect(verdict.receipt.gates).toEqual(['signed-in', 'positive', 'limit']);
      expect(GuardReceipt.isGenuine(verdict.receipt)).toBe(true);
    }
  });

  it('a gate that throws becomes a defect denial; evaluateAll goes on with the next gates', () => {
    const ran: string[] = [];
    const set = gateSet<Ctx>([
      gate('explodes', () => {
        throw new TypeError('no stock service');
      }),
      ...recordingGates(ran),
    ]);
    const first = set.evaluate({ amount: 5, user: 'ann' }, null);
    expect(first.permitted === false && first.denial).toEqual({
      gate: 'explodes',
      code: GATE_DEFECT,
      message: 'gate threw: no stock service',
      context: { error: 'TypeError' },
    });
    expect(ran).toEqual([]);
    const all = set.evaluateAll({ amount: 5, user: 'ann' }, null);
    expect(all.permitted === false && all.denials.map((d) => d.gate)).toEqual(['explodes']);
    expect(ran).toEqual(['signed-in', 'positive', 'limit']);
  });

  it('a gate that returns a promise or a malformed decision is a defect, not a permit', () => {
    const asyncGate = gate<Ctx>('async', (async () => permit()) as unknown as () => ReturnType<
      typeof permit
    >);
    const sloppy = gate<Ctx>('sloppy', (() => ({ permitted: 'yes' })) as unknown as () => ReturnType<
      typeof permit
    >);
    const none = gate<Ctx>('none', (() => undefined) as unknown as () => ReturnType<typeof permit>);
    const all = gateSet([asyncGate, sloppy, none]).evaluateAll({ amount: 1, user: 'a' }, null);
    expect(all.permitted === false && all.denials.map((d) => [d.gate, d.code])).toEqual([
      ['async', GATE_DEFECT],
      ['sloppy', GATE_DEFECT],
      ['none', GATE_DEFECT],
    ]);
    expect(all.permitted === false && all.denials[0].context).toEqual({
      returned: 'a promise (gates are synchronous)',
    });
  });

  it('refuses bad definitions: duplicate or malformed names, missing checks', () => {
    const ok = gate<Ctx>('a', () => permit());
    expect(() => gateSet([ok, gate<Ctx>('a', () => permit())])).toThrow(/two gates are named a/);
    expect(() => gate('', () => permit())).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => gate('has space', () => permit())).toThrow(/gate name/);
    expect(() => gate('x', undefined as never)).toThrow(/check function/);
    expect(() => gateSet([{ name: 'x' } as never])).toThrow(/must be gates/);
    expect(() => gateSet([])).toThrow(/non-empty/);
  });

  it('a guard receipt cannot be constructed by hand', () => {
    const Ctor = GuardReceipt as unknown as new (...args: unknown[]) => unknown;
    expect(() => new Ctor(Symbol('issue guard receipt'), 'p', ['a'], 0)).toThrow(/GateSet.evaluate/);
    const lookAlike = { proposal: 'p', gates: ['a'], evaluatedAt: 0 };
    expect(GuardReceipt.isGenuine(lookAlike)).toBe(false);
    expect(GuardReceipt.isGenuine(Object.create(GuardReceipt.prototype))).toBe(false);
  });
});
