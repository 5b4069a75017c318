// bench/floor/node-udp-forwarder.mjs — the floor under any Node.js SIP proxy built on node:dgram.
// Forwards datagrams without parsing them: from the caller to a backend, from the backend back to
// the caller (sipp answers the source address, so no header needs changing). No parsing, no
// routing state, no metrics: what is left is the kernel's send/receive and Node's per-datagram
// plumbing (libuv read, Buffer + rinfo, the JS callback, dgram's send path) that siplb also pays.
// BACKENDS=3 spreads calls over 5071..5073 the way siplb and Kamailio do (a few bytes of the
// Call-ID value hashed, so every message of a call meets the same sipp UAS); BACKENDS=1 sends all
// to BACKEND_PORT. The spread matters: waking three mostly idle receivers costs the sender more
// kernel time per datagram than feeding one busy one.
// Run it in place of an LB under bench/harness (LB_PID=<its pid> harness/run.sh).
// Loopback only; stops on SIGTERM/SIGINT, or by itself after MAX_S seconds.
// Env: LISTEN_PORT (5060) BACKEND_PORT (5071) BACKENDS (3) MAX_S (600)
import dgram from 'node:dgram';
import process from 'node:process';

const LISTEN_PORT = Number(process.env.LISTEN_PORT ?? 5060);
const BACKEND_PORT = Number(process.env.BACKEND_PORT ?? 5071);
const BACKENDS = Number(process.env.BACKENDS ?? 3);
const MAX_S = Number(process.env.MAX_S ?? 600);
const HOST = '127.0.0.1';

// The same synchronous lookup siplb's transport uses for IP literals (no DNS round per send).
const lookup = (host, _opts, cb) => cb(null, host, 4);
const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20, lookup });
const CALL_ID = Buffer.from('\r\nCall-ID:');

/** The backend port for a request: sum of the Call-ID value's first 16 bytes (sipp's `n-pid@host`). */
function backendPort(buf) {
  if (BACKENDS <= 1) return BACKEND_PORT;
  const at = buf.indexOf(CALL_ID);
  if (at < 0) return BACKEND_PORT;
  let h = 0;
  for (let i = at + CALL_ID.length, end = Math.min(buf.length, i + 16); i < end; i++) h += buf[i];
  return BACKEND_PORT + (h % BACKENDS);
}

let callerPort = 0;
sock.on('message', (buf, from) => {
  if (from.port >= BACKEND_PORT && from.port < BACKEND_PORT + BACKENDS) {
    if (callerPort !== 0) sock.send(buf, callerPort, HOST);
  } else {
    callerPort = from.port;
    sock.send(buf, backendPort(buf), HOST);
  }
});
sock.on('error', () => {});
sock.bind(LISTEN_PORT, HOST);
const stop = () => sock.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setTimeout(stop, MAX_S * 1000).unref();
