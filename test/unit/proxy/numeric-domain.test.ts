/**
 * GB/T 28181 numeric domains through the request path: a device's requests addressed to
 * `@3402000000` are balanced like any other (the host is a name, transparent); a request a
 * backend sends to `sip:device@3402000000` would be routed on that name, which has no address:
 * 404, never a datagram to whatever getaddrinfo makes of "3402000000" (202.198.102.128).
 */
import { describe, expect, it } from 'vitest';
import type { SipResponse } from '../../../src/sip/message.js';
import { loopbackRig } from '../../helpers/core/proxy-rig.js';
import { PHONE, remote, replyText } from '../../helpers/core/sip-text.js';

const dev = (method: string, callId: string): string => `${method} sip:34020000002000000001@3402000000 SIP/2.0
Via: SIP/2.0/UDP 10.9.9.9:5099;rport;branch=z9hG4bK-${callId}
From: <sip:34020000001320000001@3402000000>;tag=d1
To: <sip:${method === 'REGISTER' ? '34020000001320000001' : '34020000002000000001'}@3402000000>
Call-ID: ${callId}
CSeq: 1 ${method}
Contact: <sip:34020000001320000001@10.9.9.9:5099>
Max-Forwards: 70
Content-Length: 0

`;

describe('numeric domains on the request path', () => {
  it.each(['REGISTER', 'MESSAGE', 'INVITE', 'SUBSCRIBE'])('a device %s to @3402000000 reaches a backend', (method) => {
    const r = loopbackRig([{ id: 'a', port: 5071 }, { id: 'b', port: 5072 }], { hashKeys: { register: 'to-user', registered: 'request-uri-user', other: 'call-id' } });
    r.deliverText(dev(method, `nd-${method}`), PHONE);
    const sent = r.sender.take();
    expect(sent).toHaveLength(1);
    expect([5071, 5072]).toContain(sent[0]!.port);
    expect(sent[0]!.host).toBe('127.0.0.1');
  });

  it('a backend routing a MESSAGE on sip:device@3402000000 gets 404, nothing goes to the name', () => {
    const r = loopbackRig([{ id: 'a', port: 5071 }]);
    r.deliverText(
      `MESSAGE sip:34020000001320000001@3402000000 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5071;branch=z9hG4bK-plat1
From: <sip:34020000002000000001@3402000000>;tag=p1
To: <sip:34020000001320000001@3402000000>
Call-ID: catalog-1
CSeq: 1 MESSAGE
Max-Forwards: 70
Content-Length: 0

`,
      remote('127.0.0.1', 5071),
    );
    const sent = r.sender.take();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.port).toBe(5071);
    expect((sent[0]!.msg as SipResponse).status).toBe(404);
  });

  it('a platform calls a device through siplb (INVITE to its Contact, numeric domain in From/To): forwarded, answered back', () => {
    const r = loopbackRig([{ id: 'a', port: 5071 }]);
    r.deliverText(
      `INVITE sip:34020000001320000001@10.9.9.9:5099 SIP/2.0
Via: SIP/2.0/UDP 127.0.0.1:5071;branch=z9hG4bK-video1
From: <sip:34020000002000000001@3402000000>;tag=p1
To: <sip:34020000001320000001@3402000000>
Call-ID: video-1
CSeq: 20 INVITE
Subject: 34020000001320000001:0,34020000002000000001:0
Contact: <sip:34020000002000000001@127.0.0.1:5071>
Max-Forwards: 70
Content-Length: 0

`,
      remote('127.0.0.1', 5071),
    );
    const [fwd] = r.sender.take();
    expect(fwd).toMatchObject({ host: '10.9.9.9', port: 5099 });
    expect(fwd!.text).toContain('Record-Route: <sip:127.0.0.1:5060;lr>');
    r.deliverText(replyText(fwd!, 200), PHONE);
    const [back] = r.sender.take();
    expect(back).toMatchObject({ host: '127.0.0.1', port: 5071 });
    expect((back!.msg as SipResponse).status).toBe(200);
  });
});
