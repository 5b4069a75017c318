/**
 * Serial failover (proxy/serial-failover.ts) at its edges, through the whole proxy with fake
 * timers: a failure code after a provisional 100 then silence (each attempt gets its own
 * no-response timer), a caller's CANCEL racing a failure code, retransmitted final responses of a
 * finished call, responses of other methods on the same Call-ID, and late answers of abandoned
 * branches after the call was answered (still CANCELled, §9.1, and ACKed, §17.1.1.3).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { proxyRig, type ProxyRig } from '../../helpers/core/proxy-rig.js';
import { asRequest, asResponse, type SentDatagram } from '../../helpers/core/recording-sender.js';
import { CALLER, answer, requestText } from '../../helpers/core/sip-text.js';

const TIMEOUT = 400;

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

const idOf = (rig: ProxyRig, d: SentDatagram): string => rig.registry.all.find((b) => b.host === d.host)!.id;

/** A new call: the INVITE as the first backend received it. */
function call(rig: ProxyRig, callId = 'edge-1@caller.test'): SentDatagram {
  rig.deliver(requestText({ callId }), CALLER);
  return rig.sender.takeOne();
}

describe('serial failover edges', () => {
  it('each attempt has its own no-response timer: 100 then 503 from the first, silence from the second, the third answers', () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT, maxAttempts: 2 } });
    const first = call(rig);
    rig.deliver(answer(first.buf, 100), rig.from('gw1'));
    expect(asResponse(rig.sender.takeOne()).status).toBe(100); // relayed to the caller
    rig.deliver(answer(first.buf, 503), rig.from('gw1'));
    const out = rig.sender.take();
    expect(out.map((d) => (d.msg.kind === 'request' ? `${d.msg.method} ${d.host}` : `${asResponse(d).status}`))).toEqual(['INVITE ' + out[0]!.host, 'ACK 198.51.100.11']);
    const second = out[0]!;
    expect(second.host).not.toBe('198.51.100.11');
    vi.advanceTimersByTime(TIMEOUT);
    const third = rig.sender.takeOne();
    expect(asRequest(third).method).toBe('INVITE');
    expect(new Set([first.host, second.host, third.host]).size).toBe(3);
    expect(rig.failovers()).toEqual([
      { backend: 'gw1', reason: 'status-503' },
      { backend: idOf(rig, second), reason: 'timeout' },
    ]);
    rig.deliver(answer(third.buf, 200), rig.from(idOf(rig, third)));
    expect(asResponse(rig.sender.takeOne()).status).toBe(200);
  });

  it("a failure code after the caller's CANCEL goes to the caller: no failover", () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT } });
    const first = call(rig);
    rig.deliver(requestText({ method: 'CANCEL', callId: 'edge-1@caller.test' }), CALLER);
    expect(asRequest(rig.sender.takeOne()).method).toBe('CANCEL');
    rig.deliver(answer(first.buf, 503), rig.from('gw1'));
    const sent = rig.sender.take();
    expect(sent.filter((d) => d.msg.kind === 'request' && d.msg.method === 'INVITE')).toEqual([]);
    expect(sent.filter((d) => d.host === CALLER.address).map((d) => asResponse(d).status)).toEqual([503]);
    expect(rig.failovers()).toEqual([]);
  });

  it('a retransmitted final response of a finished call is relayed again, even when a backend came back meanwhile', () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT, maxAttempts: 2 } });
    rig.registry.setEligible('gw3', false);
    call(rig);
    vi.advanceTimersByTime(TIMEOUT);
    const second = rig.sender.takeOne();
    expect(second.host).toBe('198.51.100.12');
    rig.deliver(answer(second.buf, 503), rig.from('gw2')); // nobody left to try: the caller gets it
    expect(rig.sender.take().filter((d) => d.host === CALLER.address).map((d) => asResponse(d).status)).toEqual([503]);
    rig.registry.setEligible('gw3', true);
    rig.deliver(answer(second.buf, 503), rig.from('gw2')); // the backend retransmits (no ACK seen yet)
    const again = rig.sender.take();
    expect(again.filter((d) => d.msg.kind === 'request' && d.msg.method === 'INVITE')).toEqual([]);
    expect(again.filter((d) => d.host === CALLER.address).map((d) => asResponse(d).status)).toEqual([503]);
    expect(rig.failovers()).toHaveLength(1);
  });

  it("a response to another method of the same Call-ID leaves the INVITE's failover alone", () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT } });
    const first = call(rig);
    // A 503 to an OPTIONS the caller sent with the same Call-ID (CSeq method OPTIONS): relayed, no failover.
    rig.deliver(requestText({ method: 'OPTIONS', uri: 'sip:bob@remote.test', callId: 'edge-1@caller.test', cseq: 2 }), CALLER);
    const options = rig.sender.takeOne();
    rig.deliver(answer(options.buf, 503), rig.from(idOf(rig, options)));
    expect(asResponse(rig.sender.takeOne()).status).toBe(503);
    expect(rig.failovers()).toEqual([]);
    // The INVITE's own timer still runs: silence fails it over.
    vi.advanceTimersByTime(TIMEOUT);
    expect(asRequest(rig.sender.takeOne()).method).toBe('INVITE');
    void first;
  });

  it('after the call was answered, a late 180 of the abandoned branch still gets its CANCEL and a late 486 its ACK', () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT } });
    const first = call(rig);
    vi.advanceTimersByTime(TIMEOUT);
    const second = rig.sender.takeOne();
    rig.deliver(answer(second.buf, 200), rig.from(idOf(rig, second)));
    expect(asResponse(rig.sender.takeOne()).status).toBe(200);
    rig.deliver(answer(first.buf, 180), rig.from('gw1'));
    const cancel = rig.sender.takeOne();
    expect([asRequest(cancel).method, cancel.host]).toEqual(['CANCEL', '198.51.100.11']);
    rig.deliver(answer(first.buf, 486), rig.from('gw1'));
    const ack = rig.sender.takeOne();
    expect([asRequest(ack).method, ack.host]).toEqual(['ACK', '198.51.100.11']);
  });

  it('a CANCEL with the Call-ID of a failing-over MESSAGE does not stop that MESSAGE failing over', () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT, methods: new Set(['MESSAGE']) } });
    rig.deliver(requestText({ method: 'MESSAGE', callId: 'msg-1@caller.test' }), CALLER);
    const first = rig.sender.takeOne();
    rig.deliver(requestText({ method: 'CANCEL', callId: 'msg-1@caller.test' }), CALLER);
    rig.sender.take(); // whatever becomes of a CANCEL that matches no INVITE
    vi.advanceTimersByTime(TIMEOUT);
    const second = rig.sender.takeOne();
    expect(asRequest(second).method).toBe('MESSAGE');
    expect(second.host).not.toBe(first.host);
  });

  it('setOptions takes effect for the next call: fewer attempts, other codes', () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT, maxAttempts: 2 } });
    rig.ctx.failover!.setOptions({ timeoutMs: TIMEOUT, codes: new Set([500]), relayed: true, maxAttempts: 1, rememberMs: 32_000, methods: new Set() });
    const first = call(rig);
    rig.deliver(answer(first.buf, 503), rig.from('gw1'));
    expect(rig.sender.take().filter((d) => d.host === CALLER.address).map((d) => asResponse(d).status)).toEqual([503]);
    const b = call(rig, 'edge-2@caller.test');
    rig.deliver(answer(b.buf, 500), rig.from('gw1'));
    expect(rig.sender.take().some((d) => d.msg.kind === 'request' && d.msg.method === 'INVITE')).toBe(true);
    vi.advanceTimersByTime(10 * TIMEOUT);
    expect(rig.sender.take()).toEqual([]); // one further attempt only
  });
});
