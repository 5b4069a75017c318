/**
 * @module admin/route
 * The shape of one admin route (method, path, description, handler) and what a handler is given.
 * Its own module so that the route tables (./routes.ts, the status page's ./page.ts) and the
 * dispatcher (./handler.ts) share it without importing each other.
 */
import type { Registry } from 'prom-client';
import type { AdminControl } from '../api/control.js';
import type { AdminResponse } from './reply.js';

export interface RouteContext {
  readonly control: AdminControl;
  readonly metrics: Registry;
  /** Path parameters (`:id`), already URI-decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** Raw request body (UTF-8). */
  readonly body: string;
}

export type HttpMethod = 'GET' | 'POST';

export interface Route {
  readonly method: HttpMethod;
  /** Segments; `:name` matches one segment into params.name. */
  readonly path: string;
  readonly description: string;
  /** Served without a token even when one is configured (liveness checks from the host). */
  readonly public?: boolean;
  readonly handler: (ctx: RouteContext) => AdminResponse | Promise<AdminResponse>;
}
