/**
 * @module admin/csrf
 * Browser-borne attacks on the admin API. Any web page an operator opens can make their browser
 * send a request to 127.0.0.1:8060: an HTML form POST, or a `fetch` in no-cors mode. The browser
 * carries no bearer token of ours, but on loopback without `admin.token` none is needed, so
 * without these rules a page on the internet could disable every backend (CSRF).
 *
 * A state-changing request (any method but GET) must
 * - carry `Content-Type: application/json`: an HTML form can only send urlencoded, multipart or
 *   text/plain bodies, and a cross-origin `fetch` with a JSON type needs a CORS preflight that
 *   this server never grants (it answers no OPTIONS and sends no Access-Control-* header);
 * - when `Origin` is present (browsers send it on every POST), name the same host:port as `Host`;
 * - when `Sec-Fetch-Site` is present, say `same-origin` or `none` (typed in by the user).
 * The CLI, curl and scripts send no Origin and set the JSON type, so they are unaffected.
 *
 * Same-origin is not enough when DNS can be made to point at 127.0.0.1 (DNS rebinding: the
 * attacker's name resolves to loopback, so its page is "same origin" with our port). So when no
 * token is configured, `Host` must name a loopback address; with a token, the token guards.
 */
import { isLoopbackHost } from './auth.js';

export type Headers = Readonly<Record<string, string | string[] | undefined>>;

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const OK: Verdict = { ok: true };

function one(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h[0] : h;
}

/** `host` or `host:port` of a Host header, lower-cased; the hostname without brackets or port. */
function hostnameOf(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') === -1 ? undefined : h.indexOf(']'));
  const colon = h.lastIndexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

/** Without a token, only a loopback Host is served (DNS rebinding). A request without Host (HTTP/1.0 tools) passes. */
export function checkHost(headers: Headers, tokenConfigured: boolean): Verdict {
  if (tokenConfigured) return OK;
  const host = one(headers.host);
  if (host === undefined || isLoopbackHost(hostnameOf(host))) return OK;
  return { ok: false, reason: `Host ${JSON.stringify(host.slice(0, 100))} is not a loopback address; without admin.token only loopback names are served (DNS rebinding)` };
}

/** Whether a state-changing request may be from a browser page of another origin (see the module comment). */
export function checkStateChange(headers: Headers): Verdict {
  const type = one(headers['content-type'])?.split(';', 1)[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    return { ok: false, reason: 'state changes need Content-Type: application/json (the CLI sends it; a cross-site form cannot)' };
  }
  const site = one(headers['sec-fetch-site'])?.toLowerCase();
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    return { ok: false, reason: `cross-site request refused (Sec-Fetch-Site: ${site.slice(0, 20)})` };
  }
  const origin = one(headers.origin);
  if (origin === undefined) return OK;
  const host = one(headers.host)?.trim().toLowerCase();
  let originHost: string | undefined;
  try {
    originHost = new URL(origin).host.toLowerCase();
  } catch {
    originHost = undefined; // "null" (sandboxed frame, file://) or garbage: not our origin
  }
  if (originHost === undefined || originHost === '' || host === undefined || originHost !== host) {
    return { ok: false, reason: `cross-origin request refused: Origin ${JSON.stringify(origin.slice(0, 100))} is not this admin API's origin` };
  }
  return OK;
}
