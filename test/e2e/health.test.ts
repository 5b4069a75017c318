/**
 * Health checking end to end: real sipp UAS backends, a real sipp UAC at 50 calls/s, siplb built
 * in-process so the test can time its transitions. Thresholds: interval 1 s, timeout 500 ms,
 * fall 2, rise 2 — so a dead backend must be marked down within interval × fall + timeout = 2.5 s.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { freePorts } from '../helpers/ports.js';
import { newInvitesTo, startInProcess, type InProcessSiplb, stopRig } from '../helpers/inproc.js';
import { runUac, sippAvailable, startUas, type Uas } from '../helpers/sipp.js';
import { sleep, waitFor } from '../helpers/wait.js';

const INTERVAL = 1000;
const TIMEOUT = 500;
const FALL = 2;
const RISE = 2;
const DETECT_BOUND_MS = INTERVAL * FALL + TIMEOUT;
/** Timer and event-loop slack on a loaded 2-core machine. */
const MARGIN_MS = 400;

interface Rig {
  lb: InProcessSiplb;
  lbPort: number;
  uacPort: number;
  uas: Uas[];
}

let rig: Rig | undefined;
afterEach(async () => {
  await stopRig(rig);
  rig = undefined;
});

async function setup(scenarios: string[] = ['uas.xml', 'uas.xml', 'uas.xml'], extra: Record<string, unknown> = {}, perBackend: Record<string, unknown>[] = []): Promise<Rig> {
  const ports = await freePorts(2 + scenarios.length);
  const uas = await Promise.all(scenarios.map((scenario, i) => startUas({ port: ports[2 + i]!, scenario })));
  const lb = await startInProcess({
    sip: { listen: `127.0.0.1:${ports[0]}` },
    backends: uas.map((u, i) => ({ id: `gw${i + 1}`, address: `127.0.0.1:${u.port}`, ...(perBackend[i] ?? {}) })),
    health: { interval: INTERVAL, timeout: TIMEOUT, fall: FALL, rise: RISE },
    ...extra,
  });
  rig = { lb, lbPort: ports[0]!, uacPort: ports[1]!, uas };
  return rig;
}

const eligible = (r: Rig, id: string): boolean => r.lb.app.health.view(id)?.eligible === true;

describe.skipIf(!sippAvailable())('health checks against real sipp backends', () => {
  it('marks a SIGKILLed backend down within interval×fall+timeout, sends it no new INVITE after, and takes it back after rise probes', async () => {
    const r = await setup();
    await waitFor('first probes answered', () => r.lb.app.backends.all.every((b) => r.lb.app.health.view(b.id)?.lastRttMs !== null), 3000);
    // -recv_timeout: a call whose INVITE went to the dead backend fails in 4 s, not after 32 s of retransmissions.
    const load = runUac({ target: `127.0.0.1:${r.lbPort}`, port: r.uacPort, calls: 500, rate: 50, extraArgs: ['-recv_timeout', '4000'] });
    await sleep(2000);
    const killedAt = performance.now();
    r.uas[1]!.kill('SIGKILL');
    const downAt = await waitFor('gw2 ineligible', () => (!eligible(r, 'gw2') ? performance.now() : undefined), 6000, 10);
    const detectMs = downAt - killedAt;
    const res = await load;

    expect(detectMs).toBeLessThanOrEqual(DETECT_BOUND_MS + MARGIN_MS);
    expect(r.lb.app.health.view('gw2')?.state.health).toBe('down');
    expect(newInvitesTo(r.lb.forwarded, 'gw2', downAt)).toBe(0);
    // Only calls whose INVITE reached gw2 between the kill and the detection may fail.
    const lost = newInvitesTo(r.lb.forwarded, 'gw2', killedAt - 50, downAt);
    expect(res.failed).toBeLessThanOrEqual(lost);
    expect(res.successful).toBe(500 - res.failed);
    console.log(`SIGKILL detection ${detectMs.toFixed(0)} ms (bound ${DETECT_BOUND_MS} ms); calls to the dead backend before detection ${lost}, failed ${res.failed}`);

    // Restart it: up again after `rise` probes, and it takes new calls again.
    const restartedAt = performance.now();
    r.uas[1] = await startUas({ port: r.uas[1]!.port });
    const upAt = await waitFor('gw2 eligible again', () => (eligible(r, 'gw2') ? performance.now() : undefined), 6000, 10);
    expect(upAt - restartedAt).toBeLessThanOrEqual(RISE * INTERVAL + TIMEOUT + MARGIN_MS);
    expect(r.lb.app.health.view('gw2')?.state.okStreak).toBeGreaterThanOrEqual(RISE);
    const again = await runUac({ target: `127.0.0.1:${r.lbPort}`, port: r.uacPort, calls: 100, rate: 50 });
    expect(again.failed).toBe(0);
    expect(newInvitesTo(r.lb.forwarded, 'gw2', upAt)).toBeGreaterThan(10);
  }, 60_000);

  it('detects a hung (SIGSTOPped) backend the same way', async () => {
    const r = await setup();
    await waitFor('first probes answered', () => r.lb.app.backends.all.every((b) => r.lb.app.health.view(b.id)?.lastRttMs !== null), 3000);
    const stoppedAt = performance.now();
    r.uas[0]!.kill('SIGSTOP');
    try {
      const downAt = await waitFor('gw1 ineligible', () => (!eligible(r, 'gw1') ? performance.now() : undefined), 6000, 10);
      expect(downAt - stoppedAt).toBeLessThanOrEqual(DETECT_BOUND_MS + MARGIN_MS);
      const t = r.lb.transitions.filter((x) => x.backend === 'gw1' && x.to === 'down');
      expect(t).toHaveLength(1);
      expect(t[0]!.reason).toBe('probe-timeout');
    } finally {
      r.uas[0]!.kill('SIGCONT');
    }
  }, 30_000);

  it('takes down a backend answering OPTIONS 503, keeps up one answering 404 when 404 is in okCodes', async () => {
    const r = await setup(['uas-options-503.xml', 'uas-options-404.xml', 'uas.xml'], {}, [{}, { health: { okCodes: ['2xx', 404] } }]);
    await waitFor('gw1 down', () => r.lb.app.health.view('gw1')?.state.health === 'down', 5000);
    expect(r.lb.transitions.find((x) => x.backend === 'gw1' && x.to === 'down')?.reason).toBe('probe-bad-code');
    await sleep(2 * INTERVAL);
    expect(r.lb.app.health.view('gw2')?.state.health).toBe('up');
    expect(r.lb.app.health.view('gw2')?.state.failStreak).toBe(0);
    expect(r.lb.transitions.filter((x) => x.backend === 'gw2')).toHaveLength(0);
    // And new calls avoid gw1 entirely.
    const res = await runUac({ target: `127.0.0.1:${r.lbPort}`, port: r.uacPort, calls: 60, rate: 50 });
    expect(res.failed).toBe(0);
    expect(newInvitesTo(r.lb.forwarded, 'gw1')).toBe(0);
  }, 30_000);

  it('drains a backend while 5 s calls run: no new calls, its calls end with BYE/200, drained at zero', async () => {
    const r = await setup();
    await waitFor('first probes answered', () => r.lb.app.backends.all.every((b) => r.lb.app.health.view(b.id)?.lastRttMs !== null), 3000);
    const load = runUac({ target: `127.0.0.1:${r.lbPort}`, port: r.uacPort, calls: 150, rate: 50, callLengthMs: 5000 });
    await waitFor('calls established on gw1', () => r.lb.app.dialogs.active('gw1') >= 10, 5000);
    const drainAt = performance.now();
    const view = r.lb.control.setAdminState('gw1', 'draining');
    expect(view.admin).toBe('draining');
    expect(view.drained).toBe(false);
    const activeAtDrain = view.activeCalls;
    expect(activeAtDrain).toBeGreaterThan(0);
    const drainedAt = await waitFor('gw1 drained', () => (r.lb.control.backends().find((b) => b.id === 'gw1')?.drained ? performance.now() : undefined), 10_000, 20);
    // Not before its 5 s calls could end.
    expect(drainedAt - drainAt).toBeGreaterThan(3000);
    const res = await load;
    expect(res.failed).toBe(0);
    expect(newInvitesTo(r.lb.forwarded, 'gw1', drainAt)).toBe(0);
    await r.uas[0]!.stop();
    const c = r.uas[0]!.counts();
    const bye = Object.entries(c).find(([k]) => /_BYE_Recv$/.test(k))?.[1];
    expect(bye).toBe(r.uas[0]!.invites());
    expect(r.lb.app.dialogs.active('gw1')).toBe(0);
    for (const b of r.lb.control.backends()) expect(b.activeCalls).toBeGreaterThanOrEqual(0);
  }, 40_000);
});
