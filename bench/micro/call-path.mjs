// Whole calls through siplb's proxy core in one process, built by src/app/proxy-core.ts as src/app.ts
// builds a node's, with the shipped defaults (hash balancer, call affinity, registration affinity, serial failover, passive
// health checks, dialog tracking, abuse protection, Prometheus collectors subscribed), with a
// sender that only counts instead of a socket. One call is the 7 datagrams of a sipp UAC call
// through the LB: INVITE →, 100 ←, 180 ←, 200 ←, ACK → (loose-routed), BYE →, 200 ←.
//
// The datagrams of PREP calls are built first (by running every call once through a separate,
// identical proxy: the responses need the Via siplb pushed) into one buffer; that also warms the
// JIT up on the same code and shapes. Then CALLS calls (≤ PREP) go through a fresh proxy, each
// datagram a view on that buffer (as the native engine hands its slots up), ROUNDS times, in
// bursts of BURST overlapping calls.
//
// Two uses:
//   node bench/micro/call-path.mjs                 ns per message (median of ROUNDS fresh proxies)
//   bench/callgrind.sh                             instructions per message under callgrind: the
//                                                  same script at two CALLS values, same PREP
// Env: CALLS (20000; a multiple of BURST), PREP (= CALLS), BURST (32), ROUNDS (5), NOW=fake (a counter clock instead of performance.now),
// BY_KIND=1 (ns per datagram of each kind as well), COLD=<MB> (each datagram timed alone after evicting the caches by writing MB of memory; COLD=0 the same timing warm), PROFILE=out.cpuprofile (a CPU profile of the measured rounds only), HEAP_PROFILE=out.heapprofile
// (sampled allocations of the measured rounds; bytes per message and the top allocators on stderr),
// RETAIN=1 (with node --expose-gc: heap bytes per live and per ended call), CALLGRIND_MARKS=1 (see
// bench/callgrind.sh), WIRE=1 (a digest of every datagram sent, for the calls and the SIP fixtures
// from two sources: compare two builds' wire bytes; use with NOW=fake).
// Not included: the transport (reading and sending datagrams) and admission control (it reads
// the socket's queue); bench/micro/udp-relay.mjs prices the transport.
import process from 'node:process';
import { Buffer } from 'node:buffer';
import { URL } from 'node:url';
import { pino } from 'pino';
import { validateConfig } from '../../dist/config/validate.js';
import { BackendRegistry } from '../../dist/backends/registry.js';
import { buildProxyCore } from '../../dist/app/proxy-core.js';
import { createMetrics } from '../../dist/metrics/registry.js';
import { MessageClock } from '../../dist/runtime/message-clock.js';

const CALLS = Number(process.env.CALLS ?? 20_000);
const PREP = Math.max(CALLS, Number(process.env.PREP ?? CALLS));
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const MSGS_PER_CALL = 7;
const MARKS = process.env.CALLGRIND_MARKS === '1';

const LB = '127.0.0.1';
const BACKEND_PORTS = [5071, 5072, 5073];
const parsed = validateConfig({
  sip: { listen: `${LB}:5060` },
  backends: BACKEND_PORTS.map((p, i) => ({ id: `gw${i + 1}`, address: `${LB}:${p}` })),
});
if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
const config = parsed.config;
const log = pino({ level: 'silent' });
let fakeNow = 0;
const readClock = process.env.NOW === 'fake' ? () => (fakeNow += 0.01) : undefined;

// A node's metrics subscribe to the proxy's diagnostics channels once per process.
const registryForMetrics = new BackendRegistry(config.backends);
createMetrics({
  control: { backends: () => registryForMetrics.all.map((b) => ({ id: b.id })), status: () => ({}), leader: () => ({ role: 'standalone', fencingToken: null }) },
  nodeId: 'bench',
  defaultMetrics: false,
});

/** A proxy core as app.ts builds a node's (app/proxy-core.ts); `send` gets every datagram it sends. */
function buildProxy(send) {
  // As app.ts: one clock read per message, held while the handler runs.
  const core = buildProxyCore(config, { log, clock: new MessageClock(readClock), sender: { send } });
  return { handler: core.handler, failover: core.ctx.failover };
}

// ---- the datagrams of one call -----------------------------------------------------------------
const UAC = { transport: 'udp', address: '127.0.0.2', port: 5090 };
const sdp = 'v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
const latin1 = (s) => Buffer.from(s, 'latin1');
const invite = (n) =>
  latin1(
    `INVITE sip:service@${LB}:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5090;branch=z9hG4bK-1234-${n}-0\r\n` +
      `From: sipp <sip:sipp@127.0.0.2:5090>;tag=1234SIPpTag00${n}\r\nTo: service <sip:service@${LB}:5060>\r\n` +
      `Call-ID: ${n}-1234@127.0.0.2\r\nCSeq: 1 INVITE\r\nContact: sip:sipp@127.0.0.2:5090\r\nMax-Forwards: 70\r\n` +
      `Subject: Performance Test\r\nContent-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`,
  );
const inDialog = (n, method, seq, port) =>
  latin1(
    `${method} sip:service@${LB}:${port};transport=UDP SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:5090;branch=z9hG4bK-1234-${n}-${seq}\r\n` +
      `Route: <sip:${LB}:5060;lr>\r\nFrom: sipp <sip:sipp@127.0.0.2:5090>;tag=1234SIPpTag00${n}\r\n` +
      `To: service <sip:service@${LB}:5060>;tag=99SIPpTag01${n}\r\nCall-ID: ${n}-1234@127.0.0.2\r\nCSeq: ${seq} ${method}\r\n` +
      `Contact: sip:sipp@127.0.0.2:5090\r\nMax-Forwards: 70\r\nSubject: Performance Test\r\nContent-Length: 0\r\n\r\n`,
  );

/** The backend's response to what siplb forwarded (as sipp's UAS builds it: Vias, RR, From, To, Call-ID, CSeq copied). */
function responseTo(forwarded, status, reason, n, withBody) {
  const head = forwarded.toString('latin1', 0, forwarded.indexOf('\r\n\r\n'));
  const lines = head.split('\r\n');
  const keep = lines.filter((l) => /^(Via|Record-Route|From|Call-ID|CSeq):/.test(l));
  const to = lines.find((l) => l.startsWith('To:'));
  const toTag = status === 100 || to.includes(';tag=') ? to : `${to};tag=99SIPpTag01${n}`;
  const body = withBody ? sdp : '';
  return latin1(
    `SIP/2.0 ${status} ${reason}\r\n${keep.join('\r\n')}\r\n${toTag}\r\n` +
      (status === 100 ? '' : `Contact: <sip:service@${LB}:${forwarded.port};transport=UDP>\r\n`) +
      (withBody ? 'Content-Type: application/sdp\r\n' : '') +
      `Content-Length: ${body.length}\r\n\r\n${body}`,
  );
}

// ---- prepare: every call once through a proxy of its own, to get the responses -----------------
let lastSent;
const prep = buildProxy((buf, to) => {
  lastSent = Buffer.from(buf);
  lastSent.port = to.port;
});
const pieces = [];
const sources = [];
const add = (buf, from) => {
  pieces.push(buf);
  sources.push(from);
};
const backendSource = new Map(BACKEND_PORTS.map((port) => [port, { transport: 'udp', address: LB, port }]));
for (let n = 0; n < PREP; n++) {
  const inv = invite(n);
  lastSent = undefined;
  prep.handler(inv, UAC);
  const fwd = lastSent;
  if (fwd === undefined) throw new Error(`INVITE ${n} was not forwarded`);
  const be = backendSource.get(fwd.port);
  const msgs = [
    [inv, UAC],
    [responseTo(fwd, 100, 'Trying', n, false), be],
    [responseTo(fwd, 180, 'Ringing', n, false), be],
    [responseTo(fwd, 200, 'OK', n, true), be],
    [inDialog(n, 'ACK', 1, fwd.port), UAC],
    [inDialog(n, 'BYE', 2, fwd.port), UAC],
  ];
  for (const [buf, from] of msgs.slice(1)) {
    lastSent = undefined;
    prep.handler(buf, from);
    if (lastSent === undefined) throw new Error(`call ${n}: a ${buf.toString('latin1', 0, 12)} was not relayed`);
    if (buf.toString('latin1', 0, 3) === 'BYE') msgs.push([responseTo(lastSent, 200, 'OK', n, false), be]);
  }
  lastSent = undefined;
  prep.handler(msgs[6][0], be);
  if (lastSent === undefined) throw new Error(`call ${n}: the 200 to BYE was not relayed`);
  for (const [buf, from] of msgs) add(buf, from);
}
prep.failover?.clear();
// Calls overlap as under load: BURST calls at a time, each datagram kind of the burst in turn
// (BURST INVITEs, their 100s, 180s, 200s, ACKs, BYEs, 200s), so the per-call tables hold several
// calls at once as they do at 1000 calls/s instead of growing to one entry and back to none.
const BURST = Number(process.env.BURST ?? 32);
/** The kind (0 INVITE … 6 200/BYE) of the `i`th datagram: calls go in bursts of BURST, one kind at a time. */
const kindOf = (i) => Math.floor((i % (BURST * MSGS_PER_CALL)) / BURST);
{
  const byCall = pieces.splice(0);
  const bySource = sources.splice(0);
  for (let first = 0; first < PREP; first += BURST) {
    const last = Math.min(PREP, first + BURST);
    for (let k = 0; k < MSGS_PER_CALL; k++) {
      for (let n = first; n < last; n++) add(byCall[n * MSGS_PER_CALL + k], bySource[n * MSGS_PER_CALL + k]);
    }
  }
}
// One receive buffer for everything, as a transport's slots: each datagram is a view on it.
const all = Buffer.concat(pieces);
const offsets = new Int32Array(pieces.length + 1);
for (let i = 0; i < pieces.length; i++) offsets[i + 1] = offsets[i] + pieces[i].length;
pieces.length = 0;

// ---- measure -----------------------------------------------------------------------------------
const count = CALLS * MSGS_PER_CALL;
// WIRE=1: no timing; a digest of every datagram the proxy sends (bytes and destination) for the
// calls and for every SIP fixture (test/fixtures/sip, each from a client and from a backend), to
// compare two builds' wire output (the same digest = identical bytes). Fake clock: deterministic.
if (process.env.WIRE === '1') {
  const { createHash } = await import('node:crypto');
  const { readdirSync, readFileSync } = await import('node:fs');
  const sha = createHash('sha256');
  let sent = 0;
  const proxy = buildProxy((buf, to) => {
    sent++;
    sha.update(`${to.transport ?? ''} ${to.address ?? to.host}:${to.port} ${buf.length}\n`);
    sha.update(buf);
  });
  for (let i = 0; i < count; i++) proxy.handler(all.subarray(offsets[i], offsets[i + 1]), sources[i]);
  const dir = new URL('../../test/fixtures/sip/', import.meta.url);
  let fixtures = 0;
  for (const sub of ['valid', 'invalid']) {
    for (const f of readdirSync(new URL(`${sub}/`, dir)).filter((n) => n.endsWith('.sip')).sort()) {
      const bytes = readFileSync(new URL(`${sub}/${f}`, dir));
      fixtures++;
      for (const from of [UAC, backendSource.get(BACKEND_PORTS[0])]) {
        sha.update(`${sub}/${f} from ${from.port}\n`);
        proxy.handler(Buffer.from(bytes), from);
      }
    }
  }
  proxy.failover?.clear();
  console.log(JSON.stringify({ bench: 'call-path-wire', calls: CALLS, fixtures, sent, sha256: sha.digest('hex') }));
  process.exit(0);
}
// RETAIN=1 (with --expose-gc): heap bytes a live call keeps in the per-call tables. CALLS calls are
// set up (INVITE … ACK) on a fresh proxy and held, then all hung up (BYE, 200): heapUsed after a
// full GC, before and after each step, per call. Ended calls still hold what outlives a call (the
// affinity pin and the dialog tombstone, 32 s each).
if (process.env.RETAIN === '1') {
  const proxy = buildProxy(() => {});
  const heap = () => {
    globalThis.gc();
    globalThis.gc();
    return process.memoryUsage().heapUsed;
  };
  const feed = (kinds) => {
    for (let i = 0; i < count; i++) {
      if (kinds(kindOf(i))) proxy.handler(all.subarray(offsets[i], offsets[i + 1]), sources[i]);
    }
  };
  const h0 = heap();
  feed((k) => k < 5);
  const h1 = heap();
  feed((k) => k >= 5);
  const h2 = heap();
  console.log(JSON.stringify({ bench: 'call-state-retained', calls: CALLS, bytes_per_live_call: Math.round((h1 - h0) / CALLS), bytes_per_ended_call: Math.round((h2 - h0) / CALLS), node: process.version }));
  proxy.failover?.clear();
  process.exit(0);
}
// PROFILE=file.cpuprofile: a V8 CPU profile of the measured rounds only (not the preparation).
let session;
if (process.env.PROFILE) {
  const { Session } = await import('node:inspector/promises');
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
} else if (process.env.HEAP_PROFILE) {
  // Bytes allocated per message: V8's sampling heap profiler, objects the GC already collected
  // included (most of a message's garbage dies young), over the measured rounds only.
  const { Session } = await import('node:inspector/promises');
  session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', { samplingInterval: 512, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
}
const times = [];
// BY_KIND=1: also ns per datagram of each of the call's 7 kinds, summed over the rounds.
const BY_KIND = process.env.BY_KIND === '1';
const KIND_NAMES = ['INVITE', '100', '180', '200/INVITE', 'ACK', 'BYE', '200/BYE'];
const kindNs = new Array(MSGS_PER_CALL).fill(0);
const COLD_MB = Number(process.env.COLD ?? -1);
const coldBuf = COLD_MB > 0 ? new Uint8Array(COLD_MB << 20).fill(1) : new Uint8Array(0);
let coldFills = 0;
const coldNs = [];
// A fill is one memset (libc): bench/callgrind-cold.sh leaves that function out of its count.
function evict() {
  coldBuf.fill(++coldFills & 255);
}
for (let r = 0; r < ROUNDS; r++) {
  let sent = 0;
  const proxy = buildProxy(() => void sent++);
  // Markers for bench/callgrind.sh: callgrind zeroes its counters when getuid(2) is entered and
  // dumps them when getgid(2) is, so its dump holds exactly the instructions of this loop.
  const marked = MARKS && r === ROUNDS - 1; // the last round: the ones before warm the fresh proxy up
  if (marked) process.getuid();
  const t0 = process.hrtime.bigint();
  if (COLD_MB >= 0) {
    // COLD=<MB>: between datagrams (untimed) write a COLD-MB buffer, evicting the
    // caches and TLB as the kernel round trip, the sleep and the other processes on the core do
    // between a live node's wake-ups; each datagram is timed alone (COLD=0: the same per-datagram
    // timing with warm caches, the baseline for it).
    for (let i = 0; i < count; i++) {
      if (COLD_MB > 0) evict();
      const tb = process.hrtime.bigint();
      proxy.handler(all.subarray(offsets[i], offsets[i + 1]), sources[i]);
      const ns = Number(process.hrtime.bigint() - tb);
      kindNs[kindOf(i)] += ns;
      coldNs.push(ns);
    }
  } else if (BY_KIND) {
    // One clock read per burst (BURST datagrams of one kind), summed per kind.
    for (let first = 0; first < count; first += BURST) {
      const tb = process.hrtime.bigint();
      for (let i = first; i < first + BURST; i++) proxy.handler(all.subarray(offsets[i], offsets[i + 1]), sources[i]);
      kindNs[kindOf(first)] += Number(process.hrtime.bigint() - tb);
    }
  } else {
    for (let i = 0; i < count; i++) proxy.handler(all.subarray(offsets[i], offsets[i + 1]), sources[i]);
  }
  times.push(Number(process.hrtime.bigint() - t0) / count);
  if (marked) process.getgid();
  proxy.failover?.clear();
  if (sent !== count) throw new Error(`sent ${sent} of ${count} messages`);
}
if (session !== undefined && process.env.PROFILE) {
  const { profile } = await session.post('Profiler.stop');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(process.env.PROFILE, JSON.stringify(profile));
} else if (session !== undefined) {
  const { profile } = await session.post('HeapProfiler.stopSampling');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(process.env.HEAP_PROFILE, JSON.stringify(profile));
  // Total and per-function self bytes, per message.
  const self = new Map();
  let total = 0;
  const walk = (n) => {
    const b = n.selfSize;
    total += b;
    if (b > 0) {
      const key = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber + 1}`;
      self.set(key, (self.get(key) ?? 0) + b);
    }
    for (const c of n.children) walk(c);
  };
  walk(profile.head);
  const msgs = count * ROUNDS;
  console.error(`bytes allocated per message: ${Math.round(total / msgs)}`);
  for (const [k, b] of [...self].sort((x, y) => y[1] - x[1]).slice(0, 25)) console.error(`${String(Math.round(b / msgs)).padStart(6)}  ${k}`);
}
times.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    bench: 'call-path',
    ns_per_msg: Math.round(times[Math.floor(times.length / 2)]),
    min: Math.round(times[0]),
    rounds: ROUNDS,
    calls: CALLS,
    prep: PREP,
    msgs_per_call: MSGS_PER_CALL,
    burst: BURST,
    ...(COLD_MB >= 0
      ? { cold_mb: COLD_MB, ns_per_datagram_p50: coldNs.sort((a, b) => a - b)[coldNs.length >> 1] }
      : {}),
    ...(BY_KIND || COLD_MB >= 0 ? { ns_by_kind: Object.fromEntries(KIND_NAMES.map((k, i) => [k, Math.round(kindNs[i] / (CALLS * ROUNDS))])) } : {}),
    node: process.version,
  }),
);
process.exit(0);
