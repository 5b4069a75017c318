/**
 * @module test/helpers/tcp-proxy
 * A loopback TCP proxy in the test process, to put faults between a client and a server:
 *
 * - `cut()`: a partition as a black hole, the hard case. Open connections stay open but every
 *   byte in either direction is swallowed; new connections are accepted and swallowed too. The
 *   client sees no error, only silence. `restore()` then destroys the connections that lost
 *   bytes (their byte streams are corrupt: a real stack would have reset or timed them out)
 *   and forwards new ones.
 * - `hold(direction)`: delay without loss. Bytes in that direction (`up`: client → server,
 *   `down`: server → client, or `both`) are kept in order; `release()` delivers them late,
 *   as TCP would after a retransmission, including to connections the client already closed.
 */
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

export type Direction = 'up' | 'down';
type Mode = 'forward' | 'hold' | 'drop';

interface Pair {
  readonly client: Socket;
  readonly server: Socket | undefined;
  readonly held: Record<Direction, Buffer[]>;
  /** The side that would receive in this direction closed while data was held. */
  readonly endAfterFlush: Record<Direction, boolean>;
  tainted: boolean;
}

export interface TcpProxy {
  readonly port: number;
  readonly url: string;
  /** Number of open client connections. */
  readonly connections: number;
  cut(): void;
  restore(): void;
  hold(direction: Direction | 'both'): void;
  release(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host?: string; port: number }, scheme = 'redis'): Promise<TcpProxy> {
  const host = target.host ?? '127.0.0.1';
  const modes: Record<Direction, Mode> = { up: 'forward', down: 'forward' };
  const pairs = new Set<Pair>();

  const deliver = (pair: Pair, dir: Direction, chunk: Buffer): void => {
    const to = dir === 'up' ? pair.server : pair.client;
    if (to && !to.destroyed) to.write(chunk);
  };

  const onData = (pair: Pair, dir: Direction, chunk: Buffer): void => {
    const mode = modes[dir];
    if (mode === 'drop') pair.tainted = true;
    else if (mode === 'hold' || pair.held[dir].length > 0) pair.held[dir].push(chunk);
    else deliver(pair, dir, chunk);
  };

  /** The sender of direction `dir` closed: what we still hold for `to` goes first, then `to` ends. */
  const closeSide = (pair: Pair, to: Socket | undefined, dir: Direction): void => {
    if (pair.held[dir].length > 0 || modes[dir] === 'hold') pair.endAfterFlush[dir] = true;
    else if (to && !to.destroyed) to.end();
    if (pair.client.destroyed && (!pair.server || pair.server.destroyed)) pairs.delete(pair);
  };

  const server: Server = createServer((client) => {
    const cutNow = modes.up === 'drop' || modes.down === 'drop';
    const upstream = cutNow ? undefined : createConnection({ host, port: target.port });
    const pair: Pair = { client, server: upstream, held: { up: [], down: [] }, endAfterFlush: { up: false, down: false }, tainted: cutNow };
    pairs.add(pair);
    client.on('error', () => undefined);
    client.on('data', (c: Buffer) => onData(pair, 'up', c));
    client.on('close', () => closeSide(pair, upstream, 'up'));
    if (upstream) {
      upstream.on('error', () => undefined);
      upstream.on('data', (c: Buffer) => onData(pair, 'down', c));
      upstream.on('close', () => closeSide(pair, client, 'down'));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  if (typeof addr !== 'object' || !addr) throw new Error('proxy has no address');
  const port = addr.port;

  const flush = (): void => {
    for (const pair of pairs) {
      for (const dir of ['up', 'down'] as const) {
        if (modes[dir] !== 'forward') continue;
        const chunks = pair.held[dir].splice(0);
        for (const c of chunks) deliver(pair, dir, c);
        if (pair.endAfterFlush[dir]) {
          const to = dir === 'up' ? pair.server : pair.client;
          if (to && !to.destroyed) to.end();
        }
      }
    }
  };

  return {
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    get connections() {
      let n = 0;
      for (const p of pairs) if (!p.client.destroyed) n++;
      return n;
    },
    cut() {
      modes.up = 'drop';
      modes.down = 'drop';
      for (const pair of pairs) {
        if (pair.held.up.length > 0 || pair.held.down.length > 0) pair.tainted = true;
        pair.held.up.length = 0;
        pair.held.down.length = 0;
      }
    },
    restore() {
      modes.up = 'forward';
      modes.down = 'forward';
      for (const pair of [...pairs]) {
        if (pair.tainted) {
          pair.client.destroy();
          pair.server?.destroy();
          pairs.delete(pair);
        }
      }
      flush();
    },
    hold(direction) {
      if (direction === 'both' || direction === 'up') modes.up = 'hold';
      if (direction === 'both' || direction === 'down') modes.down = 'hold';
    },
    release() {
      if (modes.up === 'hold') modes.up = 'forward';
      if (modes.down === 'hold') modes.down = 'forward';
      flush();
    },
    async close() {
      for (const pair of pairs) {
        pair.client.destroy();
        pair.server?.destroy();
      }
      pairs.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
