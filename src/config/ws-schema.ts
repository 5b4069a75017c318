/**
 * @module config/ws-schema
 * sip.ws: the WebSocket listeners (RFC 7118), `ws:` and `wss:` in sip.listen. A schema of its own
 * so the WebSocket keys sit in one place; src/config/schema.ts mounts it under sip. Pure.
 */
import { z } from 'zod';
import { doc, duration, int } from './fields.js';

export const WsSchema = z.strictObject({
  allowedOrigins: doc(z.array(z.string().min(1)).default([]), {
    description:
      'Origin header values (scheme://host[:port], compared case-insensitively) a browser may open a WebSocket from; any other Origin is refused with 403 (RFC 6455 §10.2: the Origin protects browsers, so a client that sends none, not a browser, is not checked). Default: [] (any Origin).',
    example: ['https://phone.example.com'],
  }),
  allowedHosts: doc(z.array(z.string().min(1)).default([]), {
    description:
      'Host header values (host or host:port, case-insensitive) a WebSocket handshake may name; any other Host, or none, is refused with 403 (Kamailio checks it with is_myself). Default: [] (any Host).',
    example: ['sip.example.com', 'sip.example.com:443'],
  }),
  pingInterval: doc(duration(100, 3_600_000).default(25_000), {
    description:
      'A WebSocket Ping goes to every client this often; a client whose Pong for the previous Ping has not come back by the next one is closed (NATs and proxies drop quiet WebSockets after 30-60 s). Default: 25s. In Config: integer milliseconds.',
    example: '20s',
  }),
  maxMessageBytes: doc(int(1024, 1_048_576).default(65_536), {
    description: 'Largest WebSocket message (one SIP message, RFC 7118 §5.1) accepted; a larger one closes the connection with 1009 (the ws library would take 100 MiB). Default: 65536.',
    example: 131072,
  }),
  handshakeTimeout: doc(duration(100, 600_000).default(5000), {
    description: 'A WebSocket connection must complete its HTTP upgrade (and for wss: the TLS handshake before it) within this; else it is closed (slowloris guard; OverSIP suggests a few seconds). Default: 5s. In Config: integer milliseconds.',
    example: '2s',
  }),
});
