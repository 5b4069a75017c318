/**
 * Serial failover of out-of-dialog non-INVITE requests (REGISTER, MESSAGE, SUBSCRIBE by default):
 * silence or a failover code moves the request to the next backend; the abandoned branch gets no
 * CANCEL (RFC 3261 §9.1) and no ACK (§17.1.2), and its late answer never reaches the caller.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SipRequest, SipResponse } from '../../../src/sip/message.js';
import type { SentDatagram as Sent } from '../../helpers/core/recording-sender.js';
import { loopbackRig, SHIPPED_FAILOVER, type ProxyRig } from '../../helpers/core/proxy-rig.js';
import { PHONE, replyText } from '../../helpers/core/sip-text.js';

const B = [
  { id: 'p1', port: 5071 },
  { id: 'p2', port: 5072 },
];

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

const out = (r: ProxyRig, method: string): Sent[] => r.sender.sent.filter((s) => s.msg.kind === 'request' && s.msg.method === method);
const toCaller = (r: ProxyRig): number[] => r.sender.to(PHONE.address, PHONE.port).map((s) => (s.msg as SipResponse).status);
const fromBackend = (s: Sent) => ({ transport: 'udp' as const, address: '127.0.0.1', port: s.port });
const branchOf = (s: Sent): string | undefined => (s.msg as SipRequest).topVia().branch;

function request(method: string, callId: string, seq: number, opts: { toTag?: string; branch?: string } = {}): string {
  return `${method} sip:34020000002000000001@3402000000 SIP/2.0
Via: SIP/2.0/UDP 10.9.9.9:5099;branch=${opts.branch ?? `z9hG4bK-${callId}-${seq}`};rport
Max-Forwards: 70
From: <sip:34020000001320000001@3402000000>;tag=dev1
To: <sip:${method === 'REGISTER' ? '34020000001320000001' : '34020000002000000001'}@3402000000>${opts.toTag ? `;tag=${opts.toTag}` : ''}
Call-ID: ${callId}
CSeq: ${seq} ${method}
${method === 'REGISTER' ? 'Contact: <sip:34020000001320000001@10.9.9.9:5099>\nExpires: 3600\n' : ''}Content-Length: 0

`;
}

describe('non-INVITE serial failover', () => {
  it.each(['REGISTER', 'MESSAGE', 'SUBSCRIBE'])('%s: silence moves it to the other backend; the late answer of the first is absorbed', (method) => {
    const r = loopbackRig(B, { failover: SHIPPED_FAILOVER });
    r.deliverText(request(method, `c-${method}`, 1), PHONE);
    const first = out(r, method)[0]!;
    vi.advanceTimersByTime(401);
    const sent = out(r, method);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.port).not.toBe(first.port);
    expect(branchOf(sent[1]!)).not.toBe(branchOf(first));
    expect(r.failovers().map((f) => f.reason)).toEqual(['timeout']);
    // The survivor answers; then the abandoned backend answers late: the caller sees one 200.
    r.deliverText(replyText(sent[1]!, 200), fromBackend(sent[1]!));
    r.deliverText(replyText(first, 200), fromBackend(first));
    expect(toCaller(r)).toEqual([200]);
    // No CANCEL and no ACK for a non-INVITE branch (§9.1, §17.1.2).
    expect(out(r, 'CANCEL')).toHaveLength(0);
    expect(out(r, 'ACK')).toHaveLength(0);
  });

  it('a late answer of the abandoned branch before the new one is absorbed too; the new one is relayed', () => {
    const r = loopbackRig(B, { failover: SHIPPED_FAILOVER });
    r.deliverText(request('MESSAGE', 'late-1', 5), PHONE);
    const first = out(r, 'MESSAGE')[0]!;
    vi.advanceTimersByTime(401);
    const second = out(r, 'MESSAGE')[1]!;
    r.deliverText(replyText(first, 200), fromBackend(first));
    expect(toCaller(r)).toEqual([]);
    r.deliverText(replyText(second, 200), fromBackend(second));
    expect(toCaller(r)).toEqual([200]);
  });

  it('a 503 moves a MESSAGE on without telling the caller and without an ACK', () => {
    const r = loopbackRig(B, { failover: SHIPPED_FAILOVER });
    r.deliverText(request('MESSAGE', 'm503', 1), PHONE);
    const first = out(r, 'MESSAGE')[0]!;
    r.deliverText(replyText(first, 503), fromBackend(first));
    expect(out(r, 'MESSAGE')).toHaveLength(2);
    expect(r.failovers().map((f) => f.reason)).toEqual(['status-503']);
    expect(toCaller(r)).toEqual([]);
    expect(out(r, 'ACK')).toHaveLength(0);
  });

  it('never after a provisional response: a 100 stops the no-response timer', () => {
    const r = loopbackRig(B, { failover: SHIPPED_FAILOVER });
    r.deliverText(request('REGISTER', 'reg-100', 1), PHONE);
    const first = out(r, 'REGISTER')[0]!;
    r.deliverText(replyText(first, 100, { toTag: '' }), fromBackend(first));
    vi.advanceTimersByTime(5000);
    expect(out(r, 'REGISTER')).toHaveLength(1);
    expect(r.failovers()).toEqual([]);
  });

  it('a retransmission after failover goes to the new backend with its branch; the next CSeq is a new transaction there', () => {
    const r = loopbackRig(B, { failover: SHIPPED_FAILOVER });
    r.deliverText(request('REGISTER', 'reg-rt', 1), PHONE);
    vi.advanceTimersByTime(401);
    const second = out(r, 'REGISTER')[1]!;
    r.deliverText(request('REGISTER', 'reg-rt', 1), PHONE); // Timer E retransmission (§17.1.2.2)
    const rt = out(r, 'REGISTER')[2]!;
    expect(rt.port).toBe(second.port);
    expect(branchOf(rt)).toBe(branchOf(second));
    r.deliverText(replyText(second, 200), fromBackend(second));
    expect(toCaller(r)).toEqual([200]);
    // The refresh (CSeq 2, same Call-ID, §10.2.4) follows the pin; silence fails it over again.
    r.deliverText(request('REGISTER', 'reg-rt', 2), PHONE);
    const refresh = out(r, 'REGISTER')[3]!;
    expect(refresh.port).toBe(second.port);
    vi.advanceTimersByTime(401);
    expect(out(r, 'REGISTER')[4]!.port).not.toBe(second.port);
  });

  it('in-dialog requests (To tag) and methods not configured do not fail over', () => {
    const r = loopbackRig(B, { failover: { ...SHIPPED_FAILOVER, methods: new Set(['REGISTER']) } });
    r.deliverText(request('MESSAGE', 'not-covered', 1), PHONE);
    r.deliverText(request('REGISTER', 'in-dialog', 1, { toTag: 'x1' }), PHONE);
    vi.advanceTimersByTime(5000);
    expect(out(r, 'MESSAGE')).toHaveLength(1);
    expect(out(r, 'REGISTER')).toHaveLength(1);
    expect(r.failovers()).toEqual([]);
  });
});

describe('non-INVITE failover across transactions of one Call-ID', () => {
  it('a late answer of a branch abandoned by the previous keep-alive is still absorbed after the next one started', () => {
    const r = loopbackRig(B, { failover: SHIPPED_FAILOVER });
    r.deliverText(request('MESSAGE', 'ka-chain', 1), PHONE);
    const first = out(r, 'MESSAGE')[0]!;
    vi.advanceTimersByTime(401);
    const second = out(r, 'MESSAGE')[1]!;
    r.deliverText(replyText(second, 200), fromBackend(second));
    expect(toCaller(r)).toEqual([200]);
    // The next keep-alive (CSeq 2) starts a new transaction on the survivor ...
    r.deliverText(request('MESSAGE', 'ka-chain', 2), PHONE);
    const third = out(r, 'MESSAGE')[2]!;
    expect(third.port).toBe(second.port);
    // ... and the dead backend's late 200 to CSeq 1 never reaches the device.
    r.deliverText(replyText(first, 200), fromBackend(first));
    expect(toCaller(r)).toEqual([200]);
    r.deliverText(replyText(third, 200), fromBackend(third));
    expect(toCaller(r)).toEqual([200, 200]);
  });
});

it('carried-over abandoned branches are forgotten after the transaction lifetime', () => {
  const clock = { now: 0 }; // the proxy's clock, apart from the fake timers that drive failover
  const r = loopbackRig(B, { failover: SHIPPED_FAILOVER, clock: () => clock.now });
  r.deliverText(request('MESSAGE', 'ka-old', 1), PHONE);
  const first = out(r, 'MESSAGE')[0]!;
  vi.advanceTimersByTime(401);
  clock.now += 33_000; // past rememberMs (32 s)
  r.deliverText(request('MESSAGE', 'ka-old', 2), PHONE);
  // A (very) late answer of the long-abandoned branch is no longer ours to absorb: relayed as any stray response.
  r.deliverText(replyText(first, 200), fromBackend(first));
  expect(toCaller(r)).toEqual([200]);
});
