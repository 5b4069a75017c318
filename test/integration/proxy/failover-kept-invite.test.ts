/**
 * Serial failover keeps the INVITE past its datagram's handler (to resend it when the first
 * backend stays silent), while the native UDP engine copies every later batch into the same
 * receive memory (native/udp/src/udp.c, transport/contract.ts MessageHandler). Real loopback
 * sockets: the INVITE goes to one backend, which never answers; meanwhile other datagrams pass
 * through siplb in later batches; the copy the next backend gets after the timeout must be the
 * same request, byte for byte, apart from the branch of siplb's own Via (a new client
 * transaction, RFC 3261 §16.6 step 8).
 */
import { afterEach, expect, it } from 'vitest';
import { build } from '../../../src/app.js';
import { validateConfig } from '../../../src/config/validate.js';
import { silentLogger } from '../../../src/log.js';
import { waitFor } from '../../helpers/wait.js';
import { recordingSocket, type RecordingSocket } from '../../helpers/udp-socket.js';

/** Sockets and the app under test, closed after each test (the app first: it was opened last). */
const opened: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const s of opened.splice(0).reverse()) await s.close();
});

const socket = (): Promise<RecordingSocket> => recordingSocket(opened);

function invite(callId: string, port: number): Buffer {
  const sdp = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n';
  return Buffer.from(
    `INVITE sip:service@127.0.0.1 SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-${callId};rport\r\n` +
      `From: <sip:caller@127.0.0.1>;tag=t-${callId}\r\nTo: <sip:service@127.0.0.1>\r\n` +
      `Call-ID: ${callId}\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContact: <sip:caller@127.0.0.1:${port}>\r\n` +
      `Content-Type: application/sdp\r\nContent-Length: ${sdp.length}\r\n\r\n${sdp}`,
    'latin1',
  );
}

/** An OPTIONS for siplb itself (answered by it): filler that goes through the receive memory. */
function options(i: number, port: number): Buffer {
  return Buffer.from(
    `OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-o${i};rport\r\n` +
      `From: <sip:ping@127.0.0.1>;tag=o${i}\r\nTo: <sip:127.0.0.1>\r\nCall-ID: opt-${i}-${'X'.repeat(600)}\r\n` +
      `CSeq: 1 OPTIONS\r\nMax-Forwards: 0\r\nContent-Length: 0\r\n\r\n`,
    'latin1',
  );
}

/** The request with the branch of its top Via (siplb's) blanked: the one part a new attempt changes. */
function withoutTopBranch(b: Buffer): string {
  return b.toString('latin1').replace(/^(Via: [^\r]*?;branch=)[^;\r]*/m, '$1*');
}

it('resends the kept INVITE intact to the next backend after later batches reused the receive memory (native engine)', async () => {
  const gw1 = await socket();
  const gw2 = await socket();
  const caller = await socket();
  const pinger = await socket();
  const v = validateConfig({
    sip: { listen: '127.0.0.1:0', udpEngine: 'native' },
    backends: [
      { id: 'gw1', address: `127.0.0.1:${gw1.port}` },
      { id: 'gw2', address: `127.0.0.1:${gw2.port}` },
    ],
    health: { enabled: false },
    failover: { timeout: '300ms', maxAttempts: 2 },
    overload: { enabled: false },
  });
  if (!v.ok) throw new Error(JSON.stringify(v.issues));
  const app = build(v.config, { logger: silentLogger() });
  opened.push({ close: () => app.stop() });
  const port = (await app.start()).port;

  const sent = invite('kept-1', caller.port);
  caller.sock.send(sent, port, '127.0.0.1');
  await waitFor('the first attempt', () => gw1.got.length + gw2.got.length === 1, 5000, 5);
  const first = (gw1.got.length === 1 ? gw1 : gw2).got[0]!;
  const next = gw1.got.length === 1 ? gw2 : gw1;

  // Later batches while the first backend stays silent: each is copied where the INVITE was.
  for (let i = 0; i < 64; i++) {
    pinger.sock.send(options(i, pinger.port), port, '127.0.0.1');
    if (i % 8 === 7) await waitFor('the answers', () => pinger.got.length === i + 1, 5000, 2);
  }
  await waitFor('the failover attempt', () => next.got.length === 1, 5000, 10);
  const resent = next.got[0]!;
  expect(withoutTopBranch(resent)).toBe(withoutTopBranch(first));
  expect(resent.toString('latin1')).not.toBe(first.toString('latin1')); // a new branch
  // The caller's Content-Type and body came through unchanged (Max-Forwards went down by one).
  expect(resent.subarray(resent.indexOf('Content-Type: ')).equals(sent.subarray(sent.indexOf('Content-Type: ')))).toBe(true);
});
