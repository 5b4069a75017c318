import { describe, expect, it } from 'vitest';
import { warmUpProxy } from '../../../src/app/warm-up.js';
import { validateConfig } from '../../../src/config/validate.js';
import type { Config } from '../../../src/config/schema.js';

function config(extra: Record<string, unknown> = {}): Config {
  const r = validateConfig({ sip: { listen: '127.0.0.1:5060' }, backends: [{ id: 'gw1', address: 'gw1.example.com:5060' }], ...extra });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.config;
}

describe('warmUpProxy', () => {
  it.each([
    ['the defaults', {}],
    ['round-robin', { balance: { mode: 'round-robin' } }],
    ['least-connections', { balance: { mode: 'least-connections' } }],
    ['no Record-Route', { sip: { listen: '127.0.0.1:5060', recordRoute: false } }],
    ['an advertised address', { sip: { listen: '0.0.0.0:5060', advertise: '203.0.113.7:5080' } }],
    ['no serial failover', { failover: { enabled: false } }],
    ['health probing first', { health: { startState: 'probe-first' } }],
  ])('completes every synthetic call (INVITE to the 200 for BYE) with %s', (_name, extra) => {
    const w = warmUpProxy(config(extra), 40);
    // 7 datagrams a call, in three spellings (name-addr, display names, compact forms), and every
    // 8th call an OPTIONS ping to siplb, answered by siplb itself (sip.answerOptions defaults to true).
    expect(w).toMatchObject({ calls: 40, completed: 40, messages: 280 + 5 });
    expect(w.ms).toBeGreaterThanOrEqual(0);
  });

  it('relays its OPTIONS pings to a backend and the answers back when siplb does not answer them', () => {
    const w = warmUpProxy(config({ sip: { listen: '127.0.0.1:5060', answerOptions: false } }), 40);
    expect(w).toMatchObject({ calls: 40, completed: 40, messages: 280 + 5 * 2 });
  });

  it('uses its own backends, whatever the config names (a DNS name is never looked up)', () => {
    // gw1.example.com would need a lookup; the warm-up backends are RFC 5737 addresses.
    expect(warmUpProxy(config(), 5).completed).toBe(5);
  });
});
