/**
 * A node:dgram socket on a free loopback port (the kernel picks it) that records every datagram it
 * gets: a peer for integration tests. It is pushed onto `opened` for the test's afterEach to close.
 */
import dgram from 'node:dgram';

export interface RecordingSocket {
  readonly sock: dgram.Socket;
  readonly port: number;
  readonly got: Buffer[];
}

export async function recordingSocket(opened: Array<{ close(): unknown }>): Promise<RecordingSocket> {
  const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
  const got: Buffer[] = [];
  sock.on('message', (b) => void got.push(b));
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
  opened.push(sock);
  return { sock, port: sock.address().port, got };
}
