/**
 * @module cli/admin-client
 * The CLI's client of the admin HTTP API (undici `request`). It takes an optional Dispatcher so
 * tests pass a MockAgent (undici docs, best-practices/mocking-request). Failures come out as two
 * kinds the CLI maps to exit codes: SIPLB_ERR_ADMIN_UNREACHABLE (no HTTP answer at all) and
 * AdminRefusedError (an HTTP error answer, with the server's stable code).
 */
import type { Dispatcher } from 'undici';
import { ERROR_CODES, SiplbError, type SiplbErrorCode } from '../errors.js';
import type { AdminStateName, BackendView, LeaderView, ReloadView, StatusView } from '../api/control.js';
import { hostPortText, type HostPortArg } from './address.js';

export interface AdminClientOptions {
  readonly address: HostPortArg;
  /** Unix socket path: when set, requests go there instead of `address` (no token needed). */
  readonly socket?: string | undefined;
  readonly token?: string | undefined;
  /** undici Dispatcher (a MockAgent in tests). @default undici's global dispatcher */
  readonly dispatcher?: Dispatcher | undefined;
  /** Per-request limit for headers and for the body. @default 5000 */
  readonly timeoutMs?: number;
}

/** The admin API answered with an HTTP error. `code` is the server's SIPLB_ERR_* code when it sent one. */
export class AdminRefusedError extends SiplbError {
  readonly status: number;
  constructor(status: number, code: SiplbErrorCode, message: string) {
    super(code, message);
    this.status = status;
  }
}

export interface AdminClient {
  status(): Promise<StatusView>;
  backends(): Promise<readonly BackendView[]>;
  setAdminState(id: string, state: AdminStateName): Promise<BackendView>;
  /** Resolves with the failed ReloadView on 422 (invalid config is an answer, not an error). */
  reload(): Promise<ReloadView>;
  /** Resolves on 503 too: "not the leader" is an answer. */
  leader(): Promise<LeaderView>;
}

function errorOf(status: number, body: unknown): AdminRefusedError {
  const e = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const code = typeof e?.code === 'string' && e.code in ERROR_CODES ? (e.code as SiplbErrorCode) : 'SIPLB_ERR_INTERNAL';
  const message = typeof e?.message === 'string' ? e.message : `HTTP ${status}`;
  return new AdminRefusedError(status, code, message);
}

export function createAdminClient(opts: AdminClientOptions): AdminClient {
  // Over the socket the Host is a loopback name: the server checks no Host there, but proxies in
  // between (socat) might, and a loopback name is what the TCP listener would accept too.
  const base = opts.socket === undefined ? `http://${hostPortText(opts.address)}` : 'http://localhost';
  const where = opts.socket === undefined ? base : `unix socket ${opts.socket}`;
  let socketAgent: Dispatcher | undefined;
  const timeout = opts.timeoutMs ?? 5000;

  async function call(method: 'GET' | 'POST', path: string, body: unknown, okStatuses: readonly number[]): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.token !== undefined && opts.token !== '') headers.authorization = `Bearer ${opts.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Dispatcher.ResponseData;
    try {
      // undici is loaded on the first API call only: `siplb start` shares this module graph and
      // a running node should not carry an HTTP client it never uses (~20 MB RSS).
      const { request, Agent } = await import('undici');
      if (opts.socket !== undefined && opts.dispatcher === undefined) socketAgent ??= new Agent({ connect: { socketPath: opts.socket } });
      const dispatcher = opts.dispatcher ?? socketAgent;
      res = await request(`${base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: timeout,
        bodyTimeout: timeout,
        ...(dispatcher ? { dispatcher } : {}),
      });
    } catch (err) {
      const why = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      throw new SiplbError('SIPLB_ERR_ADMIN_UNREACHABLE', `cannot reach the admin API at ${where}: ${why} (is siplb running? check ${opts.socket === undefined ? '--admin or SIPLB_ADMIN' : '--socket or SIPLB_SOCKET, and that you may open the socket (admin.socketMode, group)'})`, { cause: err });
    }
    const raw = await res.body.text();
    let parsed: unknown;
    try {
      parsed = raw === '' ? null : JSON.parse(raw);
    } catch {
      parsed = null;
    }
    if (res.statusCode >= 200 && res.statusCode < 300) return parsed;
    if (okStatuses.includes(res.statusCode) && parsed !== null) return parsed;
    throw errorOf(res.statusCode, parsed);
  }

  return {
    status: async () => (await call('GET', '/status', undefined, [])) as StatusView,
    backends: async () => (await call('GET', '/backends', undefined, [])) as BackendView[],
    setAdminState: async (id, state) =>
      (await call('POST', `/backends/${encodeURIComponent(id)}/state`, { state }, [])) as BackendView,
    // An empty JSON object: the admin API takes state changes only as JSON (admin/csrf.ts).
    reload: async () => (await call('POST', '/reload', {}, [422])) as ReloadView,
    leader: async () => (await call('GET', '/ha/leader', undefined, [503])) as LeaderView,
  };
}
