/**
 * @module admin
 * Public API of the admin layer: the HTTP server the app starts, the socket-free handler tests
 * use, and the route table.
 */
export { startAdminServer, type AdminServer, type AdminServerOptions } from './server.js';
export { createAdminHandler, MAX_BODY_BYTES, type AdminHandler, type AdminHandlerOptions, type AdminRequest } from './handler.js';
export type { AdminResponse } from './reply.js';
export { ROUTES, type Route } from './routes.js';
export { isLoopbackHost } from './auth.js';
