/** Gated and signed appends, each against plain appends measured in the same run. */
import { deny, gate, gateSet, generateReceiptKey, type Journal, open, permit } from '../../src/index.js';
import { compareRates, concurrently, loop, type Workload } from '../measure.js';
import type { BenchResult } from '../report.js';
import { benchDir, EVENT_TYPE, payload, streams } from '../workload.js';

const STREAMS = 100;
const coords = streams(STREAMS);
const BURST = 10;

interface OrderContext {
  customer: string;
  total: number;
  stock: number;
}

// Three gates of the kind an application writes: field checks over a context built beforehand.
const policy = gateSet<OrderContext>([
  gate('customer-known', (c) => (c.customer.length > 0 ? permit() : deny('unknown-customer', 'no customer'))),
  gate('credit-limit', (c) =>
    c.total <= 10_000 ? permit() : deny('over-limit', 'over the limit', { total: c.total }),
  ),
  gate('in-stock', (c) => (c.stock > 0 ? permit() : deny('out-of-stock', 'nothing in stock'))),
]);

/** Single appends through three gates against plain single appends (each in its own journal). */
export async function gatedAppend(): Promise<BenchResult> {
  return withJournals('gated', {}, async (gated, plain) => {
    let i = 0;
    let p = 0;
    const cmp = await compareRates(
      loop(() => {
        for (let k = 0; k < BURST; k++, i++) {
          const context = { customer: 'c-1', total: i % 5000, stock: 3 };
          gated.append(
            coords[i % STREAMS],
            { type: EVENT_TYPE, data: payload(i) },
            { gates: policy, context },
          );
        }
        return BURST;
      }),
      singles(plain, () => p++),
    );
    const target = 1 / 1.2;
    return {
      bench: 'gates.gated_append',
      ...cmp,
      target: '<= 20% slower than plain appends (ratio >= 0.83)',
      met: cmp.ratio >= target,
      baseline: 'plain single appends, same payloads, same run',
    };
  });
}

/** Single appends with Ed25519-signed receipts against unsigned single appends. */
export async function signedAppend(): Promise<BenchResult> {
  return signedAgainstUnsigned('gates.signed_append', 'unsigned single appends, same run', (journal) => {
    let i = 0;
    return singles(journal, () => i++);
  });
}

/**
 * 16 async producers appending one event at a time with signed receipts against unsigned ones:
 * appends made in the same turn of the event loop share one signature.
 */
export async function signedAppendAsync16(): Promise<BenchResult> {
  return signedAgainstUnsigned(
    'gates.signed_append.async16',
    'unsigned appendAsync, 16 producers, same run',
    (journal) => {
      let i = 0;
      return concurrently(16, async () => {
        await journal.appendAsync(coords[i % STREAMS], { type: EVENT_TYPE, data: payload(i++) });
      });
    },
  );
}

/** Atomic batches of 100 with signed receipts against unsigned batches. */
export async function signedAppendBatch100(): Promise<BenchResult> {
  return signedAgainstUnsigned(
    'gates.signed_append.batch100',
    'unsigned batches of 100, same run',
    (journal) => {
      let i = 0;
      return loop(() => {
        journal.appendBatch(
          coords.map((coordinate) => ({ coordinate, event: { type: EVENT_TYPE, data: payload(i++) } })),
        );
        return STREAMS;
      });
    },
  );
}

/** The same workload on a journal signing its receipts and on one that does not; target 50k/s. */
async function signedAgainstUnsigned(
  bench: string,
  baseline: string,
  workload: (journal: Journal) => Workload,
): Promise<BenchResult> {
  const key = generateReceiptKey();
  return withJournals(bench, { receiptKeys: [key.privateKey] }, async (signed, plain) => {
    const cmp = await compareRates(workload(signed), workload(plain));
    return { bench, ...cmp, target: '>= 50,000 events/s', met: cmp.ops_per_s >= 50_000, baseline };
  });
}

function singles(journal: Journal, next: () => number) {
  return loop(() => {
    for (let k = 0; k < BURST; k++) {
      const i = next();
      journal.append(coords[i % STREAMS], { type: EVENT_TYPE, data: payload(i) });
    }
    return BURST;
  });
}

async function withJournals(
  name: string,
  options: Parameters<typeof open>[1],
  body: (subject: Journal, plain: Journal) => Promise<BenchResult>,
): Promise<BenchResult> {
  const subject = open(benchDir(`gates-${name}`), options);
  const plain = open(benchDir(`gates-${name}-plain`));
  try {
    return await body(subject, plain);
  } finally {
    subject.close();
    plain.close();
  }
}
