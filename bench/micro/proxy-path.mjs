// Micro-benchmark of siplb's whole hot path without sockets: one datagram through
// proxy/dispatcher (parse, Max-Forwards, loop check, route decision, balancer, Via/RR/MF
// splicing) into a sender that only counts. Cases: an initial INVITE from the caller (new call,
// balancer pick + affinity pin), the backend's 200 OK relayed back, and an in-dialog BYE with
// our Route (loose routing). Prints one JSON line per case: ns per message (median of rounds).
// METRICS=1 subscribes the Prometheus collectors (as a running node does) to price their bookkeeping.
// SECURITY=default (the default) consults abuse protection with the default config (scanner
// signatures on, no trust list, no rate limit) as a node does; SECURITY=limit also enables the
// per-source rate limit (with a rate high enough that the bench's one source always passes);
// SECURITY=off leaves it out.
// Usage: npm run build && node bench/micro/proxy-path.mjs
import process from 'node:process';
import { Buffer } from 'node:buffer';
import { BackendRegistry } from '../../dist/backends/registry.js';
import { createBalancer } from '../../dist/balance/index.js';
import { CallAffinity } from '../../dist/proxy/call-affinity.js';
import { handleDatagram } from '../../dist/proxy/dispatcher.js';
import { routingKeyFor } from '../../dist/proxy/routing-key.js';
import { SelfAddress } from '../../dist/proxy/self.js';
import { RegisteredUsers } from '../../dist/proxy/registered-users.js';
import * as regAffinity from '../../dist/proxy/registration-affinity.js';

const LB = { host: '127.0.0.1', port: 5060 };
const backends = new BackendRegistry([5071, 5072, 5073].map((p, i) => ({ id: `gw${i + 1}`, address: { host: '127.0.0.1', port: p }, weight: 1 })));
let sent = 0;
let lastSent;
const ctx = {
  sender: { send(buf) { sent++; lastSent = buf; } },
  backends,
  balancer: ((b) => () => b)(createBalancer('hash', {})),
  affinity: new CallAffinity({ ttlMs: 32_000, maxEntries: 1_000_000 }),
  self: new SelfAddress(LB, LB),
  now: () => performance.now(),
  routingKey: routingKeyFor('call-id'),
  options: { defaultMaxForwards: 70, recordRoute: true, answerOptions: true, noBackendRetryAfter: 5, maxDatagramBytes: 65535 },
  observer: {},
  admission: undefined,
  failover: undefined,
  // The default balance.failback (hold-registrations): every new request asks who holds its AOR.
  // (Absent before issue 22: the bench then runs without it.)
  registrations: regAffinity.RegistrationAffinity === undefined ? undefined : new regAffinity.RegistrationAffinity(new RegisteredUsers(1000), 'hold-registrations', true),
};
const uac = { address: '127.0.0.1', port: 5090, family: 'IPv4', size: 0 };
// The caller is 127.0.0.2 (not a backend host): abuse protection screens its every request.
uac.address = '127.0.0.2';
let SECURITY = process.env.SECURITY ?? 'default';
// A build without src/security (the base branch, for before/after runs of this same script) runs without.
const securityModule = SECURITY === 'off' ? undefined : await import('../../dist/security/index.js').catch(() => undefined);
if (securityModule === undefined) SECURITY = 'off';
else {
  const { SecurityPolicy, DEFAULT_SCANNER_USER_AGENTS } = securityModule;
  ctx.security = new SecurityPolicy({
    trustedSources: [],
    untrusted: 'reject',
    rateLimit: { enabled: SECURITY === 'limit', perSecond: 1e9, burst: 1e9, blockFor: 60_000 },
    scanners: { enabled: true, userAgents: DEFAULT_SCANNER_USER_AGENTS },
    maxSources: 100_000,
    topOffenders: 10,
  });
}

const sdp = 'v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
const invite = (n) => Buffer.from(
  `INVITE sip:service@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK-1234-${n}-0\r\n` +
  `From: sipp <sip:sipp@127.0.0.1:5090>;tag=1234SIPpTag00${n}\r\nTo: service <sip:service@127.0.0.1:5060>\r\n` +
  `Call-ID: ${n}-1234@127.0.0.1\r\nCSeq: 1 INVITE\r\nContact: sip:sipp@127.0.0.1:5090\r\nMax-Forwards: 70\r\n` +
  `Subject: Performance Test\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`, 'latin1');
const bye = (n) => Buffer.from(
  `BYE sip:127.0.0.1:5071;transport=UDP SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5090;branch=z9hG4bK-1234-${n}-7\r\n` +
  `Route: <sip:127.0.0.1:5060;lr>\r\nFrom: sipp <sip:sipp@127.0.0.1:5090>;tag=1234SIPpTag00${n}\r\n` +
  `To: service <sip:service@127.0.0.1:5060>;tag=99SIPpTag01${n}\r\nCall-ID: ${n}-1234@127.0.0.1\r\nCSeq: 2 BYE\r\n` +
  `Contact: sip:sipp@127.0.0.1:5090\r\nMax-Forwards: 70\r\nSubject: Performance Test\r\nContent-Length: 0\r\n\r\n`, 'latin1');

// The 200 OK the backend sends for a forwarded INVITE: built from what siplb sent out.
function okFor(forwardedInvite) {
  const text = forwardedInvite.toString('latin1');
  const head = text.slice(0, text.indexOf('\r\n\r\n'));
  const vias = head.split('\r\n').filter((l) => l.startsWith('Via:')).join('\r\n');
  const rr = head.split('\r\n').filter((l) => l.startsWith('Record-Route:')).join('\r\n');
  const get = (name) => head.split('\r\n').find((l) => l.startsWith(`${name}:`));
  return Buffer.from(`SIP/2.0 200 OK\r\n${vias}\r\n${rr}\r\n${get('From')}\r\n${get('To')};tag=99SIPpTag01\r\n${get('Call-ID')}\r\n${get('CSeq')}\r\n` +
    `Contact: <sip:127.0.0.1:5071;transport=UDP>\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`, 'latin1');
}

if (process.env.METRICS === '1') {
  const { createMetrics } = await import('../../dist/metrics/registry.js');
  const control = { backends: () => backends.all.map((b) => ({ id: b.id })), status: () => ({}), leader: () => ({ role: 'standalone', fencingToken: null }) };
  createMetrics({ control, nodeId: 'bench', defaultMetrics: false });
}
const N = Number(process.env.N ?? 100_000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const invites = Array.from({ length: N }, (_, i) => invite(i));
const byes = Array.from({ length: N }, (_, i) => bye(i));
handleDatagram(ctx, invites[0], uac);
const ok = okFor(lastSent);
const backend = { address: '127.0.0.1', port: 5071, family: 'IPv4', size: 0 };

// CASES=invite,ok,bye runs a subset (to profile one case at a time, e.g. with --cpu-prof).
const CASES = new Set((process.env.CASES ?? 'invite,ok,bye').split(','));
function bench(name, fn) {
  const times = [];
  for (let r = 0; r < ROUNDS + 1; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) fn(i);
    const ns = Number(process.hrtime.bigint() - t0) / N;
    if (r > 0) times.push(ns); // first round warms up
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({ bench: 'proxy-path', metrics: process.env.METRICS === '1', security: SECURITY, case: name, ns_per_msg: Math.round(times[Math.floor(times.length / 2)]), min: Math.round(times[0]), rounds: ROUNDS, n: N, node: process.version }));
}

if (CASES.has('invite')) bench('INVITE new call -> backend', (i) => handleDatagram(ctx, invites[i], uac));
if (CASES.has('ok')) bench('200 OK backend -> caller', () => handleDatagram(ctx, ok, backend));
if (CASES.has('bye')) bench('BYE in-dialog (loose route)', (i) => handleDatagram(ctx, byes[i], uac));
if (sent === 0) throw new Error('nothing was forwarded');
