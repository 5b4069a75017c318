/**
 * Which stream connections count as a backend's (request-path's "from a backend" and the Path and
 * flow-token rules hang on it): a backend that speaks TCP/TLS is recognised by its host from any
 * port (it connects from an ephemeral one, RFC 3261 §18.2.1); a UDP-only backend only by its exact
 * address; a WebSocket connection never, so a browser on a backend's host stays a client.
 */
import { describe, expect, it } from 'vitest';
import { BackendRegistry } from '../../../src/backends/registry.js';

const registry = new BackendRegistry([
  { id: 'udp1', address: { host: '127.0.0.1', port: 5070 }, weight: 1 },
  { id: 'tcp1', address: { host: '127.0.0.2', port: 5070 }, transport: 'tcp', weight: 1 },
  { id: 'mixed', address: { host: '127.0.0.3', port: 5070 }, acceptsTcp: true, weight: 1 },
]);

describe('BackendRegistry.byStreamSource', () => {
  it('a TCP/TLS backend is found by its host from an ephemeral port', () => {
    expect(registry.byStreamSource('127.0.0.2', 40001, 'tcp')?.id).toBe('tcp1');
    expect(registry.byStreamSource('127.0.0.3', 40001, 'tls')?.id).toBe('mixed');
  });
  it('a UDP-only backend is a stream source only at its exact address', () => {
    expect(registry.byStreamSource('127.0.0.1', 40001, 'tcp')).toBeUndefined();
    expect(registry.byStreamSource('127.0.0.1', 5070, 'tcp')?.id).toBe('udp1');
  });
  it('a WebSocket connection is never a backend, even from a backend host and port', () => {
    expect(registry.byStreamSource('127.0.0.2', 40001, 'ws')).toBeUndefined();
    expect(registry.byStreamSource('127.0.0.1', 5070, 'wss')).toBeUndefined();
  });
});
