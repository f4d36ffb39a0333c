// A consumer with only causewayjs and better-sqlite3 installed: the journal, an SQLite outbox, and
// a PostgreSQL URL that names the driver to install.
import Database from 'better-sqlite3';
import { coordinate, leased, Outbox, open, Result } from 'causewayjs';
import { gate, gateSet, permit } from 'causewayjs/gates';

const journal = open('./journal');
const order = coordinate('order:1', 'shop');
const checks = gateSet([gate('always', () => permit())]);
journal.append(order, { type: 'OrderPlaced', data: { total: 42 } }, { gates: checks, context: {} });
console.log('journal', journal.readStream('order:1').length, journal.verify().ok);
journal.close();

const db = new Database('./shop.db');
let delivered;
const done = new Promise((resolve) => (delivered = resolve));
const outbox = await Outbox.start('sqlite:./shop.db', {
  queues: {
    emails: {
      partitions: 2,
      delivery: leased(async (m) => {
        delivered(m.payload);
        return Result.ok();
      }),
    },
  },
});
db.transaction(() => outbox.enqueueSync(db, 'emails', { type: 'Mail', key: 'k', payload: { n: 1 } }))();
console.log('sqlite outbox delivered', JSON.stringify(await done));
await outbox.stop();
db.close();

try {
  await Outbox.start('postgres://127.0.0.1:5432/test', {
    queues: { emails: { partitions: 1, delivery: leased(async () => Result.ok()) } },
  });
  console.log('postgres started without pg?');
} catch (err) {
  console.log('postgres without pg:', err.code, err.message);
}
