/**
 * @module observe/channels
 * Named `node:diagnostics_channel` channels on which the core publishes what happens. Metrics and
 * logs subscribe; publishers check `hasSubscribers` first, so the hot path does no bookkeeping when
 * nobody listens (undici's lib/core/diagnostics.js pattern).
 */
import diagnosticsChannel from 'node:diagnostics_channel';

/** Why a datagram was dropped without an answer. Stable strings: they are metric label values. */
export type DropReason =
  | 'parse-error'
  | 'size'
  | 'keepalive'
  | 'not-our-via'
  | 'bad-via'
  | 'no-route'
  | 'send-error'
  | 'overload';

/** Why a request was rejected with a stateless error response. */
export type RejectReason = 'parse-error' | 'max-forwards' | 'loop' | 'relay' | 'no-backend' | 'bad-request';

export interface DropEvent { readonly reason: DropReason; readonly detail?: string }
export interface RejectEvent { readonly reason: RejectReason; readonly status: number; readonly method: string }
export interface RequestForwardedEvent {
  readonly method: string;
  /** Backend id when the next hop is a configured backend, else 'external'. */
  readonly backend: string;
  /** 'new' for a call dispatched by the balancer, 'affinity' for a pinned one, 'routed' for loose-routed. */
  readonly via: 'new' | 'affinity' | 'routed';
}
export interface ResponseForwardedEvent {
  readonly status: number;
  readonly method: string;
  /** Backend id when the response came from a configured backend, else 'external'. */
  readonly backend: string;
}
export interface LocalReplyEvent { readonly method: string; readonly status: number }

export const channels = {
  drop: diagnosticsChannel.channel('siplb:drop'),
  reject: diagnosticsChannel.channel('siplb:reject'),
  requestForwarded: diagnosticsChannel.channel('siplb:request:forwarded'),
  responseForwarded: diagnosticsChannel.channel('siplb:response:forwarded'),
  localReply: diagnosticsChannel.channel('siplb:local-reply'),
} as const;
