import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { TSX_LOADER, tempDir } from './helpers.js';
import { PG_URL, postgresKind } from './outbox/databases.js';
import { brokerOrSkip, NATS_URL } from './sinks/brokers.js';

const root = path.resolve(import.meta.dirname, '..');

/**
 * Runs the first TypeScript block under the README heading `heading` twice in one folder, as a
 * user running it again would, and returns both outputs.
 */
function runTwice(heading: string, env: NodeJS.ProcessEnv = {}): [string, string] {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const code = new RegExp(`## ${heading}\\n\\n(?:[^\\n]+\\n)*?\\n?\`\`\`ts\\n([\\s\\S]*?)\`\`\``).exec(
    readme,
  )?.[1];
  expect(code, heading).toBeDefined();
  const file = path.join(root, 'test', `.readme-${process.pid}-${heading.replace(/\W+/g, '-')}.ts`);
  fs.writeFileSync(
    file,
    code!
      .replace("from 'causewayjs'", "from '../src/index.js'")
      .replace(/from 'causewayjs\/(\w+)'/g, "from '../src/$1/index.js'"),
  );
  const cwd = tempDir();
  const run = () =>
    execFileSync(process.execPath, ['--import', TSX_LOADER, file], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
  try {
    return [run(), run()];
  } finally {
    fs.rmSync(file, { force: true });
  }
}

describe('README', () => {
  it('journal quickstart runs as written, and again with the same result', () => {
    const [first, second] = runTwice('Quickstart: the journal');
    expect(first).toContain("'0 OrderPlaced'");
    expect(first).toContain("'3 OrderClosed'");
    expect(first).toContain("[ 'OrderPlaced', 'OrderPaid', 'Reserved', 'Requested' ]");
    expect(first.trim().endsWith('true')).toBe(true);
    expect(second).toBe(first);
  });

  it('consumer example runs as written, and again going on from its checkpoints', () => {
    const [first, second] = runTwice('Following the journal');
    expect(first).toContain('billing 3 orders (durable checkpoint: true)');
    expect(first).toContain('live 3');
    expect(first).toContain('shipments 3');
    expect(first).toContain('revenue 60');
    expect(second).toContain('billing 3 orders (durable checkpoint: true)');
    expect(second).toContain('shipments 6');
    expect(second).toContain('revenue 120');
  });

  it('gates and receipts example runs as written, twice', () => {
    for (const out of runTwice('Gates and signed receipts')) {
      expect(out).toContain('denied credit-limit over-limit');
      expect(out).toContain("gates [ 'customer-known', 'credit-limit' ]");
      expect(out).toContain('journal says signed');
      expect(out).toContain('auditor says signed');
      expect(out).toContain('tampered receipt: field-mismatch');
    }
  });

  it('outbox quickstart runs as written, twice', () => {
    for (const out of runTwice('Quickstart: the outbox'))
      expect(out).toContain('send OrderConfirmation for order-507 { total: 42 }');
  });

  /** Runs a PostgreSQL example twice against a database of its own. */
  async function runTwiceOnPostgres(heading: string, ctx: { skip(): void }): Promise<string[]> {
    if (!(await postgresKind.available())) {
      if (process.env.CI) throw new Error(`PostgreSQL is not reachable at ${PG_URL}`);
      ctx.skip();
    }
    const database = `causeway_readme_${process.pid}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    try {
      const url = new URL(PG_URL);
      url.pathname = `/${database}`;
      return runTwice(heading, { DATABASE_URL: url.href });
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    }
  }

  it('PostgreSQL outbox example runs as written, twice', async (ctx) => {
    for (const out of await runTwiceOnPostgres('The outbox on PostgreSQL', ctx))
      expect(out).toContain('send OrderConfirmation for order-507 { total: 42 }');
  });

  it('PostgreSQL journal example runs as written, and again with the same result', async (ctx) => {
    const [first, second] = await runTwiceOnPostgres('The journal on PostgreSQL', ctx);
    expect(first).toContain('paid at stream version 1');
    expect(first).toContain("[ '0 OrderPlaced', '1 OrderPaid' ]");
    expect(first).toContain("[ 'OrderPlaced', 'OrderPaid' ]");
    expect(first.trim().endsWith('true')).toBe(true);
    expect(second).toBe(first);
  });

  it('broker example runs as written, and again going on with the same stream', async (ctx) => {
    if (!(await brokerOrSkip('nats')) || !(await brokerOrSkip('rabbitmq'))) return ctx.skip();
    const nc = await connect({ servers: NATS_URL });
    const jsm = await jetstreamManager(nc);
    const dropStream = () => jsm.streams.delete('CAUSEWAY_README').catch(() => {});
    await dropStream();
    try {
      const [first, second] = runTwice('Into a broker: NATS JetStream and RabbitMQ');
      expect(first).toContain('stream holds up to position 3');
      expect(second).toContain('stream holds up to position 6');
    } finally {
      await dropStream();
      await nc.close();
    }
  });
});
