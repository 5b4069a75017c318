/**
 * @module transport/hub
 * One MessageSender over several transports: a send goes to the sender registered for the
 * target's transport. A target whose transport has no sender (a tls backend on a node without
 * TLS, say) is a counted drop, never a throw: fire and forget, like every send.
 */
import { channels } from '../observe/channels.js';
import type { ConnectionOwningSender, FlowDirectory, MessageSender, SendTarget, Transport } from './contract.js';

export class TransportHub implements MessageSender, FlowDirectory {
  #udp: MessageSender | undefined;
  readonly #others = new Map<Transport, MessageSender>();

  register(transport: Transport, sender: MessageSender): void {
    if (transport === 'udp') this.#udp = sender;
    else this.#others.set(transport, sender);
  }

  has(transport: Transport): boolean {
    return transport === 'udp' ? this.#udp !== undefined : this.#others.has(transport);
  }

  /** Whether the connection is open on the transport that owns it (UDP has none: false). */
  isOpen(transport: Transport, connectionId: number): boolean {
    const s = this.#others.get(transport);
    return s !== undefined && 'isOpen' in s && (s as ConnectionOwningSender).isOpen(connectionId);
  }

  send(buf: Buffer, target: SendTarget): void {
    // UDP first and without a Map lookup: nearly every send of a UDP deployment.
    const s = target.transport === 'udp' ? this.#udp : this.#others.get(target.transport);
    if (s !== undefined) s.send(buf, target);
    else if (channels.drop.hasSubscribers) channels.drop.publish({ reason: 'send-error', detail: `no ${target.transport} transport` });
  }
}
