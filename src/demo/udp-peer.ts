/**
 * @module demo/udp-peer
 * The one UDP socket of a demo SIP peer (gateway or caller): bind, send, close, and a way to find
 * a free port. Plain `node:dgram` on purpose: the demo peers run in the same process as the
 * siplb node, and the node's own transport publishes on the diagnostics channels its metrics
 * count, so a demo peer built on it would show up in siplb's numbers.
 */
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';

export type DatagramListener = (buf: Buffer, from: dgram.RemoteInfo) => void;

export class UdpPeer {
  readonly #host: string;
  readonly #onMessage: DatagramListener;
  #socket: dgram.Socket | undefined;
  #port = 0;

  constructor(host: string, onMessage: DatagramListener) {
    this.#host = host;
    this.#onMessage = onMessage;
  }

  get host(): string {
    return this.#host;
  }

  /** The bound port (kept after close, so the peer can come back on the same one). */
  get port(): number {
    return this.#port;
  }

  get open(): boolean {
    return this.#socket !== undefined;
  }

  /** Binds `port` (0: the kernel picks one) and resolves with the bound port. */
  bind(port: number): Promise<number> {
    if (this.#socket) return Promise.resolve(this.#port);
    const socket = dgram.createSocket('udp4');
    socket.on('message', (buf, from) => this.#onMessage(buf, from));
    return new Promise((resolve, reject) => {
      socket.once('error', (err) => {
        socket.close();
        reject(err);
      });
      socket.bind({ address: this.#host, port, exclusive: true }, () => {
        socket.removeAllListeners('error');
        // A send to a closed port can surface as an asynchronous error: UDP gives no delivery
        // guarantee anyway, so the peer carries on (its retransmission timers cover the loss).
        socket.on('error', () => undefined);
        this.#socket = socket;
        this.#port = socket.address().port;
        resolve(this.#port);
      });
    });
  }

  send(buf: Buffer, port: number, host: string): void {
    this.#socket?.send(buf, port, host);
  }

  /** Closes the socket; sends are dropped until the next bind. */
  close(): Promise<void> {
    const s = this.#socket;
    if (!s) return Promise.resolve();
    this.#socket = undefined;
    return new Promise((resolve) => s.close(() => resolve()));
  }
}

/** A free UDP port on `host`, found by binding port 0 and releasing it. */
export async function freeUdpPort(host: string): Promise<number> {
  const peer = new UdpPeer(host, () => undefined);
  const port = await peer.bind(0);
  await peer.close();
  return port;
}

/** A random token for tags, branches and Call-IDs (RFC 3261 §19.3: globally unique, 32+ bits of randomness). */
export function token(bytes = 8): string {
  return randomBytes(bytes).toString('hex');
}
