/**
 * What the proxy's door (proxy/screen.ts) tells the security policy about each request, read by a
 * policy that records its inputs: whether the request counts against the rate limit (new: not an
 * ACK, RFC 3261 §17.1.1.3, and out of dialog, §12.1), and where the User-Agent value sits in the
 * datagram; plus the `security` event of each refusal and the ACK that is never answered.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SecurityPolicy, type SecurityOptions, type Verdict } from '../../../src/security/policy.js';
import { recordChannel, type ChannelRecorder } from '../../helpers/core/channel-recorder.js';
import { proxyRig } from '../../helpers/core/proxy-rig.js';
import { PHONE, requestText } from '../../helpers/core/sip-text.js';

const BASE: SecurityOptions = {
  trustedSources: [],
  untrusted: 'reject',
  rateLimit: { enabled: true, perSecond: 1000, burst: 1000, blockFor: 60_000 },
  scanners: { enabled: false, userAgents: [] },
  maxSources: 100,
  topOffenders: 10,
};

interface Seen {
  readonly ua: string | undefined;
  readonly start: number;
  readonly end: number;
  readonly isNew: boolean;
}

class RecordingPolicy extends SecurityPolicy {
  readonly seen: Seen[] = [];
  override check(ip: string, ua: Uint8Array | undefined, uaStart: number, uaEnd: number, newRequest: boolean, nowMs: number): Verdict {
    this.seen.push({ ua: ua === undefined ? undefined : Buffer.from(ua).toString('latin1', uaStart, uaEnd), start: uaStart, end: uaEnd, isNew: newRequest });
    return super.check(ip, ua, uaStart, uaEnd, newRequest, nowMs);
  }
}

function rig(over: Partial<SecurityOptions> = {}) {
  const r = proxyRig();
  const policy = new RecordingPolicy({ ...BASE, ...over });
  r.ctx.security = policy;
  return { r, policy };
}

let security: ChannelRecorder<Record<string, unknown>> | undefined;
afterEach(() => security?.stop());

describe('screen inputs', () => {
  it('a new request counts against the rate limit; an ACK and an in-dialog request do not', () => {
    const { r, policy } = rig();
    r.deliver(requestText({ callId: 's1' }), PHONE);
    r.deliver(requestText({ method: 'ACK', callId: 's2' }), PHONE);
    r.deliver(requestText({ method: 'BYE', callId: 's3', to: '<sip:bob@lb.test>;tag=b1' }), PHONE);
    r.deliver(requestText({ method: 'MESSAGE', callId: 's4' }), PHONE);
    expect(policy.seen.map((s) => s.isNew)).toEqual([true, false, false, true]);
  });

  it('nothing counts as new while the rate limit is off', () => {
    const { r, policy } = rig({ rateLimit: { ...BASE.rateLimit, enabled: false } });
    r.deliver(requestText({ callId: 's1' }), PHONE);
    expect(policy.seen.map((s) => s.isNew)).toEqual([false]);
  });

  it('hands over the User-Agent value by its span in the datagram, or nothing at -1', () => {
    const { r, policy } = rig();
    r.deliver(requestText({ callId: 'u1', headers: ['User-Agent: Linphone/5.2'] }), PHONE);
    r.deliver(requestText({ callId: 'u2' }), PHONE);
    expect(policy.seen).toEqual([
      expect.objectContaining({ ua: 'Linphone/5.2' }),
      { ua: undefined, start: -1, end: -1, isNew: true },
    ]);
    expect(policy.seen[0]!.start).toBeGreaterThan(0);
  });

  it('publishes one security event per refusal, and never answers an ACK', () => {
    security = recordChannel('security');
    const { r } = rig({ trustedSources: ['192.0.2.0/24'] });
    r.deliver(requestText({ callId: 'x1' }), PHONE);
    expect(r.sender.take().map((d) => d.text.split('\r\n', 1)[0])).toEqual(['SIP/2.0 403 Forbidden']);
    r.deliver(requestText({ method: 'ACK', callId: 'x2' }), PHONE);
    expect(r.sender.take()).toEqual([]);
    expect(security.messages).toEqual([
      { reason: 'untrusted', action: 'reject' },
      { reason: 'untrusted', action: 'reject' },
    ]);
  });
});
