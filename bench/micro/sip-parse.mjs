// Micro-benchmark of the SIP hot path: parse + the accessors the proxy reads on every message,
// and applyEdits with the three edits a forwarded request gets. Needs `npm run build` first.
// Prints one JSON line per case: median ns/op over 5 rounds after a warm-up.
import { Buffer } from 'node:buffer';
import console from 'node:console';
import process from 'node:process';
import { parseSip, applyEdits, HeaderId } from '../../dist/sip/index.js';

const ITER = Number(process.env.ITER ?? 200_000);
const ROUNDS = 5;
const crlf = (s) => Buffer.from(s.replace(/\n/g, '\r\n'), 'latin1');

const SDP = `v=0
o=alice 2890844526 2890844526 IN IP4 192.0.2.101
s=-
c=IN IP4 192.0.2.101
t=0 0
m=audio 49172 RTP/AVP 0 8 101
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=sendrecv
`;
const INVITE = crlf(`INVITE sip:+15551230000@pbx.example.com;user=phone SIP/2.0
Via: SIP/2.0/UDP 198.51.100.20:5060;branch=z9hG4bK-524287-1---9f1e6b5c2d;rport
Via: SIP/2.0/UDP 10.1.2.3:5060;received=198.51.100.3;branch=z9hG4bK776asdhds;rport=5060
Max-Forwards: 69
Route: <sip:lb.example.net;lr>, <sip:core1.example.net;lr;transport=udp>
Record-Route: <sip:edge.example.net;lr>
From: "Alice Liddell" <sip:+15557654321@example.com;user=phone>;tag=1928301774
To: <sip:+15551230000@pbx.example.com;user=phone>
Call-ID: a84b4c76e66710-19283@198.51.100.20
CSeq: 314159 INVITE
Contact: <sip:+15557654321@198.51.100.20:5060;transport=udp>
Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, INFO, UPDATE, PRACK
Supported: replaces, timer, 100rel
User-Agent: ExamplePhone/4.2.1
Content-Type: application/sdp
Content-Length: ${Buffer.byteLength(SDP.replace(/\n/g, '\r\n'))}

${SDP}`);

const OK200 = crlf(`SIP/2.0 200 OK
Via: SIP/2.0/UDP 198.51.100.20:5060;branch=z9hG4bK-524287-1---9f1e6b5c2d;rport=5060;received=198.51.100.20
Via: SIP/2.0/UDP 10.1.2.3:5060;received=198.51.100.3;branch=z9hG4bK776asdhds;rport=5060
Record-Route: <sip:edge.example.net;lr>
From: "Alice Liddell" <sip:+15557654321@example.com;user=phone>;tag=1928301774
To: <sip:+15551230000@pbx.example.com;user=phone>;tag=a6c85cf
Call-ID: a84b4c76e66710-19283@198.51.100.20
CSeq: 314159 INVITE
Contact: <sip:+15551230000@192.0.2.4:5060>
Content-Type: application/sdp
Content-Length: ${Buffer.byteLength(SDP.replace(/\n/g, '\r\n'))}

${SDP}`);

let sink = 0;

function parseAndRead(buf) {
  const r = parseSip(buf);
  if (!r.ok) throw new Error(r.error.detail);
  const m = r.msg;
  sink += m.callId().length + m.topVia().host.length + (m.maxForwards() ?? 0) + (m.routes()?.length ?? 0);
}

const parsed = parseSip(INVITE);
if (!parsed.ok) throw new Error('fixture');
const msg = parsed.msg;
const mf = msg.first(HeaderId.MAX_FORWARDS);
const route = msg.first(HeaderId.ROUTE);
const EDITS = [
  { start: msg.headersStart, end: msg.headersStart, insert: 'Via: SIP/2.0/UDP 203.0.113.1:5060;branch=z9hG4bK-lb-0a1b2c3d\r\n' },
  { start: route.lineStart, end: route.lineEnd, insert: '' },
  { start: mf.valueStart, end: mf.valueEnd, insert: '68' },
];
function edit() {
  sink += applyEdits(INVITE, EDITS).length;
}

function bench(name, fn, bytes) {
  for (let i = 0; i < 50_000; i++) fn();
  const results = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < ITER; i++) fn();
    results.push(Number(process.hrtime.bigint() - t0) / ITER);
  }
  results.sort((a, b) => a - b);
  const median = results[Math.floor(ROUNDS / 2)];
  console.log(JSON.stringify({ case: name, bytes, ns_per_op: Math.round(median), ops_per_s: Math.round(1e9 / median), iterations: ITER, rounds: ROUNDS, node: process.version }));
}

// Same-run reference point: the cheapest thing a naive parser does first (decode + split lines).
// On a shared or throttled machine compare cases against this line rather than across runs.
bench('baseline-toString-split-lines', () => {
  sink += INVITE.toString('latin1').split('\r\n').length;
}, INVITE.length);
bench('sip-parse-invite+callId+topVia+maxForwards+routes', () => parseAndRead(INVITE), INVITE.length);
bench('sip-parse-200ok+callId+topVia+maxForwards+routes', () => parseAndRead(OK200), OK200.length);
bench('sip-applyEdits-3-edits', edit, INVITE.length);
if (sink === 42) console.log('');
