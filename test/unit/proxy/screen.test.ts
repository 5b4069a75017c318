/**
 * Abuse protection at the proxy's door (proxy/screen.ts with security/policy.ts), through the real
 * dispatcher in memory: what each verdict sends (403, 503 with Retry-After, nothing), that a
 * scanner does not even get siplb's answer to OPTIONS, and that backends are exempt.
 */
import { describe, expect, it } from 'vitest';
import { SecurityPolicy, type SecurityOptions } from '../../../src/security/policy.js';
import { DEFAULT_SCANNER_USER_AGENTS } from '../../../src/security/signatures.js';
import { loopbackRig } from '../../helpers/core/proxy-rig.js';
import { PHONE, remote } from '../../helpers/core/sip-text.js';

const BASE: SecurityOptions = {
  trustedSources: [],
  untrusted: 'reject',
  rateLimit: { enabled: false, perSecond: 1, burst: 2, blockFor: 60_000 },
  scanners: { enabled: true, userAgents: DEFAULT_SCANNER_USER_AGENTS },
  maxSources: 100,
  topOffenders: 10,
};

function rig(over: Partial<SecurityOptions> = {}) {
  const r = loopbackRig([{ id: 'gw1', port: 5071 }]);
  r.ctx.security = new SecurityPolicy({ ...BASE, ...over });
  return r;
}

const request = (method: string, n: number, ua?: string, uri = 'sip:1000@127.0.0.1:5060'): string =>
  `${method} ${uri} SIP/2.0
Via: SIP/2.0/UDP 10.9.9.9:5099;branch=z9hG4bK-s${n};rport
From: <sip:a@10.9.9.9>;tag=a${n}
To: <sip:1000@127.0.0.1>
Call-ID: screen-${n}
CSeq: 1 ${method}
Max-Forwards: 70
${ua === undefined ? '' : `User-Agent: ${ua}\n`}Content-Length: 0

`;

describe('proxy screen', () => {
  it('drops a scanner silently: no answer even to OPTIONS for siplb itself, nothing forwarded', () => {
    const r = rig();
    r.deliverText(request('OPTIONS', 1, 'friendly-scanner', 'sip:127.0.0.1:5060'), PHONE);
    r.deliverText(request('INVITE', 2, 'sipvicious'), PHONE);
    expect(r.sender.take()).toEqual([]);
    // The same without the signature: answered and forwarded.
    r.deliverText(request('OPTIONS', 3, 'Linphone', 'sip:127.0.0.1:5060'), PHONE);
    r.deliverText(request('INVITE', 4, 'Linphone'), PHONE);
    const sent = r.sender.take();
    expect(sent.map((s) => `${s.host}:${s.port} ${s.text.split('\r\n', 1)[0]}`)).toEqual(['10.9.9.9:5099 SIP/2.0 200 OK', '127.0.0.1:5071 INVITE sip:1000@127.0.0.1:5060 SIP/2.0']);
  });

  it('screens a broken request as it screens a good one: a scanner gets no 400/505 either (request-checks.ts)', () => {
    const r = rig();
    r.deliverText(request('OPTIONS', 5, 'friendly-scanner').replace('SIP/2.0\n', 'SIP/7.0\n'), PHONE);
    r.deliverText(request('INVITE', 6, 'sipvicious').replace('CSeq: 1 INVITE', 'CSeq: 1 BYE'), PHONE);
    expect(r.sender.take()).toEqual([]);
    r.deliverText(request('OPTIONS', 7, 'Linphone').replace('SIP/2.0\n', 'SIP/7.0\n'), PHONE);
    expect(r.sender.take().map((s) => s.text.split('\r\n', 1)[0])).toEqual(['SIP/2.0 505 Version Not Supported']);
  });

  it('an untrusted source gets 403 (or nothing with untrusted: drop); a trusted one is forwarded', () => {
    const r = rig({ trustedSources: ['192.0.2.0/24'] });
    r.deliverText(request('INVITE', 1), PHONE);
    expect(r.sender.take().map((s) => s.text.split('\r\n', 1)[0])).toEqual(['SIP/2.0 403 Forbidden']);
    r.deliverText(request('INVITE', 2), remote('192.0.2.9', 5060));
    expect(r.sender.to('127.0.0.1', 5071).length).toBe(1);
    const d = rig({ trustedSources: ['192.0.2.0/24'], untrusted: 'drop' });
    d.deliverText(request('INVITE', 3), PHONE);
    expect(d.sender.take()).toEqual([]);
  });

  it('rate limit: 503 with Retry-After past the burst, then silence once blocked; an ACK is never answered', () => {
    const r = rig({ rateLimit: { enabled: true, perSecond: 1, burst: 2, blockFor: 60_000 } });
    for (let i = 0; i < 6; i++) r.deliverText(request('INVITE', i), PHONE);
    const firstLines = r.sender.take().map((s) => `${s.port} ${s.text.split('\r\n', 1)[0]}${/Retry-After: (\d+)/.exec(s.text)?.[0] ? ' +Retry-After' : ''}`);
    expect(firstLines).toEqual(['5071 INVITE sip:1000@127.0.0.1:5060 SIP/2.0', '5071 INVITE sip:1000@127.0.0.1:5060 SIP/2.0', '5099 SIP/2.0 503 Service Unavailable +Retry-After', '5099 SIP/2.0 503 Service Unavailable +Retry-After']);
    expect(r.ctx.security!.counts()).toMatchObject({ 'rate-limited': 2, flood: 1, blocked: 1 });
  });

  it('backends are exempt from every check, on any port', () => {
    const r = rig({ trustedSources: ['192.0.2.0/24'], rateLimit: { enabled: true, perSecond: 1, burst: 1, blockFor: 60_000 } });
    for (let i = 0; i < 5; i++) r.deliverText(request('INVITE', i, 'friendly-scanner'), remote('127.0.0.1', 40000 + i));
    expect(r.sender.to('127.0.0.1', 5071).length).toBe(5);
    expect(r.ctx.security!.counts()).toEqual({ untrusted: 0, 'rate-limited': 0, flood: 0, blocked: 0, scanner: 0 });
  });
});
