/**
 * Registration holders (proxy/registration-affinity.ts, balance.failback): which backend holds the
 * AOR a request belongs to — a REGISTER by its To (RFC 3261 §10.2: the AOR, even when From names
 * a third party), any other request by its From user, then by its Request-URI user when that is
 * asked for — and what a REGISTER's 2xx teaches (§10.3 step 8: a binding until its expiry; none
 * listed: forgotten, §10.2.2).
 */
import { describe, expect, it } from 'vitest';
import { RegisteredUsers } from '../../../src/proxy/registered-users.js';
import { RegistrationAffinity } from '../../../src/proxy/registration-affinity.js';
import { parseResponse, request } from '../../helpers/core/sip-text.js';

const resp = (to: string, contact: string | undefined): ReturnType<typeof parseResponse> =>
  parseResponse(
    [
      'SIP/2.0 200 OK',
      'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1',
      'From: <sip:alice@example.test>;tag=a',
      `To: ${to};tag=r`,
      'Call-ID: reg-1',
      'CSeq: 1 REGISTER',
      ...(contact === undefined ? [] : [`Contact: ${contact}`]),
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n'),
  );

function held(byRequestUri = true, failback: 'hold-registrations' | 'immediate' = 'hold-registrations') {
  const users = new RegisteredUsers(100);
  users.hold('alice', 'gw1', 60_000);
  users.hold('bob', 'gw2', 60_000);
  return { users, ra: new RegistrationAffinity(users, failback, byRequestUri) };
}

describe('RegistrationAffinity.holderFor', () => {
  it('a REGISTER follows its To (the AOR), not its From (third-party registration)', () => {
    const { ra } = held();
    expect(ra.holderFor(request({ method: 'REGISTER', uri: 'sip:example.test', from: '<sip:bob@example.test>;tag=1', to: '<sip:alice@example.test>' }), 0)).toBe('gw1');
    expect(ra.holderFor(request({ method: 'REGISTER', uri: 'sip:example.test', from: '<sip:alice@example.test>;tag=1', to: '<sip:carol@example.test>' }), 0)).toBeUndefined();
  });

  it('a REGISTER whose To has no user part has no holder', () => {
    const { ra } = held();
    expect(ra.holderFor(request({ method: 'REGISTER', uri: 'sip:example.test', from: '<sip:alice@example.test>;tag=1', to: '<sip:example.test>' }), 0)).toBeUndefined();
  });

  it("another request follows its From user's holder first, then its Request-URI user's", () => {
    const { ra } = held();
    expect(ra.holderFor(request({ method: 'MESSAGE', uri: 'sip:bob@example.test', from: '<sip:alice@example.test>;tag=1' }), 0)).toBe('gw1');
    expect(ra.holderFor(request({ method: 'INVITE', uri: 'sip:bob@example.test', from: '<sip:carol@example.test>;tag=1' }), 0)).toBe('gw2');
    expect(ra.holderFor(request({ method: 'INVITE', uri: 'sip:dave@example.test', from: '<sip:carol@example.test>;tag=1' }), 0)).toBeUndefined();
    expect(ra.holderFor(request({ method: 'INVITE', uri: 'sip:example.test', from: '<sip:example.test>;tag=1' }), 0)).toBeUndefined();
  });

  it('without byRequestUri only the From user counts', () => {
    const { ra } = held(false);
    expect(ra.holderFor(request({ method: 'INVITE', uri: 'sip:bob@example.test', from: '<sip:carol@example.test>;tag=1' }), 0)).toBeUndefined();
    expect(ra.holderFor(request({ method: 'MESSAGE', uri: 'sip:bob@example.test', from: '<sip:alice@example.test>;tag=1' }), 0)).toBe('gw1');
  });

  it('with failback immediate nothing is held, though holders are still learnt', () => {
    const { ra, users } = held(true, 'immediate');
    expect(ra.holderFor(request({ method: 'REGISTER', uri: 'sip:example.test', to: '<sip:alice@example.test>' }), 0)).toBeUndefined();
    ra.learn(resp('<sip:carol@example.test>', '<sip:carol@192.0.2.10>;expires=60'), 'gw3', 0);
    expect(users.holder('carol', 0)).toBe('gw3');
  });

  it('an expired holder is no holder', () => {
    const { ra } = held();
    expect(ra.holderFor(request({ method: 'REGISTER', uri: 'sip:example.test', to: '<sip:alice@example.test>' }), 60_000)).toBeUndefined();
  });
});

describe('RegistrationAffinity.learn', () => {
  it("holds the AOR at the backend until the binding's expiry, and forgets it when the 2xx lists none", () => {
    const { ra, users } = held();
    ra.learn(resp('<sip:carol@example.test>', '<sip:carol@192.0.2.10>;expires=120'), 'gw3', 1_000);
    expect(users.holder('carol', 120_999)).toBe('gw3');
    expect(users.holder('carol', 121_000)).toBeUndefined();
    ra.learn(resp('<sip:alice@example.test>', undefined), 'gw1', 2_000);
    expect(users.holder('alice', 2_000)).toBeUndefined();
    expect(users.holder('bob', 2_000)).toBe('gw2');
  });

  it('learns nothing from a 2xx whose To has no user part', () => {
    const { ra, users } = held();
    const before = users.heldSize;
    ra.learn(resp('<sip:example.test>', '<sip:x@192.0.2.10>;expires=60'), 'gw3', 0);
    expect(users.heldSize).toBe(before);
  });
});

describe('non-SIP URIs (RFC 3966 tel:) carry no user part to look up', () => {
  it('a tel: To, From or Request-URI has no holder; a 2xx with a tel: To teaches nothing', () => {
    const { ra, users } = held();
    expect(ra.holderFor(request({ method: 'REGISTER', uri: 'sip:example.test', to: '<tel:+15550100>' }), 0)).toBeUndefined();
    expect(ra.holderFor(request({ method: 'INVITE', uri: 'tel:+15550100', from: '<tel:+15550101>;tag=1' }), 0)).toBeUndefined();
    const before = users.heldSize;
    ra.learn(resp('<tel:+15550100>', '<sip:x@192.0.2.10>;expires=60'), 'gw3', 0);
    expect(users.heldSize).toBe(before);
  });
});
