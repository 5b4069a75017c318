/**
 * decideRoute (RFC 3261 §16.4 route preprocessing, §16.5 targets): every outcome, side-effect free.
 */
import { describe, expect, it } from 'vitest';
import { BackendRegistry } from '../../../src/backends/registry.js';
import { decideRoute } from '../../../src/proxy/route-decision.js';
import { SelfAddress } from '../../../src/proxy/self.js';
import { BACKENDS, LB } from '../../helpers/core/proxy-rig.js';
import { request, type RequestSpec } from '../../helpers/core/sip-text.js';

const backends = new BackendRegistry([...BACKENDS, { id: 'tls', address: { host: '198.51.100.14', port: 5061 }, transport: 'tls', weight: 1 }]);
const gw2 = backends.byId('gw2')!;
const OUR_ROUTE = `Route: <sip:${LB.host};lr>`;

function decide(spec: RequestSpec, fromBackend = false, answerOptions = true) {
  // SelfAddress built per call, not at module load: a mutation tool activates its mutant per test.
  const self = new SelfAddress(LB, { host: '0.0.0.0', port: LB.port });
  return decideRoute(request(spec), fromBackend ? gw2 : undefined, self, backends, answerOptions);
}

describe('decideRoute', () => {
  it('rejects a request whose Route header cannot be parsed', () => {
    expect(decide({ headers: ['Route: <sip:'] })).toEqual({ kind: 'reject', status: 400, reason: 'bad-request' });
  });

  it('rejects a request whose next Route has no usable URI', () => {
    expect(decide({ headers: [OUR_ROUTE, 'Route: <tel:+15550100>'] }).kind).toBe('reject');
  });

  it('dispatches a new call addressed to a user at siplb', () => {
    expect(decide({ uri: `sip:bob@${LB.host}` })).toEqual({ kind: 'dispatch', removeRoutes: [] });
  });

  it('dispatches a request from outside whose Request-URI is neither ours nor a backend', () => {
    expect(decide({ uri: 'sip:bob@elsewhere.test' })).toEqual({ kind: 'dispatch', removeRoutes: [] });
  });

  it('dispatches a request whose Request-URI is not a SIP URI', () => {
    expect(decide({ uri: 'tel:+15550100' })).toEqual({ kind: 'dispatch', removeRoutes: [] });
  });

  it('answers OPTIONS for siplb itself locally, unless disabled or it names a user', () => {
    expect(decide({ method: 'OPTIONS', uri: `sip:${LB.host}` })).toEqual({ kind: 'local-options' });
    expect(decide({ method: 'OPTIONS', uri: `sip:${LB.host}` }, false, false).kind).toBe('dispatch');
    expect(decide({ method: 'OPTIONS', uri: `sip:bob@${LB.host}` }).kind).toBe('dispatch');
    expect(decide({ method: 'INVITE', uri: `sip:${LB.host}` }).kind).toBe('dispatch');
  });

  it('removes our Route and dispatches when the Request-URI is ours too', () => {
    const d = decide({ uri: `sip:bob@${LB.host}`, headers: [OUR_ROUTE] });
    expect(d.kind).toBe('dispatch');
    expect(d.kind === 'dispatch' && d.removeRoutes[0]?.uriText).toBe(`sip:${LB.host};lr`);
  });

  it('rejects a request whose Request-URI is not a SIP URI once our last Route is removed', () => {
    expect(decide({ uri: 'tel:+15550100', headers: [OUR_ROUTE] })).toEqual({ kind: 'reject', status: 400, reason: 'bad-request' });
  });

  it('removes our Route and forwards to the Request-URI when it was the last Route (§16.12)', () => {
    const d = decide({ uri: 'sip:bob@198.51.100.12', to: '<sip:bob@x>;tag=1', headers: [OUR_ROUTE] });
    expect(d).toMatchObject({ kind: 'forward', target: { host: '198.51.100.12', port: 5060 }, backend: gw2 });
    expect(d.kind === 'forward' && d.removeRoutes[0]?.uriText).toBe(`sip:${LB.host};lr`);
  });

  it('forwards to the next Route when it names a backend', () => {
    expect(decide({ headers: [OUR_ROUTE, 'Route: <sip:198.51.100.12;lr>'] })).toMatchObject({ kind: 'forward', target: { host: '198.51.100.12' }, backend: gw2 });
  });

  it('forwards to a first Route that is not ours, without removing anything, when it names a backend', () => {
    expect(decide({ headers: ['Route: <sip:198.51.100.13;lr>'] })).toMatchObject({ kind: 'forward', target: { host: '198.51.100.13' }, removeRoutes: [] });
  });

  it('refuses to relay a request from outside to an address that is no backend', () => {
    expect(decide({ headers: [OUR_ROUTE, 'Route: <sip:evil.test;lr>'] })).toEqual({ kind: 'reject', status: 403, reason: 'relay' });
    expect(decide({ uri: 'sip:x@evil.test', headers: [OUR_ROUTE] })).toEqual({ kind: 'reject', status: 403, reason: 'relay' });
  });

  it('lets a backend route anywhere (outbound calls): the target has no backend', () => {
    expect(decide({ headers: [OUR_ROUTE, 'Route: <sip:peer.test:5070;lr>'] }, true)).toMatchObject({ kind: 'forward', target: { host: 'peer.test', port: 5070 }, backend: undefined });
    expect(decide({ uri: 'sip:carol@peer.test' }, true)).toMatchObject({ kind: 'forward', target: { host: 'peer.test', port: 5060 }, backend: undefined });
  });

  it('sends an in-dialog request whose Request-URI is a backend straight there (no Route of ours)', () => {
    expect(decide({ method: 'BYE', uri: 'sip:bob@198.51.100.12', to: '<sip:bob@x>;tag=9' })).toMatchObject({ kind: 'forward', backend: gw2 });
  });

  it('dispatches an initial request from outside whose Request-URI happens to be a backend', () => {
    expect(decide({ uri: 'sip:bob@198.51.100.12' })).toEqual({ kind: 'dispatch', removeRoutes: [] });
  });

  it('sends a request from a backend to the backend its Request-URI names', () => {
    expect(decide({ uri: 'sip:bob@198.51.100.13' }, true)).toMatchObject({ kind: 'forward', target: { host: '198.51.100.13' }, backend: backends.byId('gw3') });
  });

  it('takes 5061 as the default port of a sips URI, 5060 of a sip URI', () => {
    expect(decide({ method: 'BYE', uri: 'sips:bob@198.51.100.14', to: '<sip:b@x>;tag=1' })).toMatchObject({ kind: 'forward', target: { port: 5061, transport: 'tls' }, backend: backends.byId('tls') });
    expect(decide({ method: 'BYE', uri: 'sip:bob@198.51.100.14', to: '<sip:b@x>;tag=1' }).kind).toBe('dispatch');
  });
});
