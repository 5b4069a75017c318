/**
 * Active probing (health/prober.ts) with fake timers and a recording sender: one OPTIONS per
 * backend per interval, Timer E retransmission (T1 doubling to T2, RFC 3261 §17.1.2.2), Timer F
 * timeout as a failure, replies matched by branch and Call-ID.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Prober, type ProbeTarget } from '../../../src/health/prober.js';
import type { ProbeResult } from '../../../src/health/state-machine.js';
import { asRequest, headerValues, RecordingSender, type SentDatagram } from '../../helpers/core/recording-sender.js';
import { answer, parseResponse } from '../../helpers/core/sip-text.js';

const GW1: ProbeTarget = { id: 'gw1', host: '198.51.100.11', port: 5060, transport: 'udp', intervalMs: 10_000, timeoutMs: 5000 };
const GW2: ProbeTarget = { id: 'gw2', host: '198.51.100.12', port: 5070, transport: 'udp', intervalMs: 10_000, timeoutMs: 5000 };
/** Start-up jitter is below min(50 ms, interval/10): the first probe goes within this. */
const JITTER = 50;

beforeEach(() => {
  vi.useFakeTimers();
  vi.spyOn(Math, 'random').mockReturnValue(0); // no jitter: exact send times
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

function rig(targets: readonly ProbeTarget[] = [GW1]) {
  const sender = new RecordingSender();
  const results: { id: string; result: ProbeResult; at: number }[] = [];
  const prober = new Prober({
    sender,
    via: { host: '198.51.100.1', port: 40000 },
    fromUri: 'sip:siplb@lb.test',
    userAgent: 'siplb-test',
    now: () => performance.now(),
    onResult: (id, result) => void results.push({ id, result, at: performance.now() }),
  });
  prober.setTargets(targets);
  const t0 = performance.now();
  /** Send times (ms after start) of datagrams sent so far, and forgets them. */
  const times: number[] = [];
  const origSend = sender.send.bind(sender);
  sender.send = (buf, to) => {
    times.push(performance.now() - t0);
    origSend(buf, to);
  };
  return { sender, results, prober, times };
}

const reply = (probe: SentDatagram, status: number) => parseResponse(answer(probe.buf, status));

describe('Prober', () => {
  it('sends nothing before start, then one OPTIONS per target at once, then one per interval', () => {
    const { sender, prober } = rig();
    vi.advanceTimersByTime(60_000);
    expect(sender.sent).toEqual([]);
    prober.start();
    vi.advanceTimersByTime(JITTER);
    const probe = sender.takeOne();
    expect([probe.host, probe.port]).toEqual([GW1.host, GW1.port]);
    const req = asRequest(probe);
    expect(req.method).toBe('OPTIONS');
    expect(req.uriText).toBe('sip:198.51.100.11:5060');
    expect(headerValues(probe.text, 'Via')[0]).toMatch(/^SIP\/2\.0\/UDP 198\.51\.100\.1:40000;branch=z9hG4bKslp\w+;rport$/);
    expect(headerValues(probe.text, 'Max-Forwards')).toEqual(['70']);
    expect(headerValues(probe.text, 'User-Agent')).toEqual(['siplb-test']);
    prober.handleReply(reply(probe, 200));
    vi.advanceTimersByTime(10_000);
    expect(asRequest(sender.takeOne()).callId()).not.toBe(req.callId()); // a new transaction each interval
    prober.stop();
  });

  it('spreads the probes of several targets over the interval instead of a burst', () => {
    const { prober, times } = rig([GW1, GW2]);
    prober.start();
    vi.advanceTimersByTime(6000);
    expect(times.filter((t) => t === 0 || t === 5000)).toHaveLength(2);
    prober.stop();
  });

  it('retransmits an unanswered probe at T1, doubling up to T2 (Timer E), with the same bytes, until Timer F', () => {
    const { sender, prober, times, results } = rig([{ ...GW1, timeoutMs: 16_000, intervalMs: 60_000 }]);
    prober.start();
    vi.advanceTimersByTime(16_000);
    // sent at 0, then +500, +1000, +2000, +4000, +4000 (T2 cap), +4000
    expect(times).toEqual([0, 500, 1500, 3500, 7500, 11_500, 15_500]);
    const bufs = sender.take().map((d) => d.text);
    expect(new Set(bufs).size).toBe(1);
    expect(results.map((r) => r.result)).toEqual([{ kind: 'timeout' }]);
    expect(prober.inflight).toBe(0);
    vi.advanceTimersByTime(20_000);
    expect(sender.sent).toEqual([]); // no retransmission after Timer F
    prober.stop();
  });

  it('reports a final reply with its code and round-trip time, and stops retransmitting', () => {
    const { sender, prober, results } = rig();
    prober.start();
    vi.advanceTimersByTime(0); // the first probe is a timer at offset 0
    const probe = sender.takeOne();
    vi.advanceTimersByTime(700); // one retransmission at 500
    expect(sender.take()).toHaveLength(1);
    expect(prober.handleReply(reply(probe, 404))).toBe(true);
    expect(results).toEqual([{ id: 'gw1', result: { kind: 'reply', code: 404, rttMs: 700 }, at: 700 }]);
    vi.advanceTimersByTime(6000);
    expect(sender.sent).toEqual([]);
    expect(results).toHaveLength(1); // no timeout after the reply
    prober.stop();
  });

  it('absorbs a provisional reply without ending the transaction (§17.1.2.2)', () => {
    const { sender, prober, results } = rig();
    prober.start();
    vi.advanceTimersByTime(0); // the first probe is a timer at offset 0
    const probe = sender.takeOne();
    expect(prober.handleReply(reply(probe, 100))).toBe(true);
    expect(results).toEqual([]);
    expect(prober.inflight).toBe(1);
    vi.advanceTimersByTime(5000);
    expect(results.map((r) => r.result.kind)).toEqual(['timeout']);
    prober.stop();
  });

  it('claims late and foreign probe replies without reporting them, and leaves other replies alone', () => {
    const { sender, prober, results } = rig();
    prober.start();
    vi.advanceTimersByTime(0); // the first probe is a timer at offset 0
    const probe = sender.takeOne();
    const foreignCallId = Buffer.from(probe.text.replace(/Call-ID: [^\r]+/, 'Call-ID: someone-else'), 'latin1');
    expect(prober.handleReply(parseResponse(answer(foreignCallId, 200)))).toBe(true);
    expect(results).toEqual([]);
    prober.handleReply(reply(probe, 200));
    expect(prober.handleReply(reply(probe, 200))).toBe(true); // late duplicate
    expect(results).toHaveLength(1);
    const notAProbe = parseResponse(
      'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 198.51.100.1;branch=z9hG4bKsl1234\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n',
    );
    expect(prober.handleReply(notAProbe)).toBe(false);
    prober.stop();
  });

  it('stops probing a removed target, keeps the schedule of an unchanged one, re-probes a changed one', () => {
    const { sender, prober } = rig([GW1, GW2]);
    prober.start();
    vi.advanceTimersByTime(5000);
    for (const d of sender.take()) prober.handleReply(reply(d, 200));
    prober.setTargets([GW1]); // gw2 removed, gw1 unchanged: its next probe stays at 10 000
    vi.advanceTimersByTime(4999);
    expect(sender.sent).toEqual([]);
    vi.advanceTimersByTime(1);
    const next = sender.takeOne();
    expect(next.host).toBe(GW1.host);
    prober.handleReply(reply(next, 200));
    prober.setTargets([{ ...GW1, port: 5099 }]); // changed: rescheduled from now
    vi.advanceTimersByTime(JITTER);
    expect(sender.takeOne().port).toBe(5099);
    vi.advanceTimersByTime(60_000);
    expect(sender.sent.every((d) => d.host === GW1.host)).toBe(true);
    prober.stop();
  });

  it('reports nothing after stop and drops its probes in flight; start twice probes once', () => {
    const { sender, prober, results } = rig();
    prober.start();
    prober.start();
    vi.advanceTimersByTime(0);
    expect(sender.take()).toHaveLength(1);
    prober.stop();
    expect(prober.inflight).toBe(0);
    vi.advanceTimersByTime(60_000);
    expect(sender.sent).toEqual([]);
    expect(results).toEqual([]);
  });

  it('names the bound probe port in the Via once setVia is called', () => {
    const { sender, prober } = rig();
    prober.setVia({ host: '198.51.100.1', port: 41234 });
    prober.start();
    vi.advanceTimersByTime(0);
    expect(headerValues(sender.takeOne().text, 'Via')[0]).toContain('198.51.100.1:41234;');
    prober.stop();
  });
});
