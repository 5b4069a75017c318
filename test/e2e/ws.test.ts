/**
 * SIP over WebSocket (RFC 7118) into a real siplb process, listening on ws: and wss: (a throwaway
 * CA's certificate) in front of a sipp UDP gateway. A Node `ws` client speaking hand-written SIP,
 * as a browser would (Via host `*.invalid`), sends OPTIONS and a whole call (INVITE, 200, ACK,
 * BYE) through siplb and gets every response back over its WebSocket. At the gateway the INVITE
 * carries our UDP Via with the flow (lbflow) on top of the client's WSS Via, and two r2=on
 * Record-Routes (transport=udp facing the gateway, transport=ws facing the client; RFC 5658,
 * RFC 7118 §5.3). Refused handshakes (no `sip` subprotocol, foreign Origin) show in /metrics.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue } from '../helpers/metric-value.js';
import { freePorts } from '../helpers/ports.js';
import { sippAvailable, startUas, traced, type Uas } from '../helpers/sipp.js';
import { CLI, startSiplb, type SiplbProcess } from '../helpers/siplb.js';
import { makePki, opensslMissing, type TestPki } from '../helpers/tls-certs.js';
import { waitFor } from '../helpers/wait.js';
import { connectWs, openWs, type WsPeer } from '../helpers/ws-client.js';

const SKIP = !sippAvailable() || opensslMissing() !== undefined;
const ORIGIN = 'https://phone.example.test';
/** A browser's made-up host (JsSIP, SIP.js): never resolved, never routed on. */
const BROWSER = 'k7rq2dn1vx3p.invalid';

function request(method: string, uri: string, callId: string, cseq: number, viaTransport: string, lines: string[] = [], body = ''): string {
  return (
    `${method} ${uri} SIP/2.0\r\nVia: SIP/2.0/${viaTransport} ${BROWSER};branch=z9hG4bK-${callId}-${cseq}-${method}\r\nMax-Forwards: 70\r\n` +
    `From: <sip:alice@phone.example.test>;tag=a1\r\nCall-ID: ${callId}\r\nCSeq: ${cseq} ${method}\r\n${lines.map((l) => `${l}\r\n`).join('')}` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

describe.skipIf(SKIP)('SIP over WebSocket through a real siplb, ws: and wss:, to a sipp UDP gateway', () => {
  let pki: TestPki;
  let lb: SiplbProcess;
  let uas: Uas;
  let ca: Buffer;
  let wsPort = 0;
  let wssPort = 0;
  let adminPort = 0;

  beforeAll(async () => {
    pki = makePki();
    ca = readFileSync(pki.caFile);
    const cert = pki.issue('siplb-wss', 'e005');
    const [udpPort, w, ws, gw, admin] = await freePorts(5);
    [wsPort, wssPort, adminPort] = [w!, ws!, admin!];
    uas = await startUas({ port: gw!, traceMessages: true });
    lb = await startSiplb({
      sip: {
        listen: [`udp:127.0.0.1:${udpPort}`, `ws:127.0.0.1:${wsPort}`, `wss:127.0.0.1:${wssPort}`],
        tls: { cert: cert.cert, key: cert.key },
        ws: { allowedOrigins: [ORIGIN] },
      },
      backends: [{ id: 'gw1', address: `127.0.0.1:${gw}` }],
      health: { enabled: false },
      admin: { listen: `127.0.0.1:${adminPort}` },
      log: { level: 'warn' },
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.all([lb?.stop(), uas?.stop()]);
    pki?.cleanup();
  });

  it('answers OPTIONS for itself and relays an OPTIONS to the gateway, over wss: and over ws: (a WSS Via on ws:, as SIP.js writes it)', async () => {
    const peers: WsPeer[] = [];
    try {
      const secure = await connectWs(`wss://127.0.0.1:${wssPort}/`, { ca, origin: ORIGIN });
      peers.push(secure);
      secure.send(request('OPTIONS', `sip:127.0.0.1:${wssPort};transport=ws`, 'ws-opt-self', 1, 'WSS', [`To: <sip:127.0.0.1:${wssPort}>`]));
      expect(await secure.await(/Call-ID: ws-opt-self/)).toMatch(/^SIP\/2\.0 200 OK/);
      // A Request-URI with a user at siplb's address goes to a backend (without one: siplb answers).
      secure.send(request('OPTIONS', `sip:gw@127.0.0.1:${wssPort}`, 'ws-opt-gw', 1, 'WSS', ['To: <sip:gw@gateway.test>']));
      expect(await secure.await(/Call-ID: ws-opt-gw/)).toMatch(/^SIP\/2\.0 200 OK/);

      const plain = await connectWs(`ws://127.0.0.1:${wsPort}/`); // no Origin: not a browser, not checked
      peers.push(plain);
      plain.send(request('OPTIONS', `sip:gw@127.0.0.1:${wsPort}`, 'ws-opt-plain', 1, 'WS', ['To: <sip:gw@gateway.test>']));
      expect(await plain.await(/Call-ID: ws-opt-plain/)).toMatch(/^SIP\/2\.0 200 OK/);
      plain.send(request('OPTIONS', `sip:gw@127.0.0.1:${wsPort}`, 'ws-opt-sipjs', 1, 'WSS', ['To: <sip:gw@gateway.test>']));
      expect(await plain.await(/Call-ID: ws-opt-sipjs/)).toMatch(/^SIP\/2\.0 200 OK/);
      // A CRLF keep-alive is answered, not forwarded.
      const mark = plain.received.length;
      plain.send('\r\n\r\n');
      expect(await plain.await(/^\r\n$/, mark)).toBe('\r\n');

      expect(await metricValue(adminPort, 'siplb_connections_open', { transport: 'wss', direction: 'in' })).toBe(1);
      expect(await metricValue(adminPort, 'siplb_connections_open', { transport: 'ws', direction: 'in' })).toBe(1);
      const status = execFileSync(process.execPath, [CLI, 'status', '--admin', `127.0.0.1:${adminPort}`], { encoding: 'utf8' });
      expect(status).toMatch(/streams\s+open .*ws\/in 1.*wss\/in 1|streams\s+open .*wss\/in 1.*ws\/in 1/);
    } finally {
      for (const p of peers) p.close();
    }
  }, 30_000);

  it('carries a whole call from a wss: client to the UDP gateway and back, with the right Via and Record-Route at the gateway', async () => {
    const peer = await connectWs(`wss://127.0.0.1:${wssPort}/`, { ca, origin: ORIGIN });
    try {
      const sdp = 'v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n';
      peer.send(request('INVITE', `sip:bob@127.0.0.1:${wssPort}`, 'ws-call-1', 1, 'WSS', ['To: <sip:bob@gateway.test>', `Contact: <sip:alice@${BROWSER};transport=ws;ob>`, 'Content-Type: application/sdp'], sdp));
      const ok = await peer.await(/^SIP\/2\.0 200 OK[\s\S]*CSeq: 1 INVITE/);
      expect(ok).toMatch(new RegExp(`^Via: SIP/2\\.0/WSS ${BROWSER.replace('.', '\\.')};branch=z9hG4bK-ws-call-1-1-INVITE`, 'm'));
      expect(ok).not.toMatch(/^Via: SIP\/2\.0\/UDP/m); // our Via popped
      const rr = [...ok.matchAll(/^Record-Route: (.*)$/gm)].flatMap((m) => m[1]!.trim().split(/\s*,\s*/));
      expect(rr).toHaveLength(2);
      expect(rr[1]).toMatch(/;transport=ws;lr;r2=on/);
      const toTag = /^To: .*;tag=([^;\r\n]+)/m.exec(ok)![1]!;
      const contact = /^Contact: <([^>]+)>/m.exec(ok)![1]!;
      const route = `Route: ${[...rr].reverse().join(', ')}`;
      peer.send(request('ACK', contact, 'ws-call-1', 1, 'WSS', [`To: <sip:bob@gateway.test>;tag=${toTag}`, route]));
      const byeMark = peer.received.length;
      peer.send(request('BYE', contact, 'ws-call-1', 2, 'WSS', [`To: <sip:bob@gateway.test>;tag=${toTag}`, route]));
      expect(await peer.await(/CSeq: 2 BYE/, byeMark)).toMatch(/^SIP\/2\.0 200 OK/);
    } finally {
      peer.close();
    }
    await waitFor('the gateway to log the BYE', () => traced(uas.messages(), /^BYE /).length >= 1, 5000);
    const invite = traced(uas.messages(), /^INVITE /).find((m) => m.includes('ws-call-1'))!;
    const vias = [...invite.matchAll(/^Via: (.*)$/gm)].map((m) => m[1]!);
    expect(vias[0]).toMatch(/^SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;branch=z9hG4bK\S*;lbflow=/);
    expect(vias[1]).toMatch(new RegExp(`^SIP/2\\.0/WSS ${BROWSER.replace('.', '\\.')};`));
    expect(vias[1]).toContain('received=127.0.0.1');
    const gwRr = [...invite.matchAll(/^Record-Route: (.*)$/gm)].map((m) => m[1]!.trim());
    expect(gwRr).toHaveLength(2);
    // Both entries carry the browser's flow token (RFC 5626 §5.2), so in-dialog requests reach its WebSocket.
    expect(gwRr[0]).toMatch(/^<sip:[A-Za-z0-9_-]{44}@127\.0\.0\.1:\d+;transport=udp;lr;r2=on>$/);
    const token = /^<sip:([^@]+)@/.exec(gwRr[0]!)![1]!;
    expect(gwRr[1]).toBe(`<sip:${token}@127.0.0.1:${wssPort};transport=ws;lr;r2=on>`);
    expect(traced(uas.messages(), /^ACK /).some((m) => m.includes('ws-call-1'))).toBe(true);
  }, 30_000);

  it('refuses a handshake without the sip subprotocol and one from a foreign Origin, counted in /metrics', async () => {
    const noSip = await openWs(`wss://127.0.0.1:${wssPort}/`, { ca, origin: ORIGIN, protocols: 'chat' });
    expect(noSip).toMatchObject({ ok: false, status: 400 });
    const foreign = await openWs(`ws://127.0.0.1:${wsPort}/`, { origin: 'https://evil.example' });
    expect(foreign).toMatchObject({ ok: false, status: 403 });
    expect(await metricValue(adminPort, 'siplb_ws_handshakes_refused_total', { transport: 'wss', reason: 'no-sip-subprotocol' })).toBe(1);
    expect(await metricValue(adminPort, 'siplb_ws_handshakes_refused_total', { transport: 'ws', reason: 'origin-not-allowed' })).toBe(1);
    expect(await metricValue(adminPort, 'siplb_ws_handshakes_refused_total', { transport: 'ws', reason: 'host-not-allowed' })).toBe(0);
  });
});
