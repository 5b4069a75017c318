// Micro-benchmark of the UDP engines alone (issue 20): a caller socket sends BURST datagrams of
// a typical INVITE's size to a relay, the relay hands each up and sends it on to a sink (what
// siplb's transport does, without the proxy), the sink counts; then the next burst. The relay is
// siplb's transport on node:dgram (UdpTransport) or on the native accelerator (NativeUdpTransport),
// in the same process, ALTERNATING per round so a busy machine hurts both alike. Caller and sink
// are plain node:dgram sockets whose cost is the same for both engines.
// Prints one JSON line per engine and burst size: process CPU ns (user+sys, which counts the
// kernel's work for all three sockets too) and wall ns per relayed datagram, medians of ROUNDS.
// Usage: npm run build && npm run build:native && node bench/micro/udp-relay.mjs
// Env: ROUNDS (15) MSGS (4000 per round) BURSTS ("1 32"). Loopback only; bounded by ROUNDS*MSGS.
import dgram from 'node:dgram';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { loadNativeUdp } from '../../dist/transport/native-addon.js';
import { UdpTransport } from '../../dist/transport/udp.js';
import { NativeUdpTransport } from '../../dist/transport/udp-native.js';

const ROUNDS = Number(process.env.ROUNDS ?? 15);
const MSGS = Number(process.env.MSGS ?? 4000);
const BURSTS = (process.env.BURSTS ?? '1 32').split(/\s+/).map(Number);
const HOST = '127.0.0.1';
const PAYLOAD = Buffer.alloc(900, 0x41);
PAYLOAD.write('INVITE sip:bob@127.0.0.1 SIP/2.0\r\n');

const load = loadNativeUdp();
if (!load.ok) {
  // Not a failure of `npm run bench:micro`: the accelerator is optional. Say so in the output.
  console.log(JSON.stringify({ bench: 'udp-relay', skipped: load.reason }));
  process.exit(0);
}

function bind(sock) {
  return new Promise((r) => sock.bind(0, HOST, () => r(sock.address().port)));
}

async function setup(engine) {
  const opts = { listen: { host: HOST, port: 0 }, recvBufferBytes: 4 << 20, sendBufferBytes: 4 << 20 };
  const relay = engine === 'native' ? new NativeUdpTransport(load.addon, opts) : new UdpTransport(opts);
  const sink = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  const caller = dgram.createSocket({ type: 'udp4', sendBufferSize: 4 << 20, lookup: (h, _o, cb) => cb(null, h, 4) });
  const sinkPort = await bind(sink);
  await bind(caller);
  const target = { transport: 'udp', host: HOST, port: sinkPort };
  relay.onMessage((buf) => relay.send(buf, target));
  relay.watchBacklog(false);
  const { port } = await relay.start();
  return { engine, relay, sink, caller, port };
}

/** One round: MSGS datagrams in bursts of `burst`, each burst sent when the last one arrived. */
function round(s, burst) {
  return new Promise((resolve) => {
    let got = 0;
    let sent = 0;
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const sendBurst = () => {
      const n = Math.min(burst, MSGS - sent);
      for (let i = 0; i < n; i++) s.caller.send(PAYLOAD, s.port, HOST);
      sent += n;
    };
    // A lost datagram (it should not happen on loopback with 4 MiB buffers) ends the run.
    const guard = setTimeout(() => {
      console.error(`udp-relay: ${s.engine} lost datagrams (${got}/${sent} arrived)`);
      process.exit(1);
    }, 20_000);
    s.sink.removeAllListeners('message');
    s.sink.on('message', () => {
      got++;
      if (got === MSGS) {
        clearTimeout(guard);
        const c = process.cpuUsage(c0);
        resolve({ wallNs: Number(process.hrtime.bigint() - t0) / MSGS, cpuNs: ((c.user + c.system) * 1000) / MSGS });
      } else if (got === sent) sendBurst();
    });
    sendBurst();
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const engines = [await setup('native'), await setup('dgram')];
for (const burst of BURSTS) {
  const res = { native: [], dgram: [] };
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? engines : [...engines].reverse();
    for (const s of order) res[s.engine].push(await round(s, burst));
  }
  for (const e of ['native', 'dgram']) {
    const rs = res[e].slice(2); // the first two rounds warm up the JIT
    console.log(
      JSON.stringify({
        bench: 'udp-relay',
        engine: e,
        burst,
        msgs: MSGS,
        rounds: rs.length,
        cpu_ns_per_msg: Math.round(median(rs.map((x) => x.cpuNs))),
        cpu_ns_min: Math.round(Math.min(...rs.map((x) => x.cpuNs))),
        cpu_ns_max: Math.round(Math.max(...rs.map((x) => x.cpuNs))),
        wall_ns_per_msg: Math.round(median(rs.map((x) => x.wallNs))),
      }),
    );
  }
}
for (const s of engines) {
  await s.relay.close();
  s.sink.close();
  s.caller.close();
}
