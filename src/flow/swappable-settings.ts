/**
 * @module flow/swappable-settings
 * {@link FlowSettings} whose key ring and node map can be replaced while the node runs: the
 * source of a node that takes its keys and its peers from Redis (ha/flow-sync.ts). Until the
 * shared ring arrives the node signs with a key of its own; that key stays on the ring as
 * verify-only afterwards, so a token issued in that moment still verifies here. Pure.
 */
import type { HostPort } from '../transport/address.js';
import type { MessageSource, SendTarget } from '../transport/contract.js';
import { KeyRing, type FlowKey } from './key-ring.js';
import type { FlowSettings } from './settings.js';
import { StaticFlowSettings, type FlowNode } from './static-settings.js';

export class SwappableFlowSettings implements FlowSettings {
  readonly #local: FlowKey;
  readonly #nodeId: number;
  readonly #configNodes: readonly FlowNode[];
  readonly #pathForUdp: boolean;
  #current: StaticFlowSettings;

  constructor(local: FlowKey, nodeId: number, configNodes: readonly FlowNode[], pathForUdp: boolean) {
    this.#local = local;
    this.#nodeId = nodeId;
    this.#configNodes = configNodes;
    this.#pathForUdp = pathForUdp;
    this.#current = new StaticFlowSettings(new KeyRing([local], local.id), nodeId, configNodes, pathForUdp);
  }

  /**
   * Take the shared ring (its signing key signs from now on) and the announced node addresses
   * (a configured entry wins over an announced one of the same id).
   */
  adopt(keys: readonly FlowKey[], signingId: number, announced: ReadonlyMap<number, HostPort>): void {
    const ring = keys.some((k) => k.id === this.#local.id) ? keys : [...keys, this.#local];
    const nodes = [...this.#configNodes];
    for (const [id, address] of announced) if (!nodes.some((n) => n.id === id)) nodes.push({ id, address, transport: 'udp' });
    this.#current = new StaticFlowSettings(new KeyRing(ring, signingId), this.#nodeId, nodes, this.#pathForUdp);
  }

  ring(): KeyRing {
    return this.#current.ring();
  }
  nodeId(): number {
    return this.#nodeId;
  }
  nodeTarget(id: number): SendTarget | undefined {
    return this.#current.nodeTarget(id);
  }
  isPeer(source: MessageSource): boolean {
    return this.#current.isPeer(source);
  }
  isNodeAddress(host: string, port: number): boolean {
    return this.#current.isNodeAddress(host, port);
  }
  ownAddress(): HostPort | undefined {
    return this.#current.ownAddress();
  }
  pathForUdp(): boolean {
    return this.#pathForUdp;
  }
}
