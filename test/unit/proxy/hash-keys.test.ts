/**
 * Per-kind hash keys (balance.hashKey): a REGISTER and the later calls to that user meet on one
 * registrar, while calls to one gateway number still spread; the single-key form still works.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_HASH_KEYS } from '../../../src/config/schema.js';
import { loopbackRig, type ProxyRig } from '../../helpers/core/proxy-rig.js';
import { inviteText, PHONE } from '../../helpers/core/sip-text.js';

const B = [
  { id: 'r1', port: 5071 },
  { id: 'r2', port: 5072 },
  { id: 'r3', port: 5073 },
];

let n = 0;
const register = (user: string) => {
  n++;
  return `REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/UDP 10.9.9.9:5099;branch=z9hG4bK-r${n};rport
Max-Forwards: 70
From: <sip:${user}@example.com>;tag=r${n}
To: <sip:${user}@example.com>
Call-ID: reg-${n}@10.9.9.9
CSeq: 1 REGISTER
Contact: <sip:${user}@10.9.9.9:5099>
Expires: 3600
Content-Length: 0

`;
};

/** The port the last request was forwarded to. */
function lastPort(r: ProxyRig): number {
  const s = r.sender.sent[r.sender.sent.length - 1];
  if (s === undefined) throw new Error('nothing forwarded');
  return s.port;
}

describe('per-kind hash keys', () => {
  it('sends REGISTER and calls to that user to one registrar for 100 users, and spreads calls to one number', () => {
    const r = loopbackRig(B, { hashKeys: DEFAULT_HASH_KEYS });
    const registrarOf = new Map<string, number>();
    for (let i = 0; i < 100; i++) {
      r.deliverText(register(`user${i}`), PHONE);
      registrarOf.set(`user${i}`, lastPort(r));
    }
    let met = 0;
    for (let i = 0; i < 100; i++) {
      r.deliverText(inviteText(`call-u${i}`, `sip:user${i}@example.com`), PHONE);
      if (lastPort(r) === registrarOf.get(`user${i}`)) met++;
    }
    expect(met).toBe(100);
    expect(new Set(registrarOf.values()).size).toBe(3); // the users themselves spread

    const perBackend = new Map<number, number>();
    for (let i = 0; i < 150; i++) {
      r.deliverText(inviteText(`svc-${i}`, 'sip:service@127.0.0.1:5060'), PHONE);
      perBackend.set(lastPort(r), (perBackend.get(lastPort(r)) ?? 0) + 1);
    }
    expect(perBackend.size).toBe(3);
    for (const c of perBackend.values()) expect(c).toBeGreaterThan(20);
  });

  it('with Call-ID for every kind (the old default), registrations and calls mostly miss each other', () => {
    const r = loopbackRig(B, { hashKeys: { register: 'call-id', registered: 'call-id', other: 'call-id' } });
    let met = 0;
    for (let i = 0; i < 60; i++) {
      r.deliverText(register(`u${i}`), PHONE);
      const reg = lastPort(r);
      r.deliverText(inviteText(`c-${i}`, `sip:u${i}@example.com`), PHONE);
      if (lastPort(r) === reg) met++;
    }
    expect(met).toBeLessThan(40); // ~1/3 by chance
  });

  it('keeps the single-key form: to-user for every kind sends every call to one number to one backend', () => {
    const r = loopbackRig(B, { hashKeys: { register: 'to-user', registered: 'to-user', other: 'to-user' } });
    const ports = new Set<number>();
    for (let i = 0; i < 30; i++) {
      r.deliverText(inviteText(`svc-${i}`, 'sip:service@127.0.0.1:5060'), PHONE);
      ports.add(lastPort(r));
    }
    expect(ports.size).toBe(1);
    expect(r.users.size).toBe(0); // one key for all kinds: no registration memory needed
  });
});
