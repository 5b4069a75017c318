/**
 * Priority tiers end to end (issue 19 item 3; DNS SRV, item 2, is not built): siplb in-process
 * with three real sipp UAS, gw1 and gw2 in tier 0 and gw3 a standby in tier 10. New calls go
 * only to tier 0; once both tier-0 sipps are killed and probed down, new calls go to gw3 with
 * none failed; when a tier-0 backend is back, new calls return to it. And serial failover steps
 * to the standby tier when every backend of the tier in use refused the INVITE.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { channels, type FailoverEvent } from '../../src/observe/channels.js';
import { freePorts } from '../helpers/ports.js';
import { newInvitesTo, startInProcess, stopRig, type InProcessSiplb } from '../helpers/inproc.js';
import { runUac, sippAvailable, startUas, type Uas } from '../helpers/sipp.js';
import { waitFor } from '../helpers/wait.js';

let rig: { lb: InProcessSiplb; uas: Uas[] } | undefined;
afterEach(async () => {
  await stopRig(rig);
  rig = undefined;
});

describe.skipIf(!sippAvailable())('priority tiers against real sipp backends', () => {
  it('sends new calls to the best tier only, to the standby tier when the best is down, and back', async () => {
    const [lbPort, uacPort, ...ports] = await freePorts(5);
    const uas = await Promise.all(ports.map((port) => startUas({ port: port! })));
    const lb = await startInProcess({
      sip: { listen: `127.0.0.1:${lbPort}` },
      backends: [
        { id: 'gw1', address: `127.0.0.1:${uas[0]!.port}` },
        { id: 'gw2', address: `127.0.0.1:${uas[1]!.port}` },
        { id: 'gw3', address: `127.0.0.1:${uas[2]!.port}`, priority: 10 },
      ],
      health: { interval: 300, timeout: 200, fall: 2, rise: 2 },
    });
    rig = { lb, uas };
    const eligible = (id: string): boolean => lb.app.health.view(id)?.eligible === true;
    await waitFor('first probes answered', () => lb.app.backends.all.every((b) => lb.app.health.view(b.id)?.lastRttMs !== null), 3000);
    expect(lb.app.backends.candidates().map((b) => b.id)).toEqual(['gw1', 'gw2']);

    const first = await runUac({ target: `127.0.0.1:${lbPort}`, port: uacPort!, calls: 60, rate: 30 });
    expect(first.failed).toBe(0);
    expect(newInvitesTo(lb.forwarded, 'gw3')).toBe(0);
    expect(newInvitesTo(lb.forwarded, 'gw1')).toBeGreaterThan(5);
    expect(newInvitesTo(lb.forwarded, 'gw2')).toBeGreaterThan(5);

    uas[0]!.kill('SIGKILL');
    uas[1]!.kill('SIGKILL');
    const downAt = await waitFor('tier 0 out', () => (!eligible('gw1') && !eligible('gw2') ? performance.now() : undefined), 5000, 10);
    expect(lb.app.backends.candidates().map((b) => b.id)).toEqual(['gw3']);
    const standby = await runUac({ target: `127.0.0.1:${lbPort}`, port: uacPort!, calls: 60, rate: 30 });
    expect(standby.failed).toBe(0);
    expect(standby.successful).toBe(60);
    expect(newInvitesTo(lb.forwarded, 'gw3', downAt)).toBe(60);

    uas[0] = await startUas({ port: ports[0]! });
    const upAt = await waitFor('gw1 back', () => (eligible('gw1') ? performance.now() : undefined), 5000, 10);
    const back = await runUac({ target: `127.0.0.1:${lbPort}`, port: uacPort!, calls: 30, rate: 30 });
    expect(back.failed).toBe(0);
    expect(newInvitesTo(lb.forwarded, 'gw1', upAt)).toBe(30);
    expect(newInvitesTo(lb.forwarded, 'gw3', upAt)).toBe(0);
  }, 60_000);

  it('serial failover steps to the next tier when the tier in use has no untried backend left', async () => {
    const [lbPort, uacPort, ...ports] = await freePorts(4);
    // gw1 answers probes 200 (stays eligible) and every INVITE 503 (a failover code).
    const uas = [await startUas({ port: ports[0]!, scenario: 'uas-invite-503.xml' }), await startUas({ port: ports[1]! })];
    const lb = await startInProcess({
      sip: { listen: `127.0.0.1:${lbPort}` },
      backends: [
        { id: 'gw1', address: `127.0.0.1:${uas[0]!.port}` },
        { id: 'gw2', address: `127.0.0.1:${uas[1]!.port}`, priority: 10 },
      ],
      health: { interval: 300, timeout: 200, fall: 10, rise: 2 },
      passive: { enabled: false },
    });
    rig = { lb, uas };
    const failovers: FailoverEvent[] = [];
    const onFailover = (m: unknown): void => void failovers.push(m as FailoverEvent);
    diagnosticsChannel.subscribe(channels.failover.name, onFailover);
    try {
      await waitFor('first probes answered', () => lb.app.backends.all.every((b) => lb.app.health.view(b.id)?.lastRttMs !== null), 3000);
      const res = await runUac({ target: `127.0.0.1:${lbPort}`, port: uacPort!, calls: 20, rate: 10 });
      expect(res.failed).toBe(0);
      expect(res.successful).toBe(20);
      const serialOffGw1 = failovers.filter((f) => f.kind === 'serial' && f.backend === 'gw1').length;
      expect(serialOffGw1).toBeGreaterThanOrEqual(1);
      expect(serialOffGw1).toBe(newInvitesTo(lb.forwarded, 'gw1'));
    } finally {
      diagnosticsChannel.unsubscribe(channels.failover.name, onFailover);
    }
  }, 60_000);
});
