/**
 * @module proxy/context
 * What the stateless proxy needs from the world, injected by app.ts: a way to send datagrams, the
 * backend set, the balancer, the affinity table, our own address, a monotonic clock, and optional
 * observers that the health and call-tracking layers plug in. The proxy owns no sockets or timers.
 */
import type { FlowDirectory, MessageSender, MessageSource } from '../transport/contract.js';
import type { FlowSettings } from '../flow/settings.js';
import type { Balancer } from '../balance/balancer.js';
import type { SecurityPolicy } from '../security/policy.js';
import type { Backend, BackendRegistry } from '../backends/registry.js';
import type { SipRequest, SipResponse } from '../sip/message.js';
import type { RegistrationAffinity } from './registration-affinity.js';
import type { SelfAddress } from './self.js';
import type { Failover } from './failover-contract.js';

/** Call-ID → backend memory for requests of a call before its dialog exists (call-affinity.ts). */
export interface Affinity {
  get(callId: string, nowMs: number): string | undefined;
  /** `ringingInvite`: an INVITE whose final response is awaited (kept until it comes, or Timer C). */
  pin(callId: string, backendId: string, nowMs: number, ringingInvite: boolean): void;
  /** The INVITE of `callId` got its final response. */
  settle(callId: string, nowMs: number): void;
  /** Drop the pin of `callId`: its backend is no longer eligible (pin-rule.ts). */
  forget(callId: string): void;
}

/** How the routing key of a new call is taken from the request (issue: hash keys). */
export type RoutingKeyFn = (req: SipRequest) => string;

/** Hooks for health checks, failover and call tracking, composed in app.ts. All optional. */
export interface ProxyObserver {
  /**
   * A request was forwarded. `backend`: the configured backend it went to, if any;
   * `isNewCall`: an initial INVITE whose backend the balancer picked just now.
   */
  requestForwarded?(req: SipRequest, backend: Backend | undefined, isNewCall: boolean): void;
  /**
   * A response is about to be relayed; `from` is the backend it came from, if any. Return false
   * to absorb it (serial failover hides a failed attempt from the caller this way).
   */
  response?(res: SipResponse, from: Backend | undefined): boolean;
  /**
   * A response is being relayed to the previous hop, after serial failover had its say (a 2xx of
   * an abandoned branch is never relayed, so it must never count as a call).
   */
  relayed?(res: SipResponse, from: Backend | undefined): void;
  /** A response whose only Via is ours: addressed to siplb itself (the 200 to a CANCEL it sent). True if consumed. */
  localResponse?(res: SipResponse): boolean;
  /** A datagram over the size cap was answered 513 or dropped (for a rate-limited log line). */
  oversize?(bytes: number, from: MessageSource, outcome: OversizeOutcome): void;
}

/** What became of a datagram over sip.maxDatagramBytes (./oversize.ts). */
export type OversizeOutcome = 'answered-513' | 'response-dropped' | 'unreadable-dropped';

export interface ProxyOptions {
  /** Max-Forwards to add when a request has none (RFC 3261 §16.6 step 3). @default 70 */
  readonly defaultMaxForwards: number;
  /** Insert Record-Route on dialog-creating requests (RFC 3261 §16.6 step 4). @default true */
  readonly recordRoute: boolean;
  /** Answer OPTIONS addressed to siplb itself (VIP probing by carriers). @default true */
  readonly answerOptions: boolean;
  /**
   * Answer those OPTIONS with 503 and Retry-After while no backend can take a new call, so a
   * carrier watching the VIP moves traffic away; else always 200. @default true
   */
  readonly optionsReflectBackends: boolean;
  /** Retry-After seconds in the 503 sent when no backend can take a new call. @default 5 */
  readonly noBackendRetryAfter: number;
  /**
   * Largest datagram handled; a request over it gets 513, a response is dropped (oversize.ts).
   * @default 65535 (RFC 3261 §18.1.1)
   */
  readonly maxDatagramBytes: number;
  /**
   * A request that would leave over UDP larger than this goes over TCP to a backend that accepts
   * it (RFC 3261 §18.1.1: 1300 bytes when the path MTU is unknown); 0 turns the switch off.
   * @default 1300
   */
  readonly udpMtu: number;
}

export interface ProxyContext {
  readonly sender: MessageSender;
  readonly backends: BackendRegistry;
  /** Read on every new call so a reload can swap the balancer. */
  balancer(): Balancer;
  readonly affinity: Affinity;
  readonly self: SelfAddress;
  readonly now: () => number;
  routingKey: RoutingKeyFn;
  readonly options: ProxyOptions;
  observer: ProxyObserver;
  /**
   * Admission control for new calls under overload; undefined when disabled. `lateSince(t)`: the
   * node was saturated or lost datagrams at some time since `t` (observe/admission.ts).
   */
  admission: { admit(): boolean; lateSince(t: number): boolean; readonly retryAfterSeconds: number } | undefined;
  /** Serial failover of initial INVITEs and covered non-INVITEs; undefined when disabled. */
  failover: Failover | undefined;
  /** Registration holders learnt from REGISTER 2xx; route requests with balance.failback: hold-registrations. */
  registrations: RegistrationAffinity | undefined;
  /** Abuse protection consulted for requests from non-backend sources (./screen.ts); undefined: none. */
  security?: SecurityPolicy | undefined;
  /**
   * Flow tokens (RFC 5626 §5.2): Path on client REGISTERs, tokens in Record-Route, and routing a
   * backend's request back to a client's connection (./flow-route.ts). Undefined: none of it.
   */
  flow?: FlowRouting | undefined;
}

/** The flow settings (key ring, node map) and which connections are still open. */
export interface FlowRouting {
  readonly settings: FlowSettings;
  readonly directory: FlowDirectory;
}
