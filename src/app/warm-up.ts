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
 * before the metrics subscribe to the proxy's channels, which node.ts holds active with a
 * subscriber that ignores what it gets: observe/channel-hold.ts), a log or the node's tables: the only
 * lasting effect is V8's compiled code and type feedback, which the node's core shares because
 * it runs the same functions.
 */
import { pino } from 'pino';
import type { BackendConfig, Config } from '../config/schema.js';
import { MessageClock, monotonicNow } from '../runtime/message-clock.js';
import { COMPACT_FORMS, longHeaderName } from '../sip/compact-forms.js';
import type { MessageSource, SendTarget } from '../transport/contract.js';
import { TransportHub } from '../transport/hub.js';
import { buildFlowSettings } from './flow-wiring.js';
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

/**
 * How a call's messages are spelled. UAs differ, and compiled code covers only the forms it has
 * seen: an unseen one deoptimises the parser and the routing under live traffic (`--trace-deopt`:
 * "Insufficient type feedback"). So the warm-up turns through three spellings RFC 3261 allows and
 * common UAs use:
 *   0 — name-addr everywhere, `rport` (RFC 3581), a User-Agent;
 *   1 — display names, an addr-spec Contact, no `rport`, a Subject, in-dialog requests sent to the
 *       UAS's Contact URI with `transport=UDP` (sipp, many gateways);
 *   2 — compact header names (§7.3.3) and lower-case ones (§7.3.1: names are case-insensitive),
 *       a quoted display name.
 */
type Dialect = 0 | 1 | 2;
/** Long header name → its compact form (the inverse of sip/compact-forms.ts's table). */
const COMPACT_OF: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(COMPACT_FORMS).map(([compact, long]) => [long, compact]));

/** A header name as dialect `d` writes it. */
function hn(d: Dialect, name: string): string {
  return d === 2 ? (COMPACT_OF[name] ?? name.toLowerCase()) : name;
}

/** The header lines a UAS copies into its response (RFC 3261 §8.2.6.2), from what it received, in their received form. */
function responseTo(received: Buffer, status: number, reason: string, toTag: string | undefined, withBody: boolean, d: Dialect): Buffer {
  const head = received.toString('latin1', 0, received.indexOf('\r\n\r\n'));
  let out = `SIP/2.0 ${status} ${reason}\r\n`;
  let contact = '';
  for (const line of head.split('\r\n').slice(1)) {
    const name = longHeaderName(line.slice(0, line.indexOf(':')).trim()).toLowerCase();
    if (name === 'via' || name === 'record-route' || name === 'from' || name === 'call-id' || name === 'cseq') out += `${line}\r\n`;
    else if (name === 'to') out += toTag === undefined ? `${line}\r\n` : `${line};tag=${toTag}\r\n`;
    else if (name === 'contact') contact = line;
  }
  if (status >= 180 && contact !== '') out += `${hn(d, 'Contact')}: ${d === 1 ? '<sip:192.0.2.1:5060;transport=udp>' : '<sip:service@192.0.2.1:5060>'}\r\n`;
  // What UAS responses commonly carry besides (RFC 3261 §20.5 Allow, §20.35 Server, §20.37 Supported, §20.1 Accept).
  if (d === 2) out += 'Server: siplb-warm-up\r\nAllow: INVITE, ACK, BYE, CANCEL, OPTIONS\r\nSupported: replaces, timer\r\n';
  else if (d === 1) out += 'Accept: application/sdp\r\n';
  const body = withBody ? SDP : '';
  out += `${withBody ? `${hn(d, 'Content-Type')}: application/sdp\r\n` : ''}${hn(d, 'Content-Length')}: ${body.length}\r\n\r\n${body}`;
  return Buffer.from(out, 'latin1');
}

/**
 * Runs `calls` synthetic calls through a private core (see the module comment). Synchronous: a
 * few hundred milliseconds for the default 2000 calls, before the node's sockets are bound.
 *
 * The private core is wired as app.ts wires the node's: the node's clock function, a
 * TransportHub as the sender (the sink is its UDP transport), the flow settings of the config.
 * Compiled code depends on the shapes and call targets it was compiled with: with an object
 * literal for the sender or another clock function, the first live calls deoptimised every
 * function that had inlined them and compiled it again under traffic (`--trace-deopt`: "wrong
 * map", "wrong call target"). Run it with the channels held active (observe/channel-hold.ts).
 */
export function warmUpProxy(config: Config, calls: number, now: () => number = monotonicNow): WarmUpResult {
  const started = performance.now();
  const sink = new LastDatagram();
  const hub = new TransportHub();
  hub.register('udp', sink);
  const warmConfig = warmUpConfig(config);
  const silent = pino({ level: 'silent' });
  // Two private cores, taking the calls in turn: each call site that calls a per-core closure (the
  // clock's `now`, the tables' callbacks) then sees two closures of one function and V8 compiles
  // it for any closure of that function (feedback cell), the node's own included; with one core
  // it compiled for that core's closure alone, and the node's first calls deoptimised it.
  // One set of flow settings for both (building it reads flow.keys' secret files).
  const flow = { settings: buildFlowSettings(warmConfig, silent), directory: hub };
  const cores = [0, 1].map(() => buildProxyCore(warmConfig, { log: silent, clock: new MessageClock(now), sender: hub, flow, startMode: 'up' }));
  const lb = config.sip.advertise ?? config.sip.listen[0]!;
  const lbUri = `${lb.host.includes(':') ? `[${lb.host}]` : lb.host}:${lb.port}`;
  const route = config.sip.recordRoute ? `Route: <sip:${lbUri};lr>\r\n` : '';
  let messages = 0;
  let completed = 0;
  let core = cores[0]!;
  const deliver = (buf: Buffer, from: MessageSource): Buffer | undefined => {
    messages++;
    core.handler(buf, from);
    return sink.take();
  };
  for (let n = 0; n < calls; n++) {
    core = cores[n & 1]!;
    const d = (n % 3) as Dialect;
    const caller: MessageSource = { transport: 'udp', address: `198.51.100.${(n % 250) + 1}`, port: 5060 + (n % 7) };
    const tag = `wu${n}`;
    const callId = `${n}-warm-up@${caller.address}`;
    const via = (branch: number): string =>
      `${hn(d, 'Via')}: SIP/2.0/UDP ${caller.address}:${caller.port}${d === 1 ? '' : ';rport'};branch=z9hG4bK-wu-${n}-${branch}\r\n`;
    const from = d === 1 ? `caller <sip:caller@${caller.address}:${caller.port}>` : `<sip:caller@${caller.address}>`;
    const to = d === 0 ? `<sip:service@${lbUri}>` : d === 1 ? `service <sip:service@${lbUri}>` : `"Service" <sip:service@${lbUri}>`;
    const common =
      `${hn(d, 'From')}: ${from};tag=${tag}\r\n${hn(d, 'Call-ID')}: ${callId}\r\n` +
      `${hn(d, 'Contact')}: ${d === 1 ? `sip:caller@${caller.address}:${caller.port}` : `<sip:caller@${caller.address}:${caller.port}>`}\r\n` +
      `${hn(d, 'Max-Forwards')}: 70\r\n${d === 1 ? 'Subject: siplb warm-up' : `${hn(d, 'User-Agent')}: siplb-warm-up`}\r\n`;
    const cseq = (seq: number, method: string): string => `${hn(d, 'CSeq')}: ${seq} ${method}\r\n`;
    const invite = Buffer.from(
      `INVITE sip:service@${lbUri} SIP/2.0\r\n${via(1)}${hn(d, 'To')}: ${to}\r\n${common}${cseq(1, 'INVITE')}` +
        `${hn(d, 'Content-Type')}: application/sdp\r\n${hn(d, 'Content-Length')}: ${SDP.length}\r\n\r\n${SDP}`,
      'latin1',
    );
    const forwarded = deliver(invite, caller);
    const backendHost = sink.to?.host;
    if (forwarded === undefined || backendHost === undefined || !BACKEND_HOSTS.includes(backendHost)) continue;
    const backend: MessageSource = { transport: 'udp', address: backendHost, port: 5060 };
    const uasTag = `wu-uas-${n}`;
    deliver(responseTo(forwarded, 100, 'Trying', undefined, false, d), backend);
    deliver(responseTo(forwarded, 180, 'Ringing', uasTag, false, d), backend);
    if (deliver(responseTo(forwarded, 200, 'OK', uasTag, true, d), backend) === undefined) continue;
    // In-dialog requests go to the UAS's Contact (§12.2.1.1), through siplb when it record-routes.
    const target = d === 1 ? `sip:${backendHost}:5060;transport=UDP` : `sip:service@${backendHost}:5060`;
    const inDialog = (method: string, seq: number, branch: number): Buffer =>
      Buffer.from(
        `${method} ${target} SIP/2.0\r\n${via(branch)}${route}${hn(d, 'To')}: ${to};tag=${uasTag}\r\n${common}${cseq(seq, method)}${hn(d, 'Content-Length')}: 0\r\n\r\n`,
        'latin1',
      );
    deliver(inDialog('ACK', 1, 2), caller);
    const bye = deliver(inDialog('BYE', 2, 3), caller);
    if (bye === undefined) continue;
    if (deliver(responseTo(bye, 200, 'OK', undefined, false, d), backend) !== undefined) completed++;
    // Now and then an OPTIONS ping to siplb itself (peers' keepalives and monitoring, RFC 3261
    // §11): answered by siplb (sip.answerOptions) or relayed to a backend, whose answer comes back.
    if (n % 8 === 7) {
      const ping = Buffer.from(
        `OPTIONS sip:${lbUri} SIP/2.0\r\n${via(4)}${hn(d, 'To')}: <sip:${lbUri}>\r\n${hn(d, 'From')}: <sip:ping@${caller.address}>;tag=${tag}p\r\n` +
          `${hn(d, 'Call-ID')}: ping-${callId}\r\n${cseq(1, 'OPTIONS')}${hn(d, 'Max-Forwards')}: 70\r\nAccept: application/sdp\r\n${hn(d, 'Content-Length')}: 0\r\n\r\n`,
        'latin1',
      );
      const relayed = deliver(ping, caller);
      const pinged = sink.to?.host;
      if (relayed !== undefined && pinged !== undefined && BACKEND_HOSTS.includes(pinged)) {
        deliver(responseTo(relayed, 200, 'OK', `wu-opt-${n}`, false, d), { transport: 'udp', address: pinged, port: 5060 });
      }
    }
  }
  for (const c of cores) c.ctx.failover?.clear();
  return { calls, messages, completed, ms: Math.round(performance.now() - started) };
}
