/**
 * SIP over TLS 1.3 into a real siplb process (issue 16), with OpenSSL's `s_client` as the TLS
 * client (Debian's sipp has no TLS): an OPTIONS for siplb, and a whole call (INVITE, 200, ACK, BYE)
 * through siplb to a sipp UDP gateway, both over one TLS connection; a TLS 1.2-only client is
 * refused at the 1.3 minimum; after the certificate files are swapped and SIGHUP, a new
 * connection sees the new certificate while the connection opened before still carries SIP.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../helpers/ports.js';
import { sippAvailable, startUas, type Uas } from '../helpers/sipp.js';
import { CLI, startSiplb, type SiplbProcess } from '../helpers/siplb.js';
import { makePki, opensslMissing, sClient, servedSerial, type TestPki } from '../helpers/tls-certs.js';
import { waitFor } from '../helpers/wait.js';

const SKIP = !sippAvailable() || opensslMissing() !== undefined;

/** An interactive s_client: write SIP text, read what comes back on the same TLS connection. */
class TlsPeer {
  out = '';
  readonly #p: ChildProcessWithoutNullStreams;
  constructor(port: number, caFile: string) {
    this.#p = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-quiet', '-CAfile', caFile, '-verify_return_error'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#p.stdout.on('data', (b: Buffer) => (this.out += b.toString('latin1')));
    this.#p.stdin.on('error', () => {});
  }
  send(text: string): void {
    this.#p.stdin.write(text);
  }
  /** The first message received (after `from`) whose text matches `re`. */
  async await(re: RegExp, from = 0, ms = 8000): Promise<string> {
    let hit: string | undefined;
    await waitFor(`s_client to receive ${re}`, () => {
      hit = this.out.slice(from).split(/(?=SIP\/2\.0 \d{3} )/).find((m) => re.test(m));
      return hit !== undefined;
    }, ms);
    return hit!;
  }
  close(): void {
    if (this.#p.exitCode === null && this.#p.pid !== undefined) this.#p.kill('SIGTERM');
  }
}

function request(method: string, uri: string, callId: string, cseq: number, lines: string[] = [], body = ''): string {
  return (
    `${method} ${uri} SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bK-${callId}-${cseq}-${method};rport\r\nMax-Forwards: 70\r\n` +
    `From: <sip:alice@test>;tag=a1\r\nCall-ID: ${callId}\r\nCSeq: ${cseq} ${method}\r\n${lines.map((l) => `${l}\r\n`).join('')}` +
    `Content-Length: ${body.length}\r\n\r\n${body}`
  );
}

describe.skipIf(SKIP)('SIP over TLS 1.3 through a real siplb, with openssl s_client', () => {
  let pki: TestPki;
  let lb: SiplbProcess;
  let uas: Uas;
  let tlsPort = 0;
  let certFile = '';
  let keyFile = '';

  beforeAll(async () => {
    pki = makePki();
    const first = pki.issue('siplb-a', 'a001');
    const dir = pki.dir;
    certFile = `${dir}/live.pem`;
    keyFile = `${dir}/live.key`;
    copyFileSync(first.cert, certFile);
    copyFileSync(first.key, keyFile);
    const [udpPort, tPort, gw] = await freePorts(3);
    tlsPort = tPort!;
    uas = await startUas({ port: gw! });
    lb = await startSiplb({
      sip: { listen: [`udp:127.0.0.1:${udpPort}`, `tls:127.0.0.1:${tlsPort}`], tls: { cert: certFile, key: keyFile } },
      backends: [{ id: 'gw1', address: `127.0.0.1:${gw}` }],
      health: { enabled: false },
      log: { level: 'warn' },
    });
  }, 60_000);

  afterAll(async () => {
    await lb?.stop();
    await uas?.stop();
    pki?.cleanup();
  });

  it('answers an OPTIONS for itself over TLS, and carries a whole call to a UDP gateway and back', async () => {
    const peer = new TlsPeer(tlsPort, pki.caFile);
    try {
      peer.send(request('OPTIONS', `sip:127.0.0.1:${tlsPort}`, 'tls-opt-1', 1, [`To: <sip:127.0.0.1:${tlsPort}>`]));
      expect(await peer.await(/CSeq: 1 OPTIONS/)).toMatch(/^SIP\/2\.0 200 OK/);

      const sdp = 'v=0\r\no=a 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n';
      const mark = peer.out.length;
      peer.send(request('INVITE', `sip:bob@127.0.0.1:${tlsPort}`, 'tls-call-1', 1, ['To: <sip:bob@test>', 'Contact: <sip:alice@127.0.0.1:5999;transport=tls>', 'Content-Type: application/sdp'], sdp));
      const ok = await peer.await(/^SIP\/2\.0 200 OK[\s\S]*CSeq: 1 INVITE/, mark);
      // Over TLS in, UDP out: two Record-Route entries (RFC 5658), the TLS-facing one at the bottom.
      const rr = [...ok.matchAll(/^Record-Route: (.*)$/gm)].flatMap((m) => m[1]!.trim().split(/\s*,\s*/));
      expect(rr).toHaveLength(2);
      expect(rr[1]).toContain(`transport=tls`);
      const toTag = /^To: .*;tag=([^;\r\n]+)/m.exec(ok)![1]!;
      const contact = /^Contact: <([^>]+)>/m.exec(ok)![1]!;
      const route = `Route: ${[...rr].reverse().join(', ')}`;
      peer.send(request('ACK', contact, 'tls-call-1', 1, [`To: <sip:bob@test>;tag=${toTag}`, route]));
      const byeMark = peer.out.length;
      peer.send(request('BYE', contact, 'tls-call-1', 2, [`To: <sip:bob@test>;tag=${toTag}`, route]));
      expect(await peer.await(/CSeq: 2 BYE/, byeMark)).toMatch(/^SIP\/2\.0 200 OK/);
    } finally {
      peer.close();
    }
    await uas.stop();
    const counts = uas.counts();
    expect(Object.entries(counts).find(([k]) => /_ACK_Recv$/.test(k))?.[1]).toBe(1);
    expect(Object.entries(counts).find(([k]) => /_BYE_Recv$/.test(k))?.[1]).toBe(1);
  }, 60_000);

  it('`siplb probe sips:…` gets its OPTIONS answered over TLS; an untrusted certificate is unreachable', () => {
    const ok = spawnSync(process.execPath, [CLI, 'probe', `sips:127.0.0.1:${tlsPort}`, '--ca', pki.caFile, '--json'], { encoding: 'utf8', timeout: 15_000 });
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ target: `sips:127.0.0.1:${tlsPort}`, code: 200 });
    const bad = spawnSync(process.execPath, [CLI, 'probe', `sips:127.0.0.1:${tlsPort}`, '--json'], { encoding: 'utf8', timeout: 15_000 });
    expect(bad.status).toBe(5);
    expect(JSON.parse(bad.stdout)).toMatchObject({ unreachable: true });
  });

  it('refuses a TLS 1.2-only client (the minimum is 1.3)', async () => {
    const r = await sClient(tlsPort, ['-tls1_2', '-CAfile', pki.caFile], '', { ms: 5000 });
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/alert protocol version|no protocols available|unsupported protocol/i);
  });

  it('after a certificate swap and SIGHUP, new connections get the new certificate; an open one stays up', async () => {
    expect(await servedSerial(tlsPort, pki.caFile)).toBe('A001');
    const old = new TlsPeer(tlsPort, pki.caFile);
    try {
      old.send(request('OPTIONS', `sip:127.0.0.1:${tlsPort}`, 'tls-old-1', 1, [`To: <sip:127.0.0.1:${tlsPort}>`]));
      await old.await(/CSeq: 1 OPTIONS/);
      const next = pki.issue('siplb-b', 'b002');
      copyFileSync(next.cert, certFile);
      copyFileSync(next.key, keyFile);
      process.kill(lb.pid, 'SIGHUP');
      await waitFor('the new certificate served', async () => (await servedSerial(tlsPort, pki.caFile)) === 'B002', 10_000, 200);
      const mark = old.out.length;
      old.send(request('OPTIONS', `sip:127.0.0.1:${tlsPort}`, 'tls-old-1', 2, [`To: <sip:127.0.0.1:${tlsPort}>`]));
      expect(await old.await(/CSeq: 2 OPTIONS/, mark)).toMatch(/^SIP\/2\.0 200 OK/);
    } finally {
      old.close();
    }
  }, 60_000);
});
