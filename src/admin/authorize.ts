/**
 * @module admin/authorize
 * Who may do what on the admin API, as a pure decision. Reading (GET) stays open on loopback when
 * no token is configured: it shows nothing an operator on the host could not see anyway. Every
 * state change (POST: disable, drain, reload) needs an authorisation a local user or a web page
 * cannot borrow: the bearer token (RFC 6750) over TCP, or the unix socket, whose file owner and
 * mode decide who may connect (HAProxy's stats socket works the same way). Loopback TCP alone is
 * no authorisation: every local account, container sharing the network namespace or SSRF-prone
 * service on the host reaches 127.0.0.1.
 */
import { bearerMatches } from './auth.js';

/** The listener a request came in on. */
export type AdminChannel = 'tcp' | 'socket';

export type AuthVerdict =
  | 'ok'
  /** A token is configured and the request does not carry it (401). */
  | 'bad-token'
  /** A state change over TCP on a node without a token: nothing could authorise it (403). */
  | 'no-credential-configured';

export interface AuthQuestion {
  readonly via: AdminChannel;
  readonly method: 'GET' | 'POST';
  /** Route served without credentials (liveness). */
  readonly isPublic: boolean;
  readonly token: string | undefined;
  /** The request's Authorization header. */
  readonly authorization: string | undefined;
}

export function authorize(q: AuthQuestion): AuthVerdict {
  // Connecting to the socket already passed the kernel's permission check on its file.
  if (q.via === 'socket' || q.isPublic) return 'ok';
  if (q.token === undefined) return q.method === 'GET' ? 'ok' : 'no-credential-configured';
  return bearerMatches(q.authorization, q.token) ? 'ok' : 'bad-token';
}
