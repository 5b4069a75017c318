/**
 * Free loopback ports for tests: bind port 0, read the port, release it. Each test file asks for
 * its own, so files can run in parallel without colliding.
 */
import dgram from 'node:dgram';
import net from 'node:net';

export async function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = dgram.createSocket('udp4');
      s.once('error', reject);
      s.bind(0, host, () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
    // Also free for TCP (the admin API shares numbering in some tests) and outside sipp's
    // media port range habits.
    if (await tcpFree(port, host)) return port;
  }
}

export function tcpFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

export async function freePorts(n: number): Promise<number[]> {
  const out = new Set<number>();
  while (out.size < n) out.add(await freeUdpPort());
  return [...out];
}
