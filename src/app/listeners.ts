/**
 * @module app/listeners
 * Builds the SIP listeners of sip.listen and the one sender over all of them. Every listener
 * hands its messages to the same handler with their source (transport/contract.ts); the proxy
 * answers through the hub, which picks the transport of each target.
 *
 * UDP backends and clients need a UDP socket even when sip.listen names no udp: listener; then
 * an ephemeral one on the primary listener's host serves them (responses come back to it).
 */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { channels } from '../observe/channels.js';
import type { HostPort } from '../transport/address.js';
import type { MessageHandler } from '../transport/contract.js';
import { TransportHub } from '../transport/hub.js';
import { UdpTransport } from '../transport/udp.js';

export interface Listeners {
  /** The UDP socket: overload control watches its receive queue. */
  readonly udp: UdpTransport;
  /** Sends over whichever transport a target names. */
  readonly sender: TransportHub;
  onMessage(handler: MessageHandler): void;
  /** Bind every listener; resolves with the primary listener's bound address. */
  start(): Promise<HostPort>;
  close(): Promise<void>;
}

export function buildListeners(config: Config, log: Logger): Listeners {
  const transportLog = log.child({ component: 'transport' });
  const primary = config.sip.listen[0]!;
  const udpListen = config.sip.listen.find((l) => l.transport === 'udp');
  const udp = new UdpTransport({
    listen: udpListen ?? { host: primary.host, port: 0 },
    recvBufferBytes: config.sip.recvBufferBytes,
    sendBufferBytes: config.sip.sendBufferBytes,
    onSendError: (err) => {
      if (channels.drop.hasSubscribers) channels.drop.publish({ reason: 'send-error', detail: err.message });
      transportLog.debug({ err }, 'send failed');
    },
  });
  const sender = new TransportHub();
  sender.register('udp', udp);
  return {
    udp,
    sender,
    onMessage: (handler) => udp.onMessage(handler),
    start: () => udp.start(),
    close: () => udp.close(),
  };
}
