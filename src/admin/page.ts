/**
 * @module admin/page
 * The status page: `GET /` and its stylesheet and script, plain files in ./page/ (no framework,
 * no build step; `npm run build` copies them next to this module in dist/). They carry no data:
 * the script reads the same token-protected API as the CLI, so these three routes are public and
 * a node with `admin.token` serves the page, which then asks for the token.
 *
 * Headers: a Content-Security-Policy that allows only this origin's script, style and API (no
 * inline script, so an id or reason that slipped through as markup could not run), and
 * `frame-ancestors 'none'` with X-Frame-Options, so another site cannot frame the page and trick
 * a click on its Disable button (clickjacking).
 */
import { readFileSync } from 'node:fs';
import type { AdminResponse } from './reply.js';
import type { Route } from './route.js';

const PAGE_DIR = new URL('./page/', import.meta.url);

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** Read once on first request (not at import: no side effects on import) and kept. */
const cache = new Map<string, string>();

function file(name: string, contentType: string): () => AdminResponse {
  return () => {
    let body = cache.get(name);
    if (body === undefined) cache.set(name, (body = readFileSync(new URL(name, PAGE_DIR), 'utf8')));
    return { status: 200, headers: { ...SECURITY_HEADERS, 'content-type': contentType }, body };
  };
}

export const PAGE_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/',
    description: 'Status page for a browser: backends, probe RTT, transitions, overload, HA role; drain/disable/enable buttons (asks for the token when one is set).',
    public: true,
    handler: file('index.html', 'text/html; charset=utf-8'),
  },
  {
    method: 'GET',
    path: '/ui/status.css',
    description: 'Stylesheet of the status page (static; no data).',
    public: true,
    handler: file('status.css', 'text/css; charset=utf-8'),
  },
  {
    method: 'GET',
    path: '/ui/status.js',
    description: 'Script of the status page (static; no data): polls the API every second and draws the page.',
    public: true,
    handler: file('status.js', 'text/javascript; charset=utf-8'),
  },
];
