/**
 * Issue 17, "What it must show: real browsers": JsSIP 3.13 phones in headless Chromium (Debian's,
 * driven by playwright-core) registering over WebSocket (RFC 7118) with a real registrar, Kamailio
 * 5.6 with registrar/usrloc and use_path (test/helpers/kamailio-registrar.ts).
 *
 * 1. The rig, proven against Kamailio's own WebSocket edge (no siplb): two phones register over
 *    WSS; A calls B, B answers, A hangs up, and INVITE, 200, ACK and BYE appear on both phones'
 *    wire and in the registrar's trace. A sipp caller on the registrar's UDP side calls B by its
 *    address-of-record: the INVITE reaches B's page (B rejects it, 486).
 * 2. The same through siplb (browsers → wss://siplb → UDP → registrar, the registrar's stored
 *    Path pointing back at siplb with a flow token, RFC 5626 §5.2): prepared here, run only once
 *    siplb has its WSS listener and flow tokens; see SIPLB_PENDING below.
 *
 * The signalling trace of the passing run goes to /tmp/siplb-browser-trace.txt.
 */
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserMissing, formatTrace, startBrowser, type BrowserRig, type Phone, type WireMessage } from '../helpers/browser.js';
import { KAMAILIO_MODULES, kamailioAvailable, type Kamailio } from '../helpers/kamailio.js';
import { checkRegistrarConfig, registrarTrace, startRegistrar, type RegistrarTraceEntry } from '../helpers/kamailio-registrar.js';
import { freePorts } from '../helpers/ports.js';
import { missingPrerequisites } from '../helpers/prerequisites.js';
import { startSiplb, type SiplbProcess } from '../helpers/siplb.js';
import { runUac, sippAvailable, type UacResult } from '../helpers/sipp.js';
import { makePki, opensslMissing, type TestPki } from '../helpers/tls-certs.js';
import { waitFor } from '../helpers/wait.js';
import { headerValues } from '../helpers/core/recording-sender.js';

const TRACE_FILE = '/tmp/siplb-browser-trace.txt';
const SUITE = 'browsers (JsSIP in headless Chromium) with a Kamailio registrar';
const missing = [
  browserMissing(),
  kamailioAvailable() ? undefined : 'kamailio not found (apt-get install kamailio)',
  ...['websocket', 'tls'].map((m) => (existsSync(`${KAMAILIO_MODULES}/${m}.so`) ? undefined : `Kamailio module ${m} missing (apt-get install kamailio-${m}-modules)`)),
  sippAvailable() ? undefined : 'sipp not found (apt-get install sip-tester)',
  opensslMissing(),
].filter((r) => r !== undefined);
const SKIP = missingPrerequisites(SUITE, missing.length > 0 ? missing.join('; ') : undefined);

/** `direction + (status or method)` of each message of one call, in the order the phone saw them. */
function callFlow(wire: readonly WireMessage[], callId: string): string[] {
  return wire
    .filter((m) => m.text.includes(`Call-ID: ${callId}\r\n`))
    .map((m) => `${m.dir} ${m.status === undefined ? m.method : `${m.status} ${m.method}`}`);
}

function callIdOf(text: string): string {
  return /^Call-ID:\s*(\S+)/im.exec(text)?.[1] ?? '';
}

/** `recv|sent` + first word(s) of each registrar message of one call. */
function registrarFlow(trace: readonly RegistrarTraceEntry[], callId: string): string[] {
  return trace
    .filter((e) => callIdOf(e.text) === callId)
    .map((e) => {
      const status = /^SIP\/2\.0 (\d{3})/.exec(e.firstLine)?.[1];
      const method = status === undefined ? e.firstLine.split(' ')[0]! : (/^CSeq:\s*\d+\s+(\S+)/im.exec(e.text)?.[1] ?? '');
      return `${e.dir} ${status === undefined ? method : `${status} ${method}`}`;
    });
}

/** `flow` holds `expected` in this order (other messages, such as 100 and 180, may come between). */
function expectInOrder(flow: readonly string[], expected: readonly string[]): void {
  let at = 0;
  for (const step of expected) {
    const i = flow.indexOf(step, at);
    expect(i, `${step} after position ${at} in [${flow.join(', ')}]`).toBeGreaterThanOrEqual(0);
    at = i + 1;
  }
}

/** The final status a sipp caller received, from its message trace. */
function sippFinal(messageFile: string): number | undefined {
  const out = spawnSync('grep', ['-oE', '^SIP/2\\.0 [3-6][0-9]{2}', messageFile], { encoding: 'latin1' }).stdout.trim().split('\n');
  const last = out[out.length - 1];
  return last ? Number(last.slice(8)) : undefined;
}

/**
 * Alice calls Bob, Bob answers, Alice hangs up: both sessions end normally, and INVITE, 200, ACK
 * and BYE (with its 200) are on both phones' wire and crossed the registrar, in that order.
 */
async function callAnswerHangUp(alice: Phone, bob: Phone, reg: Kamailio): Promise<{ aWire: WireMessage[]; bWire: WireMessage[]; callId: string; trace: RegistrarTraceEntry[] }> {
    const call = await alice.call('sip:bob@127.0.0.1');
    const incoming = await bob.waitIncoming();
    await bob.answer(incoming);
    await alice.waitSession(call, ['confirmed']);
    await bob.waitSession(incoming, ['confirmed']);
    await alice.hangup(call);
    expect((await alice.waitSession(call, ['ended', 'failed'])).status).toBe('ended');
    expect((await bob.waitSession(incoming, ['ended', 'failed'])).status).toBe('ended');
    // JsSIP ends Alice's session when it sends the BYE, not when the 200 comes back: wait for it
    // on her wire (bounded) before the order is checked.
    const callId = callIdOf((await alice.wire()).find((m) => m.dir === 'sent' && m.method === 'INVITE')!.text);
    const aWire = await waitFor("the 200 to the BYE on the caller's wire", async () => {
      const w = await alice.wire();
      return callFlow(w, callId).includes('recv 200 BYE') ? w : undefined;
    }, 5000);
    const bWire = await bob.wire();
    expectInOrder(callFlow(aWire, callId), ['sent INVITE', 'recv 200 INVITE', 'sent ACK', 'sent BYE', 'recv 200 BYE']);
    expectInOrder(callFlow(bWire, callId), ['recv INVITE', 'sent 200 INVITE', 'recv ACK', 'recv BYE', 'sent 200 BYE']);
    const trace = registrarTrace(reg);
    expectInOrder(registrarFlow(trace, callId), ['recv INVITE', 'sent INVITE', 'recv 200 INVITE', 'sent 200 INVITE', 'recv ACK', 'sent ACK', 'recv BYE', 'sent BYE']);
    return { aWire, bWire, callId, trace };
}

interface Caller {
  readonly result: Promise<UacResult>;
  readonly messageFile: string;
}

/** One sipp call to `user` at 127.0.0.1:`port` (scenario uac-call-phone.xml), left running. */
async function sippCall(port: number, user: string, extraArgs: string[] = []): Promise<Caller> {
  const [local] = await freePorts(1);
  const messageFile = path.join(mkdtempSync(path.join(tmpdir(), 'siplb-browser-sipp-')), 'messages.log');
  const result = runUac({
    target: `127.0.0.1:${port}`, port: local!, calls: 1, rate: 1, scenario: 'uac-call-phone.xml', timeoutS: 20,
    extraArgs: ['-s', user, '-trace_msg', '-message_file', messageFile, ...extraArgs],
  });
  return { result, messageFile };
}

/**
 * A UDP peer standing in for the edge proxy a Path points at: it keeps every message it receives,
 * sends what it is told to, and answers each INVITE 486 Busy Here (the reply built from the
 * request, RFC 3261 §8.2.6).
 */
async function startEdgeStandIn(): Promise<{ port: number; received: string[]; send(text: string, port: number): void; close(): void }> {
  const sock = dgram.createSocket('udp4');
  const received: string[] = [];
  sock.on('message', (buf, from) => {
    const text = buf.toString('latin1');
    received.push(text);
    if (!text.startsWith('INVITE ')) return;
    const head = text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n');
    const keep = head.filter((l) => /^(Via|From|To|Call-ID|CSeq):/i.test(l)).map((l) => (/^To:/i.test(l) && !l.includes(';tag=') ? `${l};tag=edge486` : l));
    sock.send(`SIP/2.0 486 Busy Here\r\n${keep.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`, from.port, from.address);
  });
  const [port] = await freePorts(1);
  await new Promise<void>((resolve) => sock.bind(port, '127.0.0.1', resolve));
  return { port: port!, received, send: (text, to) => sock.send(text, to, '127.0.0.1'), close: () => sock.close() };
}

const traces: string[] = [];
function keepTrace(title: string, phones: readonly Phone[], wires: readonly (readonly WireMessage[])[], reg: readonly RegistrarTraceEntry[]): void {
  const regLines = reg.map((e) => `registrar ${e.dir === 'sent' ? '->' : '<-'} ${e.peer} ${e.firstLine}`);
  traces.push(`== ${title}\n${phones.map((p, i) => formatTrace(p.name, wires[i]!)).join('\n')}\n${regLines.join('\n')}\n`);
  writeFileSync(TRACE_FILE, traces.join('\n'));
}

describe.skipIf(SKIP)(`${SUITE}: the rig against Kamailio's own WebSocket edge`, () => {
  let pki: TestPki;
  let reg: Kamailio;
  let rig: BrowserRig;
  let alice: Phone;
  let bob: Phone;
  let regPort = 0;

  beforeAll(async () => {
    pki = makePki();
    const cert = pki.issue('registrar', 'a001');
    const [udp, ws, wss] = await freePorts(3);
    regPort = udp!;
    reg = await startRegistrar({ port: udp!, wsPort: ws!, wss: { port: wss!, cert: cert.cert, key: cert.key } });
    rig = await startBrowser();
    // Alice on plain ws:, Bob on wss: (self-signed: --ignore-certificate-errors), so a call crosses both listeners.
    alice = await rig.phone('alice', { wsUrl: `ws://127.0.0.1:${ws}`, uri: 'sip:alice@127.0.0.1', displayName: 'Alice' });
    bob = await rig.phone('bob', { wsUrl: `wss://127.0.0.1:${wss}`, uri: 'sip:bob@127.0.0.1', displayName: 'Bob' });
  }, 60_000);

  afterAll(async () => {
    await rig?.close();
    await reg?.stop();
    pki?.cleanup();
  });

  it('the registrar configs pass `kamailio -c`: UDP/TCP only (behind siplb), and with ws:/wss: listeners', async () => {
    const [a, b, c] = await freePorts(3);
    const cert = pki.issue('registrar-check', 'a002');
    for (const o of [{ port: a! }, { port: a!, wsPort: b!, wss: { port: c!, cert: cert.cert, key: cert.key } }]) {
      const r = checkRegistrarConfig(o);
      expect(r.ok, r.output).toBe(true);
    }
  });

  it('two phones register over WS and WSS; the registrar keeps their reg-id/+sip.instance flows (RFC 5626)', async () => {
    await alice.waitRegistered();
    await bob.waitRegistered();
    const register = (await bob.wire()).find((m) => m.dir === 'sent' && m.method === 'REGISTER')!;
    expect(register.via[0]).toMatch(/^SIP\/2\.0\/WSS \S+\.invalid;/); // RFC 7118 §5
    expect(register.contact[0]).toMatch(/reg-id=1;\+sip\.instance=/);
    const ok = (await bob.wire()).find((m) => m.dir === 'recv' && m.status === 200 && m.method === 'REGISTER')!;
    expect(ok.text).toMatch(/^Require: outbound/m); // outbound_mode=1 took the flow
  });

  it('A calls B, B answers, A hangs up: INVITE, 200, ACK and BYE on both phones and through the registrar', async () => {
    const { aWire, bWire, callId, trace } = await callAnswerHangUp(alice, bob, reg);
    // B's INVITE came through the registrar, which record-routed it (RFC 3261 §16.6 step 4) …
    const atB = bWire.find((m) => m.dir === 'recv' && m.method === 'INVITE' && callIdOf(m.text) === callId)!;
    expect(atB.via).toHaveLength(2);
    expect(atB.recordRoute.length).toBeGreaterThan(0);
    // … and A's ACK and BYE went back along that route set (RFC 3261 §12.2.1.1).
    const bye = aWire.find((m) => m.dir === 'sent' && m.method === 'BYE')!;
    expect(bye.route).toEqual([...atB.recordRoute].reverse());
    keepTrace('A (ws:) calls B (wss:), straight to Kamailio', [alice, bob], [aWire, bWire], trace.filter((e) => callIdOf(e.text) === callId));
  }, 30_000);

  it('a sipp caller at the registrar side calls B by its address-of-record: the INVITE reaches B over its WebSocket', async () => {
    const n = (await bob.state()).sessions.filter((s) => s.direction === 'incoming').length;
    const caller = await sippCall(regPort, 'bob');
    const incoming = await bob.waitIncoming(n);
    const atB = (await bob.wire()).filter((m) => m.dir === 'recv' && m.method === 'INVITE').at(-1)!;
    expect(atB.firstLine).toMatch(/^INVITE sip:\S+\.invalid;transport=ws SIP\/2\.0$/); // the registered Contact
    expect(atB.via.at(-1)).toMatch(/^SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;branch=z9hG4bK-/); // sipp's
    await bob.hangup(incoming, 486);
    const r = await caller.result;
    expect(r.successful, r.errors).toBe(1);
    expect(sippFinal(caller.messageFile)).toBe(486);
    const callId = callIdOf(atB.text);
    keepTrace('sipp (UDP) calls B through the registrar', [bob], [(await bob.wire()).filter((m) => callIdOf(m.text) === callId)], registrarTrace(reg).filter((e) => callIdOf(e.text) === callId));
  }, 40_000);

  it('behind an edge proxy: a REGISTER carrying Path is stored, and a call to that user goes along the Path as its Route (RFC 3327 §5.3)', async () => {
    // A stand-in for siplb at its own UDP port: it registers "carol" the way siplb will (the
    // client's REGISTER with Path <sip:TOKEN@edge;lr;ob> added) and answers the call it gets back 486.
    const edge = await startEdgeStandIn();
    try {
      const path = `<sip:Zm9vYmFyLXRva2Vu@127.0.0.1:${edge.port};lr;ob>`;
      const lp = edge.port;
      edge.send(
        `REGISTER sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${lp};branch=z9hG4bK-edge-reg-${lp};rport\r\n` +
          `Via: SIP/2.0/WSS carol1.invalid;branch=z9hG4bK-carol-1;received=127.0.0.1;rport=40000\r\nMax-Forwards: 69\r\n` +
          `From: <sip:carol@127.0.0.1>;tag=c1\r\nTo: <sip:carol@127.0.0.1>\r\nCall-ID: edge-reg-${lp}\r\nCSeq: 1 REGISTER\r\n` +
          `Contact: <sip:c4r0l@carol1.invalid;transport=ws>;reg-id=1;+sip.instance="<urn:uuid:00000000-0000-4000-8000-00000000ca01>";expires=600\r\n` +
          `Path: ${path}\r\nSupported: path, outbound\r\nContent-Length: 0\r\n\r\n`,
        regPort,
      );
      const ok = await waitFor('the answer to the REGISTER', () => edge.received.find((m) => m.startsWith('SIP/2.0 ') && /^CSeq: 1 REGISTER/m.test(m)), 5000);
      expect(ok.split('\r\n')[0]).toBe('SIP/2.0 200 OK');
      expect(headerValues(ok, 'Path')).toEqual([path]); // path_mode=1 echoes it when the REGISTER supports path
      expect(ok).toMatch(/^Require: outbound/m); // ;ob on the first hop: an RFC 5626 flow (§6)
      const caller = await sippCall(regPort, 'carol');
      const invite = await waitFor('the INVITE at the edge', () => edge.received.find((m) => m.startsWith('INVITE ')), 10_000);
      expect(invite.split('\r\n')[0]).toBe('INVITE sip:c4r0l@carol1.invalid;transport=ws SIP/2.0'); // the registered Contact
      expect(headerValues(invite, 'Route')).toEqual([path]);
      expect((await caller.result).successful).toBe(1);
      expect(sippFinal(caller.messageFile)).toBe(486);
    } finally {
      edge.close();
    }
  }, 30_000);
});

// --- Through siplb -----------------------------------------------------------------------------

describe.skipIf(SKIP)(`${SUITE}: through siplb (WSS edge, Path with flow tokens)`, () => {
  let pki: TestPki;
  let reg: Kamailio;
  let lb: SiplbProcess;
  let rig: BrowserRig;
  let alice: Phone;
  let bob: Phone;
  let regPort = 0;
  let lbUdp = 0;
  /** The port of the "registrar side" sipp that sends the forged request: a backend of siplb (a token is acted on only from a backend). */
  let sidePort = 0;
  /** The Path siplb added to bob's REGISTER, as the registrar received it. */
  let bobPath = '';

  beforeAll(async () => {
    pki = makePki();
    const cert = pki.issue('siplb', 'b001');
    const [udp, lbU, lbWss, side] = await freePorts(4);
    regPort = udp!;
    lbUdp = lbU!;
    sidePort = side!;
    reg = await startRegistrar({ port: regPort }); // UDP and TCP only: siplb is the WebSocket edge
    lb = await startSiplb({
      sip: { listen: [`udp:127.0.0.1:${lbUdp}`, `wss:127.0.0.1:${lbWss}`], tls: { cert: cert.cert, key: cert.key } },
      backends: [
        { id: 'reg1', address: `127.0.0.1:${regPort}` },
        // The forging sipp below sends from here; priority 9 keeps new requests off it while reg1 is up.
        { id: 'side', address: `127.0.0.1:${sidePort}`, priority: 9 },
      ],
      health: { enabled: false },
      log: { level: 'warn' },
      // A key from the config: what an operator sets so that tokens survive a restart.
      flow: { nodeId: 1, keys: [{ id: 1, secret: 'a1'.repeat(32) }] },
    });
    rig = await startBrowser();
    const wsUrl = `wss://127.0.0.1:${lbWss}`;
    alice = await rig.phone('alice', { wsUrl, uri: 'sip:alice@127.0.0.1', displayName: 'Alice' });
    bob = await rig.phone('bob', { wsUrl, uri: 'sip:bob@127.0.0.1', displayName: 'Bob' });
  }, 60_000);

  afterAll(async () => {
    await rig?.close();
    await lb?.stop();
    await reg?.stop();
    pki?.cleanup();
  });

  it('two phones register over WSS through siplb; the registrar stores Path <sip:TOKEN@siplb;lr;ob> (RFC 3327, RFC 5626 §5.2)', async () => {
    await alice.waitRegistered();
    await bob.waitRegistered();
    const registers = registrarTrace(reg).filter((e) => e.dir === 'recv' && e.firstLine.startsWith('REGISTER ') && /^To:.*sip:bob@/im.test(e.text));
    expect(registers.length).toBeGreaterThan(0);
    const paths = /^Path:\s*(.+)$/im.exec(registers.at(-1)!.text);
    // Token as the user part, siplb's UDP address as the host (the registrar's way back), ;lr and ;ob.
    const uri = /^<([^>]+)>/.exec(paths?.[1]?.trim() ?? '')?.[1] ?? '';
    expect(uri).toMatch(new RegExp(`^sip:[^@;]+@127\\.0\\.0\\.1:${lbUdp};`));
    expect(uri.split(';').slice(1)).toEqual(expect.arrayContaining(['lr', 'ob']));
    bobPath = paths![1]!.trim();
  });

  it('A calls B, B answers, A hangs up: INVITE, 200, ACK and BYE cross siplb and the registrar', async () => {
    const { aWire, bWire, callId, trace } = await callAnswerHangUp(alice, bob, reg);
    // The registrar sent B's INVITE along bob's Path: its top Route is siplb's token (RFC 3327 §5.3).
    const toB = trace.find((e) => e.dir === 'sent' && e.firstLine.startsWith('INVITE ') && callIdOf(e.text) === callId)!;
    expect(/^Route:\s*(<[^>]+>)/im.exec(toB.text)?.[1]).toBe(/^<[^>]+>/.exec(bobPath)![0]);
    // siplb record-routed the call with the token of each browser's connection (issue 17 item 4).
    const atB = bWire.find((m) => m.dir === 'recv' && m.method === 'INVITE' && callIdOf(m.text) === callId)!;
    expect(atB.recordRoute.some((rr) => new RegExp(`^<sip:[^@>]+@127\\.0\\.0\\.1:\\d+;`).test(rr))).toBe(true);
    keepTrace('A calls B over WSS through siplb', [alice, bob], [aWire, bWire], trace.filter((e) => callIdOf(e.text) === callId));
  }, 30_000);

  it('a sipp caller at the registrar side reaches B through its Path token', async () => {
    const n = (await bob.state()).sessions.filter((s) => s.direction === 'incoming').length;
    const caller = await sippCall(regPort, 'bob');
    const incoming = await bob.waitIncoming(n);
    const atB = (await bob.wire()).filter((m) => m.dir === 'recv' && m.method === 'INVITE').at(-1)!;
    const callId = callIdOf(atB.text);
    const toSiplb = registrarTrace(reg).find((e) => e.dir === 'sent' && e.firstLine.startsWith('INVITE ') && callIdOf(e.text) === callId)!;
    expect(toSiplb.peer).toBe(`udp:127.0.0.1:${lbUdp}`);
    expect(/^Route:\s*(<[^>]+>)/im.exec(toSiplb.text)?.[1]).toBe(/^<[^>]+>/.exec(bobPath)![0]);
    await bob.hangup(incoming, 486);
    expect((await caller.result).successful).toBe(1);
    expect(sippFinal(caller.messageFile)).toBe(486);
  }, 40_000);

  it('one flipped byte in the token: 403 from siplb, and nothing reaches B', async () => {
    const uri = /^<([^>]+)>/.exec(bobPath)![1]!;
    const token = uri.slice(4, uri.indexOf('@'));
    // Flip one character to another of the token's own alphabet, so it still parses as a token.
    const i = Math.floor(token.length / 2);
    const other = [...token].find((c) => c !== token[i])!;
    const forged = `${token.slice(0, i)}${other}${token.slice(i + 1)}`;
    const hostPort = /^[^;>]+/.exec(uri.slice(uri.indexOf('@') + 1))![0];
    const invitesBefore = (await bob.wire()).filter((m) => m.dir === 'recv' && m.method === 'INVITE').length;
    const dir = mkdtempSync(path.join(tmpdir(), 'siplb-browser-forged-'));
    const inf = path.join(dir, 'route.csv');
    writeFileSync(inf, `SEQUENTIAL\nbob;${forged};${hostPort}\n`);
    // Straight at siplb's UDP port from a backend's address, as the registrar would send it, with the forged Route.
    const messageFile = path.join(dir, 'messages.log');
    const r = await runUac({
      target: `127.0.0.1:${lbUdp}`, port: sidePort, calls: 1, rate: 1, scenario: 'uac-call-phone-route.xml', timeoutS: 15,
      extraArgs: ['-inf', inf, '-trace_msg', '-message_file', messageFile],
    });
    expect(r.successful, r.errors).toBe(1);
    expect(sippFinal(messageFile)).toBe(403);
    expect((await bob.wire()).filter((m) => m.dir === 'recv' && m.method === 'INVITE')).toHaveLength(invitesBefore);
  }, 30_000);

  it("after B's page is closed, the next INVITE to B gets 430 Flow Failed (RFC 5626 §5.3)", async () => {
    await bob.close();
    const caller = await sippCall(regPort, 'bob');
    expect((await caller.result).successful).toBe(1);
    expect(sippFinal(caller.messageFile)).toBe(430);
  }, 30_000);
});
