/**
 * OPTIONS addressed to siplb itself (the VIP): 200 while a backend can take a call, 503 with
 * Retry-After while none can, and `received`/`rport` on the reply's top Via (RFC 3581 §4).
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { channels, type DropEvent } from '../../../src/observe/channels.js';
import type { SipResponse } from '../../../src/sip/message.js';
import { loopbackRig } from '../../helpers/core/proxy-rig.js';
import { PHONE } from '../../helpers/core/sip-text.js';

const options = (rport = ';rport') => `OPTIONS sip:127.0.0.1:5060 SIP/2.0
Via: SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bK-opt1${rport}
Max-Forwards: 70
From: <sip:carrier@192.168.1.20>;tag=c1
To: <sip:127.0.0.1:5060>
Call-ID: opt-1
CSeq: 1 OPTIONS
Content-Length: 0

`;

const B = [
  { id: 'p1', port: 5071 },
  { id: 'p2', port: 5072 },
];

describe('OPTIONS to siplb itself', () => {
  it('answers 200 with received and the rport value filled in, at the source port', () => {
    const r = loopbackRig(B);
    r.deliverText(options(), PHONE);
    const [reply] = r.sender.take();
    expect((reply!.msg as SipResponse).status).toBe(200);
    expect(reply!.port).toBe(PHONE.port); // rport: back to the source port, not the Via's 5060
    expect(reply!.text).toContain(`Via: SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bK-opt1;rport=${PHONE.port};received=${PHONE.address}\r\n`);
  });

  it('answers 503 with Retry-After while no backend can take a call, and 200 again when one can', () => {
    const r = loopbackRig(B);
    r.ctx.backends.setEligible('p1', false);
    r.deliverText(options(''), PHONE);
    expect((r.sender.sent[0]!.msg as SipResponse).status).toBe(200);
    r.ctx.backends.setEligible('p2', false);
    r.deliverText(options(''), PHONE);
    const down = r.sender.sent[1]!;
    expect((down.msg as SipResponse).status).toBe(503);
    expect(down.text).toContain('\r\nRetry-After: 5\r\n');
    expect(down.text).toContain(`;received=${PHONE.address}\r\n`);
    r.ctx.backends.setEligible('p2', true);
    r.deliverText(options(''), PHONE);
    expect((r.sender.sent[2]!.msg as SipResponse).status).toBe(200);
  });

  it('always answers 200 with optionsReflectBackends false', () => {
    const r = loopbackRig(B, { options: { optionsReflectBackends: false } });
    for (const b of B) r.ctx.backends.setEligible(b.id, false);
    r.deliverText(options(), PHONE);
    expect((r.sender.sent[0]!.msg as SipResponse).status).toBe(200);
  });
});

describe('a response without Via', () => {
  it('is dropped with its own reason, naming the sender', () => {
    const r = loopbackRig(B);
    const drops: DropEvent[] = [];
    const on = (m: unknown): void => void drops.push(m as DropEvent);
    diagnosticsChannel.subscribe(channels.drop.name, on);
    try {
      r.deliverText('SIP/2.0 200 OK\nFrom: <sip:a@x>;tag=1\nTo: <sip:b@y>;tag=2\nCall-ID: nv\nCSeq: 1 INVITE\nContent-Length: 0\n\n', PHONE);
    } finally {
      diagnosticsChannel.unsubscribe(channels.drop.name, on);
    }
    expect(drops).toEqual([{ reason: 'no-via', detail: PHONE.address }]);
    expect(r.sender.sent).toEqual([]);
  });
});
