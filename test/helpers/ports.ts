/**
 * Free loopback ports for tests. Ports are drawn at random from below the kernel's ephemeral
 * range (/proc/sys/net/ipv4/ip_local_port_range, 32768+ by default) and checked by binding them
 * (UDP and TCP) and letting go. A port from the ephemeral range could be handed by the kernel to
 * any socket bound to port 0 (siplb's probe socket, a client) in the moment between our check and
 * sipp's bind; below that range only an explicit bind can take it.
 */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net from 'node:net';

const RANGE_START = 20_000;

function ephemeralStart(): number {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'latin1').trim().split(/\s+/)[0]);
    return Number.isFinite(first) && first > RANGE_START + 1000 ? first : 32_768;
  } catch {
    return 32_768;
  }
}

const RANGE_END = ephemeralStart();

function udpFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, host, () => s.close(() => resolve(true)));
  });
}

export function tcpFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

export async function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  for (;;) {
    const port = RANGE_START + Math.floor(Math.random() * (RANGE_END - RANGE_START));
    if ((await udpFree(port, host)) && (await tcpFree(port, host))) return port;
  }
}

export async function freePorts(n: number): Promise<number[]> {
  const out = new Set<number>();
  while (out.size < n) out.add(await freeUdpPort());
  return [...out];
}
