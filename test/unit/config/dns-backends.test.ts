/**
 * @module test/unit/config/dns-backends
 * backends[] entries by DNS (host, srv) and the dns section: what validates, how it splits into
 * fixed backends and dnsBackends, and what is refused with key, reason and fix.
 */
import { describe, expect, it } from 'vitest';
import type { ConfigIssue } from '../../../src/config/errors.js';
import { parseDnsServer, parseSrvName } from '../../../src/config/schema.js';
import type { Config } from '../../../src/config/schema.js';
import { validateConfig } from '../../../src/config/validate.js';

function valid(raw: unknown): Config {
  const r = validateConfig(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.issues, null, 2));
  return r.config;
}

function issueAt(raw: unknown, path: string): ConfigIssue {
  const r = validateConfig(raw);
  if (r.ok) throw new Error('expected the config to be rejected');
  const found = r.issues.find((i) => i.path === path);
  if (found === undefined) throw new Error(`no issue at ${path}; got ${JSON.stringify(r.issues, null, 2)}`);
  return found;
}

describe('DNS backend entries', () => {
  it('splits fixed, host and srv entries, filling defaults and the transport an SRV name implies', () => {
    const c = valid({
      backends: [
        { id: 'edge', address: '10.0.0.1:5060' },
        { id: 'solo', host: 'solo.example.com' },
        { id: 'secure', host: 'tls.example.com', transport: 'tls', priority: 5, weight: 3 },
        { srv: '_sip._tcp.gw.example.com' },
        { srv: '_sips._tcp.dr.example.com', id: 'dr', health: { fall: 5 } },
      ],
      dns: { servers: ['127.0.0.1:5353', '::1'], minTtl: '2s', maxTtl: '1m' },
    });
    expect(c.backends.map((b) => b.id)).toEqual(['edge']);
    expect(c.dnsBackends).toEqual([
      { kind: 'host', id: 'solo', host: 'solo.example.com', port: 5060, acceptsTcp: false, transport: 'udp', weight: 1, priority: 0, health: {} },
      { kind: 'host', id: 'secure', host: 'tls.example.com', port: 5061, acceptsTcp: false, transport: 'tls', weight: 3, priority: 5, health: {} },
      { kind: 'srv', id: '_sip._tcp.gw.example.com', name: '_sip._tcp.gw.example.com', transport: 'tcp', health: {} },
      { kind: 'srv', id: 'dr', name: '_sips._tcp.dr.example.com', transport: 'tls', health: { fall: 5 } },
    ]);
    expect(c.dns).toEqual({ servers: [{ host: '127.0.0.1', port: 5353 }, { host: '::1', port: 53 }], minTtl: 2000, maxTtl: 60_000 });
  });

  it('accepts a config whose only backend is an SRV name', () => {
    expect(valid({ backends: [{ srv: '_sip._udp.gw.example.com' }] }).backends).toEqual([]);
  });

  it.each([
    [{ backends: [{ id: 'a', address: '10.0.0.1:5060', host: 'a.example.com' }] }, 'backends[0].host', /both address and host/, /second backends\[\] entry/],
    [{ backends: [{ host: 'a.example.com' }] }, 'backends[0].id', /missing required key 'id'/, /add an id/],
    [{ backends: [{ id: 'a', host: '3402000000' }] }, 'backends[0].host', /not a DNS host name/, /numeric GB\/T 28181 domain/],
    [{ backends: [{ id: 'a', host: '10.0.0.1' }] }, 'backends[0].host', /not a DNS host name/, /address/],
    [{ backends: [{ id: 'a', address: '10.0.0.1:5060', port: 5080 }] }, 'backends[0].port', /only with host/, /address carries its port/],
    [{ backends: [{ srv: '_sip._udp.gw.example.com', weight: 2 }] }, 'backends[0].weight', /given by the SRV records/, /remove weight/],
    [{ backends: [{ srv: '_sip._udp.gw.example.com', priority: 2 }] }, 'backends[0].priority', /given by the SRV records/, /remove priority/],
    [{ backends: [{ srv: '_sip._udp.gw.example.com', transport: 'tls' }] }, 'backends[0].transport', /contradicts/, /_sips\._tcp/],
    [{ backends: [{ srv: 'gw.example.com' }] }, 'backends[0].srv', /not a SIP SRV name/, /_sip\._udp\.<domain>/],
    [{ backends: [{ srv: '_sips._udp.gw.example.com' }] }, 'backends[0].srv', /not a SIP SRV name/, /_sips\._tcp/],
    [{ backends: [{ srv: '_sip._udp.3402000000' }] }, 'backends[0].srv', /not a SIP SRV name/, /_sip\._udp/],
    [{ backends: [{ srv: '_sip._udp.a.example.com' }, { srv: '_sip._udp.a.example.com' }] }, 'backends[1].srv', /duplicate backend id '_sip\._udp\.a\.example\.com' \(first used at backends\[0\]\.srv\)/, /own id/],
    [{ backends: [{ srv: '_sip._udp.a.example.com' }], dns: { servers: ['dns.example.com'] } }, 'dns.servers[0]', /invalid DNS server/, /IP address with an optional port/],
    [{ backends: [{ srv: '_sip._udp.a.example.com' }], dns: { minTtl: '1m', maxTtl: '10s' } }, 'dns.maxTtl', /below minTtl/, /raise dns\.maxTtl to at least 1m/],
    [{ backends: [{ srv: '_sip._udp.a.example.com' }], dns: { minTtl: '10ms' } }, 'dns.minTtl', /out of range/, /from 1s to 1h/],
  ])('refuses %j at %s', (raw, path, reason, fix) => {
    const i = issueAt(raw, path);
    expect(i.reason).toMatch(reason);
    expect(i.fix).toMatch(fix);
  });
});

describe('parseSrvName and parseDnsServer', () => {
  it('maps the RFC 3263 service names to transports', () => {
    expect(parseSrvName('_sip._udp.example.com')?.transport).toBe('udp');
    expect(parseSrvName('_SIP._TCP.example.com.')?.transport).toBe('tcp');
    expect(parseSrvName('_sips._tcp.example.com')?.transport).toBe('tls');
    expect(parseSrvName('_sip._sctp.example.com')).toBeUndefined();
  });

  it('reads IP addresses with an optional port, never host names', () => {
    expect(parseDnsServer('10.0.0.53')).toEqual({ host: '10.0.0.53', port: 53 });
    expect(parseDnsServer('[2001:db8::53]:5353')).toEqual({ host: '2001:db8::53', port: 5353 });
    expect(parseDnsServer('ns.example.com:53')).toBeUndefined();
  });
});
