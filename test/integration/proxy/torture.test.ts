/**
 * The torture corpus (test/helpers/torture.ts: RFC 4475 §3.1, §3.3, RFC 5118) against a real
 * siplb process over loopback UDP, with a recording UDP backend: every invalid class is answered
 * with its status and `Warning: 399 siplb "..."` and reaches no backend; every valid-but-odd
 * request reaches the backend with nothing changed but siplb's own edits; what cannot be
 * answered is dropped and counted in /metrics. After each message an OPTIONS through siplb to
 * the backend and back still succeeds. Nothing is sent beyond 127.0.0.1.
 */
import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts } from '../../helpers/ports.js';
import { startSiplb, type SiplbProcess } from '../../helpers/siplb.js';
import { INVALID, UNANSWERABLE, VALID_ODD, fill, normaliseForwarded, normaliseSent } from '../../helpers/torture.js';
import { sleep, waitFor } from '../../helpers/wait.js';

let lb: SiplbProcess;
let adminPort: number;
let backend: dgram.Socket;
let client: dgram.Socket;
let clientPort: number;
const atBackend: string[] = [];
const atClient: string[] = [];
let seq = 0;

/** The backend records every request and answers only the liveness OPTIONS (to siplb, on loopback). */
function answerProbe(text: string, rinfo: dgram.RemoteInfo): void {
  if (!text.startsWith('OPTIONS sip:probe@')) return;
  const head = text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n').slice(1);
  const keep = head.filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l)).map((l) => (l.startsWith('To:') ? `${l};tag=be` : l));
  backend.send(`SIP/2.0 200 OK\r\n${keep.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`, rinfo.port, rinfo.address);
}

beforeAll(async () => {
  const [sipPort, admin] = await freePorts(2);
  adminPort = admin!;
  backend = dgram.createSocket('udp4');
  backend.on('message', (m, r) => {
    const t = m.toString('latin1');
    atBackend.push(t);
    answerProbe(t, r);
  });
  await new Promise<void>((r) => backend.bind(0, '127.0.0.1', () => r()));
  client = dgram.createSocket('udp4');
  client.on('message', (m) => atClient.push(m.toString('latin1')));
  await new Promise<void>((r) => client.bind(0, '127.0.0.1', () => r()));
  clientPort = client.address().port;
  lb = await startSiplb({
    sip: { listen: `127.0.0.1:${sipPort}` },
    admin: { listen: `127.0.0.1:${adminPort}` },
    backends: [{ id: 'gw1', address: `127.0.0.1:${backend.address().port}` }],
    health: { enabled: false },
  });
}, 120_000);

afterAll(async () => {
  await lb?.stop();
  backend?.close();
  client?.close();
});

const lbHp = (): string => `127.0.0.1:${lb.port}`;

/** A corpus template made to come from our client socket: its top Via names it, so answers come back here. */
function datagram(template: string, n: string): Buffer {
  const text = fill(template, lbHp(), n).toString('latin1');
  return Buffer.from(text.replace(/192\.0\.2\.1(:5060)?;branch=/, `127.0.0.1:${clientPort};branch=`), 'latin1');
}

async function send(buf: Buffer): Promise<void> {
  await new Promise<void>((r) => client.send(buf, lb.port, '127.0.0.1', () => r()));
}

/** An OPTIONS through siplb to the backend and its 200 back: siplb still serves. */
async function stillServes(): Promise<void> {
  const n = `probe-${++seq}`;
  atClient.length = 0;
  await send(
    Buffer.from(
      `OPTIONS sip:probe@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${clientPort};branch=z9hG4bK-${n}\r\nMax-Forwards: 70\r\n` +
        `From: <sip:t@example.net>;tag=${n}\r\nTo: <sip:probe@example.com>\r\nCall-ID: ${n}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
      'latin1',
    ),
  );
  await waitFor('the OPTIONS through siplb to be answered 200', () => atClient.some((t) => t.startsWith('SIP/2.0 200') && t.includes(n)), 3000, 10);
}

describe('invalid classes: status and Warning, nothing to the backend', () => {
  it.each(INVALID.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const n = `inv-${++seq}`;
    atClient.length = 0;
    atBackend.length = 0;
    await send(datagram(c.text, n));
    await waitFor(`an answer to ${c.name}`, () => atClient.length > 0, 3000, 10);
    const answer = atClient[0]!;
    expect(answer.split('\r\n', 1)[0], c.rfc).toMatch(new RegExp(`^SIP/2\\.0 ${c.answer.status} `));
    expect(answer).toContain(`branch=z9hG4bK-${n}`);
    const warning = /\r\nWarning: (.*)\r\n/.exec(answer)?.[1];
    expect(warning).toMatch(/^399 siplb "[^"]+"$/);
    expect(warning).toMatch(c.answer.warning);
    if (c.answer.unsupported !== undefined) expect(answer).toContain(`\r\nUnsupported: ${c.answer.unsupported}\r\n`);
    await stillServes();
    expect(atBackend.filter((t) => t.includes(n))).toEqual([]);
  });
});

describe('valid but odd: forwarded with siplb\'s edits only', () => {
  it.each(VALID_ODD.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const n = `ok-${++seq}`;
    atBackend.length = 0;
    const sent = datagram(c.text, n);
    await send(sent);
    await waitFor(`${c.name} at the backend`, () => atBackend.length > 0, 3000, 10);
    const got = atBackend[0]!;
    const expected = c.expectText === undefined ? sent.toString('latin1') : datagram(c.expectText, n).toString('latin1');
    expect(normaliseForwarded(got, lbHp(), `127.0.0.1:${lb.port}`), c.rfc).toBe(normaliseSent(expected, lbHp()));
    await stillServes();
  });
});

describe('what cannot be answered', () => {
  it('is dropped, counted in /metrics, and siplb keeps serving', async () => {
    const metric = async (name: string, label: string): Promise<number> => {
      const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
      return text.split('\n').filter((l) => l.startsWith(name) && l.includes(label)).reduce((s, l) => s + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    };
    const dropsBefore = await metric('siplb_datagrams_dropped_total', 'reason="parse-error"');
    for (const c of UNANSWERABLE) {
      atClient.length = 0;
      atBackend.length = 0;
      await send(datagram(c.text, `drop-${++seq}`));
      await sleep(150);
      expect(atClient, c.name).toEqual([]);
      expect(atBackend, c.name).toEqual([]);
      await stillServes();
    }
    // Three unreadable datagrams (the fourth, an ACK, is a reject never answered).
    await waitFor('drops counted', async () => (await metric('siplb_datagrams_dropped_total', 'reason="parse-error"')) - dropsBefore >= 2, 3000, 50);
    // Every new reject reason shows in /metrics, as the existing ones do.
    for (const reason of ['bad-version', 'unsupported-scheme', 'bad-extension', 'missing-header', 'duplicate-header', 'body-truncated', 'bad-uri']) {
      expect(await metric('siplb_requests_rejected_total', `reason="${reason}"`), reason).toBeGreaterThan(0);
    }
  });
});
