/**
 * @module app/warm-up
 * Compiles the proxy's hot path before the node takes traffic (issue 20). V8 runs a function
 * interpreted until it has run often enough to be optimized, several times slower: a node that
 * starts cold under load — a restart in the busy hour, or the standby node keepalived has just
 * given the virtual IP to, which has relayed nothing yet — spends its first seconds behind its own
 * receive queue, and sheds or loses calls (bench/compare.sh at 4000 calls/s: 2 to 3 s of failed
 * calls after every start, then none). Kamailio, compiled ahead of time, has no such phase.
 *
 * So a node first runs `calls` synthetic calls (INVITE, 100, 180, 200, ACK, BYE, 200: what a
 * call costs a load balancer) through a private proxy core built as the node's own is
 * (app/proxy-core.ts) with the operator's config, but with three backends at documentation
 * addresses (RFC 5737 TEST-NET-1), callers from TEST-NET-2, a sender that keeps only the last
 * datagram, a silent log and no admission control. Nothing reaches a socket, a metric (it runs
 * before the metrics subscribe to the proxy's channels), a log or the node's tables: the only
 * lasting effect is V8's compiled code and type feedback, which the node's core shares because
 * it runs the same functions.
 */
import { pino } from 'pino';
import type { BackendConfig, Config } from '../config/schema.js';
import { MessageClock } from '../runtime/message-clock.js';
import type { MessageSource, SendTarget } from '../transport/contract.js';
import { buildProxyCore } from './proxy-core.js';

export interface WarmUpResult {
  readonly calls: number;
  /** Datagrams handed to the private core. */
  readonly messages: number;
  /** Calls whose seven datagrams all went through (an INVITE refused by the config's rules ends its call). */
  readonly completed: number;
  readonly ms: number;
}

const BACKEND_HOSTS = ['192.0.2.1', '192.0.2.2', '192.0.2.3'];
const SDP =
  'v=0\r\no=- 1 1 IN IP4 198.51.100.1\r\ns=-\r\nc=IN IP4 198.51.100.1\r\nt=0 0\r\n' +
  'm=audio 6000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n';

/** The operator's config with the warm-up's own backends in place of the real ones. */
function warmUpConfig(config: Config): Config {
  const backends: BackendConfig[] = BACKEND_HOSTS.map((host, i) => ({
    id: `warm-up-${i + 1}`,
    address: { host, port: 5060 },
    transport: 'udp',
    acceptsTcp: false,
    weight: 1,
    priority: 0,
    health: {},
  }));
  return { ...config, backends };
}

/**
 * Keeps a copy of the last datagram the core sent, and where to: a sender may reuse the memory of
 * what it was given once `send` returns, and the warm-up builds three responses from one INVITE.
 */
class LastDatagram {
  buf: Buffer | undefined;
  to: SendTarget | undefined;
  readonly send = (buf: Buffer, to: SendTarget): void => {
    this.buf = Buffer.from(buf);
    this.to = to;
  };
  take(): Buffer | undefined {
    const b = this.buf;
    this.buf = undefined;
    return b;
  }
}

/** The header lines a UAS copies into its response (RFC 3261 §8.2.6.2), from what it received. */
function responseTo(received: Buffer, status: number, reason: string, toTag: string | undefined, withBody: boolean): Buffer {
  const head = received.toString('latin1', 0, received.indexOf('\r\n\r\n'));
  let out = `SIP/2.0 ${status} ${reason}\r\n`;
  let contact = '';
  for (const line of head.split('\r\n').slice(1)) {
    const name = line.slice(0, line.indexOf(':')).toLowerCase();
    if (name === 'via' || name === 'record-route' || name === 'from' || name === 'call-id' || name === 'cseq') out += `${line}\r\n`;
    else if (name === 'to') out += toTag === undefined ? `${line}\r\n` : `${line};tag=${toTag}\r\n`;
    else if (name === 'contact') contact = line;
  }
  if (status >= 180 && contact !== '') out += 'Contact: <sip:service@192.0.2.1:5060>\r\n';
  const body = withBody ? SDP : '';
  out += `${withBody ? 'Content-Type: application/sdp\r\n' : ''}Content-Length: ${body.length}\r\n\r\n${body}`;
  return Buffer.from(out, 'latin1');
}

/**
 * Runs `calls` synthetic calls through a private core (see the module comment). Synchronous: a
 * few hundred milliseconds for the default 2000 calls, before the node's sockets are bound.
 */
export function warmUpProxy(config: Config, calls: number): WarmUpResult {
  const started = performance.now();
  const sink = new LastDatagram();
  const core = buildProxyCore(warmUpConfig(config), {
    log: pino({ level: 'silent' }),
    clock: new MessageClock(),
    sender: { send: sink.send },
    startMode: 'up',
  });
  const lb = config.sip.advertise ?? config.sip.listen[0]!;
  const lbUri = `${lb.host.includes(':') ? `[${lb.host}]` : lb.host}:${lb.port}`;
  const route = config.sip.recordRoute ? `Route: <sip:${lbUri};lr>\r\n` : '';
  let messages = 0;
  let completed = 0;
  const deliver = (buf: Buffer, from: MessageSource): Buffer | undefined => {
    messages++;
    core.handler(buf, from);
    return sink.take();
  };
  for (let n = 0; n < calls; n++) {
    const caller: MessageSource = { transport: 'udp', address: `198.51.100.${(n % 250) + 1}`, port: 5060 + (n % 7) };
    const tag = `wu${n}`;
    const callId = `${n}-warm-up@${caller.address}`;
    const common =
      `From: <sip:caller@${caller.address}>;tag=${tag}\r\nCall-ID: ${callId}\r\n` +
      `Contact: <sip:caller@${caller.address}:${caller.port}>\r\nMax-Forwards: 70\r\nUser-Agent: siplb-warm-up\r\n`;
    const invite = Buffer.from(
      `INVITE sip:service@${lbUri} SIP/2.0\r\nVia: SIP/2.0/UDP ${caller.address}:${caller.port};rport;branch=z9hG4bK-wu-${n}-1\r\n` +
        `To: <sip:service@${lbUri}>\r\n${common}CSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`,
      'latin1',
    );
    const forwarded = deliver(invite, caller);
    const backendHost = sink.to?.host;
    if (forwarded === undefined || backendHost === undefined || !BACKEND_HOSTS.includes(backendHost)) continue;
    const backend: MessageSource = { transport: 'udp', address: backendHost, port: 5060 };
    const uasTag = `wu-uas-${n}`;
    deliver(responseTo(forwarded, 100, 'Trying', undefined, false), backend);
    deliver(responseTo(forwarded, 180, 'Ringing', uasTag, false), backend);
    if (deliver(responseTo(forwarded, 200, 'OK', uasTag, true), backend) === undefined) continue;
    const inDialog = (method: string, seq: number, branch: number): Buffer =>
      Buffer.from(
        `${method} sip:service@${backendHost}:5060 SIP/2.0\r\nVia: SIP/2.0/UDP ${caller.address}:${caller.port};rport;branch=z9hG4bK-wu-${n}-${branch}\r\n` +
          `${route}To: <sip:service@${lbUri}>;tag=${uasTag}\r\n${common}CSeq: ${seq} ${method}\r\nContent-Length: 0\r\n\r\n`,
        'latin1',
      );
    deliver(inDialog('ACK', 1, 2), caller);
    const bye = deliver(inDialog('BYE', 2, 3), caller);
    if (bye === undefined) continue;
    if (deliver(responseTo(bye, 200, 'OK', undefined, false), backend) !== undefined) completed++;
  }
  core.ctx.failover?.clear();
  return { calls, messages, completed, ms: Math.round(performance.now() - started) };
}
