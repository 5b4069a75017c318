/**
 * siplb in front of two REAL Kamailio 5.x proxies/registrars (stateful, record-routing, in-memory
 * usrloc) that route to sipp gateways, with sipp callers that honour Record-Route. What sipp-only
 * backends never showed: a relayed ring binds the call to its proxy (no second ring after the
 * proxy's 408), a gateway's 503 relayed by a proxy does not take the proxy out, calls to
 * registered users meet their registrar, and call counts return to exactly 0 after every kind of
 * call end (callee hang-up, CANCEL, a 2xx retransmitted after BYE, a BYE refused with 404).
 * siplb runs in-process (its counters are read directly); every process is ended by its PID.
 */
import dgram from 'node:dgram';
import diagnosticsChannel from 'node:diagnostics_channel';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/validate.js';
import { channels, type FailoverEvent, type ResponseForwardedEvent } from '../../src/observe/channels.js';
import { startInProcess, newInvitesTo, type InProcessSiplb } from '../helpers/inproc.js';
import { kamailioAvailable, startKamailio, type Kamailio } from '../helpers/kamailio.js';
import { freePorts } from '../helpers/ports.js';
import { sipPing } from '../helpers/siplb.js';
import { runUac, sippAvailable, startUas, type Uas, type UacResult } from '../helpers/sipp.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { withUdpEngine } from '../helpers/udp-engine.js';

type Gw = 'service' | 'hangup' | 'ring' | 'busy' | 'late';
const GW_SCENARIOS: Record<Gw, string> = {
  service: 'uas.xml',
  hangup: 'uas-hangup.xml',
  ring: 'uas-ring.xml',
  busy: 'uas-invite-503.xml',
  late: 'uas-late-2xx.xml',
};
const NO_ANSWER_MS = 2000;

let lb: InProcessSiplb;
let lbPort: number;
let uacPort: number;
let ue: Uas;
const gws = {} as Record<Gw, Uas>;
const proxies: Kamailio[] = [];
let baseConfig: Record<string, unknown> = {};
const failovers: FailoverEvent[] = [];
const relayed: ResponseForwardedEvent[] = [];
const onFailover = (m: unknown): void => void failovers.push(m as FailoverEvent);
const onRelayed = (m: unknown): void => void relayed.push(m as ResponseForwardedEvent);

async function uac(scenario: string, service: string, calls: number, rate: number, extra: string[] = [], callLengthMs = 0): Promise<UacResult> {
  return runUac({ target: `127.0.0.1:${lbPort}`, port: uacPort, calls, rate, scenario, callLengthMs, extraArgs: ['-s', service, ...extra] });
}

/** One OPTIONS to siplb's own address with `;rport`; the whole reply and our local port. */
function optionsToVip(): Promise<{ text: string; localPort: number }> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error('no reply to OPTIONS'));
    }, 1000);
    sock.on('message', (m) => {
      clearTimeout(timer);
      const localPort = sock.address().port;
      sock.close();
      resolve({ text: m.toString('latin1'), localPort });
    });
    sock.bind(0, '127.0.0.1', () => {
      const lp = sock.address().port;
      const msg =
        `OPTIONS sip:127.0.0.1:${lbPort} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${lp};branch=z9hG4bKvip${lp};rport\r\n` +
        `From: <sip:carrier@127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1:${lbPort}>\r\nCall-ID: vip-${lp}\r\nCSeq: 1 OPTIONS\r\n` +
        'Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n';
      sock.send(msg, lbPort, '127.0.0.1');
    });
  });
}

/** Waits until siplb counts no call and no pending INVITE on any backend; returns the wait in ms. */
async function countsSettle(timeoutMs = 8000): Promise<number> {
  const t0 = Date.now();
  await waitFor(
    'call counts back to 0',
    () => lb.app.dialogs.total === 0 && lb.app.backends.all.every((b) => lb.app.dialogs.active(b.id) === 0 && lb.app.passive.pendingInvites(b.id) === 0),
    timeoutMs,
  );
  return Date.now() - t0;
}

const proxiesUp = (): boolean => lb.app.backends.all.every((b) => lb.app.health.view(b.id)?.state.health === 'up');
const downTransitions = (since: number): number => lb.transitions.filter((t) => t.at > since && (t.to === 'down' || t.to === 'failing')).length;

describe.skipIf(!sippAvailable() || !kamailioAvailable())('siplb in front of real Kamailio proxies', () => {
  beforeAll(async () => {
    const ports = await freePorts(10);
    [lbPort, uacPort] = [ports[0]!, ports[1]!];
    const gwNames = Object.keys(GW_SCENARIOS) as Gw[];
    const gwPorts = Object.fromEntries(gwNames.map((g, i) => [g, ports[2 + i]!])) as Record<Gw, number>;
    ue = await startUas({ port: ports[7]!, scenario: 'uas.xml' }); // the registered users' phone
    for (const g of gwNames) gws[g] = await startUas({ port: gwPorts[g], scenario: GW_SCENARIOS[g] });
    // One after the other, so afterAll ends every instance that did start if a later one fails.
    for (const port of [ports[8]!, ports[9]!]) proxies.push(await startKamailio({ port, gateways: gwPorts, noAnswerMs: NO_ANSWER_MS }));
    baseConfig = {
      sip: { listen: `127.0.0.1:${lbPort}` },
      backends: proxies.map((k, i) => ({ id: `p${i + 1}`, address: `127.0.0.1:${k.port}` })),
      health: { interval: '500ms', timeout: '300ms', fall: 2, rise: 1 },
      failover: { timeout: '400ms' },
    };
    lb = await startInProcess(baseConfig);
    diagnosticsChannel.subscribe(channels.failover.name, onFailover);
    diagnosticsChannel.subscribe(channels.responseForwarded.name, onRelayed);
    // Both proxies answered a probe: siplb knows their own Server signature.
    await waitFor('probes of both proxies', () => lb.app.backends.all.every((b) => lb.app.passive.signatureOf(b.id)?.startsWith('kamailio')), 10_000);
    // Status shows the effective balancing: per-kind hash keys, failover and blame sets.
    expect(lb.control.status().balance).toEqual({
      mode: 'hash',
      hashKeys: { register: 'to-user', registered: 'request-uri-user', other: 'call-id' },
      failoverOn: ['timeout', 503],
      failoverMaxAttempts: 2,
      failoverRelayed: false,
      failoverMethods: ['REGISTER', 'MESSAGE', 'SUBSCRIBE'],
      failback: 'hold-registrations',
      blameOn: ['timeout', 503],
      blameRelayed: false,
    });
  }, 60_000);

  afterAll(async () => {
    diagnosticsChannel.unsubscribe(channels.failover.name, onFailover);
    diagnosticsChannel.unsubscribe(channels.responseForwarded.name, onRelayed);
    await lb?.stop();
    await Promise.all(proxies.map((k) => k.stop()));
    await Promise.all([ue as Uas | undefined, ...Object.values(gws)].filter((u) => u !== undefined).map((u) => u.stop()));
  }, 30_000);

  beforeEach(() => {
    failovers.length = 0;
    relayed.length = 0;
  });

  it('routes calls through both proxies with ACK and BYE on the recorded route; counts return to 0', async () => {
    const since = performance.now();
    const r = await uac('uac.xml', 'service', 60, 30);
    expect(r.failed, r.errors).toBe(0);
    expect(r.successful).toBe(60);
    // Calls to one gateway number spread over both proxies (hashed by Call-ID).
    const p1 = newInvitesTo(lb.forwarded, 'p1', since);
    const p2 = newInvitesTo(lb.forwarded, 'p2', since);
    expect(p1 + p2).toBe(60);
    expect(Math.min(p1, p2)).toBeGreaterThan(10);
    const ms = await countsSettle();
    console.log(`60 calls to one number: p1=${p1} p2=${p2}; counts at 0 ${ms} ms after the last call`);
  }, 40_000);

  it('ends the call count when the callee hangs up (BYE from the gateway through proxy and siplb)', async () => {
    const r = await uac('uac-callee-hangup.xml', 'hangup', 20, 20);
    expect(r.failed, r.errors).toBe(0);
    expect(r.successful).toBe(20);
    await countsSettle();
  }, 40_000);

  it('relays CANCEL to the proxy that rings; counts and pending INVITEs return to 0', async () => {
    const r = await uac('uac-cancel.xml', 'ring', 20, 20);
    expect(r.failed, r.errors).toBe(0);
    expect(r.successful).toBe(20);
    expect(failovers).toEqual([]);
    await countsSettle();
  }, 40_000);

  it('sends REGISTER and calls to that user to one registrar for 100 users', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'siplb-users-'));
    const users = path.join(dir, 'users.csv');
    writeFileSync(users, `SEQUENTIAL\n${Array.from({ length: 100 }, (_, i) => `user${i};${ue.port}`).join('\n')}\n`);
    const reg = await uac('uac-register.xml', 'register', 100, 50, ['-inf', users]);
    expect(reg.failed, reg.errors).toBe(0);
    expect(reg.successful).toBe(100);
    const since = performance.now();
    // A call that reached the other registrar would get its 404 and fail.
    const calls = await uac('uac-user.xml', 'user', 100, 50, ['-inf', users]);
    expect(calls.failed, calls.errors).toBe(0);
    expect(calls.successful).toBe(100);
    const p1 = newInvitesTo(lb.forwarded, 'p1', since);
    const p2 = newInvitesTo(lb.forwarded, 'p2', since);
    expect(Math.min(p1, p2)).toBeGreaterThan(15); // the users themselves spread over both registrars
    await countsSettle();
    console.log(`100 registered users: 100/100 calls met their registrar (p1=${p1} p2=${p2})`);
  }, 60_000);

  it('no answer: one ring, one 408 from the proxy to the caller, no failover (even with 408 in failover.codes)', async () => {
    // The old defaults, under which the callee rang twice: 408 fails over. The relayed 180 must
    // still bind each call to its proxy (RFC 3261 §16.7).
    const withOldCodes = validateConfig(withUdpEngine({ ...baseConfig, failover: { timeout: '400ms', codes: [503, 408, 500] } }));
    if (!withOldCodes.ok) throw new Error(JSON.stringify(withOldCodes.issues));
    expect(lb.app.applyConfig(withOldCodes.config)).toEqual(['failover.codes: [503] → [503,408,500] (applied)']);
    const invitesBefore = gws.ring.invites();
    const t0 = Date.now();
    const r = await uac('uac-final-failure.xml', 'ring', 5, 5).finally(() => {
      const back = validateConfig(withUdpEngine(baseConfig));
      if (back.ok) lb.app.applyConfig(back.config);
    });
    const tookMs = Date.now() - t0;
    expect(r.failed, r.errors).toBe(0);
    expect(failovers).toEqual([]);
    expect(relayed.filter((e) => e.method === 'INVITE' && e.status === 408).length).toBe(5);
    // The gateway rang once per call (a failover would have rung it twice).
    await waitFor('gateway counts', () => gws.ring.invites() - invitesBefore === 5, 5000);
    // 5 calls at 5/s, each ending after one no-answer period (a failover would double it).
    expect(tookMs).toBeLessThan(1000 + NO_ANSWER_MS + 1500);
    console.log(`no answer: 5 calls, each one ring and one 408 after ${NO_ANSWER_MS} ms; run took ${tookMs} ms`);
    expect(proxiesUp()).toBe(true);
    await countsSettle();
  }, 40_000);

  it('a gateway answering 503 through the proxies: relayed to the caller, no failover, proxies stay up', async () => {
    const since = performance.now();
    const invitesBefore = gws.busy.invites();
    const r = await uac('uac-final-failure.xml', 'busy', 40, 20);
    expect(r.failed, r.errors).toBe(0);
    // The 503 is the gateway's (no Server header; Kamailio's own replies carry "Server: kamailio"):
    // failover.codes apply only to a backend's own 503 (failover.relayed false), and
    // passive.blameCodes likewise, so the caller gets it at once and the proxies stay up.
    expect(failovers).toEqual([]);
    expect(relayed.filter((e) => e.method === 'INVITE' && e.status === 503).length).toBe(40);
    await waitFor('gateway counts', () => gws.busy.invites() - invitesBefore === 40, 5000);
    expect(downTransitions(since)).toBe(0);
    expect(proxiesUp()).toBe(true);
    await countsSettle();
  }, 40_000);

  it('does not count a call again for a 2xx the callee retransmits after the BYE', async () => {
    const r = await uac('uac.xml', 'late', 20, 20);
    expect(r.failed, r.errors).toBe(0);
    // Each call's 2xx came once more after its BYE and siplb relayed it...
    await waitFor('late 2xx relayed', () => relayed.filter((e) => e.method === 'INVITE' && e.status === 200).length >= 40, 5000);
    await sleep(300);
    // ...without counting the call again.
    await countsSettle(1000);
  }, 40_000);

  it('keeps counting a call whose BYE is refused with 404, and ends it with the BYE that works', async () => {
    // One call first: between its 404 and its second BYE (600 ms) the call still counts.
    const one = uac('uac-bye-404.xml', 'service', 1, 1);
    await waitFor('the 404 to the first BYE', () => relayed.some((e) => e.method === 'BYE' && e.status === 404), 5000, 10);
    expect(lb.app.dialogs.total).toBe(1);
    expect((await one).failed).toBe(0);
    await countsSettle();
    const r = await uac('uac-bye-404.xml', 'service', 10, 10);
    expect(r.failed, r.errors).toBe(0);
    expect(relayed.filter((e) => e.method === 'BYE' && e.status === 404).length).toBe(11);
    await countsSettle();
  }, 40_000);

  it('drains a proxy to "drained"', async () => {
    lb.control.setAdminState('p1', 'draining');
    try {
      const r = await uac('uac.xml', 'service', 20, 20, [], 300);
      expect(r.failed, r.errors).toBe(0);
      await waitFor('p1 drained', () => lb.control.backends().find((b) => b.id === 'p1')?.drained === true, 5000);
    } finally {
      lb.control.setAdminState('p1', 'enabled');
    }
  }, 40_000);

  it('answers OPTIONS to the VIP 200, 503 with no proxy eligible, 200 again, with received/rport', async () => {
    const first = await optionsToVip();
    expect(first.text.split('\r\n', 1)[0]).toBe('SIP/2.0 200 OK');
    // RFC 3581 §4: the top Via tells the sender the address and port siplb saw.
    expect(first.text).toMatch(new RegExp(`\r\nVia: SIP/2\\.0/UDP 127\\.0\\.0\\.1:${first.localPort};branch=\\S+;rport=${first.localPort};received=127\\.0\\.0\\.1\r\n`));
    for (const id of ['p1', 'p2']) lb.control.setAdminState(id, 'disabled');
    try {
      const down = await optionsToVip();
      expect(down.text.split('\r\n', 1)[0]).toBe('SIP/2.0 503 Service Unavailable');
      expect(down.text).toContain('\r\nRetry-After: 5\r\n');
    } finally {
      for (const id of ['p1', 'p2']) lb.control.setAdminState(id, 'enabled');
    }
    expect(await sipPing(lbPort)).toBe('SIP/2.0 200 OK');
  }, 20_000);

  it('a proxy SIGKILLed mid-run: no new call fails; the calls pinned to it are counted', async () => {
    const since = performance.now();
    // -recv_timeout: a call whose ACK/BYE went to the dead proxy fails after 5 s instead of hanging.
    const run = uac('uac.xml', 'service', 120, 30, ['-recv_timeout', '5000'], 1000);
    await sleep(1500);
    const killedAt = performance.now();
    const pinned = lb.app.dialogs.active('p2') + lb.app.passive.pendingInvites('p2');
    proxies[1]!.kill('SIGKILL');
    const r = await run;
    const newAfterKill = newInvitesTo(lb.forwarded, 'p2', killedAt);
    // Calls in progress on the dead proxy lose their ACK/BYE path (its Record-Route names it):
    // only those may fail. New calls fail over (400 ms) and then go to p1 alone.
    expect(r.failed).toBeLessThanOrEqual(pinned);
    expect(r.successful + r.failed).toBe(120);
    await waitFor('p2 down', () => lb.app.health.view('p2')?.state.health === 'down', 5000);
    console.log(
      `SIGKILL of p2: ${pinned} calls pinned to it at the kill, ${r.failed} calls failed (of 120); ${newAfterKill} new INVITEs still reached p2 and failed over; p1 took ${newInvitesTo(lb.forwarded, 'p1', since)}`,
    );
    // The dead proxy's established calls stay counted until their BYE goes unanswered for 64·T1
    // (32 s) — never more of them than were pinned to it.
    const left = lb.app.dialogs.active('p2');
    expect(left).toBeLessThanOrEqual(pinned);
    expect(lb.app.dialogs.active('p1')).toBe(0);
    console.log(`after the run: ${left} calls still counted on dead p2 (their BYEs unanswered), 0 on p1`);
  }, 60_000);
});
