/**
 * @module admin/routes
 * The admin API as a table: method, path, one-line description, handler (Kamailio's
 * rpc_export_t with its doc string). The README is not generated from it yet, but
 * the descriptions are written for operators. `GET /` and its two assets are the status page
 * (./page.ts). Auth, routing, 404/405 and error mapping live in
 * ./handler.ts; handlers only translate between HTTP and the AdminControl.
 */
import { z } from 'zod';
import type { HealthzView, ReloadFailedBody } from '../api/control.js';
import { PAGE_ROUTES } from './page.js';
import { errorReply, json, text } from './reply.js';
import type { Route } from './route.js';

export type { HttpMethod, Route, RouteContext } from './route.js';

const SetStateBody = z.strictObject({ state: z.enum(['enabled', 'disabled', 'draining']) });

function parseJson(body: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body) as unknown };
  } catch {
    return { ok: false };
  }
}

const API_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/healthz',
    description: 'Liveness: 200 {"ok":true} while the node runs. Never needs a token.',
    public: true,
    handler: () => json(200, { ok: true } satisfies HealthzView),
  },
  {
    method: 'GET',
    path: '/status',
    description: 'Node summary: id, version, role, uptime, addresses, backend and call counts, drop/reject tallies.',
    handler: ({ control }) => json(200, control.status()),
  },
  {
    method: 'GET',
    path: '/backends',
    description: 'Every configured backend with health, admin state, eligibility, last probe RTT and calls.',
    handler: ({ control }) => json(200, control.backends()),
  },
  {
    method: 'POST',
    path: '/backends/:id/state',
    description: 'Set a backend admin state: body {"state":"enabled"|"disabled"|"draining"}. Answers the updated backend.',
    handler: ({ control, params, body }) => {
      const parsed = parseJson(body);
      if (!parsed.ok) return errorReply(400, 'SIPLB_ERR_ADMIN_BAD_REQUEST', 'request body is not valid JSON');
      const r = SetStateBody.safeParse(parsed.value);
      if (!r.success) {
        return errorReply(400, 'SIPLB_ERR_ADMIN_BAD_REQUEST', 'body must be {"state":"enabled"|"disabled"|"draining"}');
      }
      return json(200, control.setAdminState(params.id ?? '', r.data.state));
    },
  },
  {
    method: 'POST',
    path: '/reload',
    description: 'Re-read the config file (like SIGHUP). 200 with the changes, or 422 with every problem and the old config kept.',
    handler: async ({ control }) => {
      const r = await control.reload();
      if (r.ok) return json(200, r);
      const body: ReloadFailedBody = {
        ...r,
        error: { code: 'SIPLB_ERR_CONFIG_INVALID', message: `reload refused: ${r.issues.length} problem(s); the running configuration is unchanged` },
      };
      return json(422, body);
    },
  },
  {
    method: 'GET',
    path: '/ha/leader',
    description: 'Leadership for health checks (keepalived, load balancers): 200 when this node serves (leader or standalone), 503 otherwise; the body is the LeaderView either way.',
    handler: ({ control }) => {
      const v = control.leader();
      return json(v.isLeader || v.role === 'standalone' ? 200 : 503, v);
    },
  },
  {
    method: 'GET',
    path: '/activity',
    description: 'Recent past for the status page: the last 50 health/admin transitions with reasons, per-backend probe RTTs of the last minutes and new calls/s.',
    handler: ({ control }) => json(200, control.activity()),
  },
  {
    method: 'GET',
    path: '/metrics',
    description: 'Prometheus metrics (text exposition format). Needs the token when one is configured (scrape config: authorization.credentials).',
    handler: async ({ metrics }) => text(200, await metrics.metrics(), metrics.contentType),
  },
];

/** The API and the status page (./page.ts). */
export const ROUTES: readonly Route[] = [...PAGE_ROUTES, ...API_ROUTES];
