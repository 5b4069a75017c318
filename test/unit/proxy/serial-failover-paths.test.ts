/**
 * Serial failover (proxy/serial-failover.ts) along paths the other failover tests do not take,
 * all seen from the wire with fake timers: the attempt limit with backends to spare, a failure
 * code on every attempt, every tried backend skipped, absorbing the first branch's late answers
 * after a second failover (CANCEL §9.1, ACK §17.1.1.3, including a 3xx), the branch of the ACK
 * after a failed-over call ended, CANCEL and stray responses for calls it no longer tracks, an
 * out-of-dialog request sharing an INVITE's Call-ID, and non-INVITE transactions of one Call-ID
 * (new CSeq = attempt 0; the same CSeq number under another method is another transaction;
 * retransmissions keep the running transaction; §17.1.2: no ACK).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BackendDef } from '../../../src/backends/registry.js';
import { computeBranch } from '../../../src/proxy/branch.js';
import { BACKENDS, proxyRig, type ProxyRig } from '../../helpers/core/proxy-rig.js';
import { asRequest, asResponse, type SentDatagram } from '../../helpers/core/recording-sender.js';
import { CALLER, answer, request, requestText } from '../../helpers/core/sip-text.js';

const TIMEOUT = 400;
const FOUR: BackendDef[] = [...BACKENDS, { id: 'gw4', address: { host: '198.51.100.14', port: 5060 }, weight: 1 }];

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

const idOf = (rig: ProxyRig, d: SentDatagram): string => rig.registry.all.find((b) => b.host === d.host)!.id;
const requests = (sent: SentDatagram[], method: string): SentDatagram[] => sent.filter((d) => d.msg.kind === 'request' && d.msg.method === method);
const toCaller = (sent: SentDatagram[]): number[] => sent.filter((d) => d.host === CALLER.address).map((d) => asResponse(d).status);
const branch = (d: SentDatagram): string | undefined => asRequest(d).topVia().branch;

describe('attempt limit and choice of the next backend', () => {
  it('stops at maxAttempts even with backends to spare; the last failure code goes to the caller', () => {
    const rig = proxyRig({ backends: FOUR, failover: { timeoutMs: TIMEOUT, maxAttempts: 1 } });
    rig.deliver(requestText({ callId: 'lim-1' }), CALLER);
    rig.sender.take();
    vi.advanceTimersByTime(TIMEOUT);
    const second = rig.sender.takeOne();
    vi.advanceTimersByTime(TIMEOUT * 5);
    expect(rig.sender.take()).toEqual([]);
    rig.deliver(answer(second.buf, 503), rig.from(idOf(rig, second)));
    expect(toCaller(rig.sender.take())).toEqual([503]);
    expect(rig.failovers()).toEqual([{ backend: 'gw1', reason: 'timeout' }]);
  });

  it('a failure code on the second attempt fails over again (each attempt may fail over)', () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT, maxAttempts: 2 } });
    rig.deliver(requestText({ callId: 'codes-1' }), CALLER);
    const first = rig.sender.takeOne();
    rig.deliver(answer(first.buf, 180), rig.from('gw1'));
    expect(toCaller(rig.sender.take())).toEqual([180]);
    // A 180 makes the call the first branch's: its 503 goes to the caller (§16.7).
    rig.deliver(answer(first.buf, 503), rig.from('gw1'));
    expect(toCaller(rig.sender.take())).toEqual([503]);

    const rig2 = proxyRig({ failover: { timeoutMs: TIMEOUT, maxAttempts: 2 } });
    rig2.deliver(requestText({ callId: 'codes-2' }), CALLER);
    const a = rig2.sender.takeOne();
    rig2.deliver(answer(a.buf, 503), rig2.from('gw1'));
    const b = requests(rig2.sender.take(), 'INVITE')[0]!;
    rig2.deliver(answer(b.buf, 503), rig2.from(idOf(rig2, b)));
    const c = requests(rig2.sender.take(), 'INVITE')[0]!;
    expect(new Set([a.host, b.host, c.host]).size).toBe(3);
    expect(rig2.failovers().map((f) => f.reason)).toEqual(['status-503', 'status-503']);
  });

  it('never returns to a backend it already tried', () => {
    for (let n = 0; n < 12; n++) {
      const rig = proxyRig({ backends: FOUR, failover: { timeoutMs: TIMEOUT, maxAttempts: 3 } });
      rig.deliver(requestText({ callId: `walk-${n}@caller.test` }), CALLER);
      const hosts = [rig.sender.takeOne().host];
      for (let i = 0; i < 3; i++) {
        vi.advanceTimersByTime(TIMEOUT);
        hosts.push(...requests(rig.sender.take(), 'INVITE').map((d) => d.host));
      }
      expect(new Set(hosts).size, hosts.join(' ')).toBe(4);
    }
  });
});

describe('the first branch after a second failover', () => {
  it('its late provisional is CANCELled and absorbed, its late 3xx and 5xx ACKed and absorbed', () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT, maxAttempts: 2 } });
    rig.deliver(requestText({ callId: 'late-1' }), CALLER);
    const first = rig.sender.takeOne();
    vi.advanceTimersByTime(TIMEOUT);
    rig.sender.take();
    vi.advanceTimersByTime(TIMEOUT);
    const third = rig.sender.takeOne();
    expect(rig.failovers()).toHaveLength(2);
    rig.deliver(answer(first.buf, 180), rig.from('gw1'));
    const cancel = rig.sender.takeOne();
    expect([asRequest(cancel).method, cancel.host, branch(cancel)]).toEqual(['CANCEL', first.host, branch(first)]);
    rig.deliver(answer(first.buf, 300), rig.from('gw1'));
    const ack300 = rig.sender.takeOne();
    expect([asRequest(ack300).method, ack300.host]).toEqual(['ACK', first.host]);
    rig.deliver(answer(first.buf, 487), rig.from('gw1'));
    expect(asRequest(rig.sender.takeOne()).method).toBe('ACK');
    rig.deliver(answer(third.buf, 200), rig.from(idOf(rig, third)));
    expect(toCaller(rig.sender.take())).toEqual([200]);
  });
});

describe('after a call leaves failover', () => {
  it('the ACK of the last attempt’s failure takes that attempt’s branch and backend', () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT } });
    rig.deliver(requestText({ callId: 'ack-2' }), CALLER);
    const first = rig.sender.takeOne();
    rig.deliver(answer(first.buf, 503), rig.from('gw1'));
    const second = requests(rig.sender.take(), 'INVITE')[0]!;
    rig.deliver(answer(second.buf, 486), rig.from(idOf(rig, second)));
    expect(toCaller(rig.sender.take())).toEqual([486]);
    rig.deliver(requestText({ method: 'ACK', callId: 'ack-2', to: '<sip:bob@lb.test>;tag=uas-tag' }), CALLER);
    const ack = rig.sender.takeOne();
    expect([ack.host, branch(ack)]).toEqual([second.host, branch(second)]);
  });

  it('a CANCEL and a retransmitted final response of a call it no longer tracks are simply forwarded', () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT } });
    rig.deliver(requestText({ callId: 'gone-1' }), CALLER);
    const inv = rig.sender.takeOne();
    rig.deliver(answer(inv.buf, 486), rig.from('gw1'));
    expect(toCaller(rig.sender.take())).toEqual([486]);
    rig.deliver(answer(inv.buf, 486), rig.from('gw1'));
    expect(toCaller(rig.sender.take())).toEqual([486]);
    rig.deliver(requestText({ method: 'CANCEL', callId: 'gone-1' }), CALLER);
    const cancel = rig.sender.takeOne();
    expect([asRequest(cancel).method, cancel.host, branch(cancel)]).toEqual(['CANCEL', inv.host, branch(inv)]);
  });

  it('a response with our Via but a branch of no attempt is relayed, not judged', () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT } });
    rig.deliver(requestText({ callId: 'stray-1' }), CALLER);
    const inv = rig.sender.takeOne();
    const stray = Buffer.from(answer(inv.buf, 503).toString('latin1').replace(branch(inv)!, 'z9hG4bKsl00000000ffffffff'), 'latin1');
    rig.deliver(stray, rig.from('gw1'));
    expect(toCaller(rig.sender.take())).toEqual([503]);
    expect(rig.failovers()).toEqual([]);
  });
});

describe('one Call-ID, several transactions', () => {
  const MESSAGES = { timeoutMs: TIMEOUT, methods: new Set(['MESSAGE']) };

  it("an out-of-dialog MESSAGE on a ringing INVITE's Call-ID leaves the INVITE's failover alone", () => {
    const rig = proxyRig({ failover: MESSAGES });
    rig.deliver(requestText({ callId: 'mix-1' }), CALLER);
    const inv = rig.sender.takeOne();
    rig.deliver(requestText({ method: 'MESSAGE', callId: 'mix-1', cseq: 2 }), CALLER);
    expect(rig.sender.takeOne().host).toBe(inv.host);
    rig.deliver(answer(inv.buf, 503), rig.from('gw1'));
    expect(requests(rig.sender.take(), 'INVITE')).toHaveLength(1);
    expect(rig.failovers()).toEqual([{ backend: 'gw1', reason: 'status-503' }]);
  });

  it('a new CSeq after a failed-over MESSAGE is a new transaction: attempt 0 at the pinned backend', () => {
    const rig = proxyRig({ failover: MESSAGES });
    rig.deliver(requestText({ method: 'MESSAGE', callId: 'ka-1', cseq: 1 }), CALLER);
    rig.sender.take();
    vi.advanceTimersByTime(TIMEOUT);
    const second = rig.sender.takeOne();
    rig.deliver(answer(second.buf, 200), rig.from(idOf(rig, second)));
    rig.sender.take();
    const next = request({ method: 'MESSAGE', callId: 'ka-1', cseq: 2 });
    rig.deliver(next.buf, CALLER);
    const d = rig.sender.takeOne();
    expect([d.host, branch(d)]).toEqual([second.host, computeBranch(next, next.topVia(), 0)]);
    // Another method with the same CSeq number is no retransmission either.
    const sub = request({ method: 'SUBSCRIBE', callId: 'ka-1', cseq: 1 });
    rig.deliver(sub.buf, CALLER);
    expect(branch(rig.sender.takeOne())).toBe(computeBranch(sub, sub.topVia(), 0));
  });

  // §17.1.3: a transaction is matched by branch and CSeq method; the same CSeq number under
  // another method is another transaction (RFC 3261 §8.1.1.5 numbers each method's requests).
  it('a SUBSCRIBE with the CSeq number of a running MESSAGE is its own transaction: it fails over on its own 503', () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT, methods: new Set(['MESSAGE', 'SUBSCRIBE']) } });
    rig.deliver(requestText({ method: 'MESSAGE', callId: 'same-seq-1', cseq: 7 }), CALLER);
    expect(rig.sender.takeOne().host).toBe(rig.backend('gw1').host); // unanswered: the MESSAGE runs on
    rig.deliver(requestText({ method: 'SUBSCRIBE', callId: 'same-seq-1', cseq: 7, vias: ['SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-sub-1'] }), CALLER);
    const sub = rig.sender.takeOne();
    expect([asRequest(sub).method, sub.host]).toEqual(['SUBSCRIBE', rig.backend('gw1').host]);
    rig.deliver(answer(sub.buf, 503), rig.from('gw1'));
    const sent = rig.sender.take();
    expect(toCaller(sent)).toEqual([]);
    const moved = requests(sent, 'SUBSCRIBE');
    expect(moved).toHaveLength(1);
    expect(idOf(rig, moved[0]!)).not.toBe('gw1');
    expect(rig.failovers()).toEqual([{ backend: 'gw1', reason: 'status-503' }]);
  });

  it('a SUBSCRIBE with the CSeq number of a failed-over MESSAGE takes attempt 0: its answer ends it, no timeout follows', () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT, methods: new Set(['MESSAGE', 'SUBSCRIBE']) } });
    rig.deliver(requestText({ method: 'MESSAGE', callId: 'same-seq-2', cseq: 7 }), CALLER);
    rig.sender.take();
    vi.advanceTimersByTime(TIMEOUT);
    const second = rig.sender.takeOne(); // the MESSAGE at attempt 1, still unanswered
    const subReq = request({ method: 'SUBSCRIBE', callId: 'same-seq-2', cseq: 7, vias: ['SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-sub-2'] });
    rig.deliver(subReq.buf, CALLER);
    const sub = rig.sender.takeOne();
    expect([sub.host, branch(sub)]).toEqual([second.host, computeBranch(subReq, subReq.topVia(), 0)]);
    rig.deliver(answer(sub.buf, 200), rig.from(idOf(rig, sub)));
    expect(toCaller(rig.sender.take())).toEqual([200]);
    vi.advanceTimersByTime(TIMEOUT * 5);
    expect(rig.sender.take()).toEqual([]);
    expect(rig.failovers()).toEqual([{ backend: 'gw1', reason: 'timeout' }]);
  });

  it('a retransmission after failover keeps the running transaction: answered, nothing more is sent', () => {
    const rig = proxyRig({ failover: MESSAGES });
    const text = requestText({ method: 'MESSAGE', callId: 'ka-2', cseq: 1 });
    rig.deliver(text, CALLER);
    rig.sender.take();
    vi.advanceTimersByTime(TIMEOUT);
    const second = rig.sender.takeOne();
    rig.deliver(text, CALLER); // Timer E retransmission (§17.1.2.2)
    expect(branch(rig.sender.takeOne())).toBe(branch(second));
    rig.deliver(answer(second.buf, 200), rig.from(idOf(rig, second)));
    expect(toCaller(rig.sender.take())).toEqual([200]);
    vi.advanceTimersByTime(TIMEOUT * 5);
    expect(rig.sender.take()).toEqual([]);
  });

  it("the next transaction's start stops the previous one's timer", () => {
    const rig = proxyRig({ failover: MESSAGES });
    rig.deliver(requestText({ method: 'MESSAGE', callId: 'ka-3', cseq: 1 }), CALLER);
    rig.sender.take();
    vi.advanceTimersByTime(TIMEOUT / 2);
    rig.deliver(requestText({ method: 'MESSAGE', callId: 'ka-3', cseq: 2 }), CALLER);
    rig.sender.take();
    vi.advanceTimersByTime(TIMEOUT / 2 + 10);
    expect(rig.sender.take()).toEqual([]);
    vi.advanceTimersByTime(TIMEOUT / 2);
    const moved = requests(rig.sender.take(), 'MESSAGE');
    expect(moved).toHaveLength(1);
    expect(asRequest(moved[0]!).cseq().seq).toBe(2);
  });

  it("an abandoned MESSAGE branch's late provisional and failure get no CANCEL or ACK, and are absorbed", () => {
    const rig = proxyRig({ failover: MESSAGES });
    rig.deliver(requestText({ method: 'MESSAGE', callId: 'ka-4', cseq: 1 }), CALLER);
    const first = rig.sender.takeOne();
    vi.advanceTimersByTime(TIMEOUT);
    rig.sender.take();
    rig.deliver(answer(first.buf, 100), rig.from('gw1'));
    rig.deliver(answer(first.buf, 503), rig.from('gw1'));
    expect(rig.sender.take()).toEqual([]);
  });

  it("a branch abandoned by the previous keep-alive stays absorbed after the next one's answer", () => {
    const rig = proxyRig({ failover: MESSAGES });
    rig.deliver(requestText({ method: 'MESSAGE', callId: 'ka-5', cseq: 1 }), CALLER);
    const first = rig.sender.takeOne();
    vi.advanceTimersByTime(TIMEOUT);
    const second = rig.sender.takeOne();
    rig.deliver(answer(second.buf, 200), rig.from(idOf(rig, second)));
    rig.sender.take();
    rig.deliver(requestText({ method: 'MESSAGE', callId: 'ka-5', cseq: 2 }), CALLER);
    const third = rig.sender.takeOne();
    rig.deliver(answer(third.buf, 200), rig.from(idOf(rig, third)));
    expect(toCaller(rig.sender.take())).toEqual([200]);
    rig.deliver(answer(first.buf, 200), rig.from('gw1'));
    expect(rig.sender.take()).toEqual([]);
  });
});
