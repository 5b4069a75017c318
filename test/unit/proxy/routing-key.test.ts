/** routingKeyFor (proxy/routing-key.ts): which part of a request a new call is hashed on. */
import { describe, expect, it } from 'vitest';
import { routingKeyFor } from '../../../src/proxy/routing-key.js';
import { request } from '../../helpers/core/sip-text.js';

const req = request({ uri: 'sip:ruri-user@lb.test', from: '<sip:from-user@caller.test>;tag=1', to: '<sip:to-user@lb.test>', callId: 'cid-1' });
const anonymous = request({ uri: 'sip:lb.test', from: '<sip:caller.test>;tag=1', to: '<sip:lb.test>', callId: 'cid-2' });

describe('routingKeyFor', () => {
  it.each([
    ['call-id', 'cid-1'],
    ['from-user', 'from-user'],
    ['to-user', 'to-user'],
    ['request-uri-user', 'ruri-user'],
    [undefined, 'cid-1'],
  ] as const)('%s → %s', (name, key) => {
    expect(routingKeyFor(name)(req)).toBe(key);
  });

  it.each(['from-user', 'to-user', 'request-uri-user'] as const)('%s falls back to the Call-ID when there is no user part', (name) => {
    expect(routingKeyFor(name)(anonymous)).toBe('cid-2');
  });

  it('falls back to the Call-ID when the Request-URI is not a SIP URI', () => {
    expect(routingKeyFor('request-uri-user')(request({ uri: 'tel:+15550100', callId: 'cid-3' }))).toBe('cid-3');
  });
});
