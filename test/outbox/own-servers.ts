/**
 * Database servers a fault test may stop and restart: each is created for the test on a port and
 * data directory of its own, and removed after it. The shared servers are never touched.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';

export interface OwnServer {
  readonly name: 'postgres' | 'mariadb';
  /** What the outbox and the test's clients connect to. */
  readonly url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops and starts again, as a server restart or failover does. */
  restart(): Promise<void>;
  remove(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: 'pipe', timeout: 60_000 });

async function until(ready: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await ready()) return;
    await sleep(50);
  }
  throw new Error(`${what} did not come up`);
}

/** A free TCP port, as the kernel hands them out. */
export async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export const canCreatePostgres = (): boolean => fs.existsSync('/usr/bin/pg_createcluster');
export const canCreateMariadb = (): boolean =>
  fs.existsSync('/usr/sbin/mariadbd') && fs.existsSync('/usr/bin/mariadb-install-db');

/** A PostgreSQL cluster of the test's own (`pg_createcluster`), trusting local connections. */
export async function createPostgres(): Promise<OwnServer> {
  const version = fs.readdirSync('/etc/postgresql')[0];
  const cluster = `causeway_${process.pid}_${Date.now() % 100000}`;
  const port = await freePort();
  run('pg_createcluster', [version, cluster, '-p', String(port), '--', '--auth=trust']);
  const ctl = (action: string) =>
    run('pg_ctlcluster', [
      '--skip-systemctl-redirect',
      version,
      cluster,
      action,
      ...(action === 'stop' ? ['-m', 'fast'] : []),
    ]);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const ready = async () => {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    c.on('error', () => {});
    try {
      await c.connect();
      await c.end();
      return true;
    } catch {
      return false;
    }
  };
  const start = async () => {
    ctl('start');
    await until(ready, 'PostgreSQL');
  };
  await start();
  return {
    name: 'postgres',
    url,
    start,
    stop: async () => void ctl('stop'),
    restart: async () => {
      ctl('stop');
      await start();
    },
    remove: async () => void run('pg_dropcluster', [version, cluster, '--stop']),
  };
}

/** A MariaDB server of the test's own: its own data directory, port and socket. */
export async function createMariadb(): Promise<OwnServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'causeway-mariadb-'));
  const data = path.join(dir, 'data');
  run('mariadb-install-db', [
    '--no-defaults',
    `--datadir=${data}`,
    '--user=root',
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
  ]);
  const port = await freePort();
  const pidFile = path.join(dir, 'pid');
  const url = `mysql://root@127.0.0.1:${port}/test`;
  const ready = async () => {
    try {
      const c = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 1000 });
      await c.query('CREATE DATABASE IF NOT EXISTS test');
      await c.end();
      return true;
    } catch {
      return false;
    }
  };
  const start = async () => {
    const server = spawn(
      '/usr/sbin/mariadbd',
      [
        '--no-defaults',
        `--datadir=${data}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${path.join(dir, 'sock')}`,
        `--pid-file=${pidFile}`,
        `--log-error=${path.join(dir, 'error.log')}`,
        '--user=root',
      ],
      { stdio: 'ignore', detached: true },
    );
    server.unref();
    await until(ready, 'MariaDB');
  };
  const stop = async () => {
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    process.kill(pid, 'SIGTERM');
    await until(async () => !fs.existsSync(pidFile), 'MariaDB shutdown');
  };
  await start();
  return {
    name: 'mariadb',
    url,
    start,
    stop,
    restart: async () => {
      await stop();
      await start();
    },
    remove: async () => {
      if (fs.existsSync(pidFile)) await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
