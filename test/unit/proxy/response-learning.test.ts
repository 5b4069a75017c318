/**
 * What the response path learns and where it sends (proxy/response-path.ts): only a REGISTER's
 * 2xx from a configured backend teaches where an AOR is bound (RFC 3261 §10.3 step 8) — not a
 * provisional, a 3xx or a failure, not a 2xx of another method, not a response from outside —
 * and the stream connection named in our Via (self.ts FLOW_PARAM) is used only when it is a
 * non-negative integer (§18.2.2: back on the connection the request came in on).
 */
import { describe, expect, it } from 'vitest';
import { LB, proxyRig } from '../../helpers/core/proxy-rig.js';
import { CALLER, remote, requestText } from '../../helpers/core/sip-text.js';

const OUR_VIA = `SIP/2.0/UDP ${LB.host}:${LB.port};branch=z9hG4bKsl0123456789abcdef`;

function responseText(status: number, method: string, ourVia = OUR_VIA, extra: string[] = []): string {
  return [
    `SIP/2.0 ${status} X`,
    `Via: ${ourVia}`,
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-caller-1',
    'From: <sip:alice@example.test>;tag=1',
    'To: <sip:alice@example.test>;tag=2',
    'Call-ID: learn-1',
    `CSeq: 1 ${method}`,
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

const CONTACT = 'Contact: <sip:alice@192.0.2.10:5060>;expires=600';

describe('learning registration holders from responses', () => {
  it("a REGISTER's 2xx from a backend binds the AOR there", () => {
    const rig = proxyRig({ failback: 'hold-registrations' });
    rig.deliver(responseText(200, 'REGISTER', OUR_VIA, [CONTACT]), rig.from('gw2'));
    expect(rig.users.holder('alice', performance.now())).toBe('gw2');
    expect(rig.sender.takeOne().host).toBe(CALLER.address);
  });

  it.each([
    ['a provisional', 100, 'REGISTER'],
    ['a redirect', 302, 'REGISTER'],
    ['a failure', 401, 'REGISTER'],
    ['a 2xx of another method', 200, 'SUBSCRIBE'],
  ])('%s teaches nothing', (_n, status, method) => {
    const rig = proxyRig({ failback: 'hold-registrations' });
    rig.deliver(responseText(status, method, OUR_VIA, [CONTACT]), rig.from('gw2'));
    expect(rig.users.heldSize).toBe(0);
  });

  it('a 2xx from a source that is no backend teaches nothing', () => {
    const rig = proxyRig({ failback: 'hold-registrations' });
    rig.deliver(responseText(200, 'REGISTER', OUR_VIA, [CONTACT]), remote('203.0.113.9', 5060));
    expect(rig.users.heldSize).toBe(0);
    expect(rig.sender.takeOne().host).toBe(CALLER.address);
  });

  it('a REGISTER through siplb is then routed to its holder', () => {
    const rig = proxyRig({ failback: 'hold-registrations' });
    rig.deliver(responseText(200, 'REGISTER', OUR_VIA, [CONTACT]), rig.from('gw3'));
    rig.sender.take();
    rig.deliver(requestText({ method: 'REGISTER', uri: 'sip:example.test', callId: 'reg-2', from: '<sip:alice@example.test>;tag=9', to: '<sip:alice@example.test>' }), CALLER);
    expect(rig.sender.takeOne().host).toBe('198.51.100.13');
  });
});

describe('the connection named in our Via', () => {
  it.each([
    ['0', 0],
    ['42', 42],
    ['-1', undefined],
    ['abc', undefined],
    ['1.5', undefined],
    ['', undefined],
  ])('lbflow=%s → connection %s', (value, connectionId) => {
    const rig = proxyRig();
    const via = value === '' ? `${OUR_VIA};lbflow` : `${OUR_VIA};lbflow=${value}`;
    rig.deliver(responseText(180, 'INVITE', via), rig.from('gw1'));
    expect(rig.sender.takeOne().connectionId).toBe(connectionId);
  });
});

describe('a 300 to a REGISTER', () => {
  it('teaches nothing (only 2xx binds, §10.3 step 8)', () => {
    const rig = proxyRig({ failback: 'hold-registrations' });
    rig.deliver(responseText(300, 'REGISTER', OUR_VIA, [CONTACT]), rig.from('gw2'));
    expect(rig.users.heldSize).toBe(0);
  });
});
