/**
 * The dashboard's HTTP server: the page and its JSON API under `/api`, on 127.0.0.1 by default,
 * every request guarded by a token printed at start. Opening the printed URL trades the token for a
 * same-site cookie, so the page's own requests carry it and the address bar does not.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { journalJson } from '../../journal/json.js';
import { type Logger, silentLogger } from '../../logger.js';
import { type ApiRequest, type ApiResponse, answer, type DashboardSources } from './api.js';
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
  /** The built page (scripts/build-dashboard.mjs). Default: the package's `dist/dashboard`. */
  readonly pageDir?: string;
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
  const page = readPage(options.pageDir);
  const expected = Buffer.from(token);
  const same = (given: string | undefined) => {
    const b = Buffer.from(given ?? '');
    return b.length === expected.length && timingSafeEqual(b, expected);
  };
  let cookieName = 'causeway_dashboard'; // with the port once listening: one cookie per dashboard
  let hostAllowed = (_host: string | undefined) => false; // set once listening

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    const viaQuery = same(url.searchParams.get('token') ?? undefined);
    const authorized = viaQuery || same(bearerOf(req)) || same(cookieOf(req, cookieName));
    if (!url.pathname.startsWith('/api/'))
      return servePage(req, res, url, authorized && viaQuery, authorized);
    const send = (status: number, json: unknown, headers: Readonly<Record<string, string>> = {}) => {
      res.writeHead(status, {
        ...SECURITY_HEADERS,
        'content-type': 'application/json; charset=utf-8',
        ...headers,
      });
      res.end(journalJson(json));
    };
    if (!authorized) {
      req.resume();
      return send(401, { code: 'UNAUTHORIZED', message: 'a valid dashboard token is required' });
    }
    // Another host name resolving here (DNS rebinding), or a POST from another site.
    const refusal = !hostAllowed(req.headers.host)
      ? `not served to host ${JSON.stringify(req.headers.host)}`
      : req.method === 'POST' && !sameOrigin(req)
        ? 'a request from another site'
        : null;
    if (refusal) {
      req.resume();
      logger.warn({ route: url.pathname, method: req.method, reason: refusal }, 'dashboard request refused');
      return send(403, { code: 'FORBIDDEN', message: refusal });
    }
    handle(req, url)
      .then(({ status, json, headers }) => send(status, json, headers))
      .catch((err) => {
        logger.error({ err, url: url.pathname }, 'dashboard request failed');
        send(500, { code: 'UNEXPECTED', message: (err as Error)?.message ?? String(err) });
      });
  });

  /** The page and its two assets; opening it with the token sets the cookie and drops the token from the URL. */
  function servePage(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    tokenInUrl: boolean,
    authorized: boolean,
  ) {
    req.resume();
    const text = (status: number, body: string, headers: http.OutgoingHttpHeaders = {}) => {
      res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', ...headers });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'only GET', { allow: 'GET, HEAD' });
    if (!authorized)
      return text(
        401,
        'A valid dashboard token is required: open the URL that `causeway dashboard` printed.\n',
      );
    if (!hostAllowed(req.headers.host))
      return text(403, `Not served to host ${JSON.stringify(req.headers.host)}.\n`);
    if (tokenInUrl && url.pathname === '/')
      return text(303, '', {
        location: '/',
        'set-cookie': `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`,
      });
    const file = page?.get(url.pathname);
    if (!page)
      return text(503, 'The dashboard page is not built: run `npm run build` in the Causeway package.\n');
    if (!file) return text(404, 'no such page\n');
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': file.type });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  }

  async function handle(req: http.IncomingMessage, url: URL): Promise<ApiResponse> {
    let segments: string[];
    try {
      segments = url.pathname.slice(5).split('/').map(decodeURIComponent);
    } catch {
      return { status: 400, json: { code: 'INVALID_ARGUMENT', message: 'malformed path' } };
    }
    const parsed = await readBody(req);
    if ('error' in parsed) return { status: 400, json: { code: 'INVALID_ARGUMENT', message: parsed.error } };
    url.searchParams.delete('token');
    const request: ApiRequest = {
      method: req.method ?? 'GET',
      path: segments,
      query: url.searchParams,
      body: parsed.body,
    };
    const response = await answer(served, request);
    const action = segments.join('/');
    if (req.method === 'POST' && response.status === 200)
      logger.info({ action, request: parsed.body, result: response.json }, 'dashboard action');
    else if (response.status >= 500)
      logger.error({ route: action, method: req.method, error: response.json }, 'dashboard request failed');
    else if (req.method === 'POST')
      logger.warn({ action, request: parsed.body, error: response.json }, 'dashboard action refused');
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
  cookieName = `causeway_dashboard_${port}`;
  // Bound to one address, the API answers only the names of this machine: a page of another site
  // whose name resolves here (DNS rebinding) is refused. Bound to all, any name may be the machine's.
  const host = address.includes(':') ? `[${address}]` : address;
  const names = ['127.0.0.1', 'localhost', '[::1]', host];
  const wildcard = address === '0.0.0.0' || address === '::';
  // Browsers leave out the default port.
  const withPort = (n: string) => (port === 80 ? [n, `${n}:80`] : [`${n}:${port}`]);
  const allowed = new Set(names.flatMap(withPort));
  hostAllowed = (given) => wildcard || (given !== undefined && allowed.has(given.toLowerCase()));
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

const SECURITY_HEADERS: http.OutgoingHttpHeaders = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
};

/** The built page (see scripts/build-dashboard.mjs) by URL path, or null when it was not built. */
function readPage(pageDir?: string): Map<string, { type: string; body: Buffer }> | null {
  const dir = pageDir ?? fileURLToPath(new URL('../../../dist/dashboard/', import.meta.url));
  const files: [string, string, string][] = [
    ['/', 'index.html', 'text/html; charset=utf-8'],
    ['/assets/app.js', 'assets/app.js', 'text/javascript; charset=utf-8'],
    ['/assets/app.css', 'assets/app.css', 'text/css; charset=utf-8'],
  ];
  try {
    return new Map(
      files.map(([url, file, type]) => [url, { type, body: fs.readFileSync(path.join(dir, file)) }]),
    );
  } catch {
    return null;
  }
}

/** The token of an `Authorization: Bearer <token>` header (the scheme in any case). */
function bearerOf(req: http.IncomingMessage): string | undefined {
  const match = /^bearer +(\S+)$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

function cookieOf(req: http.IncomingMessage, name: string): string | undefined {
  for (const part of req.headers.cookie?.split(';') ?? []) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

/** A POST from the page itself: browsers send `Origin` on cross-site requests, and it must name this host. */
function sameOrigin(req: http.IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
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
