#!/usr/bin/env node
/**
 * One-shot SIP OPTIONS over UDP for keepalived health checks (check-siplb.sh), like
 * `siplb probe` but with no dependencies, so it starts in tens of milliseconds.
 *
 *   node sip-ping.mjs HOST [PORT] [TIMEOUT_MS]
 *
 * Sends OPTIONS sip:HOST:PORT and retransmits it after 100, 200, 400 ms (RFC 3261 §17.1.2.2
 * Timer E, with a shorter T1), so one lost datagram does not fail the check. Exit 0 when any
 * SIP response carrying our Call-ID arrives (the server is alive and parsing SIP), 1 on timeout
 * or when the port is closed (ICMP port unreachable), 2 on usage errors.
 */
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';

const [host, portArg = '5060', timeoutArg = '400'] = process.argv.slice(2);
const port = Number(portArg);
const timeoutMs = Number(timeoutArg);
if (!host || net.isIP(host) === 0 || !Number.isInteger(port) || port < 1 || port > 65535 || !(timeoutMs > 0)) {
  process.stderr.write('usage: node sip-ping.mjs HOST_IP [PORT] [TIMEOUT_MS]\n');
  process.exitCode = 2;
} else {
  ping(host, port, timeoutMs);
}

function ping(host, port, timeoutMs) {
  const id = randomBytes(8).toString('hex');
  const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
  const timers = new Set();
  let finished = false;
  const done = (code, why) => {
    if (finished) return;
    finished = true;
    if (why) process.stderr.write(`sip-ping: ${why}\n`);
    process.exitCode = code;
    for (const t of timers) clearTimeout(t);
    socket.close();
  };
  timers.add(setTimeout(() => done(1, `no SIP response from ${host}:${port} within ${timeoutMs} ms`), timeoutMs));
  socket.on('error', (err) => done(1, `${host}:${port}: ${err.message}`));
  socket.on('message', (buf) => {
    const text = buf.toString('latin1');
    if (text.startsWith('SIP/2.0 ') && text.includes(id)) done(0);
  });
  // connect(): the kernel picks the source address (our Via) and reports ICMP port unreachable.
  socket.connect(port, host, () => {
    const local = socket.address();
    const hp = (h, p) => (h.includes(':') ? `[${h}]:${p}` : `${h}:${p}`);
    const target = `sip:${hp(host, port)}`;
    const msg = Buffer.from(
      `OPTIONS ${target} SIP/2.0\r\n` +
        `Via: SIP/2.0/UDP ${hp(local.address, local.port)};branch=z9hG4bK${id};rport\r\n` +
        `Max-Forwards: 70\r\n` +
        `From: <sip:keepalived@${hp(local.address, local.port)}>;tag=${id}\r\n` +
        `To: <${target}>\r\n` +
        `Call-ID: ${id}@keepalived\r\n` +
        `CSeq: 1 OPTIONS\r\n` +
        `User-Agent: siplb-keepalived-check\r\n` +
        `Content-Length: 0\r\n\r\n`,
    );
    let wait = 100;
    const send = () => {
      if (finished) return;
      socket.send(msg);
      timers.add(setTimeout(send, wait));
      wait *= 2;
    };
    send();
  });
}
