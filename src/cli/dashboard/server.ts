/**
 * The dashboard's HTTP server: its JSON API under `/api`, on 127.0.0.1 by default, every request
 * guarded by a token printed at start.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { journalJson } from '../../journal/json.js';
import { type Logger, silentLogger } from '../../logger.js';
import { type ApiRequest, answer, type DashboardSources } from './api.js';
import { QueueHistory, type QueueHistoryOptions } from './history.js';
import { Verifier } from './verifier.js';

export interface DashboardServerOptions {
  /** Default 127.0.0.1: the dashboard is for this machine unless asked otherwise. */
  readonly host?: string;
  /** Default 0: a free port. */
  readonly port?: number;
  /** Default: 24 random bytes. */
  readonly token?: string;
  /** Where actions (redrive, discard, purge) and failures are recorded. */
  readonly logger?: Logger;
  /** How the outbox's figures are sampled for the charts. */
  readonly history?: QueueHistoryOptions;
}

export interface DashboardServer {
  /** Where the dashboard listens, with its token: what to open. */
  readonly url: string;
  readonly token: string;
  close(): Promise<void>;
}

/** Largest request body read. */
const MAX_BODY = 64 * 1024;

export async function startDashboardServer(
  sources: DashboardSources,
  options: DashboardServerOptions = {},
): Promise<DashboardServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const logger = options.logger ?? silentLogger;
  const history = sources.outbox && new QueueHistory(sources.outbox, logger, options.history);
  const verifier = sources.journal && new Verifier(sources.journal, logger);
  const served: DashboardSources = { ...sources, history, verifier };
  const expected = Buffer.from(token);
  const authorized = (req: http.IncomingMessage, url: URL) => {
    const given = Buffer.from(
      req.headers.authorization?.replace(/^Bearer /, '') ?? url.searchParams.get('token') ?? '',
    );
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  const server = http.createServer((req, res) => {
    const send = (status: number, json: unknown) => {
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
      res.end(journalJson(json));
    };
    handle(req)
      .then(({ status, json }) => send(status, json))
      .catch((err) => {
        logger.error({ err, url: req.url }, 'dashboard request failed');
        send(500, { code: 'UNEXPECTED', message: (err as Error)?.message ?? String(err) });
      });
  });

  async function handle(req: http.IncomingMessage): Promise<{ status: number; json: unknown }> {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (!authorized(req, url))
      return { status: 401, json: { code: 'UNAUTHORIZED', message: 'a valid dashboard token is required' } };
    if (!url.pathname.startsWith('/api/'))
      return { status: 404, json: { code: 'NOT_FOUND', message: 'no such page' } };
    let path: string[];
    try {
      path = url.pathname.slice(5).split('/').map(decodeURIComponent);
    } catch {
      return { status: 400, json: { code: 'INVALID_ARGUMENT', message: 'malformed path' } };
    }
    const parsed = await readBody(req);
    if ('error' in parsed) return { status: 400, json: { code: 'INVALID_ARGUMENT', message: parsed.error } };
    url.searchParams.delete('token');
    const request: ApiRequest = {
      method: req.method ?? 'GET',
      path,
      query: url.searchParams,
      body: parsed.body,
    };
    const response = await answer(served, request);
    if (req.method === 'POST' && response.status === 200)
      logger.info(
        { action: path.join('/'), request: parsed.body, result: response.json },
        'dashboard action',
      );
    return response;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => {
      history?.stop();
      reject(err);
    });
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}/?token=${token}`,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        history?.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A POST's JSON body (at most {@link MAX_BODY} bytes), or why it cannot be read. */
async function readBody(req: http.IncomingMessage): Promise<{ body: unknown } | { error: string }> {
  if (req.method !== 'POST') {
    req.resume();
    return { body: undefined };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return { error: `the body is larger than ${MAX_BODY} bytes` };
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return { body: undefined };
  try {
    return { body: JSON.parse(Buffer.concat(chunks).toString('utf8')) };
  } catch {
    return { error: 'the body is not JSON' };
  }
}
