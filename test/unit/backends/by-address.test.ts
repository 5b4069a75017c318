/** A backend is found by host and port, the host in any case (RFC 3261 §19.1.4: hosts compare caselessly). */
import { describe, expect, it } from 'vitest';
import { BackendRegistry } from '../../../src/backends/registry.js';

const registry = new BackendRegistry([
  { id: 'gw1', address: { host: 'gw1.Example.net', port: 5060 }, weight: 1 },
  { id: 'gw2', address: { host: '10.0.0.2', port: 5060 }, weight: 1 },
]);

describe('BackendRegistry.byAddress', () => {
  it('finds a host as given, lower case or in any other case, only on its port', () => {
    expect(registry.byAddress('10.0.0.2', 5060)?.id).toBe('gw2');
    expect(registry.byAddress('gw1.example.net', 5060)?.id).toBe('gw1');
    expect(registry.byAddress('GW1.EXAMPLE.NET', 5060)?.id).toBe('gw1');
    expect(registry.byAddress('gw1.example.net', 5061)).toBeUndefined();
    expect(registry.byAddress('10.0.0.3', 5060)).toBeUndefined();
    expect(registry.byAddress('GW3.example.net', 5060)).toBeUndefined();
  });
});
