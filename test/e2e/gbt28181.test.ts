/**
 * GB/T 28181 devices through siplb to two REAL Kamailio "platforms" (in-memory usrloc; a MESSAGE
 * to the platform ID is answered 200 only when its From user is registered there). The devices
 * are sipp UACs that address the platform the standard's way, with the numeric domain
 * `3402000000` in Request-URI, From and To (issue 22 item 0). siplb runs in-process; every process
 * is ended by its PID.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcess, type InProcessSiplb } from '../helpers/inproc.js';
import { kamailioAvailable, startKamailio, type Kamailio } from '../helpers/kamailio.js';
import { freePorts } from '../helpers/ports.js';
import { runUac, sippAvailable } from '../helpers/sipp.js';
import { waitFor } from '../helpers/wait.js';

const PLATFORM_ID = '34020000002000000001';
const DEVICES = 10;

let lb: InProcessSiplb;
let lbPort: number;
let devicePort: number;
const platforms: Kamailio[] = [];

describe.skipIf(!sippAvailable() || !kamailioAvailable())('GB/T 28181 devices and two Kamailio platforms', () => {
  beforeAll(async () => {
    const ports = await freePorts(4);
    [lbPort, devicePort] = [ports[0]!, ports[1]!];
    for (const port of [ports[2]!, ports[3]!]) platforms.push(await startKamailio({ port, gateways: {}, gbPlatformId: PLATFORM_ID }));
    lb = await startInProcess({
      sip: { listen: `127.0.0.1:${lbPort}` },
      backends: platforms.map((k, i) => ({ id: `p${i + 1}`, address: `127.0.0.1:${k.port}` })),
      health: { interval: '500ms', timeout: '300ms', fall: 2, rise: 1 },
      failover: { timeout: '400ms' },
    });
    await waitFor('probes of both platforms', () => lb.app.backends.all.every((b) => lb.app.passive.signatureOf(b.id) !== undefined), 10_000);
  }, 60_000);

  afterAll(async () => {
    await lb?.stop();
    await Promise.all(platforms.map((k) => k.stop()));
  }, 30_000);

  it('devices using the numeric domain @3402000000 register and keep alive on the platform that holds them', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'siplb-gb-'));
    const devices = path.join(dir, 'devices.csv');
    writeFileSync(devices, `SEQUENTIAL\n${Array.from({ length: DEVICES }, (_, i) => `340200000013200000${String(i + 1).padStart(2, '0')}`).join('\n')}\n`);
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
});
