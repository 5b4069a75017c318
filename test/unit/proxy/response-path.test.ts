/**
 * The response path of the stateless proxy (RFC 3261 §16.7 step 3, §16.11, §18.2.2): a response
 * whose top Via is ours loses it and goes where the next Via says; anything else is dropped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { recordChannel, type ChannelRecorder } from '../../helpers/core/channel-recorder.js';
import { LB, proxyRig } from '../../helpers/core/proxy-rig.js';
import { asResponse, headerValues } from '../../helpers/core/recording-sender.js';
import { CALLER, answer, remote, requestText } from '../../helpers/core/sip-text.js';

let drops: ChannelRecorder<{ reason: string }> | undefined;
afterEach(() => drops?.stop());
function watchDrops(): { reason: string }[] {
  drops = recordChannel('drop');
  return drops.messages;
}

/** A call forwarded to gw1; returns the rig and the bytes gw1 received. */
function forwardedCall(viaOfCaller = 'SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-caller-1', from = CALLER) {
  const rig = proxyRig();
  rig.deliver(requestText({ vias: [viaOfCaller] }), from);
  const atBackend = rig.sender.takeOne();
  return { rig, atBackend };
}

function responseText(status: number, vias: readonly string[], method = 'INVITE'): string {
  return (
    `SIP/2.0 ${status} X\r\n${vias.map((v) => `Via: ${v}\r\n`).join('')}` +
    `From: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: r1\r\nCSeq: 1 ${method}\r\nContent-Length: 0\r\n\r\n`
  );
}

describe('relaying a response', () => {
  it("pops our Via and sends the rest, byte for byte, to the caller's Via address", () => {
    const { rig, atBackend } = forwardedCall();
    const fwd = recordChannel<{ status: number; method: string; backend: string }>('responseForwarded');
    try {
      rig.deliver(answer(atBackend.buf, 180, { extraHeaders: ['X-From-Uas: 1'] }), rig.from('gw1'));
      const d = rig.sender.takeOne();
      expect([d.host, d.port]).toEqual([CALLER.address, 5060]);
      expect(asResponse(d).status).toBe(180);
      expect(headerValues(d.text, 'Via')).toEqual(['SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-caller-1']);
      expect(headerValues(d.text, 'X-From-Uas')).toEqual(['1']);
      expect(fwd.messages).toEqual([{ status: 180, method: 'INVITE', backend: 'gw1' }]);
      expect(rig.events.at(-1)).toEqual({ kind: 'response', status: 180, backend: 'gw1' });
    } finally {
      fwd.stop();
    }
  });

  it('sends to received and rport when the request came through a NAT (RFC 3581 §4)', () => {
    const { rig, atBackend } = forwardedCall('SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK-n;rport', remote('192.0.2.20', 40000));
    rig.deliver(answer(atBackend.buf, 200), rig.from('gw1'));
    const d = rig.sender.takeOne();
    expect([d.host, d.port]).toEqual(['192.0.2.20', 40000]);
  });

  it('sends to the sent-by port of the next Via, 5060 when it has none', () => {
    const rig = proxyRig();
    rig.deliver(requestText({ vias: ['SIP/2.0/UDP 192.0.2.10:5099;branch=z9hG4bK-p'] }), CALLER);
    rig.deliver(answer(rig.sender.takeOne().buf, 200), rig.from('gw1'));
    expect(rig.sender.takeOne().port).toBe(5099);
    rig.deliver(requestText({ callId: 'c2', vias: ['SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-q'] }), CALLER);
    rig.deliver(answer(rig.sender.takeOne().buf, 200), rig.from('gw1'));
    expect(rig.sender.takeOne().port).toBe(5060);
  });

  it('relays a response from an address that is no backend, attributed to "external"', () => {
    const rig = proxyRig();
    rig.deliver(requestText({ uri: 'sip:carol@203.0.113.5', vias: ['SIP/2.0/UDP 198.51.100.11;branch=z9hG4bK-o'] }), rig.from('gw1'));
    const out = rig.sender.takeOne();
    const fwd = recordChannel<{ backend: string }>('responseForwarded');
    try {
      rig.deliver(answer(out.buf, 200), remote('203.0.113.5', 5060));
      expect(rig.sender.takeOne().host).toBe('198.51.100.11');
      expect(fwd.messages.map((m) => m.backend)).toEqual(['external']);
    } finally {
      fwd.stop();
    }
  });

  it('absorbs a response the observer refuses (it is not relayed)', () => {
    const rig = proxyRig({ relayResponses: false });
    rig.deliver(requestText(), CALLER);
    rig.deliver(answer(rig.sender.takeOne().buf, 200), rig.from('gw1'));
    expect(rig.sender.sent).toEqual([]);
  });

  it("settles the call's affinity on a final INVITE response, not on a provisional one", () => {
    const { rig, atBackend } = forwardedCall();
    const settled: string[] = [];
    const affinity = rig.ctx.affinity;
    (rig.ctx as { affinity: typeof affinity }).affinity = {
      get: (c, n) => affinity.get(c, n),
      pin: (...a) => affinity.pin(...a),
      settle: (c, n) => {
        settled.push(c);
        affinity.settle(c, n);
      },
      forget: (c) => affinity.forget(c),
    };
    rig.deliver(answer(atBackend.buf, 183), rig.from('gw1'));
    expect(settled).toEqual([]);
    rig.deliver(answer(atBackend.buf, 200), rig.from('gw1'));
    expect(settled).toEqual(['call-1@caller.test']);
    rig.deliver(answer(atBackend.buf, 486), rig.from('gw1'));
    expect(settled).toEqual(['call-1@caller.test', 'call-1@caller.test']);
    // Responses to other methods settle nothing.
    const cancelAtBackend = requestText({ method: 'CANCEL' }).replace(/Via: /, `Via: ${headerValues(atBackend.text, 'Via')[0]}\r\nVia: `);
    rig.deliver(answer(Buffer.from(cancelAtBackend, 'latin1'), 200), rig.from('gw1'));
    expect(settled).toHaveLength(2);
    expect(rig.sender.take().map((d) => asResponse(d).status)).toEqual([183, 200, 486, 200]);
  });
});

describe('dropping what is not ours', () => {
  it('drops a response whose top Via is not ours', () => {
    const seen = watchDrops();
    const rig = proxyRig();
    rig.deliver(responseText(200, ['SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK-x']), rig.from('gw1'));
    // Our prefix at someone else's address is not ours either.
    rig.deliver(responseText(200, ['SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKsl00000000', 'SIP/2.0/UDP 192.0.2.10']), rig.from('gw1'));
    expect(rig.sender.sent).toEqual([]);
    expect(seen.map((d) => d.reason)).toEqual(['not-our-via', 'not-our-via']);
  });

  it('drops a response whose Via list cannot be read', () => {
    const seen = watchDrops();
    const rig = proxyRig();
    rig.deliver(responseText(200, [`SIP/2.0/UDP ${LB.host};branch=z9hG4bKsl0000000000000000`, 'garbage here']), rig.from('gw1'));
    expect(rig.sender.sent).toEqual([]);
    expect(seen.map((d) => d.reason)).toEqual(['bad-via']);
  });

  it('drops a response with only our Via that nobody claims (no route onward)', () => {
    const seen = watchDrops();
    const rig = proxyRig();
    rig.deliver(responseText(200, [`SIP/2.0/UDP ${LB.host}:${LB.port};branch=z9hG4bKsl0000000000000000`], 'CANCEL'), rig.from('gw1'));
    expect(rig.sender.sent).toEqual([]);
    expect(seen.map((d) => d.reason)).toEqual(['no-route']);
  });

  it('drops an unparsable datagram and answers 400 to a request it can still answer', () => {
    const seen = watchDrops();
    const rig = proxyRig();
    rig.deliver('this is not SIP\r\n\r\n', CALLER);
    expect(rig.sender.sent).toEqual([]);
    expect(seen.map((d) => d.reason)).toEqual(['parse-error']);
    rig.deliver(requestText().replace('CSeq: 1 INVITE', 'CSeq: 1 BYE'), CALLER);
    const d = rig.sender.takeOne();
    expect(asResponse(d).status).toBe(400);
    expect(headerValues(d.text, 'Warning')[0]).toMatch(/^399 siplb "/);
  });
});
