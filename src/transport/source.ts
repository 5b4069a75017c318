/**
 * @module transport/source
 * Where a message came from, as a listener hands it up: the peer's address and port. The proxy
 * reads only this, never a socket library's own type (node:dgram's RemoteInfo satisfies it), so
 * it stays free of any one transport.
 */
export interface MessageSource {
  /** The peer's IP address, as the socket reported it. */
  readonly address: string;
  readonly port: number;
}
