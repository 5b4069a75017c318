import { describe, expect, it } from 'vitest';
import { followsPin } from '../../../src/proxy/pin-rule.js';
import { LOOPBACK_LB as LB, loopbackRig, type ProxyRig } from '../../helpers/core/proxy-rig.js';
import { PHONE, remote } from '../../helpers/core/sip-text.js';

describe('followsPin (pure rule)', () => {
  it.each(['REGISTER', 'MESSAGE', 'SUBSCRIBE', 'OPTIONS', 'INVITE', 'NOTIFY', 'INFO'])('%s leaves the pin of an ineligible backend', (m) => {
    expect(followsPin(m, false)).toBe(false);
    expect(followsPin(m, true)).toBe(true);
  });
  it.each(['ACK', 'CANCEL'])('%s follows the pin even to an ineligible backend (same INVITE transaction)', (m) => {
    expect(followsPin(m, false)).toBe(true);
  });
});

let cseq = 0;
function message(callId: string, method = 'MESSAGE', extraHeaders = ''): string {
  cseq++;
  return `${method} sip:34020000002000000001@3402000000 SIP/2.0
Via: SIP/2.0/UDP 10.9.9.9:5099;branch=z9hG4bK-p${cseq};rport
Max-Forwards: 70
From: <sip:34020000001320000001@3402000000>;tag=f${cseq}
To: <sip:34020000002000000001@3402000000>
Call-ID: ${callId}
CSeq: ${cseq} ${method}
${extraHeaders}Content-Length: 0

`;
}

describe('Call-ID pin follows health (request path)', () => {
  const rig = (): ProxyRig => loopbackRig([{ id: 'a', port: 5071 }, { id: 'b', port: 5072 }]);
  const target = (r: ProxyRig): number => r.sender.take()[0]!.port;

  it('a keep-alive MESSAGE with a pinned Call-ID moves when its backend becomes ineligible, and stays moved', () => {
    const r = rig();
    r.deliverText(message('keepalive-1'), PHONE);
    const first = target(r);
    const firstId = first === 5071 ? 'a' : 'b';
    r.deliverText(message('keepalive-1'), PHONE);
    expect(target(r)).toBe(first);
    r.ctx.backends.setEligible(firstId, false);
    r.deliverText(message('keepalive-1'), PHONE);
    const second = target(r);
    expect(second).not.toBe(first);
    // The new pin holds even when the old backend comes back (no flapping inside one pin lifetime).
    r.ctx.backends.setEligible(firstId, true);
    r.deliverText(message('keepalive-1'), PHONE);
    expect(target(r)).toBe(second);
  });

  it.each(['REGISTER', 'SUBSCRIBE', 'OPTIONS', 'INVITE'])('a new %s with a pin on an ineligible backend is balanced afresh', (method) => {
    const r = rig();
    r.deliverText(message('cid-' + method, method), PHONE);
    const first = target(r);
    r.ctx.backends.setEligible(first === 5071 ? 'a' : 'b', false);
    r.deliverText(message('cid-' + method, method), PHONE);
    expect(target(r)).toBe(first === 5071 ? 5072 : 5071);
  });

  it('CANCEL and ACK keep following the pin of their INVITE even when its backend is ineligible', () => {
    const r = rig();
    r.deliverText(message('call-x', 'INVITE'), PHONE);
    const first = target(r);
    r.ctx.backends.setEligible(first === 5071 ? 'a' : 'b', false);
    r.deliverText(message('call-x', 'CANCEL'), PHONE);
    expect(target(r)).toBe(first);
    r.deliverText(message('call-x', 'ACK'), PHONE);
    expect(target(r)).toBe(first);
  });

  it('an in-dialog request with our Route follows its route to an ineligible backend', () => {
    const r = rig();
    r.ctx.backends.setEligible('a', false);
    r.deliverText(message('dlg-1', 'MESSAGE', `Route: <sip:${LB.host}:${LB.port};lr>, <sip:127.0.0.1:5071;lr>\n`), PHONE);
    expect(target(r)).toBe(5071);
  });

  it('no pin is dropped while its backend stays eligible (different backends answering do not matter)', () => {
    const r = rig();
    r.deliverText(message('steady'), PHONE);
    const first = target(r);
    for (let i = 0; i < 5; i++) {
      r.deliverText(message('steady'), remote('10.9.9.9', 5099));
      expect(target(r)).toBe(first);
    }
  });
});
