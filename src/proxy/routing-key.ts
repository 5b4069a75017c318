/**
 * @module proxy/routing-key
 * The key a new call is hashed on: the Call-ID by default, or the user part of the From, To or
 * Request-URI (registrar affinity: every REGISTER, MESSAGE and INVITE of one device lands on one
 * backend). A missing user part falls back to the Call-ID so the request is still routable.
 */
import type { SipRequest } from '../sip/message.js';
import type { RoutingKeyFn } from './context.js';

export type HashKeyName = 'call-id' | 'from-user' | 'to-user' | 'request-uri-user';

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
