// Coverage-guided fuzzing of siplb's request/response path: parse (sip/parse.ts), the request
// rule (sip/validate.ts, proxy/request-checks.ts), the route decision (proxy/route-decision.ts)
// and edit splicing (sip/serialize.ts), all through proxy/dispatcher.ts as a datagram would go.
//
// Why not @jazzer.js/core: its only native part, the libFuzzer addon, ships as a prebuild that
// needs glibc 2.38 (Debian 12 has 2.36: "GLIBC_2.38 not found" on load), and it cannot be built
// from source without fetching LLVM's compiler-rt. So the engine is this script, in the manner of
// jsfuzz: dist/sip and dist/proxy are instrumented with istanbul-lib-instrument (the istanbuljs
// instrumentor that nyc and Jest use) into .fuzz/dist; after each execution the statement,
// branch and function counters are bucketed like libFuzzer's (1, 2, 3, 4-7, 8-15, 16-31, 32-127,
// 128+) and an input that lights a new bucket joins the corpus. Mutations: byte flips, inserts,
// deletes, duplicated ranges, SIP dictionary tokens, splices of two corpus entries.
//
// Invariants checked on every execution (any failure is a crash: reported, input saved):
//   1. nothing throws;
//   2. from an untrusted source, every datagram siplb sends goes to a backend or back to that
//      source's address (no open relay, nothing reflected elsewhere);
//   3. a request forwarded to a backend is the input plus siplb's own edits only: its Via,
//      Record-Route and Max-Forwards lines inserted after the request line, `received`/`rport`
//      on the caller's Via, the Max-Forwards value, a Route value removed, bytes past
//      Content-Length cut (RFC 3261 §16.6, §18.3); everything else byte for byte;
//   4. a response relayed for a backend is the input minus siplb's Via value (and bytes past
//      Content-Length);
//   5. whatever siplb answers itself starts with a SIP/2.0 status line and carries the caller's
//      top Via branch.
//
// Usage: npm run fuzz                       (builds first; RUNS=1000000 by default)
//        RUNS=200000 SEED=7 node scripts/fuzz/run.mjs
//        MAX_SECONDS=50 node scripts/fuzz/run.mjs   (stops at whichever comes first)
// Prints progress lines and one JSON summary line; exit 1 on any crash (inputs in .fuzz/crashes/).
import { createRequire } from 'node:module';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
const { createInstrumenter } = require('istanbul-lib-instrument');

const RUNS = Number(process.env.RUNS ?? 1_000_000);
const MAX_SECONDS = Number(process.env.MAX_SECONDS ?? 0);
let seed = Number(process.env.SEED ?? Date.now() % 2 ** 31) >>> 0;
const SEED0 = seed;
const COV = '__siplbFuzzCoverage__';

// ---- instrumented copy of dist ---------------------------------------------------------------
const work = join(root, '.fuzz');
const out = join(work, 'dist');
rmSync(out, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
cpSync(join(root, 'dist'), out, { recursive: true });
const instrumenter = createInstrumenter({ esModules: true, coverageVariable: COV, compact: true, produceSourceMap: false });
let instrumented = 0;
for (const dir of ['sip', 'proxy']) {
  for (const f of readdirSync(join(out, dir))) {
    if (!f.endsWith('.js')) continue;
    const p = join(out, dir, f);
    writeFileSync(p, instrumenter.instrumentSync(readFileSync(p, 'utf8'), relative(out, p)));
    instrumented++;
  }
}
const imp = (p) => import(pathToFileURL(join(out, p)).href);
const { BackendRegistry } = await imp('backends/registry.js');
const { createBalancer } = await imp('balance/index.js');
const { CallAffinity } = await imp('proxy/call-affinity.js');
const { handleDatagram } = await imp('proxy/dispatcher.js');
const { routingKeyFor } = await imp('proxy/routing-key.js');
const { SelfAddress } = await imp('proxy/self.js');
const { parseSip } = await imp('sip/index.js');
const { SecurityPolicy, DEFAULT_SCANNER_USER_AGENTS } = await imp('security/index.js');

// ---- the proxy, wired as app.ts does, with a recording sender ------------------------------
const LB = { host: '127.0.0.1', port: 5060 };
const BACKEND_PORTS = [5071, 5072, 5073];
const backends = new BackendRegistry(BACKEND_PORTS.map((p, i) => ({ id: `gw${i + 1}`, address: { host: '127.0.0.1', port: p }, weight: 1 })));
// Backends share 127.0.0.1 with siplb here; the untrusted caller is 192.0.2.99 (TEST-NET-1:
// nothing is sent anywhere, the sender only records).
const UNTRUSTED = { transport: 'udp', address: '192.0.2.99', port: 5062 };
const FROM_BACKEND = { transport: 'udp', address: '127.0.0.1', port: 5071 };
let sent = [];
const ctx = {
  sender: { send(buf, target) { sent.push({ buf: Buffer.from(buf), target }); } },
  backends,
  balancer: ((b) => () => b)(createBalancer('hash', {})),
  affinity: new CallAffinity({ ttlMs: 32_000, maxEntries: 10_000 }),
  self: new SelfAddress(LB, LB),
  now: () => performance.now(),
  routingKey: routingKeyFor('call-id'),
  options: { defaultMaxForwards: 70, recordRoute: true, answerOptions: true, optionsReflectBackends: true, noBackendRetryAfter: 5, maxDatagramBytes: 65535, udpMtu: 1300 },
  observer: {},
  admission: undefined,
  failover: undefined,
  security: new SecurityPolicy({
    trustedSources: [],
    untrusted: 'reject',
    rateLimit: { enabled: false, perSecond: 1e9, burst: 1e9, blockFor: 60_000 },
    scanners: { enabled: true, userAgents: DEFAULT_SCANNER_USER_AGENTS },
    maxSources: 1000,
    topOffenders: 10,
  }),
};
const isBackend = (t) => t.host === '127.0.0.1' && BACKEND_PORTS.includes(t.port);

// ---- invariants -------------------------------------------------------------------------------
const L = (b, s, e) => b.toString('latin1', s, e);
// `received` is added, or its value (or a valueless `received`, which a malformed Via may carry) is
// replaced with the source address (RFC 3261 §18.2.1); `rport` gets the source port (RFC 3581 §4).
const stripVia = (s) => s.replace(/;\s*received\b(\s*=[^;,]*)?/gi, '').replace(/rport\s*=\s*\d+/gi, 'rport');

/** Whether `gap` is `line` with one contiguous piece removed (or unchanged): a Route value cut. */
function isLineMinusPiece(gap, line) {
  if (gap === line || gap === '') return true;
  let k = 0;
  while (k < gap.length && gap[k] === line[k]) k++;
  return gap.length < line.length && line.endsWith(gap.slice(k));
}

/** Invariant 3: `outBuf` is `req` plus siplb's edits. Returns an error text or undefined. */
function checkForwardedRequest(req, outBuf, target) {
  const o = L(outBuf, 0, outBuf.length);
  const hs = req.headersStart;
  if (L(outBuf, 0, hs) !== L(req.buf, 0, hs)) return 'request line changed';
  // siplb's inserted lines right after the request line.
  let p = hs;
  if (!o.startsWith(ctx.self.viaPrefix(target.transport), p)) return 'siplb Via not first';
  p = o.indexOf('\r\n', p) + 2;
  // Every fuzz input arrives over UDP; the leg out is the target's.
  const rr = ctx.self.recordRoute('udp', target.transport, req.requestUri()?.scheme === 'sips');
  if (o.startsWith(rr, p)) p += rr.length;
  if (req.maxForwards() === undefined) {
    const mf = 'Max-Forwards: 70\r\n';
    if (!o.startsWith(mf, p)) return 'Max-Forwards not added';
    p += mf.length;
  }
  // Editable spans of the input, in order: top Via value, Max-Forwards value, Route lines.
  const spans = [];
  const top = req.topVia();
  spans.push({ s: top.span.start, e: top.span.end, kind: 'via' });
  const mfField = req.first(4 /* HeaderId.MAX_FORWARDS */);
  if (mfField !== undefined) spans.push({ s: mfField.valueStart, e: mfField.valueEnd, kind: 'mf' });
  for (const f of req.headers) if (f.id === 5 /* HeaderId.ROUTE */) spans.push({ s: f.lineStart, e: f.lineEnd, kind: 'route' });
  spans.sort((a, b) => a.s - b.s);
  // Route lines with nothing between them are one region: with no bytes in between to anchor on,
  // an unchanged pair would otherwise be read as the second line grown by the first.
  for (let i = spans.length - 1; i > 0; i--) {
    if (spans[i].kind === 'route' && spans[i - 1].kind === 'route' && spans[i - 1].e === spans[i].s) {
      spans[i - 1].e = spans[i].e;
      spans.splice(i, 1);
    }
  }
  const bodyEnd = req.bodyStart + req.bodyLength;
  let inPos = hs;
  let outPos = p;
  for (let i = 0; i <= spans.length; i++) {
    const span = spans[i];
    const segEnd = span === undefined ? bodyEnd : span.s;
    const seg = L(req.buf, inPos, segEnd);
    if (i === 0) {
      if (!o.startsWith(seg, outPos)) return 'bytes before the first edit changed';
      outPos += seg.length;
    } else {
      const prev = spans[i - 1];
      const idx = span === undefined ? o.length - seg.length : o.indexOf(seg, outPos);
      if (idx < outPos || (span === undefined && !o.endsWith(seg))) return `bytes after the ${prev.kind} edit changed`;
      const gap = o.slice(outPos, idx);
      const orig = L(req.buf, prev.s, prev.e);
      if (prev.kind === 'mf' && !/^\d{1,3}$/.test(gap)) return `Max-Forwards became ${JSON.stringify(gap)}`;
      if (prev.kind === 'via' && stripVia(gap) !== stripVia(orig)) return `caller Via changed: ${JSON.stringify(orig)} -> ${JSON.stringify(gap)}`;
      if (prev.kind === 'route' && !isLineMinusPiece(gap, orig)) return `Route changed beyond a removal: ${JSON.stringify(orig)} -> ${JSON.stringify(gap)}`;
      outPos = idx + seg.length;
    }
    if (span !== undefined) inPos = span.e;
  }
  if (outPos !== o.length) return 'extra bytes at the end';
  return undefined;
}

/** Invariant 4: a relayed response is the input minus one Via value (ours) and bytes past the body. */
function checkRelayedResponse(res, outBuf) {
  const i = L(res.buf, 0, res.bodyStart + res.bodyLength);
  const o = L(outBuf, 0, outBuf.length);
  let k = 0;
  while (k < o.length && o[k] === i[k]) k++;
  if (!(o.length < i.length && i.endsWith(o.slice(k)))) return 'response changed beyond removing one Via value';
  const removed = i.slice(k, k + i.length - o.length);
  if (!removed.includes(`${LB.host}:${LB.port}`) && !removed.includes(LB.host)) return `removed ${JSON.stringify(removed)}, not siplb's Via`;
  return undefined;
}

function checkOne(input, from) {
  sent = [];
  handleDatagram(ctx, input, from); // invariant 1: a throw escapes to the caller
  if (sent.length === 0) return undefined;
  const parsed = parseSip(input);
  for (const { buf, target } of sent) {
    if (from === UNTRUSTED && !isBackend(target) && target.host !== from.address) return `sent to ${target.host}:${target.port} for an untrusted source`;
    const isReply = buf.toString('latin1', 0, 8) === 'SIP/2.0 ' && !(parsed.ok && parsed.msg.kind === 'response');
    if (isReply) {
      const req = parsed.ok ? parsed.msg : parsed.error.partial;
      if (req === undefined) return 'answered a datagram it could not read';
      const branch = req.topVia().branch;
      if (target.host === from.address && branch !== undefined && !buf.toString('latin1').includes(branch)) return 'answer lost the caller branch';
      continue;
    }
    if (!parsed.ok) return 'forwarded an unparsable datagram';
    const err = parsed.msg.kind === 'request' ? checkForwardedRequest(parsed.msg, buf, target) : checkRelayedResponse(parsed.msg, buf);
    if (err !== undefined) return err;
  }
  return undefined;
}

// ---- coverage feedback ----------------------------------------------------------------------
const cov = globalThis[COV];
const counters = []; // [object, key] pairs flattened into two arrays
for (const file of Object.values(cov)) {
  for (const k of Object.keys(file.s)) counters.push([file.s, k]);
  for (const k of Object.keys(file.f)) counters.push([file.f, k]);
  for (const arr of Object.values(file.b)) for (let j = 0; j < arr.length; j++) counters.push([arr, j]);
}
const objs = counters.map((c) => c[0]);
const keys = counters.map((c) => c[1]);
const seen = new Uint8Array(counters.length);
const bucket = (n) => (n === 1 ? 1 : n === 2 ? 2 : n === 3 ? 4 : n < 8 ? 8 : n < 16 ? 16 : n < 32 ? 32 : n < 128 ? 64 : 128);
let features = 0;
/** Reads and clears the counters; true when a new (counter, bucket) pair was hit. */
function harvest() {
  let fresh = false;
  for (let i = 0; i < objs.length; i++) {
    const o = objs[i];
    const k = keys[i];
    const n = o[k];
    if (n === 0) continue;
    o[k] = 0;
    const b = bucket(n);
    if ((seen[i] & b) === 0) {
      seen[i] |= b;
      features++;
      fresh = true;
    }
  }
  return fresh;
}

// ---- seeds, dictionary, mutations -------------------------------------------------------------
const rnd = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const ri = (n) => Math.floor(rnd() * n);
const sdp = 'v=0\r\no=u 1 1 IN IP4 192.0.2.99\r\ns=-\r\nc=IN IP4 192.0.2.99\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n';
const req = (m, uri, extra = '', body = '') =>
  `${m} ${uri} SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.99:5062;rport;branch=z9hG4bK-s1\r\nMax-Forwards: 70\r\n` +
  `From: "A" <sip:a@example.net>;tag=f1\r\nTo: <sip:b@example.com>\r\nCall-ID: c1@192.0.2.99\r\nCSeq: 1 ${m}\r\n${extra}` +
  `Content-Length: ${body.length}\r\n\r\n${body}`;
const ourVia = `Via: SIP/2.0/UDP ${LB.host}:${LB.port};branch=z9hG4bK-ours\r\n`;
const seeds = [
  req('INVITE', 'sip:b@example.com', 'Content-Type: application/sdp\r\n', sdp),
  req('OPTIONS', `sip:${LB.host}:${LB.port}`),
  req('BYE', 'sip:b@127.0.0.1:5071', `Route: <sip:${LB.host}:${LB.port};lr>, <sip:127.0.0.1:5072;lr>\r\n`).replace('To: <sip:b@example.com>', 'To: <sip:b@example.com>;tag=t9'),
  req('REGISTER', 'sip:example.com', 'Contact: <sip:a@192.0.2.99:5062>;expires=60\r\n'),
  req('ACK', 'sip:b@example.com'),
  req('CANCEL', 'tel:+12015550123', 'Proxy-Require: foo\r\n'),
  req('MESSAGE', 'sip:b@[2001:db8::1]:5070;transport=udp', 'Route: <sip:127.0.0.1:5060;lr;x=y>\r\n', 'hello') + 'TRAILING',
  'INVITE sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP 192.0.2.99\r\n ;branch=z9hG4bK@x/1\r\ni: c2\r\nf: <sip:a@b>;tag=1\r\nt: <sip:c@d>\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n',
  `SIP/2.0 200 OK\r\n${ourVia}Via: SIP/2.0/UDP 192.0.2.99:5062;rport=5062;received=192.0.2.99;branch=z9hG4bK-s1\r\nFrom: <sip:a@example.net>;tag=f1\r\nTo: <sip:b@example.com>;tag=t2\r\nCall-ID: c1@192.0.2.99\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\nXX`,
  `SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP ${LB.host}:${LB.port};branch=z9hG4bK-o, SIP/2.0/UDP 192.0.2.99;branch=z9hG4bK-s1\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: c3\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n`,
].map((s) => Buffer.from(s, 'latin1'));
const DICT = [
  '\r\n', '\r\n ', ' ', '\t', ':', ';', ',', '<', '>', '"', '\\', '[', ']', '@', '?', '=', '/', '%00', '\x00', '\xff',
  'SIP/2.0', 'SIP/3.0', 'Via: ', 'v: ', ';branch=z9hG4bK', ';rport', ';received=', 'Max-Forwards: ', 'Content-Length: ', 'l: ',
  'Call-ID: ', 'CSeq: ', 'From: ', 'To: ', ';tag=', 'Route: ', `<sip:${LB.host}:${LB.port};lr>`, '<sip:127.0.0.1:5072;lr>', '<sip:192.0.2.7;lr>',
  'Record-Route: ', 'Proxy-Require: ', 'Require: ', 'sips:', 'tel:', 'http:', ';method=INVITE', '?Route=x', '[2001:db8::1]', '2001:db8::1',
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', '4294967296', '255', '256', '0', '99999999999', 'User-Agent: friendly-scanner',
];
const dict = DICT.map((s) => Buffer.from(s, 'latin1'));
const corpus = [...seeds];

function mutate(src) {
  let b = src;
  const n = 1 + ri(4);
  for (let m = 0; m < n; m++) {
    const at = ri(b.length + 1);
    switch (ri(7)) {
      case 0: { // flip a byte
        if (b.length === 0) break;
        const c = Buffer.from(b);
        c[ri(c.length)] = ri(256);
        b = c;
        break;
      }
      case 1: // insert a dictionary token
      case 2: {
        const t = dict[ri(dict.length)];
        b = Buffer.concat([b.subarray(0, at), t, b.subarray(at)]);
        break;
      }
      case 3: // delete a range
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + ri(16)))]);
        break;
      case 4: { // duplicate a range (repeated headers, lists)
        const e = Math.min(b.length, at + 1 + ri(64));
        b = Buffer.concat([b.subarray(0, e), b.subarray(at, e), b.subarray(e)]);
        break;
      }
      case 5: { // splice with another corpus entry
        const o = corpus[ri(corpus.length)];
        b = Buffer.concat([b.subarray(0, at), o.subarray(ri(o.length + 1))]);
        break;
      }
      default: // insert a random byte
        b = Buffer.concat([b.subarray(0, at), Buffer.of(ri(256)), b.subarray(at)]);
    }
  }
  return b.length > 4096 ? b.subarray(0, 4096) : b;
}

// ---- the loop -----------------------------------------------------------------------------------
const crashes = [];
const crashDir = join(work, 'crashes');
function crash(input, from, what) {
  mkdirSync(crashDir, { recursive: true });
  const file = join(crashDir, `crash-${crashes.length}.sip`);
  writeFileSync(file, input);
  crashes.push({ what, file, from: from.address });
  console.error(`CRASH ${what} (input in ${file}, from ${from.address})`);
}
function exec(input) {
  // Most inputs come from an untrusted caller (abuse screen, no-relay rule); some from a backend
  // (outbound routing, the response path).
  const from = rnd() < 0.8 ? UNTRUSTED : FROM_BACKEND;
  try {
    const err = checkOne(input, from);
    if (err !== undefined) crash(input, from, err);
  } catch (e) {
    crash(input, from, `uncaught ${e instanceof Error ? e.stack : String(e)}`);
  }
}
for (const s of seeds) {
  exec(s);
  harvest();
}
const t0 = performance.now();
let execs = 0;
let lastReport = t0;
while (execs < RUNS && crashes.length < 10) {
  const input = mutate(corpus[ri(corpus.length)]);
  exec(input);
  execs++;
  if (harvest() && corpus.length < 20_000) corpus.push(input);
  if ((execs & 0x3fff) === 0) {
    const now = performance.now();
    if (MAX_SECONDS > 0 && now - t0 > MAX_SECONDS * 1000) break;
    if (now - lastReport > 10_000) {
      lastReport = now;
      console.log(`#${execs} cov-features: ${features} corpus: ${corpus.length} exec/s: ${Math.round(execs / ((now - t0) / 1000))}`);
    }
  }
}
const seconds = (performance.now() - t0) / 1000;
// Statement coverage of the instrumented files, from the features seen (any bucket = covered).
let stmts = 0;
let stmtsHit = 0;
let idx = 0;
for (const file of Object.values(cov)) {
  const ns = Object.keys(file.s).length;
  for (let j = 0; j < ns; j++) if (seen[idx + j] !== 0) stmtsHit++;
  stmts += ns;
  idx += ns + Object.keys(file.f).length + Object.values(file.b).reduce((a, arr) => a + arr.length, 0);
}
console.log(JSON.stringify({
  fuzz: 'proxy-path', engine: 'istanbul-guided', node: process.version, seed: SEED0, execs, seconds: Math.round(seconds),
  execs_per_s: Math.round(execs / seconds), crashes: crashes.length, corpus: corpus.length, features,
  instrumented_files: instrumented, statements_covered: `${stmtsHit}/${stmts}`,
}));
process.exit(crashes.length === 0 ? 0 : 1);
