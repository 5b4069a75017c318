// Instructions per datagram on the native UDP accelerator's receive path (issue 20), counted by
// callgrind: a sender (a second NativeUdpTransport) sends BURST datagrams of a typical INVITE's
// size over loopback to a receiver whose handler only counts; when the burst has arrived, the
// next one goes. bench/callgrind.sh prices the proxy core without sockets; this prices what it
// leaves out on the way in: the batch callback, getting each datagram into a Buffer, its source,
// the keepalive check, the backlog meter. The sender's user-space cost is in the figure too, the
// same before and after a receive-side change; the kernel's is not (callgrind counts user space).
//
//   npm run build && npm run build:native
//   CALLGRIND_MARKS=1 valgrind --tool=callgrind --smc-check=all-non-file --zero-before='*getuid' \
//     --dump-before='*getgid' --callgrind-out-file=/tmp/cg-recv/callgrind.out \
//     node_modules/.bin/node --max-semi-space-size=4 --predictable bench/micro/udp-native-recv.mjs
//   then Ir of the largest dump / (MSGS) = instructions per datagram (the script prints MSGS).
// Without valgrind it prints CPU ns per datagram (process user+sys, the kernel included).
// Env: MSGS (20000, bounded), WARM (MSGS: datagrams before the measured ones), BURST (32), SIZE (900).
// Loopback only.
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { loadNativeUdp } from '../../dist/transport/native-addon.js';
import { NativeUdpTransport } from '../../dist/transport/udp-native.js';

const MSGS = Number(process.env.MSGS ?? 20_000);
const WARM = Number(process.env.WARM ?? MSGS);
const BURST = Number(process.env.BURST ?? 32);
const SIZE = Number(process.env.SIZE ?? 900);
const MARKS = process.env.CALLGRIND_MARKS === '1';
const HOST = '127.0.0.1';
const PAYLOAD = Buffer.alloc(SIZE, 0x41);
PAYLOAD.write('INVITE sip:bob@127.0.0.1 SIP/2.0\r\n');

const load = loadNativeUdp();
if (!load.ok) {
  console.log(JSON.stringify({ bench: 'udp-native-recv', skipped: load.reason }));
  process.exit(0);
}
const opts = { listen: { host: HOST, port: 0 }, recvBufferBytes: 4 << 20, sendBufferBytes: 4 << 20 };
const receiver = new NativeUdpTransport(load.addon, opts);
const sender = new NativeUdpTransport(load.addon, opts);
let got = 0;
let bytes = 0;
/** Called when `got` reaches `until` (the last datagram of a burst arrived). */
let until = -1;
let onBurst = () => {};
receiver.onMessage((buf, from) => {
  got++;
  bytes += buf.length + from.port; // touch what a handler touches
  if (got === until) onBurst();
});
const { port } = await receiver.start();
await sender.start();
const target = { transport: 'udp', host: HOST, port };

/** `count` datagrams in bursts of BURST, each burst sent when the last one has arrived. */
function run(count) {
  return new Promise((resolve) => {
    const end = got + count;
    const guard = setTimeout(() => {
      console.error(`udp-native-recv: lost datagrams (${got}/${until} arrived)`);
      process.exit(1);
    }, 60_000);
    onBurst = () => {
      if (got === end) {
        clearTimeout(guard);
        resolve();
        return;
      }
      const n = Math.min(BURST, end - got);
      until = got + n;
      for (let i = 0; i < n; i++) sender.send(PAYLOAD, target);
    };
    until = got;
    onBurst();
  });
}

await run(WARM);
const c0 = process.cpuUsage();
if (MARKS) process.getuid(); // callgrind: zero the counters here …
await run(MSGS);
if (MARKS) process.getgid(); // … and dump them here
const c = process.cpuUsage(c0);
console.log(JSON.stringify({ bench: 'udp-native-recv', msgs: MSGS, burst: BURST, size: SIZE, cpu_ns_per_msg: Math.round(((c.user + c.system) * 1000) / MSGS), check: bytes > 0 }));
await sender.close();
await receiver.close();
