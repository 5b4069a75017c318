/**
 * @module observe/flow-channels
 * Channels of the flow-token routing (RFC 5626, RFC 3327; proxy/flow-route.ts, proxy/flow-headers.ts),
 * apart from observe/channels.ts so the flow feature stays in files of its own. Publishers check
 * `hasSubscribers` first, as everywhere.
 */
import diagnosticsChannel from 'node:diagnostics_channel';

/** Why a token failed the check (flow/token.ts TokenRejection; spelled here so observe/ imports nothing above it). */
export type TokenRejectionReason = 'malformed' | 'unknown-key' | 'bad-tag';

/** A request whose top Route carried a token that failed the check: 403, nothing forwarded (an ACK: dropped). */
export interface FlowTokenRejectedEvent {
  readonly reason: TokenRejectionReason;
  readonly method: string;
}

/** Why a request for a client's flow got 430 Flow Failed (RFC 5626 §5.3; an ACK: dropped). */
export type FlowFailReason =
  /** The token is ours but its connection is closed (the client went away, or this node restarted). */
  | 'connection-gone'
  /** The token names a node that is not in flow.nodes. */
  | 'unknown-node'
  /** A peer relayed a token that is not ours: relayed once only, never on. */
  | 'relayed-foreign';

export interface FlowFailedEvent {
  readonly reason: FlowFailReason;
  readonly method: string;
}

export interface FlowRelayedEvent {
  readonly node: number;
  readonly method: string;
}

export interface FlowDeliveredEvent {
  readonly transport: string;
  readonly method: string;
}

export interface PathAddedEvent {
  readonly transport: string;
}

export const flowChannels = {
  tokenRejected: diagnosticsChannel.channel('siplb:flow:token-rejected'),
  failed: diagnosticsChannel.channel('siplb:flow:failed'),
  relayed: diagnosticsChannel.channel('siplb:flow:relayed'),
  delivered: diagnosticsChannel.channel('siplb:flow:delivered'),
  pathAdded: diagnosticsChannel.channel('siplb:flow:path-added'),
} as const;
