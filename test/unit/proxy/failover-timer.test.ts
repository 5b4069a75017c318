/**
 * Serial failover's no-response timers share one `setTimeout` over the calls in arm order
 * (proxy/serial-failover.ts): each INVITE still times out `timeoutMs` after its own send, not
 * when an earlier call's timer fires, and an answered call leaves the queue at once.
 */
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { proxyRig } from '../../helpers/core/proxy-rig.js';
import { asRequest, type SentDatagram } from '../../helpers/core/recording-sender.js';
import { CALLER, answer, requestText } from '../../helpers/core/sip-text.js';

const TIMEOUT = 400;

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

const callIds = (sent: SentDatagram[]): string[] => sent.map((d) => asRequest(d).callId());

it('times each INVITE out after its own send, whatever the calls armed before it', () => {
  const rig = proxyRig({ failover: { timeoutMs: TIMEOUT } });
  rig.deliver(requestText({ callId: 'a@caller.test' }), CALLER);
  rig.sender.take();
  vi.advanceTimersByTime(150);
  rig.deliver(requestText({ callId: 'b@caller.test' }), CALLER);
  rig.sender.take();
  vi.advanceTimersByTime(100);
  rig.deliver(requestText({ callId: 'c@caller.test' }), CALLER);
  rig.sender.take();
  vi.advanceTimersByTime(TIMEOUT - 250 - 1); // t = 399
  expect(rig.sender.sent).toEqual([]);
  vi.advanceTimersByTime(1); // t = 400: a's attempt moves on
  expect(callIds(rig.sender.take())).toEqual(['a@caller.test']);
  vi.advanceTimersByTime(149); // t = 549
  expect(rig.sender.sent).toEqual([]);
  vi.advanceTimersByTime(1); // t = 550: b's
  expect(callIds(rig.sender.take())).toEqual(['b@caller.test']);
  vi.advanceTimersByTime(100); // t = 650: c's
  expect(callIds(rig.sender.take())).toEqual(['c@caller.test']);
  // The second attempts time out in turn, 400 ms after their own sends (t = 800, 950, 1050).
  vi.advanceTimersByTime(150);
  expect(callIds(rig.sender.take())).toEqual(['a@caller.test']);
  vi.advanceTimersByTime(250);
  expect(callIds(rig.sender.take())).toEqual(['b@caller.test', 'c@caller.test']);
});

it('does not time out a call answered meanwhile, and still times out the one armed after it', () => {
  const rig = proxyRig({ failover: { timeoutMs: TIMEOUT } });
  rig.deliver(requestText({ callId: 'a@caller.test' }), CALLER);
  const a = rig.sender.takeOne();
  vi.advanceTimersByTime(100);
  rig.deliver(requestText({ callId: 'b@caller.test' }), CALLER);
  rig.sender.take();
  rig.deliver(answer(a.buf, 100), { transport: 'udp', address: a.host, port: a.port });
  rig.sender.take(); // the 100 relayed to the caller
  vi.advanceTimersByTime(TIMEOUT);
  expect(callIds(rig.sender.take())).toEqual(['b@caller.test']);
});

it('times out a call armed after the queue ran empty (and was compacted) like any other', () => {
  const rig = proxyRig({ failover: { timeoutMs: TIMEOUT } });
  rig.deliver(requestText({ callId: 'a@caller.test' }), CALLER);
  rig.sender.take();
  vi.advanceTimersByTime(TIMEOUT); // a's first attempt times out: a second one goes out
  const second = rig.sender.takeOne();
  expect(asRequest(second).callId()).toBe('a@caller.test');
  rig.deliver(answer(second.buf, 200), { transport: 'udp', address: second.host, port: second.port });
  rig.sender.take(); // the 200 relayed to the caller
  vi.advanceTimersByTime(TIMEOUT); // the timer finds only a's answered entry: the queue is empty
  expect(rig.sender.sent).toEqual([]);
  rig.deliver(requestText({ callId: 'b@caller.test' }), CALLER);
  rig.sender.take();
  vi.advanceTimersByTime(TIMEOUT - 1);
  expect(rig.sender.sent).toEqual([]);
  vi.advanceTimersByTime(1); // b's attempt moves on, TIMEOUT after its own send
  expect(callIds(rig.sender.take())).toEqual(['b@caller.test']);
});

it('sets the shared timer once per timeout, not once per call, while the calls are answered', () => {
  const rig = proxyRig({ failover: { timeoutMs: TIMEOUT } });
  const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
  for (let i = 0; i < 50; i++) {
    rig.deliver(requestText({ callId: `c${i}@caller.test` }), CALLER);
    const invite = rig.sender.takeOne();
    rig.deliver(answer(invite.buf, 100), { transport: 'udp', address: invite.host, port: invite.port });
    rig.sender.take(); // the 100 relayed to the caller
    vi.advanceTimersByTime(10);
  }
  rig.deliver(requestText({ callId: 'late@caller.test' }), CALLER); // t = 500, never answered
  rig.sender.take();
  vi.advanceTimersByTime(TIMEOUT - 1);
  expect(rig.sender.sent).toEqual([]);
  vi.advanceTimersByTime(1); // t = 900: its attempt moves on, TIMEOUT after its own send
  expect(callIds(rig.sender.take())).toEqual(['late@caller.test']);
  // 51 calls over 900 ms: the timer was set when the first call armed it, when it fired at
  // t = 400 and found only answered calls (the queue ran empty: the next call set it again), and
  // for the retry; one timer per call would be 50 or more.
  expect(setTimeoutSpy.mock.calls.length).toBeLessThanOrEqual(4);
  setTimeoutSpy.mockRestore();
});
