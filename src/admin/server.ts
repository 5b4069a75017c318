/**
 * @module admin/server
 * The admin API on node:http. Reads the body (capped at 64 KiB: 413 beyond), hands the request
 * to ./handler.ts and writes the answer. Binding off loopback without a token is refused before
 * any socket opens: an open admin port could disable every backend.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { SiplbError } from '../errors.js';
import { isLoopbackHost } from './auth.js';
import type { AdminControl } from './dto.js';
import { createAdminHandler, MAX_BODY_BYTES, type AdminHandler } from './handler.js';
import { errorReply, type AdminResponse } from './reply.js';

export interface AdminServerOptions {
  /** Port 0 lets the OS pick (tests); the bound port is in the result. */
  readonly listen: { readonly host: string; readonly port: number };
  /** Required when listen.host is not loopback. */
  readonly token?: string | undefined;
  readonly control: AdminControl;
  readonly metrics: Registry;
  readonly logger: Logger;
}

export interface AdminServer {
  readonly address: { readonly host: string; readonly port: number };
  /** Stop listening and close open connections. Idempotent. */
  close(): Promise<void>;
}

/** Slow or stalled clients are cut off; admin calls are tiny and local. */
const REQUEST_TIMEOUT_MS = 10_000;

function send(res: http.ServerResponse, r: AdminResponse, close = false): void {
  const headers: Record<string, string | number> = { ...r.headers, 'content-length': Buffer.byteLength(r.body) };
  if (close) headers.connection = 'close';
  res.writeHead(r.status, headers);
  res.end(r.body);
}

function serve(handle: AdminHandler, log: Logger): http.RequestListener {
  return (req, res) => {
    const started = performance.now();
    const declared = Number(req.headers['content-length'] ?? 0);
    const tooLarge = (): void => {
      send(res, errorReply(413, 'SIPLB_ERR_ADMIN_BAD_REQUEST', `request body larger than ${MAX_BODY_BYTES} bytes`), true);
      // Stop reading the rest; the connection closes once the answer is out.
      req.pause();
    };
    if (declared > MAX_BODY_BYTES) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    let aborted = false;
    req.on('data', (c: Buffer) => {
      if (aborted) return;
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        aborted = true;
        tooLarge();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (aborted) return;
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      handle({ method, url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }).then(
        (r) => {
          send(res, r);
          const entry = { method, url: url.split('?', 1)[0], status: r.status, ms: Math.round(performance.now() - started) };
          // Changes are rare and worth a line; reads (scrapes every few seconds) only at debug.
          if (method === 'GET') log.debug(entry, 'admin request');
          else log.info(entry, 'admin request');
        },
        (err: unknown) => {
          log.error({ err }, 'admin request failed');
          send(res, errorReply(500, 'SIPLB_ERR_INTERNAL', 'internal error; see the siplb log'));
        },
      );
    });
  };
}

export async function startAdminServer(opts: AdminServerOptions): Promise<AdminServer> {
  const { host, port } = opts.listen;
  if (!isLoopbackHost(host) && (opts.token === undefined || opts.token === '')) {
    throw new SiplbError(
      'SIPLB_ERR_ADMIN_AUTH',
      `admin API on non-loopback address ${host} needs a bearer token: set admin.token (16+ characters, e.g. \`openssl rand -hex 32\`) or bind admin.listen to 127.0.0.1`,
    );
  }
  const log = opts.logger.child({ component: 'admin' });
  const token = opts.token === '' ? undefined : opts.token;
  const handle = createAdminHandler({ control: opts.control, metrics: opts.metrics, token, logger: log });
  const server = http.createServer({ requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: REQUEST_TIMEOUT_MS }, serve(handle, log));
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(new SiplbError('SIPLB_ERR_BIND', `cannot bind the admin API to ${host}:${port} (admin.listen): ${err.message}`, { cause: err }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'admin server error'));
  const bound = server.address() as AddressInfo;
  log.info({ listen: `${bound.address}:${bound.port}`, auth: token !== undefined }, 'admin API listening');
  let closing: Promise<void> | undefined;
  return {
    address: { host: bound.address, port: bound.port },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
