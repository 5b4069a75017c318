/**
 * @module proxy/routing-key
 * The key a new request is hashed on, chosen per request kind (balance.hashKey):
 * - `register`: a REGISTER. Its Request-URI names the registrar domain and has no user
 *   (RFC 3261 §10.2), so only To (the address-of-record) or From can identify the user.
 * - `registered`: a request whose Request-URI user registered through siplb (./registered-users.ts):
 *   hashed on that user it meets the registrar that holds the binding.
 * - `other`: everything else, by default by Call-ID, so calls to one busy number still spread.
 * A missing user part falls back to the Call-ID so the request is still routable. Keys are user
 * parts only, without the host: REGISTER's To host and a call's Request-URI host often differ
 * (domain vs. VIP), and the registrar finds the binding the same way (Kamailio usrloc without
 * use_domain).
 */
import type { SipRequest } from '../sip/message.js';
import type { RoutingKeyFn } from './context.js';
import type { RegisteredUsers } from './registered-users.js';

export type HashKeyName = 'call-id' | 'from-user' | 'to-user' | 'request-uri-user';
export type RequestKind = 'register' | 'registered' | 'other';
export type HashKeys = Readonly<Record<RequestKind, HashKeyName>>;

const byCallId: RoutingKeyFn = (req) => req.callId();
const byFromUser: RoutingKeyFn = (req) => req.from().uri?.user ?? req.callId();
const byToUser: RoutingKeyFn = (req) => req.to().uri?.user ?? req.callId();
const byRuriUser: RoutingKeyFn = (req: SipRequest) => req.requestUri()?.user ?? req.callId();

export function routingKeyFor(name: HashKeyName | undefined): RoutingKeyFn {
  switch (name) {
    case 'from-user':
      return byFromUser;
    case 'to-user':
      return byToUser;
    case 'request-uri-user':
      return byRuriUser;
    default:
      return byCallId;
  }
}

/** The kind of a request for hashing; a REGISTER is remembered here as a side effect. */
export function requestKind(req: SipRequest, users: RegisteredUsers, nowMs: number): RequestKind {
  if (req.method === 'REGISTER') {
    const aor = req.to().uri?.user;
    if (aor !== undefined) users.note(aor, nowMs);
    return 'register';
  }
  const user = req.requestUri()?.user;
  return user !== undefined && users.has(user, nowMs) ? 'registered' : 'other';
}

/** The routing key function for a set of per-kind keys. */
export function perKindRoutingKey(keys: HashKeys, users: RegisteredUsers, now: () => number): RoutingKeyFn {
  const fns: Record<RequestKind, RoutingKeyFn> = {
    register: routingKeyFor(keys.register),
    registered: routingKeyFor(keys.registered),
    other: routingKeyFor(keys.other),
  };
  // One key for every kind (the single-key form): no need to look at the request kind at all.
  if (keys.register === keys.other && keys.registered === keys.other) return fns.other;
  return (req) => fns[requestKind(req, users, now())](req);
}
