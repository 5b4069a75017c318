/**
 * A datagram over `sip.maxDatagramBytes` (proxy/oversize.ts, RFC 3261 §18.1.1, §21.5.14): a
 * request whose top Via can be read is answered 513 and not forwarded; a response over the cap,
 * or a request too broken to answer, is dropped and counted as a 'size' drop. The observer's
 * `oversize` hook hears each outcome, with the size and the source.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { watchChannels } from '../../helpers/core/channel-recorder.js';
import { proxyRig, type ProxyRig } from '../../helpers/core/proxy-rig.js';
import { asResponse } from '../../helpers/core/recording-sender.js';
import { CALLER, answer, requestText } from '../../helpers/core/sip-text.js';
import type { MessageSource } from '../../../src/transport/contract.js';

const CAP = 600;

const watch = watchChannels(afterEach);

interface Heard {
  readonly bytes: number;
  readonly from: MessageSource;
  readonly outcome: string;
}

function rig(): { rig: ProxyRig; heard: Heard[] } {
  const heard: Heard[] = [];
  return { heard, rig: proxyRig({ options: { maxDatagramBytes: CAP }, observer: { oversize: (bytes, from, outcome) => void heard.push({ bytes, from, outcome }) } }) };
}

const BIG_BODY = 'v=0\r\n' + 'a=x-pad:' + 'x'.repeat(CAP) + '\r\n';

describe('a datagram over maxDatagramBytes', () => {
  it('a request is answered 513 Message Too Large at its source and not forwarded', () => {
    const { rig: r, heard } = rig();
    const rejects = watch('reject');
    const text = requestText({ body: BIG_BODY, headers: ['Content-Type: application/sdp'] });
    r.deliver(text, CALLER);
    const d = r.sender.takeOne();
    expect([d.host, d.port]).toEqual([CALLER.address, CALLER.port]);
    expect(asResponse(d).status).toBe(513);
    expect(rejects).toEqual([{ reason: 'too-large', status: 513, method: 'INVITE' }]);
    expect(heard).toEqual([{ bytes: Buffer.byteLength(text, 'latin1'), from: CALLER, outcome: 'answered-513' }]);
    expect(r.events).toEqual([]);
  });

  it('exactly at the cap is handled as usual (forwarded), one byte over is not', () => {
    const base = requestText({ body: '' });
    const pad = (n: number): string => requestText({ body: 'x'.repeat(n) });
    // The body length changes the Content-Length digits too: find the padding that lands on the cap.
    let n = CAP - Buffer.byteLength(base, 'latin1');
    while (Buffer.byteLength(pad(n), 'latin1') > CAP) n--;
    expect(Buffer.byteLength(pad(n), 'latin1')).toBe(CAP);
    const { rig: r, heard } = rig();
    r.deliver(pad(n), CALLER);
    expect(r.sender.takeOne().host).toBe('198.51.100.11');
    expect(heard).toEqual([]);
    r.deliver(pad(n + 1), CALLER);
    expect(asResponse(r.sender.takeOne()).status).toBe(513);
    expect(heard.map((h) => h.outcome)).toEqual(['answered-513']);
  });

  it('a request that does not parse but has a readable top Via is answered 513 too', () => {
    const { rig: r, heard } = rig();
    // No Call-ID: the scanner refuses it, but the partial request (Via, CSeq) can be answered.
    const text = requestText({ body: BIG_BODY }).replace(/Call-ID: [^\r]*\r\n/, '');
    r.deliver(text, CALLER);
    const d = r.sender.takeOne();
    expect(d.host).toBe(CALLER.address);
    expect(/^SIP\/2\.0 (\d{3}) /.exec(d.text)?.[1]).toBe('513');
    expect(heard.map((h) => h.outcome)).toEqual(['answered-513']);
  });

  it('a response over the cap is dropped and counted as a size drop', () => {
    const { rig: r, heard } = rig();
    const drops = watch('drop');
    r.deliver(requestText(), CALLER);
    const fwd = r.sender.takeOne();
    const big = answer(fwd.buf, 200, { extraHeaders: [`X-Pad: ${'y'.repeat(CAP)}`] });
    r.deliver(big, r.from('gw1'));
    expect(r.sender.sent).toEqual([]);
    expect(drops).toEqual([{ reason: 'size', detail: String(big.length) }]);
    expect(heard).toEqual([{ bytes: big.length, from: r.from('gw1'), outcome: 'response-dropped' }]);
  });

  it('an unreadable datagram over the cap is dropped and counted, never answered', () => {
    const { rig: r, heard } = rig();
    const drops = watch('drop');
    const junk = Buffer.alloc(CAP + 1, 0x41);
    r.deliver(junk, CALLER);
    expect(r.sender.sent).toEqual([]);
    expect(drops).toEqual([{ reason: 'size', detail: String(CAP + 1) }]);
    expect(heard.map((h) => h.outcome)).toEqual(['unreadable-dropped']);
  });

  it('a request over the cap whose scanner error cannot be answered (no Via) is dropped as unreadable', () => {
    const { rig: r, heard } = rig();
    const text = requestText({ body: BIG_BODY }).replace(/Via: [^\r]*\r\n/, '');
    r.deliver(text, CALLER);
    expect(r.sender.sent).toEqual([]);
    expect(heard.map((h) => h.outcome)).toEqual(['unreadable-dropped']);
  });
});

describe('oversize edge cases', () => {
  it('a broken request over the cap is counted as too-large, and a rig without the hook still answers', () => {
    const rejects = watch('reject');
    const r = proxyRig({ options: { maxDatagramBytes: CAP } });
    r.deliver(requestText({ body: BIG_BODY }).replace(/Call-ID: [^\r]*\r\n/, ''), CALLER);
    expect(/^SIP\/2\.0 (\d{3}) /.exec(r.sender.takeOne().text)?.[1]).toBe('513');
    expect(rejects.map((m) => m['reason'])).toEqual(['too-large']);
  });
});
