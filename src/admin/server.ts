/**
 * @module admin/server
 * The admin API on node:http. Reads the body (capped at 64 KiB: 413 beyond), hands the request
 * to ./handler.ts and writes the answer. Binding off loopback without a token is refused before
 * any socket opens: an open admin port could disable every backend. With `socket`, the same API
 * is served on a unix socket too (./unix-socket.ts), whose file mode decides who may change state.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { SiplbError } from '../errors.js';
import { isLoopbackHost } from './auth.js';
import type { AdminControl } from '../api/control.js';
import { createAdminHandler, MAX_BODY_BYTES, type AdminHandler } from './handler.js';
import type { AdminChannel } from './authorize.js';
import { errorReply, type AdminResponse } from './reply.js';
import { listenUnixSocket } from './unix-socket.js';

export interface AdminServerOptions {
  /** Port 0 lets the OS pick (tests); the bound port is in the result. */
  readonly listen: { readonly host: string; readonly port: number };
  /** Required when listen.host is not loopback. */
  readonly token?: string | undefined;
  /** Unix socket path served besides TCP; connecting to it authorises state changes. */
  readonly socket?: { readonly path: string; readonly mode: number } | undefined;
  readonly control: AdminControl;
  readonly metrics: Registry;
  readonly logger: Logger;
}

export interface AdminServer {
  readonly address: { readonly host: string; readonly port: number };
  /** The unix socket's path, when one is served. */
  readonly socketPath: string | undefined;
  /** Stop listening and close open connections. Idempotent. */
  close(): Promise<void>;
}

/**
 * Slow or stalled clients are cut off (Slowloris): admin calls are tiny and local, so the whole
 * request has 10 s and its headers 5 s; an idle keep-alive connection is closed after 5 s.
 */
const REQUEST_TIMEOUT_MS = 10_000;
const HEADERS_TIMEOUT_MS = 5_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Concurrent connections per listener: the CLI and a browser tab use one or two. */
const MAX_CONNECTIONS = 64;

function createServer(handle: AdminHandler, log: Logger, via: AdminChannel): http.Server {
  const server = http.createServer(
    { requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: HEADERS_TIMEOUT_MS, keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, maxHeaderSize: 16 * 1024 },
    serve(handle, log, via),
  );
  server.maxConnections = MAX_CONNECTIONS;
  return server;
}

function send(res: http.ServerResponse, r: AdminResponse, close = false): void {
  const headers: Record<string, string | number> = { ...r.headers, 'content-length': Buffer.byteLength(r.body) };
  if (close) headers.connection = 'close';
  res.writeHead(r.status, headers);
  res.end(r.body);
}

function serve(handle: AdminHandler, log: Logger, via: AdminChannel): http.RequestListener {
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
      handle({ method, url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), via }).then(
        (r) => {
          send(res, r);
          const entry = { method, url: url.split('?', 1)[0], status: r.status, via, ms: Math.round(performance.now() - started) };
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
  const server = createServer(handle, log, 'tcp');
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
  let unix: http.Server | undefined;
  if (opts.socket !== undefined) {
    unix = createServer(handle, log, 'socket');
    try {
      await listenUnixSocket(unix, opts.socket.path, opts.socket.mode);
    } catch (err) {
      await closeServer(server);
      throw err;
    }
    unix.on('error', (err) => log.error({ err }, 'admin socket error'));
  }
  log.info(
    { listen: `${bound.address}:${bound.port}`, auth: token !== undefined, socket: opts.socket?.path, socketMode: opts.socket?.mode.toString(8) },
    'admin API listening',
  );
  let closing: Promise<void> | undefined;
  return {
    address: { host: bound.address, port: bound.port },
    socketPath: opts.socket?.path,
    close() {
      // node:net unlinks a unix socket's file when its server closes.
      closing ??= Promise.all([closeServer(server), unix === undefined ? undefined : closeServer(unix)]).then(() => undefined);
      return closing;
    },
  };
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
