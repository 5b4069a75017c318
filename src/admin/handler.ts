/**
 * @module admin/handler
 * The admin API as a function of the request: `(method, url, headers, body) → response`, with no
 * socket involved. ./server.ts feeds it from node:http; tests call it directly (fastify's
 * inject(), hono's app.request()). Order of checks: size, Host, route, method, cross-site
 * (./csrf.ts: state changes only), authorisation (./authorize.ts), handler; so an
 * unauthenticated caller learns which paths exist (they are documented anyway) but nothing else,
 * and a request another web page made the browser send is refused whether or not it carries
 * credentials.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { isSiplbError } from '../errors.js';
import type { AdminControl } from '../api/control.js';
import { authorize, type AdminChannel } from './authorize.js';
import { checkHost, checkStateChange } from './csrf.js';
import { errorReply, type AdminResponse } from './reply.js';
import { ROUTES, type Route } from './routes.js';

/** Largest request body accepted; admin bodies are a few bytes, so anything near this is not ours. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface AdminRequest {
  readonly method: string;
  /** Path with optional query string, e.g. `/backends/gw1/state?x=1` (the query is ignored). */
  readonly url: string;
  /** Lower-case header names, as node:http gives them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body?: string;
  /** Which listener it came in on: the unix socket's file permissions already authorise. @default 'tcp' */
  readonly via?: AdminChannel;
}

export interface AdminHandlerOptions {
  readonly control: AdminControl;
  readonly metrics: Registry;
  /**
   * Bearer token: over TCP every route except the public ones needs it. Unset: reads are open on
   * loopback and state changes are refused over TCP (the unix socket still takes them).
   */
  readonly token?: string | undefined;
  readonly logger?: Logger;
  /** Route table; tests may pass their own. @default ROUTES */
  readonly routes?: readonly Route[];
}

export type AdminHandler = (req: AdminRequest) => Promise<AdminResponse>;

interface Match {
  readonly route: Route;
  readonly params: Record<string, string>;
}

/** Routes whose path matches, each with its params; undefined when a segment is not valid percent-encoding. */
function matchPath(routes: readonly Route[], path: string): Match[] | undefined {
  const segs = path.split('/');
  const out: Match[] = [];
  for (const route of routes) {
    const want = route.path.split('/');
    if (want.length !== segs.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < want.length && ok; i++) {
      const w = want[i]!;
      const s = segs[i]!;
      if (w.startsWith(':')) {
        if (s === '') ok = false;
        else {
          try {
            params[w.slice(1)] = decodeURIComponent(s);
          } catch {
            return undefined;
          }
        }
      } else ok = w === s;
    }
    if (ok) out.push({ route, params });
  }
  return out;
}

function headerValue(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}

export function createAdminHandler(opts: AdminHandlerOptions): AdminHandler {
  const routes = opts.routes ?? ROUTES;
  const log = opts.logger;
  return async (req) => {
    const body = req.body ?? '';
    if (Buffer.byteLength(body) > MAX_BODY_BYTES) {
      return errorReply(413, 'SIPLB_ERR_ADMIN_BAD_REQUEST', `request body larger than ${MAX_BODY_BYTES} bytes`);
    }
    const via = req.via ?? 'tcp';
    // DNS rebinding needs a browser reaching a TCP port; the unix socket is not reachable that way.
    const host = via === 'socket' ? { ok: true as const } : checkHost(req.headers, opts.token !== undefined);
    if (!host.ok) return errorReply(403, 'SIPLB_ERR_ADMIN_FORBIDDEN', host.reason);
    const q = req.url.indexOf('?');
    const path = q === -1 ? req.url : req.url.slice(0, q);
    const matches = matchPath(routes, path);
    if (matches === undefined) return errorReply(400, 'SIPLB_ERR_ADMIN_BAD_REQUEST', 'malformed percent-encoding in path');
    if (matches.length === 0) return errorReply(404, 'SIPLB_ERR_ADMIN_NOT_FOUND', `no route ${path}`);
    const match = matches.find((m) => m.route.method === req.method);
    if (match === undefined) {
      const allow = [...new Set(matches.map((m) => m.route.method))].join(', ');
      return errorReply(405, 'SIPLB_ERR_ADMIN_BAD_REQUEST', `${req.method} not allowed on ${path}; use ${allow}`, { allow });
    }
    if (match.route.method !== 'GET') {
      const site = checkStateChange(req.headers);
      if (!site.ok) return errorReply(403, 'SIPLB_ERR_ADMIN_FORBIDDEN', site.reason);
    }
    const auth = authorize({ via, method: match.route.method, isPublic: match.route.public === true, token: opts.token, authorization: headerValue(req.headers.authorization) });
    if (auth !== 'ok') {
      if (auth === 'no-credential-configured') {
        return errorReply(403, 'SIPLB_ERR_ADMIN_AUTH', 'state changes over TCP need a bearer token, and this node has none: set admin.token, or use the unix socket admin.socket (the CLI uses it when it exists; --socket)');
      }
      return errorReply(401, 'SIPLB_ERR_ADMIN_AUTH', 'missing or wrong bearer token (admin.token; CLI: --token or SIPLB_TOKEN, or use the unix socket admin.socket)', {
        'www-authenticate': 'Bearer realm="siplb"',
      });
    }
    try {
      return await match.route.handler({ control: opts.control, metrics: opts.metrics, params: match.params, body });
    } catch (err) {
      if (isSiplbError(err) && err.code === 'SIPLB_ERR_UNKNOWN_BACKEND') return errorReply(404, err.code, err.message);
      if (isSiplbError(err) && err.code === 'SIPLB_ERR_ADMIN_BAD_REQUEST') return errorReply(400, err.code, err.message);
      log?.error({ err, method: req.method, path }, 'admin request failed');
      return errorReply(500, 'SIPLB_ERR_INTERNAL', 'internal error; see the siplb log');
    }
  };
}
