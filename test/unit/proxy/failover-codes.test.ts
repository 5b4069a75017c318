/**
 * Serial failover through the real proxy paths (scripted backends): which responses move an
 * INVITE to the next backend, and that a relayed ring (101-199) binds the call to its branch
 * (RFC 3261 §16.7).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SipResponse } from '../../../src/sip/message.js';
import type { SentDatagram as Sent } from '../../helpers/core/recording-sender.js';
import { loopbackRig, SHIPPED_FAILOVER, type ProxyRig } from '../../helpers/core/proxy-rig.js';
import { inviteText, PHONE, replyText } from '../../helpers/core/sip-text.js';

const B = [
  { id: 'p1', port: 5071 },
  { id: 'p2', port: 5072 },
];

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

/** The INVITEs the proxy sent to backends, in order. */
const invitesOut = (r: ProxyRig): Sent[] => r.sender.sent.filter((s) => s.msg.kind === 'request' && s.msg.method === 'INVITE');
const toCaller = (r: ProxyRig): number[] => r.sender.to(PHONE.address, PHONE.port).map((s) => (s.msg as SipResponse).status);
const fromBackend = (s: Sent) => ({ transport: 'udp' as const, address: '127.0.0.1', port: s.port });

function start(codes?: number[]): { r: ProxyRig; first: Sent } {
  const r = loopbackRig(B, { failover: { ...SHIPPED_FAILOVER, codes: new Set(codes ?? [503]) } });
  r.deliverText(inviteText('call-1'), PHONE);
  const first = invitesOut(r)[0]!;
  return { r, first };
}

describe('serial failover', () => {
  it('moves the INVITE to the other backend on a 503 that comes before any ring, hiding the 503', () => {
    const { r, first } = start();
    r.deliverText(replyText(first, 100), fromBackend(first));
    r.deliverText(replyText(first, 503), fromBackend(first));
    const invs = invitesOut(r);
    expect(invs).toHaveLength(2);
    expect(invs[1]!.port).not.toBe(first.port);
    expect(r.failovers()).toEqual([{ backend: first.port === 5071 ? 'p1' : 'p2', reason: 'status-503' }]);
    // The caller saw the 100 only (a stateless proxy relays it, §16.11); siplb ACKed the 503 itself (§17.1.1.3).
    expect(toCaller(r)).toEqual([100]);
    expect(r.sender.sent.some((s) => s.msg.kind === 'request' && s.msg.method === 'ACK' && s.port === first.port)).toBe(true);
  });

  it('stops failing over once a 180 was relayed: the 408 after it goes to the caller, one backend rang', () => {
    const { r, first } = start([503, 408]);
    r.deliverText(replyText(first, 180), fromBackend(first));
    r.deliverText(replyText(first, 408), fromBackend(first));
    expect(invitesOut(r)).toHaveLength(1);
    expect(r.failovers()).toEqual([]);
    expect(toCaller(r)).toEqual([180, 408]);
    // Nor does the no-response timer fire later.
    vi.advanceTimersByTime(5000);
    expect(invitesOut(r)).toHaveLength(1);
  });

  it('stops after a 183 too, even for a 503 (early media already reached the caller)', () => {
    const { r, first } = start();
    r.deliverText(replyText(first, 183), fromBackend(first));
    r.deliverText(replyText(first, 503), fromBackend(first));
    expect(invitesOut(r)).toHaveLength(1);
    expect(toCaller(r)).toEqual([183, 503]);
  });

  it('fails over on silence (reason timeout), and not on 408 or 500 by default', () => {
    const { r, first } = start();
    vi.advanceTimersByTime(401);
    expect(invitesOut(r)).toHaveLength(2);
    expect(r.failovers().map((f) => f.reason)).toEqual(['timeout']);

    const b = start();
    b.r.deliverText(replyText(b.first, 408), fromBackend(b.first));
    expect(invitesOut(b.r)).toHaveLength(1);
    expect(toCaller(b.r)).toEqual([408]);
    const c = start();
    c.r.deliverText(replyText(c.first, 500), fromBackend(c.first));
    expect(invitesOut(c.r)).toHaveLength(1);
    expect(toCaller(c.r)).toEqual([500]);
    void first;
  });
});

describe('serial failover and relayed responses', () => {
  const relayedOnly = (res: SipResponse): boolean => !res.buf.toString('latin1').includes('Server: Acme-GW');

  it('does not fail over on a 503 the backend only relayed from downstream (the default)', () => {
    const r = loopbackRig(B, { failover: SHIPPED_FAILOVER, isOwnResponse: relayedOnly });
    r.deliverText(inviteText('call-r'), PHONE);
    const first = invitesOut(r)[0]!;
    r.deliverText(replyText(first, 503, { extra: 'Server: Acme-GW/2.1' }), fromBackend(first));
    expect(invitesOut(r)).toHaveLength(1);
    expect(toCaller(r)).toEqual([503]);
  });

  it('fails over on a relayed 503 with failover.relayed, and on the backend\'s own 503 always', () => {
    const r = loopbackRig(B, { failover: { ...SHIPPED_FAILOVER, relayed: true }, isOwnResponse: relayedOnly });
    r.deliverText(inviteText('call-s'), PHONE);
    const first = invitesOut(r)[0]!;
    r.deliverText(replyText(first, 503, { extra: 'Server: Acme-GW/2.1' }), fromBackend(first));
    expect(invitesOut(r)).toHaveLength(2);
    const own = loopbackRig(B, { failover: SHIPPED_FAILOVER, isOwnResponse: relayedOnly });
    own.deliverText(inviteText('call-t'), PHONE);
    const f = invitesOut(own)[0]!;
    own.deliverText(replyText(f, 503, { extra: 'Server: kamailio' }), fromBackend(f));
    expect(invitesOut(own)).toHaveLength(2);
  });

  it('never counts a 2xx of an abandoned branch as a call (it is not relayed)', () => {
    const relayedStatuses: number[] = [];
    const r = loopbackRig(B, { failover: SHIPPED_FAILOVER, observer: { relayed: (res) => void relayedStatuses.push(res.status) } });
    r.deliverText(inviteText('call-u'), PHONE);
    const first = invitesOut(r)[0]!;
    vi.advanceTimersByTime(401); // silence: moved on to the other backend
    r.deliverText(replyText(first, 200), fromBackend(first)); // the first backend answers after all
    expect(relayedStatuses).toEqual([]);
    const second = invitesOut(r)[1]!;
    r.deliverText(replyText(second, 200), fromBackend(second));
    expect(relayedStatuses).toEqual([200]);
  });
});
