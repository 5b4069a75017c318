// Malformed SIP traffic for bench/soak.sh: RATE datagrams/s for SECONDS seconds to HOST:PORT
// (loopback only), a rotating mix of what siplb must answer (505, 416, 420, several 400s) and
// what it cannot (no readable top Via: dropped). Bounded in count (RATE*SECONDS) and time.
// Prints one JSON line: sent, answers by status, and how many answerable ones got no answer.
// Usage: node bench/soak-malformed.mjs 127.0.0.1 43060 50 120
import dgram from 'node:dgram';
import { clearInterval, setInterval } from 'node:timers';

const [host = '127.0.0.1', portArg = '5060', rateArg = '50', secondsArg = '60'] = process.argv.slice(2);
if (!/^127\.|^::1$/.test(host)) {
  console.error('loopback only');
  process.exit(2);
}
const port = Number(portArg);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const total = Math.floor(rate * seconds);

const sock = dgram.createSocket('udp4');
await new Promise((r) => sock.bind(0, '127.0.0.1', r));
const lp = sock.address().port;
const base = (first, n, extra = '', method = 'OPTIONS') =>
  `${first}\r\nVia: SIP/2.0/UDP 127.0.0.1:${lp};branch=z9hG4bK-soak-${n}\r\nMax-Forwards: 70\r\nFrom: <sip:soak@example.net>;tag=${n}\r\n` +
  `To: <sip:b@example.com>\r\nCall-ID: soak-bad-${n}\r\nCSeq: 1 ${method}\r\n${extra}Content-Length: 0\r\n\r\n`;
const KINDS = [
  { want: 505, make: (n) => base('OPTIONS sip:b@example.com SIP/7.0', n) },
  { want: 416, make: (n) => base('OPTIONS urn:x:y SIP/2.0', n) },
  { want: 420, make: (n) => base('OPTIONS sip:b@example.com SIP/2.0', n, 'Proxy-Require: foo\r\n') },
  { want: 400, make: (n) => base('INVITE sip:b@example.com SIP/2.0', n, 'Call-ID: dup\r\n', 'INVITE') },
  { want: 400, make: (n) => base('INVITE sip:b@example.com SIP/2.0', n, '', 'BYE') },
  { want: 400, make: (n) => base('INVITE sip:b@example.com?Route=x SIP/2.0', n, '', 'INVITE') },
  { want: 400, make: (n) => base('OPTIONS sip:b@example.com SIP/2.0', n).replace('Content-Length: 0', 'Content-Length: 500') },
  { want: 0, make: (n) => `INVITE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP ;;,;\r\nCall-ID: x${n}\r\n\r\n` },
  { want: 0, make: (n) => `\x00\x01garbage ${n}\r\n\r\n` },
];
const answers = {};
let answered = 0;
sock.on('message', (m) => {
  const status = m.toString('latin1', 8, 11);
  answers[status] = (answers[status] ?? 0) + 1;
  answered++;
});
let sent = 0;
let expectAnswers = 0;
const t0 = Date.now();
await new Promise((resolve) => {
  const tick = setInterval(() => {
    const due = Math.min(total, Math.floor(((Date.now() - t0) / 1000) * rate));
    while (sent < due) {
      const k = KINDS[sent % KINDS.length];
      if (k.want !== 0) expectAnswers++;
      sock.send(k.make(sent), port, host);
      sent++;
    }
    if (sent >= total || Date.now() - t0 > (seconds + 5) * 1000) {
      clearInterval(tick);
      resolve();
    }
  }, 10);
});
await new Promise((r) => setTimeout(r, 1000));
sock.close();
console.log(JSON.stringify({ malformed_sent: sent, answerable: expectAnswers, answered, unanswered_answerable: Math.max(0, expectAnswers - answered), answers_by_status: answers }));
