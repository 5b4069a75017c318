/**
 * @module proxy/context
 * What the stateless proxy needs from the world, injected by app.ts: a way to send datagrams, the
 * backend set, the balancer, the affinity table, our own address, a monotonic clock, and optional
 * observers that the health and call-tracking layers plug in. The proxy owns no sockets or timers.
 */
import type { Balancer } from '../balance/balancer.js';
import type { Backend, BackendRegistry } from '../backends/registry.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import type { SelfAddress } from './self.js';

export interface DatagramSender {
  send(buf: Buffer, port: number, host: string): void;
}

/** Call-ID → backend memory for requests of a call before its dialog exists. */
export interface Affinity {
  get(callId: string, nowMs: number): string | undefined;
  set(callId: string, backendId: string, nowMs: number): void;
}

/** How the routing key of a new call is taken from the request (issue: hash keys). */
export type RoutingKeyFn = (req: SipRequest) => string;

/** Hooks for passive health checks, failover and call tracking. All optional. */
export interface ProxyObserver {
  /** A request was sent to a configured backend. `isNewCall`: picked by the balancer just now. */
  requestToBackend?(backend: Backend, req: SipRequest, isNewCall: boolean): void;
  /** A response arrived from a configured backend and will be relayed. */
  responseFromBackend?(backend: Backend, res: SipResponse): void;
  /**
   * A response is about to be relayed; return false to absorb it (serial failover uses this to
   * hide a failed attempt from the caller).
   */
  shouldRelayResponse?(res: SipResponse, from: Backend | undefined): boolean;
}

export interface ProxyOptions {
  /** Max-Forwards to add when a request has none (RFC 3261 §16.6 step 3). @default 70 */
  readonly defaultMaxForwards: number;
  /** Insert Record-Route on dialog-creating requests (RFC 3261 §16.6 step 4). @default true */
  readonly recordRoute: boolean;
  /** Answer OPTIONS addressed to siplb itself with 200 (VIP probing by carriers). @default true */
  readonly answerOptions: boolean;
  /** Retry-After seconds in the 503 sent when no backend can take a new call. @default 5 */
  readonly noBackendRetryAfter: number;
}

export interface ProxyContext {
  readonly sender: DatagramSender;
  readonly backends: BackendRegistry;
  /** Read on every new call so a reload can swap the balancer. */
  balancer(): Balancer;
  readonly affinity: Affinity;
  readonly self: SelfAddress;
  readonly now: () => number;
  readonly routingKey: RoutingKeyFn;
  readonly options: ProxyOptions;
  observer: ProxyObserver;
}
