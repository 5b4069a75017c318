/**
 * The registration table (who holds an AOR, until when) and registration-aware affinity
 * (balance.failback: hold-registrations) through the real request/response paths.
 */
import { describe, expect, it } from 'vitest';
import { RegisteredUsers } from '../../../src/proxy/registered-users.js';
import { parseSip } from '../../../src/sip/index.js';
import type { SipResponse } from '../../../src/sip/message.js';
import { registrationSeconds } from '../../../src/sip/registration-expiry.js';
import type { SentDatagram as Sent } from '../../helpers/core/recording-sender.js';
import { loopbackRig, type ProxyRig } from '../../helpers/core/proxy-rig.js';
import { PHONE, replyText } from '../../helpers/core/sip-text.js';

const res = (extra: string): SipResponse => {
  const r = parseSip(Buffer.from(`SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\nFrom: <sip:d@3402000000>;tag=1\r\nTo: <sip:d@3402000000>;tag=2\r\nCall-ID: c\r\nCSeq: 1 REGISTER\r\n${extra}Content-Length: 0\r\n\r\n`, 'latin1'));
  if (!r.ok || r.msg.kind !== 'response') throw new Error('bad fixture');
  return r.msg;
};

describe('registrationSeconds (RFC 3261 §10.3 step 8)', () => {
  it('takes the longest Contact expires, else the Expires header, else 3600', () => {
    expect(registrationSeconds(res('Contact: <sip:d@10.0.0.1:5060>;expires=600, <sip:d@10.0.0.2>;expires=1800\r\n'))).toBe(1800);
    expect(registrationSeconds(res('Contact: <sip:d@10.0.0.1:5060>\r\nExpires: 120\r\n'))).toBe(120);
    expect(registrationSeconds(res('Contact: <sip:d@10.0.0.1:5060>\r\n'))).toBe(3600);
  });
  it('is 0 when the 2xx lists no binding (deregistration with Expires: 0) or every binding expires now', () => {
    expect(registrationSeconds(res('Expires: 0\r\n'))).toBe(0);
    expect(registrationSeconds(res('Contact: <sip:d@10.0.0.1>;expires=0\r\n'))).toBe(0);
  });
});

describe('RegisteredUsers holders', () => {
  it('expires a holder at its registration end, and a refresh extends or moves it', () => {
    const u = new RegisteredUsers(10);
    u.hold('dev1', 'a', 60_000);
    expect(u.holder('dev1', 59_999)).toBe('a');
    expect(u.holder('dev1', 60_000)).toBeUndefined();
    u.hold('dev2', 'a', 60_000);
    u.hold('dev2', 'b', 120_000); // refreshed elsewhere
    expect(u.holder('dev2', 90_000)).toBe('b');
  });
  it('forgets a deregistered AOR', () => {
    const u = new RegisteredUsers(10);
    u.hold('dev1', 'a', 60_000);
    u.release('dev1');
    expect(u.holder('dev1', 1)).toBeUndefined();
  });
  it('is bounded: the AOR refreshed longest ago goes first', () => {
    const u = new RegisteredUsers(3);
    u.hold('d1', 'a', 1e6);
    u.hold('d2', 'a', 1e6);
    u.hold('d3', 'a', 1e6);
    u.hold('d1', 'b', 2e6); // refresh: d2 is now the oldest
    u.hold('d4', 'a', 1e6);
    expect(u.heldSize).toBe(3);
    expect(u.holder('d2', 0)).toBeUndefined();
    expect([u.holder('d1', 0), u.holder('d3', 0), u.holder('d4', 0)]).toEqual(['b', 'a', 'a']);
  });
  it('sweeps expired holders from the oldest refresh on', () => {
    const u = new RegisteredUsers(10);
    u.hold('d1', 'a', 1000);
    u.hold('d2', 'a', 2000);
    u.hold('d3', 'a', 5000);
    u.sweep(2500);
    expect(u.heldSize).toBe(1);
    expect(u.holder('d3', 2500)).toBe('a');
  });
});

const DEV = '34020000001320000001';
let n = 0;
function devRequest(method: 'REGISTER' | 'MESSAGE', callId: string, expires = 3600): string {
  n++;
  return `${method} sip:34020000002000000001@3402000000 SIP/2.0
Via: SIP/2.0/UDP 10.9.9.9:5099;rport;branch=z9hG4bK-h${n}
From: <sip:${DEV}@3402000000>;tag=t${n}
To: <sip:${method === 'REGISTER' ? DEV : '34020000002000000001'}@3402000000>
Call-ID: ${callId}
CSeq: ${n} ${method}
${method === 'REGISTER' ? `Contact: <sip:${DEV}@10.9.9.9:5099>\nExpires: ${expires}\n` : ''}Max-Forwards: 70
Content-Length: 0

`;
}
const backendOf = (s: Sent): string => (s.port === 5071 ? 'a' : 'b');
const src = (s: Sent) => ({ transport: 'udp' as const, address: '127.0.0.1', port: s.port });

function register(r: ProxyRig, callId: string, expires = 3600): string {
  r.deliverText(devRequest('REGISTER', callId, expires), PHONE);
  const fwd = r.sender.take()[0]!;
  const contact = expires === 0 ? undefined : `Contact: <sip:${DEV}@10.9.9.9:5099>;expires=${expires}`;
  r.deliverText(replyText(fwd, 200, contact === undefined ? {} : { extra: contact }), src(fwd));
  r.sender.take();
  return backendOf(fwd);
}
/** Where keep-alives with fresh Call-IDs go (the ring alone would spread them over both). */
function keepalives(r: ProxyRig, count = 12): Set<string> {
  const where = new Set<string>();
  for (let i = 0; i < count; i++) {
    r.deliverText(devRequest('MESSAGE', `ka-${n}-${i}`), PHONE);
    where.add(backendOf(r.sender.take()[0]!));
  }
  return where;
}
const B = [
  { id: 'a', port: 5071 },
  { id: 'b', port: 5072 },
];

describe('balance.failback', () => {
  it('hold-registrations: keep-alives follow the holder, move with a failover, and stay after the backend returns until re-registered', () => {
    const r = loopbackRig(B, { failback: 'hold-registrations' });
    const first = register(r, 'reg-1');
    expect(keepalives(r)).toEqual(new Set([first]));
    const other = first === 'a' ? 'b' : 'a';
    // The holder dies: the REGISTER refresh (same Call-ID, §10.2.4) goes to the survivor and moves the AOR.
    r.ctx.backends.setEligible(first, false);
    expect(register(r, 'reg-1')).toBe(other);
    expect(keepalives(r)).toEqual(new Set([other]));
    // It comes back: the device stays where its registration is.
    r.ctx.backends.setEligible(first, true);
    expect(keepalives(r)).toEqual(new Set([other]));
    expect(register(r, 'reg-1')).toBe(other);
  });

  it('hold-registrations: Expires: 0 forgets the holder, so keep-alives spread by Call-ID again', () => {
    const r = loopbackRig(B, { failback: 'hold-registrations' });
    register(r, 'reg-2');
    register(r, 'reg-2', 0);
    expect(r.users.heldSize).toBe(0);
    expect(keepalives(r, 40).size).toBe(2);
  });

  it('hold-registrations: a registration past its expiry no longer routes', () => {
    const clock = { now: 0 };
    const r = loopbackRig(B, { failback: 'hold-registrations', clock: () => clock.now });
    register(r, 'reg-3', 60);
    clock.now += 61_000;
    expect(keepalives(r, 40).size).toBe(2);
  });

  it('immediate: keep-alives are balanced by the ring as before', () => {
    const r = loopbackRig(B, { failback: 'immediate' });
    register(r, 'reg-4');
    expect(keepalives(r, 40).size).toBe(2);
  });
});
