/**
 * @module transport/udp-endpoint
 * What app.ts needs of a UDP socket, whichever engine carries it: `node:dgram` (udp.ts) or the
 * optional native accelerator (udp-native.ts, issue 20). Both hand every datagram up with its
 * {@link MessageSource} and send fire-and-forget, reporting failures through `onSendError`.
 */
import { SiplbError } from '../errors.js';
import { channels, type DropEvent } from '../observe/channels.js';
import type { HostPort } from './address.js';
import type { MessageHandler, MessageSender } from './contract.js';

/** Which engine carries a UDP socket (`siplb status`, GET /status). */
export type UdpEngine = 'native' | 'dgram';

export interface UdpTransportOptions {
  readonly listen: HostPort;
  /** SO_RCVBUF; the kernel caps it at net.core.rmem_max. @default 4194304 */
  readonly recvBufferBytes: number;
  /** SO_SNDBUF; capped at net.core.wmem_max. @default 4194304 */
  readonly sendBufferBytes: number;
  /** Called when a send fails (e.g. EPERM, unreachable). Never throws upward. */
  readonly onSendError?: (err: Error) => void;
}

export interface UdpEndpoint extends MessageSender {
  readonly engine: UdpEngine;
  /** Register the single upward callback (wired in app.ts). */
  onMessage(handler: MessageHandler): void;
  /** Bind. Rejects with SIPLB_ERR_BIND saying which address and why. */
  start(): Promise<HostPort>;
  close(): Promise<void>;
  readonly address: HostPort | undefined;
  /** SO_RCVBUF as the kernel granted it (doubled for its bookkeeping), once bound. */
  readonly recvBufferBytes: number | undefined;
  /** SO_SNDBUF as granted, once bound. */
  readonly sendBufferBytes: number | undefined;
  /** Turn the read-batch backlog measurement on or off (transport/backlog-meter.ts). */
  watchBacklog(on: boolean): void;
  /** The longest time (ms) the receive queue stayed non-empty since the last call. */
  takeBacklogMs(): number;
}

const CR = 0x0d;
const LF = 0x0a;

/** A datagram made only of CR/LF bytes: an RFC 5626 §3.5.1-style keep-alive, not a SIP message. */
export function isKeepalive(buf: Uint8Array): boolean {
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c !== CR && c !== LF && c !== 0) return false;
  }
  return true;
}

export function publishDrop(event: DropEvent): void {
  if (channels.drop.hasSubscribers) channels.drop.publish(event);
}

/** The SIPLB_ERR_BIND error both engines reject start() with. */
export function bindError(listen: HostPort, err: Error): SiplbError {
  return new SiplbError(
    'SIPLB_ERR_BIND',
    `cannot bind UDP ${listen.host}:${listen.port}: ${err.message} (check sip.listen; a VIP needs net.ipv4.ip_nonlocal_bind=1)`,
    { cause: err },
  );
}
