/**
 * @module flow/settings
 * What the proxy reads to issue, check and route flow tokens (RFC 5626 §5.2): the key ring, this
 * node's id, and the cluster's node map. The proxy reads them through this interface only, so the
 * source can change without touching it: today the config (./static-settings.ts); with HA, a
 * Redis-backed source that shares the ring and the node map between nodes. Every method is read
 * per request, so a source may swap its ring or map at any time (key rotation, a node joining).
 */
import type { HostPort } from '../transport/address.js';
import type { MessageSource, SendTarget } from '../transport/contract.js';
import type { KeyRing } from './key-ring.js';

export interface FlowSettings {
  /** The keys in force: the signing key issues, every key verifies. */
  ring(): KeyRing;
  /** This node's id, written into every token it issues. */
  nodeId(): number;
  /** Where to relay a request carrying node `id`'s token (its internal address); undefined: unknown node. */
  nodeTarget(id: number): SendTarget | undefined;
  /** A message from this source was relayed by a peer node (it comes from a node-map address). */
  isPeer(source: MessageSource): boolean;
  /** host:port (5060 when absent) is a cluster node's address: a Route naming it is ours to read. */
  isNodeAddress(host: string, port: number): boolean;
  /** The address this node's Path names (its node-map entry); undefined: sip.advertise. */
  ownAddress(): HostPort | undefined;
  /** Path on REGISTERs from UDP clients too (stream and WebSocket clients always get one). */
  pathForUdp(): boolean;
}
