/**
 * Serial failover of initial INVITEs (proxy/serial-failover.ts) through the whole proxy, with fake
 * timers: the behaviour that does not depend on which codes fail over. A silent backend loses the
 * INVITE to the next one after the timeout; attempts are bounded; a caller's CANCEL stops it; an
 * abandoned branch that answers late is CANCELled (§9.1) or ACKed (§17.1.1.3), never relayed.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { recordChannel } from '../../helpers/core/channel-recorder.js';
import { proxyRig, type ProxyRig } from '../../helpers/core/proxy-rig.js';
import { asRequest, asResponse, headerValues, type SentDatagram } from '../../helpers/core/recording-sender.js';
import { CALLER, answer, requestText } from '../../helpers/core/sip-text.js';

const TIMEOUT = 400;

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

const topVia = (d: SentDatagram): string => headerValues(d.text, 'Via')[0]!;

/** A new call: the INVITE as gw1 received it. */
function call(rig: ProxyRig, callId = 'call-1@caller.test'): SentDatagram {
  rig.deliver(requestText({ callId }), CALLER);
  const d = rig.sender.takeOne();
  expect(d.host).toBe('198.51.100.11');
  return d;
}

describe('serial failover', () => {
  it('re-sends the INVITE to another backend with a new branch when the first stays silent, hidden from the caller', () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT } });
    const first = call(rig);
    vi.advanceTimersByTime(TIMEOUT - 1);
    expect(rig.sender.sent).toEqual([]);
    vi.advanceTimersByTime(1);
    const second = rig.sender.takeOne();
    expect(second.host).not.toBe(first.host);
    expect(topVia(second)).not.toBe(topVia(first));
    // The same request otherwise: caller's Via below ours, Max-Forwards decremented once, Record-Route.
    expect(headerValues(second.text, 'Via').slice(1)).toEqual(headerValues(first.text, 'Via').slice(1));
    expect(headerValues(second.text, 'Max-Forwards')).toEqual(['69']);
    expect(headerValues(second.text, 'Record-Route')).toEqual(headerValues(first.text, 'Record-Route'));
    expect(rig.events.filter((e) => e.kind === 'failover')).toEqual([{ kind: 'failover', backend: 'gw1', callId: 'call-1@caller.test', reason: 'timeout' }]);
    expect(rig.events.filter((e) => e.kind === 'forwarded').map((e) => e.kind === 'forwarded' && e.isNewCall)).toEqual([true, true]);
  });

  it('relays the final answer of the backend it failed over to, and remembers that backend for the call', () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT } });
    call(rig);
    vi.advanceTimersByTime(TIMEOUT);
    const second = rig.sender.takeOne();
    const gw = rig.registry.all.find((b) => b.host === second.host)!;
    rig.deliver(answer(second.buf, 200), rig.from(gw.id));
    const relayed = rig.sender.takeOne();
    expect([relayed.host, asResponse(relayed).status]).toEqual([CALLER.address, 200]);
    vi.advanceTimersByTime(10 * TIMEOUT);
    expect(rig.sender.sent).toEqual([]);
  });

  it('tries at most maxAttempts further backends', () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT, maxAttempts: 2 } });
    call(rig);
    vi.advanceTimersByTime(10 * TIMEOUT);
    const hosts = rig.sender.take().map((d) => d.host);
    expect(hosts).toHaveLength(2);
    expect(new Set(['198.51.100.11', ...hosts]).size).toBe(3);
    const one = proxyRig({ failover: { timeoutMs: TIMEOUT, maxAttempts: 1 } });
    call(one);
    vi.advanceTimersByTime(10 * TIMEOUT);
    expect(one.sender.take()).toHaveLength(1);
  });

  it('stops when no untried backend is left, whatever maxAttempts says', () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT, maxAttempts: 5 } });
    rig.registry.setEligible('gw3', false);
    call(rig);
    vi.advanceTimersByTime(20 * TIMEOUT);
    expect(rig.sender.take().map((d) => d.host)).toEqual(['198.51.100.12']);
  });

  it('does not fail over once the caller has CANCELled, and the CANCEL goes to the current attempt', () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT, maxAttempts: 2 } });
    call(rig);
    vi.advanceTimersByTime(TIMEOUT);
    const second = rig.sender.takeOne();
    rig.deliver(requestText({ method: 'CANCEL' }), CALLER);
    const cancel = rig.sender.takeOne();
    expect(asRequest(cancel).method).toBe('CANCEL');
    expect([cancel.host, topVia(cancel)]).toEqual([second.host, topVia(second)]);
    vi.advanceTimersByTime(10 * TIMEOUT);
    expect(rig.sender.sent).toEqual([]);
  });

  it("still fails over after the caller's INVITE retransmission (only a CANCEL stops it)", () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT } });
    call(rig);
    rig.deliver(requestText(), CALLER);
    expect(rig.sender.takeOne().host).toBe('198.51.100.11');
    vi.advanceTimersByTime(TIMEOUT);
    expect(rig.sender.takeOne().host).not.toBe('198.51.100.11');
  });

  it('never fails over a call the caller CANCELled before the timeout', () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT } });
    const first = call(rig);
    rig.deliver(requestText({ method: 'CANCEL' }), CALLER);
    expect(rig.sender.takeOne().host).toBe(first.host);
    vi.advanceTimersByTime(10 * TIMEOUT);
    expect(rig.sender.sent).toEqual([]);
  });

  it('CANCELs an abandoned branch that answers provisionally, once, and does not relay it', () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT } });
    const first = call(rig);
    vi.advanceTimersByTime(TIMEOUT);
    rig.sender.takeOne(); // the INVITE to the next backend
    rig.deliver(answer(first.buf, 180), rig.from('gw1'));
    const cancel = rig.sender.takeOne();
    expect([cancel.host, cancel.port]).toEqual(['198.51.100.11', 5060]);
    const req = asRequest(cancel);
    expect(req.method).toBe('CANCEL');
    expect(req.uriText).toBe(asRequest(first).uriText);
    expect(headerValues(cancel.text, 'Via')).toEqual([topVia(first)]); // only our Via, the abandoned branch
    expect(headerValues(cancel.text, 'CSeq')).toEqual(['1 CANCEL']);
    expect(headerValues(cancel.text, 'Max-Forwards')).toEqual(['70']);
    expect(headerValues(cancel.text, 'To')).toEqual(headerValues(first.text, 'To')); // no tag (§9.1)
    expect(req.callId()).toBe('call-1@caller.test');
    rig.deliver(answer(first.buf, 183), rig.from('gw1'));
    expect(rig.sender.sent).toEqual([]); // no second CANCEL, nothing relayed
  });

  it('ACKs every non-2xx final response of an abandoned branch and relays none', () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT } });
    const first = call(rig);
    vi.advanceTimersByTime(TIMEOUT);
    rig.sender.takeOne();
    for (let i = 0; i < 2; i++) {
      rig.deliver(answer(first.buf, 487, { toTag: 'gw1-tag' }), rig.from('gw1'));
      const ack = rig.sender.takeOne();
      expect(ack.host).toBe('198.51.100.11');
      expect(asRequest(ack).method).toBe('ACK');
      expect(headerValues(ack.text, 'Via')).toEqual([topVia(first)]);
      expect(headerValues(ack.text, 'CSeq')).toEqual(['1 ACK']);
      expect(headerValues(ack.text, 'To')[0]).toContain('tag=gw1-tag');
    }
  });

  it('drops a 2xx from an abandoned branch (it cannot be merged statelessly)', () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT } });
    const first = call(rig);
    vi.advanceTimersByTime(TIMEOUT);
    rig.sender.takeOne();
    rig.deliver(answer(first.buf, 200), rig.from('gw1'));
    expect(rig.sender.sent).toEqual([]);
  });

  it('consumes the 200 to its own CANCEL (absorbLocal), and drops one that matches no abandoned branch', () => {
    const drops = recordChannel<{ reason: string }>('drop');
    try {
      const rig = proxyRig({ failover: { timeoutMs: TIMEOUT } });
      const first = call(rig);
      vi.advanceTimersByTime(TIMEOUT);
      rig.sender.takeOne();
      rig.deliver(answer(first.buf, 180), rig.from('gw1'));
      const cancel = rig.sender.takeOne();
      rig.deliver(answer(cancel.buf, 200), rig.from('gw1'));
      expect(rig.sender.sent).toEqual([]);
      expect(drops.messages).toEqual([]);
      const stray = cancel.text.replace(/Call-ID: [^\r]+/, 'Call-ID: unknown-call');
      rig.deliver(answer(Buffer.from(stray, 'latin1'), 200), rig.from('gw1'));
      expect(drops.messages.map((d) => d.reason)).toEqual(['no-route']);
      // A response with only our Via that is not to a CANCEL is not failover's either.
      const notCancel = first.text.replace(/Via: SIP\/2\.0\/UDP 192[^\r]+\r\n/, '');
      rig.deliver(answer(Buffer.from(notCancel, 'latin1'), 200), rig.from('gw1'));
      expect(drops.messages.map((d) => d.reason)).toEqual(['no-route', 'no-route']);
    } finally {
      drops.stop();
    }
  });

  it('does not fail over on silence while the node itself is saturated', () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT }, admission: true });
    rig.admission.saturated = true;
    call(rig);
    vi.advanceTimersByTime(10 * TIMEOUT);
    expect(rig.sender.sent).toEqual([]);
    expect(rig.events.some((e) => e.kind === 'failover')).toBe(false);
  });

  it('does not fail over on silence when the node was saturated after the attempt left, though it no longer is', () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT }, admission: true });
    call(rig);
    vi.advanceTimersByTime(TIMEOUT / 2);
    rig.admission.lateAt = performance.now(); // an overload window (e.g. kernel drops) ended here
    vi.advanceTimersByTime(10 * TIMEOUT);
    expect(rig.sender.sent).toEqual([]);
    expect(rig.events.some((e) => e.kind === 'failover')).toBe(false);
  });

  it('fails over on silence when the node was last saturated before the attempt left', () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT }, admission: true });
    rig.admission.lateAt = performance.now();
    vi.advanceTimersByTime(1);
    call(rig);
    vi.advanceTimersByTime(TIMEOUT);
    expect(rig.events.some((e) => e.kind === 'failover')).toBe(true);
  });

  it('forgets a failed-over call after rememberMs (sweep), and clear() forgets everything', () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT, rememberMs: 32_000 } });
    call(rig, 'a');
    vi.advanceTimersByTime(TIMEOUT);
    vi.advanceTimersByTime(1000); // a failed over, twice
    expect(rig.sender.take()).toHaveLength(2);
    call(rig, 'b');
    vi.advanceTimersByTime(32_000 - TIMEOUT - 1000);
    rig.sender.take();
    rig.failover!.sweep();
    expect(rig.failover!.size).toBe(1); // 'a' started 32 s ago; 'b' is younger
    call(rig, 'c');
    rig.failover!.clear();
    expect(rig.failover!.size).toBe(0);
    vi.advanceTimersByTime(10 * TIMEOUT);
    expect(rig.sender.sent).toEqual([]); // clear() also cancelled c's pending timeout
  });

  it('keeps no state for a call answered by its first backend', () => {
    const rig = proxyRig({ failover: { timeoutMs: TIMEOUT } });
    const first = call(rig);
    rig.deliver(answer(first.buf, 200), rig.from('gw1'));
    expect(rig.failover!.size).toBe(0);
  });
});
