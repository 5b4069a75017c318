/**
 * @module test/unit/config/schema
 * Defaults, normalization of durations and addresses, and the documentation of every key.
 */

import { describe, expect, expectTypeOf, it } from 'vitest';
import { formatAddress, parseAddress } from '../../../src/config/address.js';
import type { ListenAddress } from '../../../src/config/address.js';
import { formatDuration, parseDuration } from '../../../src/config/duration.js';
import { listFields } from '../../../src/config/introspect.js';
import { ConfigSchema, DEFAULT_CONFIG_PATH, effectiveHealth, isOkCodePattern } from '../../../src/config/schema.js';
import type { Address, Config, ConfigInput } from '../../../src/config/schema.js';
import { validateConfig } from '../../../src/config/validate.js';

const MIN = { backends: [{ id: 'gw1', address: '127.0.0.1:5071' }] };

function valid(raw: unknown): Config {
  const r = validateConfig(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.issues, null, 2));
  return r.config;
}

describe('defaults', () => {
  it('fills every default from a minimal document', () => {
    const c = valid(MIN);
    expect(c).toEqual({
      node: { id: '' },
      sip: {
        listen: [{ transport: 'udp', host: '127.0.0.1', port: 5060 }],
        udpMtu: 1300,
        tls: { minVersion: '1.3', verifyClients: false, verifyBackends: true },
        tcp: { maxConnections: 4096, maxConnectionsPerIp: 1024, maxHandshakes: 256, idleTimeout: 3_605_000, firstByteTimeout: 5000, messageTimeout: 10_000, connectTimeout: 3000, maxMessageBytes: 65535 },
        ws: { allowedOrigins: [], allowedHosts: [], pingInterval: 25_000, maxMessageBytes: 65_536, handshakeTimeout: 5000 },
        maxDatagramBytes: 65535,
        recvBufferBytes: 4194304,
        sendBufferBytes: 4194304,
        udpEngine: 'auto',
        warmUpCalls: 2000,
        defaultMaxForwards: 70,
        recordRoute: true,
        answerOptions: true,
        optionsReflectBackends: true,
        noBackendRetryAfter: 5,
      },
      backends: [{ id: 'gw1', address: { host: '127.0.0.1', port: 5071 }, acceptsTcp: false, transport: 'udp', weight: 1, priority: 0, health: {} }],
      dnsBackends: [],
      dns: { minTtl: 5_000, maxTtl: 300_000 },
      balance: { mode: 'hash', hashKey: { register: 'to-user', registered: 'request-uri-user', other: 'call-id' }, vnodes: 3000, affinityTtl: 32_000, failback: 'hold-registrations', affinityMaxEntries: 200_000 },
      health: {
        enabled: true,
        startState: 'up',
        fromUri: 'sip:siplb@localhost',
        userAgent: 'siplb',
        interval: 2000,
        timeout: 1000,
        fall: 3,
        rise: 2,
        okCodes: ['2xx'],
      },
      passive: { enabled: true, inviteTimeout: 5000, consecutive503: 3, blameCodes: [503], blameRelayed: false, honorRetryAfter: true, maxRetryAfter: 300_000 },
      failover: { enabled: true, timeout: 400, codes: [503], relayed: false, maxAttempts: 2, methods: ['REGISTER', 'MESSAGE', 'SUBSCRIBE'] },
      dialogs: { maxCallDuration: 3 * 3_600_000, maxEntries: 500_000 },
      overload: { enabled: true, maxQueueDelay: 1000, maxUtilization: 0.9, retryAfter: 2 },
      security: {
        trustedSources: [],
        untrusted: 'reject',
        rateLimit: { enabled: false, perSecond: 20, burst: 40, blockFor: 60_000 },
        scanners: { enabled: true, userAgents: ['friendly-scanner', 'sipvicious', 'sipcli', 'VaxSIPUserAgent', 'pplsip', 'sundayddr', 'iWar', 'SIVuS', 'sip-scan'] },
        maxSources: 100_000,
        topOffenders: 10,
      },
      admin: { listen: { host: '127.0.0.1', port: 8060 }, socketMode: '0660' },
      ha: { key: 'siplb:leader', leaseTtl: 3000, renewInterval: 1000, commandTimeout: 500 },
      flow: { nodeId: 0, keys: [], nodes: [], pathForUdp: false },
      log: { level: 'info' },
    });
    expect(c.sip.advertise).toBeUndefined();
    expect(c.health.maxRtt).toBeUndefined();
    expect(c.ha.redis).toBeUndefined();
    expect(c.admin.token).toBeUndefined();
  });

  it('does not share default objects between two results', () => {
    const a = valid(MIN);
    const b = valid(MIN);
    expect(a.health.okCodes).not.toBe(b.health.okCodes);
    expect(a.failover.codes).not.toBe(b.failover.codes);
  });

  it('exports the default config path', () => {
    expect(DEFAULT_CONFIG_PATH).toBe('config/siplb.yaml');
  });
});

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['2s', 2000],
    ['1.5s', 1500],
    ['1.1s', 1100],
    ['1m', 60_000],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
    [' 2s ', 2000],
    [750, 750],
  ])('%j → %d ms', (input, ms) => {
    expect(valid({ ...MIN, health: { interval: input, timeout: 1 } }).health.interval).toBe(ms);
  });

  it.each(['500', '2 s', '2sec', '-1s', '1.5ms', '', '1d', 's'])('parseDuration rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('formats milliseconds the way they are written', () => {
    expect([500, 2000, 1500, 60_000, 90_000, 7_200_000, 0].map(formatDuration)).toEqual(['500ms', '2s', '1500ms', '1m', '90s', '2h', '0ms']);
  });

  it('normalizes every duration key, including per-backend overrides', () => {
    const c = valid({
      backends: [{ id: 'a', address: 'a.example:5060', health: { interval: '10s', timeout: '1s', maxRtt: '250ms' } }],
      ha: { leaseTtl: '10s', renewInterval: '2s', commandTimeout: '1s' },
      dialogs: { maxCallDuration: '12h' },
      passive: { inviteTimeout: '3s', maxRetryAfter: '1m' },
      failover: { timeout: 300 },
    });
    expect(c.backends[0]?.health).toEqual({ interval: 10_000, timeout: 1000, maxRtt: 250 });
    expect([c.ha.leaseTtl, c.ha.renewInterval, c.ha.commandTimeout]).toEqual([10_000, 2000, 1000]);
    expect(c.dialogs.maxCallDuration).toBe(43_200_000);
    expect([c.passive.inviteTimeout, c.passive.maxRetryAfter, c.failover.timeout]).toEqual([3000, 60_000, 300]);
  });
});

describe('addresses', () => {
  it.each([
    ['127.0.0.1:5071', '127.0.0.1', 5071],
    ['gw1.example.com:5060', 'gw1.example.com', 5060],
    ['gw_1:5060', 'gw_1', 5060],
    ['[2001:db8::1]:5060', '2001:db8::1', 5060],
    ['[::1]:5071', '::1', 5071],
    ['[::ffff:192.0.2.1]:5060', '::ffff:192.0.2.1', 5060],
  ])('%s → host %s port %d', (text, host, port) => {
    const c = valid({ backends: [{ id: 'b', address: text }] });
    expect(c.backends[0]?.address).toEqual({ host, port });
  });

  it.each([
    ['127.0.0.1', 'missing port'],
    ['2001:db8::1:5060', 'an IPv6 address needs brackets'],
    ['[2001:db8::zz]:5060', "'2001:db8::zz' is not an IPv6 address"],
    ['10.0.0.300:5060', "'10.0.0.300' is not an IPv4 address"],
    ['host:99999', 'port 99999 is out of range 1..65535'],
    ['host:0', 'port 0 is out of range 1..65535'],
    ['bad host:5060', "'bad host' is not a valid host name"],
    [':5060', 'missing host'],
  ])('rejects %s: %s', (text, reason) => {
    expect(parseAddress(text)).toEqual({ ok: false, reason });
  });

  it('allows port 0 (OS picks) on listen addresses only', () => {
    const c = valid({ ...MIN, sip: { listen: '127.0.0.1:0' }, admin: { listen: '127.0.0.1:0' } });
    expect(c.sip.listen[0]?.port).toBe(0);
    expect(c.admin.listen.port).toBe(0);
    expect(validateConfig({ backends: [{ id: 'a', address: '127.0.0.1:0' }] }).ok).toBe(false);
  });

  it('formats addresses back, with brackets for IPv6', () => {
    expect(formatAddress({ host: '2001:db8::1', port: 5060 })).toBe('[2001:db8::1]:5060');
    expect(formatAddress({ host: '10.0.0.1', port: 5060 })).toBe('10.0.0.1:5060');
  });

  it('accepts a wildcard listen address when advertise is set', () => {
    const c = valid({ ...MIN, sip: { listen: '[::]:5060', advertise: '[2001:db8::10]:5060' } });
    expect(c.sip.listen).toEqual([{ transport: 'udp', host: '::', port: 5060 }]);
    expect(c.sip.advertise).toEqual({ host: '2001:db8::10', port: 5060 });
  });
});

describe('other value rules', () => {
  it.each([[200, true], [699, true], [99, false], [700, false], ['2xx', true], ['2XX', true], ['7xx', false], ['200-299', true], ['299-200', false], ['abc', false]])(
    'okCode %j valid: %s',
    (code, ok) => {
      expect(isOkCodePattern(code)).toBe(ok);
    },
  );

  it('keeps okCodes as written', () => {
    expect(valid({ ...MIN, health: { okCodes: ['2xx', 404, '480-489'] } }).health.okCodes).toEqual(['2xx', 404, '480-489']);
  });

  it('fills hashKey only as the default of mode hash', () => {
    const one = { register: 'from-user', registered: 'from-user', other: 'from-user' };
    expect(valid({ ...MIN, balance: { hashKey: 'from-user' } }).balance).toMatchObject({ mode: 'hash', hashKey: one });
    expect(valid({ ...MIN, balance: { mode: 'round-robin' } }).balance.mode).toBe('round-robin');
  });

  it('takes balance.hashKey per request kind, filling missing kinds from the defaults', () => {
    expect(valid(MIN).balance.hashKey).toEqual({ register: 'to-user', registered: 'request-uri-user', other: 'call-id' });
    expect(valid({ ...MIN, balance: { hashKey: { other: 'from-user' } } }).balance.hashKey).toEqual({ register: 'to-user', registered: 'request-uri-user', other: 'from-user' });
    expect(validateConfig({ ...MIN, balance: { hashKey: { invite: 'call-id' } } }).ok).toBe(false);
  });

  it('merges per-backend overrides over the global thresholds', () => {
    const c = valid({ backends: [{ id: 'a', address: 'h:1', health: { fall: 9, okCodes: [200] } }] });
    const b = c.backends[0];
    if (b === undefined) throw new Error('no backend');
    expect(effectiveHealth(c.health, b)).toEqual({ interval: 2000, timeout: 1000, fall: 9, rise: 2, okCodes: [200], maxRtt: undefined });
  });

  it('accepts a token and a non-loopback admin address together', () => {
    const c = valid({ ...MIN, admin: { listen: '0.0.0.0:8060', token: 'x'.repeat(32) } });
    expect(c.admin.token).toHaveLength(32);
  });

  it('accepts redis and rediss URLs', () => {
    expect(valid({ ...MIN, ha: { redis: 'rediss://user:pw@redis.example:6380/1' } }).ha.redis).toBe('rediss://user:pw@redis.example:6380/1');
  });
});

describe('documentation', () => {
  const fields = listFields(ConfigSchema);

  it('covers the whole schema', () => {
    expect(fields.length).toBeGreaterThan(60);
  });

  it.each(fields.map((f) => [f.path, f] as const))('%s has a description stating its default', (_path, f) => {
    expect(f.meta.description).toBeTypeOf('string');
    expect(f.meta.description).toMatch(/Default: |Required/);
  });

  it('documents durations as integer milliseconds in Config', () => {
    const durations = fields.filter((f) => f.meta.kind === 'duration' && !f.path.startsWith('backends'));
    expect(durations.length).toBeGreaterThan(10);
    for (const f of durations) expect(f.meta.description, f.path).toContain('integer milliseconds');
  });
});

describe('types', () => {
  it('normalizes in the output type and stays permissive in the input type', () => {
    expectTypeOf<Config['health']['interval']>().toEqualTypeOf<number>();
    expectTypeOf<Config['sip']['listen']>().toEqualTypeOf<ListenAddress[]>();
    expectTypeOf<Config['sip']['advertise']>().toEqualTypeOf<Address | undefined>();
    expectTypeOf<Config['balance']['hashKey']>().toEqualTypeOf<Readonly<Record<'register' | 'registered' | 'other', 'call-id' | 'from-user' | 'to-user' | 'request-uri-user'>>>();
    expectTypeOf<Config['health']['okCodes']>().toEqualTypeOf<Array<number | string>>();
    expectTypeOf<NonNullable<ConfigInput['health']>['interval']>().toEqualTypeOf<string | number | undefined>();
    expectTypeOf<ConfigInput['backends'][number]['address']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Config['backends'][number]['address']>().toEqualTypeOf<Address>();
  });
});

describe('freezing', () => {
  it('freezes the result but not the caller\'s input', () => {
    const raw = { backends: [{ id: 'gw1', address: '127.0.0.1:5071', health: { okCodes: [200] } }] };
    const c = valid(raw);
    expect(Object.isFrozen(c.backends[0]?.health.okCodes)).toBe(true);
    expect(Object.isFrozen(raw.backends[0]?.health.okCodes)).toBe(false);
    expect(Object.isFrozen(raw)).toBe(false);
  });
});
