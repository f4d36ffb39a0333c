// With pg added: a PostgreSQL outbox, the message enqueued in the caller's transaction.

import { leased, Outbox, Result } from 'causewayjs';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
let delivered;
const done = new Promise((resolve) => (delivered = resolve));
const outbox = await Outbox.start(pool, {
  queues: {
    emails: {
      partitions: 4,
      delivery: leased(async (m) => {
        delivered(m.payload);
        return Result.ok();
      }),
    },
  },
});
const client = await pool.connect();
await client.query('BEGIN');
await outbox.enqueue(client, 'emails', { type: 'Mail', key: 'k', payload: { n: 2 } });
await client.query('COMMIT');
client.release();
console.log('postgres outbox delivered', JSON.stringify(await done));
await outbox.stop();
await pool.end();
