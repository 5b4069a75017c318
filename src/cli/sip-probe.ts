/**
 * @module cli/sip-probe
 * One SIP OPTIONS over UDP from an ephemeral socket, like `sipsak -s sip:host:port`: the same
 * request the health checker sends (health/options-ping), so an operator sees what the prober
 * sees. No retransmission (one request, one answer or a timeout), so the RTT is that of one
 * datagram. Provisional 1xx replies are skipped; the first final reply whose top Via carries our
 * branch ends the probe (RFC 3261 §17.1.3 matching).
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import tls from 'node:tls';
import { buildOptionsPing, probeBranch } from '../health/options-ping.js';
import { parseSip } from '../sip/index.js';
import { StreamFramer, type FramerSink } from '../transport/stream-framer.js';
import type { HostPortArg, SipTargetArg } from './address.js';

export type ProbeOutcome =
  | { readonly kind: 'reply'; readonly status: number; readonly reason: string; readonly rttMs: number; readonly from: HostPortArg }
  | { readonly kind: 'timeout' };

export interface ProbeOptions {
  readonly timeoutMs: number;
  /** @default 'siplb-cli' */
  readonly userAgent?: string;
  /** TLS: a PEM CA bundle the server's certificate is checked against (default: the system CAs). */
  readonly caFile?: string;
}

/** Over UDP (as the health checker probes a UDP backend), or over one TCP or TLS connection. */
export async function sendOptionsProbe(target: SipTargetArg, opts: ProbeOptions): Promise<ProbeOutcome> {
  const ip = net.isIP(target.host) !== 0 ? target.host : (await lookup(target.host)).address;
  if (target.transport !== 'udp') return streamProbe(target, ip, opts);
  const socket = dgram.createSocket(net.isIPv6(ip) ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, () => resolve());
    });
    // connect() makes the kernel pick the source address for this route; that address goes in
    // our Via so the reply finds us (RFC 3261 §18.1.1). Then disconnect, to also accept a reply
    // sent from another port of the server (§18.2.2 answers to the Via, not the 5-tuple).
    await new Promise<void>((resolve) => socket.connect(target.port, ip, () => resolve()));
    const local = socket.address();
    socket.disconnect();
    const id = randomBytes(8).toString('hex');
    const request = buildOptionsPing({
      target: { transport: 'udp', host: ip, port: target.port },
      via: { host: local.address, port: local.port },
      fromUri: `sip:siplb-cli@${local.address.includes(':') ? `[${local.address}]` : local.address}`,
      userAgent: opts.userAgent ?? 'siplb-cli',
      id,
    });
    const branch = probeBranch(id);
    return await new Promise<ProbeOutcome>((resolve, reject) => {
      let started = 0;
      const timer = setTimeout(() => resolve({ kind: 'timeout' }), opts.timeoutMs);
      socket.on('message', (buf, rinfo) => {
        const r = parseSip(buf);
        if (!r.ok || r.msg.kind !== 'response' || r.msg.topVia().branch !== branch || r.msg.status < 200) return;
        clearTimeout(timer);
        resolve({
          kind: 'reply',
          status: r.msg.status,
          reason: r.msg.reason,
          rttMs: performance.now() - started,
          from: { host: rinfo.address, port: rinfo.port },
        });
      });
      socket.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      started = performance.now();
      socket.send(request, target.port, ip);
    });
  } finally {
    socket.close();
  }
}

/**
 * One OPTIONS over a fresh TCP or TLS connection (TLS 1.2 at least; the certificate is verified
 * against `caFile` or the system CAs, and the name when the target is a name). The reply comes
 * back on the connection (RFC 3261 §18.2.2); a refused connect or a failed handshake rejects.
 */
async function streamProbe(target: SipTargetArg, ip: string, opts: ProbeOptions): Promise<ProbeOutcome> {
  const ca = opts.caFile === undefined ? undefined : await readFile(opts.caFile);
  const started = performance.now();
  const socket: net.Socket =
    target.transport === 'tls'
      ? tls.connect({ host: ip, port: target.port, ca, minVersion: 'TLSv1.2', servername: net.isIP(target.host) === 0 ? target.host : undefined })
      : net.connect({ host: ip, port: target.port });
  try {
    return await new Promise<ProbeOutcome>((resolve, reject) => {
      const timer = setTimeout(() => resolve({ kind: 'timeout' }), opts.timeoutMs);
      let branch = '';
      socket.once(target.transport === 'tls' ? 'secureConnect' : 'connect', () => {
        const id = randomBytes(8).toString('hex');
        branch = probeBranch(id);
        const local = { host: socket.localAddress ?? '127.0.0.1', port: socket.localPort ?? 0 };
        socket.write(
          buildOptionsPing({
            target: { transport: target.transport, host: target.host, port: target.port },
            via: local,
            fromUri: `sip:siplb-cli@${local.host.includes(':') ? `[${local.host}]` : local.host}`,
            userAgent: opts.userAgent ?? 'siplb-cli',
            id,
          }),
        );
      });
      // Stream framing (RFC 3261 §18.3) by the transport's own framer; 1xx and others' replies skipped.
      const framer = new StreamFramer();
      const sink: FramerSink = {
        onMessage: (buf) => {
          const r = parseSip(buf);
          if (!r.ok || r.msg.kind !== 'response' || r.msg.topVia().branch !== branch || r.msg.status < 200) return;
          clearTimeout(timer);
          resolve({ kind: 'reply', status: r.msg.status, reason: r.msg.reason, rttMs: performance.now() - started, from: { host: ip, port: target.port } });
        },
        onPing: () => {},
        onMissingContentLength: () => reject(new Error('the reply had no Content-Length (RFC 3261 §18.3)')),
        onFatal: (_reason, detail) => reject(new Error(`the reply could not be framed: ${detail}`)),
      };
      socket.on('data', (d: Buffer) => framer.push(d, sink));
      socket.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  } finally {
    socket.destroy();
  }
}
