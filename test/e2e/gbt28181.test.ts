/**
 * GB/T 28181 devices through siplb to two REAL Kamailio "platforms" (in-memory usrloc; a MESSAGE
 * to the platform ID is answered 200 only when its From user is registered there). The devices
 * are sipp UACs that address the platform the standard's way, with the numeric domain
 * `3402000000` in Request-URI, From and To (issue 22 item 0). Then a platform holding half the
 * devices is SIGKILLed while they keep alive, and brought back. siplb runs in-process; every
 * process is ended by its PID.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import diagnosticsChannel from 'node:diagnostics_channel';
import { channels, type ResponseForwardedEvent } from '../../src/observe/channels.js';
import { startInProcess, type InProcessSiplb } from '../helpers/inproc.js';
import { kamailioAvailable, startKamailio, type Kamailio } from '../helpers/kamailio.js';
import { freePorts } from '../helpers/ports.js';
import { runUac, sippAvailable } from '../helpers/sipp.js';
import { sleep, waitFor } from '../helpers/wait.js';

const PLATFORM_ID = '34020000002000000001';
const DEVICES = 10;

let lb: InProcessSiplb;
let lbPort: number;
let devicePort: number;
const platforms: Kamailio[] = [];
/** Instances started again after a kill; stopped in afterAll too. */
const restarted: Kamailio[] = [];
const relayed: Array<ResponseForwardedEvent & { at: number }> = [];
const onRelayed = (m: unknown): void => void relayed.push({ ...(m as ResponseForwardedEvent), at: performance.now() });
/** Health: a probe every 500 ms, 300 ms timeout, down after 2 misses; failover after 400 ms of silence. */
const DETECTION_MS = 2 * 500 + 300;
const FAILOVER_MS = 400;

function deviceFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'siplb-gb-'));
  const devices = path.join(dir, 'devices.csv');
  writeFileSync(devices, `SEQUENTIAL\n${Array.from({ length: DEVICES }, (_, i) => `340200000013200000${String(i + 1).padStart(2, '0')}`).join('\n')}\n`);
  return devices;
}

describe.skipIf(!sippAvailable() || !kamailioAvailable())('GB/T 28181 devices and two Kamailio platforms', () => {
  beforeAll(async () => {
    const ports = await freePorts(4);
    [lbPort, devicePort] = [ports[0]!, ports[1]!];
    for (const port of [ports[2]!, ports[3]!]) platforms.push(await startKamailio({ port, gateways: {}, gbPlatformId: PLATFORM_ID }));
    lb = await startInProcess({
      sip: { listen: `127.0.0.1:${lbPort}` },
      // Real cameras keep alive every 60 s, longer than the 32 s Call-ID pin, so each keep-alive is
      // balanced afresh; a 200 ms pin lets 250 ms keep-alives show the same. GB_FAILBACK=immediate
      // runs the old behaviour (keep-alives then meet platforms that do not know the device).
      balance: { affinityTtl: '200ms', ...(process.env['GB_FAILBACK'] === undefined ? {} : { failback: process.env['GB_FAILBACK'] }) },
      backends: platforms.map((k, i) => ({ id: `p${i + 1}`, address: `127.0.0.1:${k.port}` })),
      health: { interval: '500ms', timeout: '300ms', fall: 2, rise: 1 },
      failover: { timeout: '400ms' },
    });
    await waitFor('probes of both platforms', () => lb.app.backends.all.every((b) => lb.app.passive.signatureOf(b.id) !== undefined), 10_000);
    diagnosticsChannel.subscribe(channels.responseForwarded.name, onRelayed);
  }, 60_000);

  afterAll(async () => {
    diagnosticsChannel.unsubscribe(channels.responseForwarded.name, onRelayed);
    await lb?.stop();
    await Promise.all([...platforms, ...restarted].map((k) => k.stop()));
  }, 30_000);

  it('devices using the numeric domain @3402000000 register and keep alive on the platform that holds them', async () => {
    const devices = deviceFile();
    const since = performance.now();
    const r = await runUac({ target: `127.0.0.1:${lbPort}`, port: devicePort, calls: DEVICES, rate: 10, scenario: 'gb-device.xml', extraArgs: ['-s', PLATFORM_ID, '-inf', devices] });
    expect(r.failed, r.errors).toBe(0);
    expect(r.successful).toBe(DEVICES);
    const regs = lb.forwarded.filter((f) => f.at >= since && f.method === 'REGISTER');
    const keepalives = lb.forwarded.filter((f) => f.at >= since && f.method === 'MESSAGE');
    expect(regs).toHaveLength(DEVICES);
    expect(keepalives).toHaveLength(DEVICES);
    expect(lb.app.counters().dropped['parse-error'] ?? 0).toBe(0);
    // The devices spread over both platforms (hashed by their own ID, the To user of REGISTER).
    const onP1 = regs.filter((f) => f.backend === 'p1').length;
    console.log(`GB/T 28181: ${DEVICES}/${DEVICES} devices registered with @3402000000 and kept alive (p1=${onP1}, p2=${DEVICES - onP1})`);
  }, 60_000);

  it('kill the platform holding half the devices: keep-alives move to the survivor, no registration is lost; devices stay after it returns', async () => {
    const t0 = performance.now();
    const run = runUac({
      target: `127.0.0.1:${lbPort}`, port: devicePort + 0, calls: DEVICES, rate: 50, limit: DEVICES, timeoutS: 60,
      scenario: 'gb-device-keepalive.xml', extraArgs: ['-s', PLATFORM_ID, '-inf', deviceFile()],
    });
    await waitFor('every device registered', () => lb.forwarded.filter((f) => f.at >= t0 && f.method === 'REGISTER').length >= DEVICES, 10_000);
    await sleep(1500);
    const regs = lb.forwarded.filter((f) => f.at >= t0 && f.method === 'REGISTER');
    const victimIdx = regs.filter((f) => f.backend === 'p1').length >= DEVICES / 2 ? 0 : 1;
    const victim = `p${victimIdx + 1}`;
    const survivor = victimIdx === 0 ? 'p2' : 'p1';
    const held = regs.filter((f) => f.backend === victim).length;
    const killedAt = performance.now();
    platforms[victimIdx]!.kill('SIGKILL');
    await waitFor(`${victim} down`, () => !lb.app.backends.isEligible(victim), 5000);
    const detectedMs = performance.now() - killedAt;
    await sleep(2500);
    // Bring it back (empty usrloc, like a restarted platform) and let siplb see it up again.
    restarted.push(await startKamailio({ port: platforms[victimIdx]!.port, gateways: {}, gbPlatformId: PLATFORM_ID }));
    await waitFor(`${victim} up again`, () => lb.app.backends.isEligible(victim), 5000);
    const backAt = performance.now();
    const r = await run;
    expect(r.failed, r.errors).toBe(0);
    expect(r.successful).toBe(DEVICES);

    // Nothing new went to the dead platform once detection + one failover timeout had passed
    // (a keep-alive sent to it before that moved on after FAILOVER_MS).
    const toVictim = lb.forwarded.filter((f) => f.at > killedAt && f.at < backAt && f.backend === victim);
    const lastToVictimMs = toVictim.length === 0 ? 0 : Math.max(...toVictim.map((f) => f.at)) - killedAt;
    expect(lastToVictimMs).toBeLessThan(DETECTION_MS + FAILOVER_MS + 500);
    // Every device registered on the victim registered again on the survivor (its keep-alive got
    // 403 "not registered here" there first), with the Call-ID it always used.
    const reRegs = lb.forwarded.filter((f) => f.at > killedAt && f.method === 'REGISTER' && f.backend === survivor);
    expect(reRegs.length).toBeGreaterThanOrEqual(held);
    // ... and within the bound: every moved device is registered on the survivor (its 200 relayed)
    // and keeping alive there this long after the kill.
    const reRegOk = relayed.filter((e) => e.at > killedAt && e.method === 'REGISTER' && e.status === 200 && e.backend === survivor);
    const movedMs = reRegOk.length < held ? Infinity : reRegOk[held - 1]!.at - killedAt;
    expect(movedMs).toBeLessThan(2500);
    // Failback held: after the platform came back nothing went to it (it knows no device), and no
    // keep-alive met a platform that did not know its device.
    const afterBack = lb.forwarded.filter((f) => f.at > backAt && f.backend === victim);
    expect(afterBack).toEqual([]);
    const rejectedAfterBack = relayed.filter((e) => e.at > backAt && e.method === 'MESSAGE' && e.status === 403);
    expect(rejectedAfterBack).toEqual([]);
    console.log(
      `GB/T 28181 failover: ${held}/${DEVICES} devices on ${victim} (SIGKILL); down after ${Math.round(detectedMs)} ms; ` +
        `last request to it ${Math.round(lastToVictimMs)} ms after the kill (bound ${DETECTION_MS + FAILOVER_MS} ms + 500 ms slack); ` +
        `${reRegs.length} REGISTERs answered by ${survivor}, the last moved device registered there ${Math.round(movedMs)} ms after the kill; 0 requests to ${victim} after it came back; ${DEVICES}/${DEVICES} devices completed 40 keep-alives`,
    );
  }, 90_000);
});
