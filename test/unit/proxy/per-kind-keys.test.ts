/**
 * The routing key per request kind (proxy/routing-key.ts, balance.hashKey) read directly: which
 * key each kind gets, the Call-ID fallback when the named user part is missing (a `tel:` URI has
 * none: RFC 3966), and that only the per-kind form remembers REGISTERed users (the single-key
 * form never needs to know a request's kind).
 */
import { describe, expect, it } from 'vitest';
import { RegisteredUsers } from '../../../src/proxy/registered-users.js';
import { perKindRoutingKey, requestKind, routingKeyFor } from '../../../src/proxy/routing-key.js';
import { request } from '../../helpers/core/sip-text.js';

const REG = request({ method: 'REGISTER', uri: 'sip:example.test', callId: 'reg-call', from: '<sip:alice@example.test>;tag=1', to: '<sip:alice@example.test>' });
const TO_ALICE = request({ method: 'INVITE', uri: 'sip:alice@lb.test', callId: 'inv-call', from: '<sip:carol@example.test>;tag=2', to: '<sip:alice@lb.test>' });
const TO_OTHER = request({ method: 'INVITE', uri: 'sip:1000@lb.test', callId: 'other-call', from: '<sip:carol@example.test>;tag=3', to: '<sip:1000@lb.test>' });
const TEL = request({ method: 'INVITE', uri: 'tel:+15550100', callId: 'tel-call', from: '<tel:+15550101>;tag=4', to: '<tel:+15550100>' });

describe('routingKeyFor', () => {
  it('reads the named user part, the Call-ID when there is none', () => {
    expect(routingKeyFor('from-user')(TO_ALICE)).toBe('carol');
    expect(routingKeyFor('to-user')(TO_ALICE)).toBe('alice');
    expect(routingKeyFor('request-uri-user')(TO_ALICE)).toBe('alice');
    expect(routingKeyFor('call-id')(TO_ALICE)).toBe('inv-call');
    expect(routingKeyFor(undefined)(TO_ALICE)).toBe('inv-call');
    for (const k of ['from-user', 'to-user', 'request-uri-user'] as const) expect(routingKeyFor(k)(TEL)).toBe('tel-call');
  });
});

describe('requestKind', () => {
  it('a REGISTER to a To without a user part is still a register, and remembers nobody', () => {
    const users = new RegisteredUsers(10);
    expect(requestKind(request({ method: 'REGISTER', uri: 'sip:example.test', to: '<tel:+15550100>' }), users, 0)).toBe('register');
    expect(users.size).toBe(0);
  });

  it('a request without a Request-URI user is other', () => {
    const users = new RegisteredUsers(10);
    users.note('alice', 0);
    expect(requestKind(TEL, users, 0)).toBe('other');
    expect(requestKind(request({ uri: 'sip:lb.test' }), users, 0)).toBe('other');
  });
});

describe('perKindRoutingKey', () => {
  it('gives each kind its own key', () => {
    const users = new RegisteredUsers(10);
    const key = perKindRoutingKey({ register: 'to-user', registered: 'request-uri-user', other: 'call-id' }, users, () => 0);
    expect(key(TO_ALICE)).toBe('inv-call'); // alice has not registered yet
    expect(key(REG)).toBe('alice');
    expect(key(TO_ALICE)).toBe('alice');
    expect(key(TO_OTHER)).toBe('other-call');
  });

  it('uses the per-kind form when only the register key differs', () => {
    const key = perKindRoutingKey({ register: 'to-user', registered: 'call-id', other: 'call-id' }, new RegisteredUsers(10), () => 0);
    expect(key(REG)).toBe('alice');
    expect(key(TO_OTHER)).toBe('other-call');
  });

  it('uses the per-kind form when only the registered key differs', () => {
    const users = new RegisteredUsers(10);
    const key = perKindRoutingKey({ register: 'call-id', registered: 'request-uri-user', other: 'call-id' }, users, () => 0);
    expect(key(REG)).toBe('reg-call');
    expect(key(TO_ALICE)).toBe('alice');
    expect(key(TO_OTHER)).toBe('other-call');
  });

  it('reads the clock it was given to judge who is registered', () => {
    const users = new RegisteredUsers(10, 1000);
    let now = 0;
    const key = perKindRoutingKey({ register: 'to-user', registered: 'request-uri-user', other: 'call-id' }, users, () => now);
    key(REG);
    now = 999;
    expect(key(TO_ALICE)).toBe('alice');
    now = 1000;
    expect(key(TO_ALICE)).toBe('inv-call');
  });

  it('with one key for every kind, keys by it alone and remembers no users', () => {
    const users = new RegisteredUsers(10);
    const key = perKindRoutingKey({ register: 'call-id', registered: 'call-id', other: 'call-id' }, users, () => 0);
    expect(key(REG)).toBe('reg-call');
    expect(key(TO_ALICE)).toBe('inv-call');
    expect(users.size).toBe(0);
  });
});
