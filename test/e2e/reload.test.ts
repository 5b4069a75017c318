/**
 * Configuration reload under load (GitHub issue "Operations", item 7): a real siplb process
 * (`node dist/cli/index.js start`) in front of three sipp UAS, a sipp UAC at 50 calls/s for 8 s.
 * During the run:
 * (a) a good file — a 4th backend (a sipp UAS started for it), other health thresholds, balance
 *     mode round-robin — applied by SIGHUP, then one more good change by `siplb reload --socket`
 *     (state changes need the admin socket or a token);
 * (b) a bad file — an unknown key and a bad address — refused by `siplb reload` (exit 2, every
 *     key path printed) and by SIGHUP, the node running on with the previous configuration;
 * (c) the UAC ends with every call completed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../../src/cli/program.js';
import type { BackendView, StatusView } from '../../src/api/control.js';
import { freePorts } from '../helpers/ports.js';
import { startSiplb, type SiplbProcess } from '../helpers/siplb.js';
import { runUac, sippAvailable, startUas, type Uas } from '../helpers/sipp.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { udpEngineKey } from '../helpers/udp-engine.js';

let lb: SiplbProcess | undefined;
let uas: Uas[] = [];
afterEach(async () => {
  await lb?.stop();
  await Promise.all(uas.map((u) => u.stop()));
  lb = undefined;
  uas = [];
});

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => void (out += t), err: (t) => void (err += t), setExitCode: () => undefined }, { env: {} });
  return { code, out, err };
}

/** The value of an unlabelled-or-labelled series in Prometheus text, or undefined. */
function sample(text: string, prefix: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe.skipIf(!sippAvailable())('config reload under load (real siplb process)', () => {
  it('applies good files by SIGHUP and `siplb reload`, refuses a bad one with key paths, and loses no call', async () => {
    const [sipPort, adminPort, uacPort, ...uasPorts] = await freePorts(7);
    uas = await Promise.all(uasPorts.slice(0, 3).map((port) => startUas({ port: port! })));
    const admin = `127.0.0.1:${adminPort}`;
    const sock = path.join(mkdtempSync(path.join(tmpdir(), 'siplb-reload-')), 'admin.sock');
    const backend = (u: Uas, i: number): Record<string, unknown> => ({ id: `gw${i + 1}`, address: `127.0.0.1:${u.port}` });
    const base = {
      node: { id: 'reload-e2e' },
      // The engine under test written into every rewrite too: a change of it would be reported.
      sip: { listen: `127.0.0.1:${sipPort}`, warmUpCalls: 0, ...udpEngineKey() },
      // `siplb reload` goes through the admin socket (a state change: no token over the socket).
      admin: { listen: admin, socket: sock },
      backends: uas.map(backend),
      health: { interval: '1s', timeout: '500ms', fall: 3, rise: 2 },
      balance: { mode: 'hash' },
    };
    lb = await startSiplb(base);
    const api = async <T>(p: string): Promise<T> => (await fetch(`http://${admin}${p}`)).json() as Promise<T>;
    const metrics = async (): Promise<string> => (await fetch(`http://${admin}/metrics`)).text();
    await waitFor('every backend probed', async () => (await api<BackendView[]>('/backends')).every((b) => b.lastRttMs !== null), 10_000, 100);

    const load = runUac({ target: `127.0.0.1:${sipPort}`, port: uacPort!, calls: 400, rate: 50 });
    await sleep(1500);

    // (a) A good file: a 4th backend, other thresholds, round-robin. Applied by SIGHUP.
    uas.push(await startUas({ port: uasPorts[3]! }));
    const good = { ...base, backends: uas.map(backend), health: { interval: '500ms', timeout: '300ms', fall: 2, rise: 1 }, balance: { mode: 'round-robin' } };
    writeFileSync(lb.configFile, stringify(good));
    process.kill(lb.pid, 'SIGHUP');
    await waitFor('the 4th backend and round-robin', async () => {
      const [list, status] = await Promise.all([api<BackendView[]>('/backends'), api<StatusView>('/status')]);
      return list.length === 4 && status.mode === 'round-robin';
    }, 5000, 50);
    expect(lb.logs()).toMatch(/"changes":\[[^\]]*backend gw4 added[^\]]*balance\.mode: hash → round-robin \(applied\)[^\]]*health\.interval: \d+ → 500 \(applied\)/);

    // One more good change, applied by the CLI against the node's admin API.
    // A key read only at start is reported, not silently ignored.
    writeFileSync(lb.configFile, stringify({ ...good, health: { ...good.health, fall: 3 }, dialogs: { maxCallDuration: '12h' } }));
    const ok = await cli(['reload', '--socket', sock]);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.out).toBe('reload ok: 2 change(s)\n  health.fall: 2 → 3 (applied)\n  dialogs.maxCallDuration: 10800000 → 43200000: needs a restart to take effect\n');

    // (b) A bad file: an unknown key and a bad address. Refused with key paths; the node runs on.
    const bad = stringify({ ...good, health: { ...good.health, intervall: '1s' }, backends: [...good.backends.slice(0, 3), { id: 'gw4', address: '127.0.0.1:99999' }] });
    writeFileSync(lb.configFile, bad);
    const refused = await cli(['reload', '--socket', sock]);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/line \d+: health\.intervall: .*unknown key/);
    expect(refused.err).toMatch(/line \d+: backends\[3\]\.address: /);
    expect(refused.err).toContain('reload refused: 2 problem(s); the node keeps its running configuration');
    process.kill(lb.pid, 'SIGHUP');
    await waitFor('the SIGHUP reload refused', () => (lb!.logs().match(/config reload refused/g)?.length ?? 0) >= 2, 5000, 50);

    const status = await api<StatusView>('/status');
    expect(status.mode).toBe('round-robin');
    expect((await api<BackendView[]>('/backends')).map((b) => `${b.id}=${b.address}`)).toEqual(good.backends.map((b) => `${b.id}=${b.address}`));
    const m = await metrics();
    expect(sample(m, 'siplb_config_reloads_total{result="ok"')).toBe(2);
    expect(sample(m, 'siplb_config_reloads_total{result="failed"')).toBe(2);

    // (c) Every call completed, and the new backend took its share of them.
    const res = await load;
    expect(res.errors).toBe('');
    expect(res.failed).toBe(0);
    expect(res.successful).toBe(400);
    await Promise.all(uas.map((u) => u.stop()));
    const perBackend = uas.map((u) => u.invites());
    expect(perBackend.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(400);
    expect(perBackend[3]).toBeGreaterThan(20);
    expect(process.kill(lb.pid, 0)).toBe(true);
    expect(await lb.stop()).toBe(0);
    console.log(`reload under load: 400/400 calls, INVITEs per backend ${perBackend.join('/')} (gw4 added by SIGHUP at 1.5 s), 2 good and 2 refused reloads`);
  }, 60_000);
});
