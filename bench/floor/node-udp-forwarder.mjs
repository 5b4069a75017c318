// bench/floor/node-udp-forwarder.mjs — the floor under any Node.js SIP proxy built on node:dgram.
// Forwards datagrams without looking at them: from the caller to one backend, from the backend
// back to the caller (sipp answers the source address, so no header needs changing). No parsing,
// no routing, no metrics: what is left is the kernel's send/receive and Node's per-datagram
// plumbing (libuv read, Buffer + rinfo, the JS callback, dgram's send path) that siplb also pays.
// Run it in place of an LB under bench/harness (LB_PID=<its pid> harness/run.sh), one backend.
// Loopback only; stops on SIGTERM/SIGINT, or by itself after MAX_S seconds.
// Env: LISTEN_PORT (5060) BACKEND_PORT (5071) MAX_S (600)
import dgram from 'node:dgram';
import process from 'node:process';

const LISTEN_PORT = Number(process.env.LISTEN_PORT ?? 5060);
const BACKEND_PORT = Number(process.env.BACKEND_PORT ?? 5071);
const MAX_S = Number(process.env.MAX_S ?? 600);
const HOST = '127.0.0.1';

// The same synchronous lookup siplb's transport uses for IP literals (no DNS round per send).
const lookup = (host, _opts, cb) => cb(null, host, 4);
const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20, lookup });
let callerPort = 0;
sock.on('message', (buf, from) => {
  if (from.port === BACKEND_PORT) {
    if (callerPort !== 0) sock.send(buf, callerPort, HOST);
  } else {
    callerPort = from.port;
    sock.send(buf, BACKEND_PORT, HOST);
  }
});
sock.on('error', () => {});
sock.bind(LISTEN_PORT, HOST);
const stop = () => sock.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
setTimeout(stop, MAX_S * 1000).unref();
