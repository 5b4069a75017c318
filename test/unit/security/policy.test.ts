/**
 * The abuse-protection decision (security/policy.ts) and its parts: token bucket, scanner
 * signatures, bounded source table. Time is a number passed in; no clock, no sockets.
 */
import { describe, expect, it } from 'vitest';
import { SecurityPolicy, type SecurityOptions } from '../../../src/security/policy.js';
import { DEFAULT_SCANNER_USER_AGENTS, SignatureMatcher } from '../../../src/security/signatures.js';
import { SourceTable } from '../../../src/security/source-table.js';
import { fullBucket, take } from '../../../src/security/token-bucket.js';

const OPTS: SecurityOptions = {
  trustedSources: [],
  untrusted: 'reject',
  rateLimit: { enabled: false, perSecond: 10, burst: 5, blockFor: 60_000 },
  scanners: { enabled: true, userAgents: DEFAULT_SCANNER_USER_AGENTS },
  maxSources: 1000,
  topOffenders: 3,
};
const opts = (over: Partial<SecurityOptions> = {}): SecurityOptions => ({ ...OPTS, ...over });
const limited = (over: Partial<SecurityOptions['rateLimit']> = {}): Partial<SecurityOptions> => ({ rateLimit: { ...OPTS.rateLimit, enabled: true, ...over } });
const ua = (s: string): [Uint8Array, number, number] => {
  const b = Buffer.from(`User-Agent: ${s}\r\n`, 'latin1');
  return [b, 12, 12 + s.length];
};

describe('token bucket', () => {
  it('starts full, allows a burst, then refills at perSecond', () => {
    const rate = { perSecond: 10, burst: 3 };
    const b = fullBucket(rate, 0);
    expect([take(b, rate, 0), take(b, rate, 0), take(b, rate, 0), take(b, rate, 0)]).toEqual([true, true, true, false]);
    expect(take(b, rate, 50)).toBe(false); // half a token
    expect(take(b, rate, 100)).toBe(true); // one token after 100 ms at 10/s
    expect(take(b, rate, 10_000)).toBe(true);
    expect(b.tokens).toBe(2); // capped at burst, one taken
  });
});

describe('scanner signatures', () => {
  it('match a User-Agent substring in any ASCII case, within the given byte range only', () => {
    const m = new SignatureMatcher(DEFAULT_SCANNER_USER_AGENTS);
    for (const s of ['friendly-scanner', 'Friendly-Scanner 1.0', 'sipvicious/0.3.4', 'SIPVicious', 'VaxSIPUserAgent/3.1', 'pplsip', 'sipcli/v1.8']) {
      expect(m.matches(...ua(s)), s).toBe(true);
    }
    for (const s of ['Linphone/5.0', 'Asterisk PBX 20', 'sipp', 'sipsak 0.9.8', '']) expect(m.matches(...ua(s)), s).toBe(false);
    const b = Buffer.from('X: friendly-scanner', 'latin1');
    expect(m.matches(b, 3, 10)).toBe(false); // only part of the signature inside the range
    expect(new SignatureMatcher([]).matches(...ua('friendly-scanner'))).toBe(false);
  });
});

describe('SecurityPolicy', () => {
  it('drops a scanner silently, whatever its source, and counts it', () => {
    const p = new SecurityPolicy(opts({ trustedSources: ['192.0.2.0/24'] }));
    expect(p.check('192.0.2.5', ...ua('friendly-scanner'), true, 0)).toBe('drop-scanner');
    expect(p.check('203.0.113.1', ...ua('sipvicious'), true, 0)).toBe('drop-scanner');
    expect(p.counts().scanner).toBe(2);
    expect(new SecurityPolicy(opts({ scanners: { enabled: false, userAgents: DEFAULT_SCANNER_USER_AGENTS } })).check('203.0.113.1', ...ua('sipvicious'), true, 0)).toBe('pass');
  });

  it('with trustedSources: listed sources pass, others get 403 or silence (untrusted: drop)', () => {
    const p = new SecurityPolicy(opts({ trustedSources: ['192.0.2.0/24', '2001:db8::/32'] }));
    expect(p.check('192.0.2.77', undefined, -1, -1, true, 0)).toBe('pass');
    expect(p.check('2001:db8::5', undefined, -1, -1, true, 0)).toBe('pass');
    expect(p.check('203.0.113.1', undefined, -1, -1, true, 0)).toBe('reject-untrusted');
    expect(p.check('203.0.113.1', undefined, -1, -1, false, 0)).toBe('reject-untrusted'); // in-dialog too
    expect(new SecurityPolicy(opts({ trustedSources: ['192.0.2.0/24'], untrusted: 'drop' })).check('203.0.113.1', undefined, -1, -1, true, 0)).toBe('drop-untrusted');
    // Empty list: every source may start calls.
    expect(new SecurityPolicy(opts()).check('203.0.113.1', undefined, -1, -1, true, 0)).toBe('pass');
  });

  it('rate limit: a burst passes, then 503s; a source that sends on past `burst` refusals is blocked for blockFor, then forgiven', () => {
    const p = new SecurityPolicy(opts(limited({ perSecond: 10, burst: 5, blockFor: 60_000 })));
    const verdicts = Array.from({ length: 12 }, () => p.check('203.0.113.9', undefined, -1, -1, true, 1000));
    expect(verdicts).toEqual([...Array(5).fill('pass'), ...Array(5).fill('reject-rate-limited'), 'drop-flood', 'drop-blocked']);
    // Blocked: everything dropped, in-dialog too, even once tokens are back.
    expect(p.check('203.0.113.9', undefined, -1, -1, true, 30_000)).toBe('drop-blocked');
    expect(p.check('203.0.113.9', undefined, -1, -1, false, 30_000)).toBe('drop-blocked');
    // Another source is unaffected.
    expect(p.check('203.0.113.10', undefined, -1, -1, true, 1000)).toBe('pass');
    // After blockFor it is served again.
    expect(p.check('203.0.113.9', undefined, -1, -1, true, 61_001)).toBe('pass');
    expect(p.counts()).toMatchObject({ 'rate-limited': 5, flood: 1, blocked: 3 });
  });

  it('a client that backs off after a 503 is never blocked; in-dialog requests and trusted sources are not limited', () => {
    const p = new SecurityPolicy(opts({ ...limited({ perSecond: 10, burst: 2 }), trustedSources: ['127.0.0.1'] }));
    let t = 0;
    for (let i = 0; i < 200; i++, t += 100) expect(p.check('127.0.0.1', undefined, -1, -1, true, 0)).toBe('pass'); // trusted: no limit
    const q = new SecurityPolicy(opts(limited({ perSecond: 10, burst: 2 })));
    for (let i = 0; i < 100; i++) expect(q.check('198.51.100.1', undefined, -1, -1, false, 0)).toBe('pass'); // in-dialog
    expect(q.check('198.51.100.1', undefined, -1, -1, true, 0)).toBe('pass');
    expect(q.check('198.51.100.1', undefined, -1, -1, true, 0)).toBe('pass');
    expect(q.check('198.51.100.1', undefined, -1, -1, true, 0)).toBe('reject-rate-limited');
    // Retries at the pace Retry-After asks for pass, and the strikes are forgiven.
    for (let i = 1; i <= 50; i++) expect(q.check('198.51.100.1', undefined, -1, -1, true, i * 1000)).toBe('pass');
    expect(q.retryAfterSeconds).toBe(1);
  });

  it('rate limit applies before the trust list: an untrusted flood is silenced too (no 403 reflection)', () => {
    const p = new SecurityPolicy(opts({ ...limited({ perSecond: 1, burst: 2 }), trustedSources: ['127.0.0.1'] }));
    const v = Array.from({ length: 6 }, () => p.check('127.0.0.2', undefined, -1, -1, true, 0));
    expect(v).toEqual(['reject-untrusted', 'reject-untrusted', 'reject-rate-limited', 'reject-rate-limited', 'drop-flood', 'drop-blocked']);
  });

  it('top offenders: most refused first, bounded, with block time left; reconfigure keeps them', () => {
    const p = new SecurityPolicy(opts({ trustedSources: ['10.0.0.0/8'] }));
    for (let i = 0; i < 5; i++) {
      for (let k = 0; k <= i; k++) p.check(`203.0.113.${i}`, undefined, -1, -1, true, 1000);
    }
    const top = p.offenders(3000);
    expect(top.map((o) => [o.address, o.refused, o.lastReason])).toEqual([
      ['203.0.113.4', 5, 'untrusted'],
      ['203.0.113.3', 4, 'untrusted'],
      ['203.0.113.2', 3, 'untrusted'],
    ]);
    expect(top[0]!.lastSeenSecondsAgo).toBe(2);
    p.reconfigure(opts({ trustedSources: [] }));
    expect(p.offenders(3000).length).toBe(3);
    expect(p.check('203.0.113.4', undefined, -1, -1, true, 3000)).toBe('pass');
  });

  it('remembers at most maxSources addresses under a spoofed-source flood', () => {
    const p = new SecurityPolicy(opts({ ...limited({ perSecond: 1, burst: 1 }), maxSources: 100 }));
    for (let i = 0; i < 10_000; i++) p.check(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, undefined, -1, -1, true, i);
    expect(p.trackedSources).toBe(100);
  });
});

describe('SourceTable', () => {
  it('evicts an idle entry before a blocked one', () => {
    const rate = { perSecond: 1, burst: 1 };
    const t = new SourceTable(2);
    const a = t.obtain('a', rate, 0);
    a.blockedUntil = 1e9;
    t.obtain('b', rate, 0);
    t.obtain('c', rate, 10_000);
    expect(t.get('a')).toBe(a);
    expect(t.get('b')).toBeUndefined();
    expect(t.size).toBe(2);
  });
});
