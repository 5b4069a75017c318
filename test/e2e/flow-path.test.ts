/**
 * Flow tokens end to end (issue 17 items 2-5; RFC 5626 §5.2-§5.3, RFC 3327) with real peers: a
 * TCP client registers through siplb to a REAL Kamailio registrar honouring Path (use_path=1);
 * a sipp caller at the registrar's side calls the client and the INVITE reaches it over its own
 * connection through the token, ACK and BYE crossing siplb and Kamailio; a tampered token sent
 * from a backend's address gets 403 and nothing is forwarded; once the client is gone the next
 * call gets 430 Flow Failed. Two siplb processes sharing flow.keys: node A's token sent to node
 * B is relayed to A and reaches the client; after A restarts its old token still verifies (430,
 * not 403) and a re-registered client's new Path works.
 * Every process (Kamailio, sipp, siplb) is ended by its PID.
 */
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kamailioAvailable, type Kamailio } from '../helpers/kamailio.js';
import { startPathRegistrar } from '../helpers/kamailio-path-registrar.js';
import { freePorts } from '../helpers/ports.js';
import { missingPrerequisites } from '../helpers/prerequisites.js';
import { startSiplb, type SiplbProcess } from '../helpers/siplb.js';
import { runUac, sippAvailable } from '../helpers/sipp.js';
import { headers, TcpSipUa } from '../helpers/tcp-sip-ua.js';
import { sleep, waitFor } from '../helpers/wait.js';

const SECRET = randomBytes(32).toString('hex');
/** The client's own loopback address: not a backend's host (127.0.0.1), so siplb treats it as a client. */
const CLIENT_IP = '127.0.0.5';
const DOMAIN = 'example.test';

const skip = missingPrerequisites('flow-path', !kamailioAvailable() ? 'kamailio not installed' : !sippAvailable() ? 'sipp not installed' : undefined);

let kam: Kamailio;
let nodeA: SiplbProcess;
let nodeB: SiplbProcess;
let ports: { kam: number; a: number; b: number; fake: number; sipp: number };
const uas: TcpSipUa[] = [];

/** A UDP socket at a configured (standby) backend's address: requests "from the backend". */
let fake: dgram.Socket;
const fakeGot: string[] = [];

function nodeConfig(id: 1 | 2): Record<string, unknown> {
  const port = id === 1 ? ports.a : ports.b;
  return {
    node: { id: `flow-${id}` },
    sip: { listen: [`127.0.0.1:${port}`, `tcp:127.0.0.1:${port}`] },
    backends: [
      { id: 'registrar', address: `127.0.0.1:${ports.kam}` },
      // Standby tier: never chosen while the registrar is up; only its address matters here.
      { id: 'fake', address: `127.0.0.1:${ports.fake}`, priority: 10 },
    ],
    health: { interval: '500ms', timeout: '300ms', fall: 1, rise: 1 },
    flow: {
      nodeId: id,
      keys: [{ id: 1, secret: SECRET }],
      nodes: [
        { id: 1, address: `127.0.0.1:${ports.a}` },
        { id: 2, address: `127.0.0.1:${ports.b}` },
      ],
    },
  };
}

/** REGISTER until the registrar (probed up by siplb) answers 200; the token of the Path it echoes. */
async function registerThrough(node: SiplbProcess): Promise<{ ua: TcpSipUa; token: string; path: string }> {
  const ua = await TcpSipUa.connect(node.port, 'alice', CLIENT_IP);
  uas.push(ua);
  let res = '';
  await waitFor('a 200 to REGISTER through siplb', async () => {
    res = await ua.register(DOMAIN);
    return res.startsWith('SIP/2.0 200') ? true : (await sleep(200), undefined);
  }, 10_000);
  const path = headers(res, 'Path')[0] ?? '';
  const token = /^<sip:([A-Za-z0-9_-]+)@/.exec(path)?.[1];
  if (token === undefined) throw new Error(`no Path with a token in the 200:\n${res}`);
  return { ua, token, path };
}

/** An INVITE as the registrar would send it to the client, with `route` on top, from the fake backend. */
function inviteFromBackend(to: number, route: string, ua: TcpSipUa): string {
  const id = randomBytes(5).toString('hex');
  fakeGot.length = 0;
  const text =
    `INVITE sip:alice@${ua.local};transport=tcp SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${ports.fake};branch=z9hG4bK-${id}\r\n` +
    `Route: ${route}\r\nMax-Forwards: 70\r\nFrom: <sip:bob@${DOMAIN}>;tag=${id}\r\nTo: <sip:alice@${DOMAIN}>\r\nCall-ID: ${id}@fake\r\n` +
    `CSeq: 1 INVITE\r\nContact: <sip:bob@127.0.0.1:${ports.fake}>\r\nContent-Length: 0\r\n\r\n`;
  fake.send(text, to, '127.0.0.1');
  return `${id}@fake`;
}

async function finalAtFake(callId: string): Promise<string> {
  return waitFor('a final response at the fake backend', async () => fakeGot.find((m) => /^SIP\/2\.0 [2-6]/.test(m) && m.includes(callId)), 5000);
}

function tamper(token: string): string {
  const i = 12;
  return token.slice(0, i) + (token[i] === 'Q' ? 'R' : 'Q') + token.slice(i + 1);
}

describe.skipIf(skip)('flow tokens with a real registrar (Kamailio) and two siplb nodes', () => {
  beforeAll(async () => {
    const [kp, a, b, f, s] = await freePorts(5);
    ports = { kam: kp!, a: a!, b: b!, fake: f!, sipp: s! };
    fake = dgram.createSocket('udp4');
    fake.on('message', (m) => {
      const t = m.toString('latin1');
      if (!t.startsWith('OPTIONS ')) fakeGot.push(t);
    });
    await new Promise<void>((r) => fake.bind(ports.fake, '127.0.0.1', r));
    kam = await startPathRegistrar(ports.kam);
    nodeA = await startSiplb(nodeConfig(1));
    nodeB = await startSiplb(nodeConfig(2));
  }, 120_000); // the first e2e file of a run may build dist/ first

  afterAll(async () => {
    for (const ua of uas) ua.close();
    await nodeA?.stop();
    await nodeB?.stop();
    await kam?.stop();
    fake?.close();
  });

  let first: { ua: TcpSipUa; token: string; path: string };

  it('a TCP client registers through siplb; the registrar stores the Path with its token', async () => {
    first = await registerThrough(nodeA);
    expect(first.path).toMatch(new RegExp(`^<sip:[A-Za-z0-9_-]{44}@127\\.0\\.0\\.1:${ports.a};transport=udp;lr;ob>$`));
    expect(kam.log()).toMatch(/REGISTER sip:alice@example\.test path=\[<sip:[A-Za-z0-9_-]{44}@127\.0\.0\.1:\d+;transport=udp;lr;ob>\] supported=\[path\]/);
  }, 20_000);

  it('a sipp caller at the registrar reaches the client through its token; ACK and BYE cross', async () => {
    const before = first.ua.received.length;
    const r = await runUac({ target: `127.0.0.1:${ports.kam}`, port: ports.sipp, calls: 1, rate: 1, scenario: 'uac.xml', extraArgs: ['-s', 'alice'], timeoutS: 15 });
    expect(r.successful, `${r.errors}\n${kam.log().slice(-3000)}`).toBe(1);
    const got = first.ua.received.slice(before).map((m) => m.split(' ', 1)[0]);
    expect(got).toEqual(['INVITE', 'ACK', 'BYE']);
    const invite = first.ua.requests('INVITE').at(-1)!;
    // Our Routes were removed; our Record-Route carries the token (both entries of the pair).
    expect(headers(invite, 'Route')).toEqual([]);
    expect(headers(invite, 'Record-Route').filter((v) => v.includes(`${first.token}@`))).toHaveLength(2);
  }, 30_000);

  it('a token tampered in one character, sent from a backend\'s address: 403, nothing forwarded', async () => {
    const before = first.ua.received.length;
    const callId = inviteFromBackend(ports.a, `<sip:${tamper(first.token)}@127.0.0.1:${ports.a};transport=udp;lr;ob>`, first.ua);
    const res = await finalAtFake(callId);
    expect(res).toMatch(/^SIP\/2\.0 403 /);
    expect(res).toMatch(/Warning: 399 siplb "flow token rejected: (bad-tag|malformed)"/);
    await sleep(300);
    expect(first.ua.received.length).toBe(before);
  }, 15_000);

  it("node A's token sent to node B is relayed to A and reaches the client", async () => {
    const before = first.ua.received.length;
    const callId = inviteFromBackend(ports.b, `<sip:${first.token}@127.0.0.1:${ports.b};transport=udp;lr;ob>`, first.ua);
    const res = await finalAtFake(callId);
    expect(res).toMatch(/^SIP\/2\.0 200 /);
    expect(first.ua.received.slice(before).map((m) => m.split(' ', 1)[0])).toEqual(['INVITE']);
    const invite = first.ua.received[before]!;
    // Via: A's, B's, the backend's: the response went back the same way.
    expect(headers(invite, 'Via')).toHaveLength(3);
  }, 15_000);

  it('the client closes its connection: the next call gets 430 Flow Failed', async () => {
    first.ua.close();
    await sleep(300);
    const r = await runUac({ target: `127.0.0.1:${ports.kam}`, port: ports.sipp, calls: 1, rate: 1, scenario: 'uac-430.xml', extraArgs: ['-s', 'alice'], timeoutS: 15 });
    expect(r.successful, `${r.errors}\n${kam.log().slice(-3000)}`).toBe(1);
  }, 30_000);

  it('after node A restarts, its old token still verifies (430, not 403); the re-registered Path works', async () => {
    const second = await registerThrough(nodeA);
    await nodeA.stop();
    nodeA = await startSiplb(nodeConfig(1));
    const old = inviteFromBackend(ports.a, `<sip:${second.token}@127.0.0.1:${ports.a};transport=udp;lr;ob>`, second.ua);
    expect(await finalAtFake(old)).toMatch(/^SIP\/2\.0 430 /);

    const third = await registerThrough(nodeA);
    expect(third.token).not.toBe(second.token);
    const before = third.ua.received.length;
    const fresh = inviteFromBackend(ports.a, `<sip:${third.token}@127.0.0.1:${ports.a};transport=udp;lr;ob>`, third.ua);
    expect(await finalAtFake(fresh)).toMatch(/^SIP\/2\.0 200 /);
    expect(third.ua.received.slice(before).map((m) => m.split(' ', 1)[0])).toEqual(['INVITE']);
  }, 40_000);
});
