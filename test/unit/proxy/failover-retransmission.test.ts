/**
 * The caller's INVITE retransmission (T1 = 500 ms, RFC 3261 §17.1.1.2) racing serial failover's
 * no-response timer (400 ms) on a loaded node: the timer fires late, and meanwhile passive health
 * took the silent backend out (other calls failed over from it). The retransmission must follow
 * the attempt failover is timing, not be balanced anew as if it were a new call: that forked the
 * call onto a second backend on the old branch, which either answered first (the dead backend's
 * failure never counted) or was abandoned by the timer a moment later (a dialog there nobody ends).
 * Seen in test/e2e/failover.test.ts as "21 timeout failovers vs 24 INVITEs to the dead backend".
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { proxyRig, type ProxyRig } from '../../helpers/core/proxy-rig.js';
import { asRequest, asResponse, type SentDatagram } from '../../helpers/core/recording-sender.js';
import { CALLER, answer, requestText } from '../../helpers/core/sip-text.js';

const TIMEOUT = 400;

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

const idOf = (rig: ProxyRig, d: SentDatagram): string => rig.registry.all.find((b) => b.host === d.host)!.id;
const branch = (d: SentDatagram): string | undefined => asRequest(d).topVia().branch;

/** A new call with failover after `maxAttempts`: the rig, the caller's INVITE, and its first copy out. */
function start(callId: string, maxAttempts = 2): { rig: ProxyRig; text: string; first: SentDatagram } {
  const rig = proxyRig({ failover: { timeoutMs: TIMEOUT, maxAttempts } });
  const text = requestText({ callId });
  rig.deliver(text, CALLER);
  return { rig, text, first: rig.sender.takeOne() };
}

describe('an INVITE retransmission while failover times the attempt', () => {
  it('follows the attempt to its backend even once that backend is out; the timer alone moves the call on', () => {
    const { rig, text, first } = start('rt-1');
    const dead = idOf(rig, first);
    vi.advanceTimersByTime(TIMEOUT - 1);
    rig.registry.setEligible(dead, false); // passive health: other calls failed over from it
    rig.deliver(text, CALLER); // the caller's retransmission, before the late timer fires
    const retrans = rig.sender.takeOne();
    expect([idOf(rig, retrans), branch(retrans)]).toEqual([dead, branch(first)]);
    vi.advanceTimersByTime(1);
    const second = rig.sender.takeOne();
    expect(idOf(rig, second)).not.toBe(dead);
    expect(rig.failovers()).toEqual([{ backend: dead, reason: 'timeout' }]);
    // Every INVITE of the call went to the dead backend or to the one failover chose: no fork.
    rig.deliver(answer(second.buf, 200), rig.from(idOf(rig, second)));
    expect(rig.sender.take().map((d) => [d.host, asResponse(d).status])).toEqual([[CALLER.address, 200]]);
    rig.deliver(text, CALLER); // a late retransmission goes to the answering attempt
    const late = rig.sender.takeOne();
    expect([idOf(rig, late), branch(late)]).toEqual([idOf(rig, second), branch(second)]);
  });

  it('is balanced anew when failover no longer times it (attempts used up): the call is not stuck on a dead backend', () => {
    const { rig, text, first } = start('rt-2', 0);
    vi.advanceTimersByTime(TIMEOUT);
    expect(rig.sender.take()).toEqual([]);
    rig.registry.setEligible(idOf(rig, first), false);
    rig.deliver(text, CALLER);
    expect(idOf(rig, rig.sender.takeOne())).not.toBe(idOf(rig, first));
  });

  it('balanced anew after a failover, it carries the current attempt\'s branch, so its answer reaches the caller', () => {
    const { rig, text, first } = start('rt-3', 1);
    vi.advanceTimersByTime(TIMEOUT);
    const second = rig.sender.takeOne();
    vi.advanceTimersByTime(TIMEOUT); // attempts used up: the call waits on the second backend
    expect(rig.sender.take()).toEqual([]);
    rig.registry.setEligible(idOf(rig, second), false);
    rig.deliver(text, CALLER);
    const third = rig.sender.takeOne();
    expect(idOf(rig, third)).not.toBe(idOf(rig, second));
    // Not the first attempt's branch: that one is abandoned, and its answers are absorbed.
    expect(branch(third)).toBe(branch(second));
    expect(branch(third)).not.toBe(branch(first));
    rig.deliver(answer(third.buf, 200), rig.from(idOf(rig, third)));
    expect(rig.sender.take().map((d) => [d.host, asResponse(d).status])).toEqual([[CALLER.address, 200]]);
  });
});
