/**
 * @module flow/static-settings
 * {@link FlowSettings} from fixed values (the `flow:` config section, secrets already decoded):
 * one key ring and one node map for the life of the process. Pure.
 */
import { addressKey, type HostPort } from '../transport/address.js';
import type { MessageSource, SendTarget } from '../transport/contract.js';
import type { KeyRing } from './key-ring.js';
import type { FlowSettings } from './settings.js';

export interface FlowNode {
  readonly id: number;
  readonly address: HostPort;
  readonly transport: 'udp' | 'tcp';
}

export class StaticFlowSettings implements FlowSettings {
  readonly #ring: KeyRing;
  readonly #nodeId: number;
  readonly #byId = new Map<number, SendTarget>();
  readonly #addresses = new Set<string>();
  readonly #hosts = new Set<string>();
  readonly #pathForUdp: boolean;

  constructor(ring: KeyRing, nodeId: number, nodes: readonly FlowNode[], pathForUdp: boolean) {
    this.#ring = ring;
    this.#nodeId = nodeId;
    this.#pathForUdp = pathForUdp;
    for (const n of nodes) {
      this.#byId.set(n.id, { transport: n.transport, host: n.address.host, port: n.address.port });
      this.#addresses.add(addressKey(n.address.host.toLowerCase(), n.address.port));
      if (n.id !== nodeId) this.#hosts.add(n.address.host.toLowerCase());
    }
  }

  ring(): KeyRing {
    return this.#ring;
  }

  nodeId(): number {
    return this.#nodeId;
  }

  nodeTarget(id: number): SendTarget | undefined {
    return id === this.#nodeId ? undefined : this.#byId.get(id);
  }

  /**
   * A peer relays over the transport of its entry: over UDP from its SIP socket, i.e. its node
   * address; over TCP from an ephemeral port, so a stream source is matched by host alone (as
   * backends are), and only when that peer relays over TCP. Our own entry never counts.
   */
  isPeer(source: MessageSource): boolean {
    const host = source.address.toLowerCase();
    if (!this.#hosts.has(host)) return false;
    for (const [id, t] of this.#byId) {
      if (id === this.#nodeId || t.host.toLowerCase() !== host) continue;
      if (source.transport === 'udp' ? t.transport === 'udp' && t.port === source.port : t.transport === source.transport) return true;
    }
    return false;
  }

  isNodeAddress(host: string, port: number): boolean {
    return this.#addresses.has(addressKey(host.toLowerCase(), port));
  }

  ownAddress(): HostPort | undefined {
    const own = this.#byId.get(this.#nodeId);
    return own === undefined ? undefined : { host: own.host, port: own.port };
  }

  pathForUdp(): boolean {
    return this.#pathForUdp;
  }
}
