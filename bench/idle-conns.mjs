// bench/idle-conns.mjs PORT COUNT [HOLD_S] — open COUNT TCP connections to 127.0.0.1:PORT (one
// source address), send each a CRLF keep-alive ping (RFC 5626 §4.4.1: the first byte, so the
// first-byte deadline does not close them) and hold them idle for HOLD_S (default 10) seconds,
// then close them all. Prints one JSON line when all are open: how many opened and answered.
// Loopback only; bounded in count (<= 20000) and time.
import net from 'node:net';
import process from 'node:process';
import { setTimeout } from 'node:timers';

const port = Number(process.argv[2]);
const count = Math.min(Number(process.argv[3] ?? 1000), 20_000);
const holdS = Number(process.argv[4] ?? 10);
const socks = [];
let pongs = 0;
let failed = 0;
for (let i = 0; i < count; i++) {
  await new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.write('\r\n\r\n');
      resolve();
    });
    s.once('data', () => pongs++);
    s.on('error', () => {
      failed++;
      resolve();
    });
    socks.push(s);
  });
}
await new Promise((r) => setTimeout(r, 1000));
process.stdout.write(`${JSON.stringify({ opened: count - failed, failed, pongs })}\n`);
await new Promise((r) => setTimeout(r, holdS * 1000));
for (const s of socks) s.destroy();
