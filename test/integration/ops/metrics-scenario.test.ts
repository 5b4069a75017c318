/**
 * Metric VALUES after a scripted scenario against a running node (GitHub issue "Operations"):
 * test/unit/metrics/metrics.test.ts publishes synthetic channel events; here a real node
 * (src/node.ts, the code path of `siplb start`: app, control, metrics, admin API) sits in front of
 * three sipp UAS and serves GET /metrics over HTTP. The scenario:
 *   N calls from a sipp UAC, one MESSAGE with Max-Forwards 0 (483), one garbage datagram, one
 *   OPTIONS to siplb itself, gw1 drained and enabled again, one good and one bad reload, gw3
 *   SIGKILLed and detected down by its probes;
 * then one scrape, and one assertion per metric family of src/metrics/README.md whose value the
 * scenario fixes. Serial failover waits 2 s (no sipp UAS is that slow), so no call moves and the
 * new-call counts are exact; counts that sipp's own UDP retransmissions could raise are bounded
 * below.
 */
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfigFile } from '../../../src/config/load.js';
import { silentLogger } from '../../../src/log.js';
import { startNode, type RunningNode } from '../../../src/node.js';
import { freePorts } from '../../helpers/ports.js';
import { sipPing } from '../../helpers/siplb.js';
import { runUac, sippAvailable, startUas, type Uas } from '../../helpers/sipp.js';
import { waitFor } from '../../helpers/wait.js';

const N = 100;

let node: RunningNode | undefined;
let uas: Uas[] = [];
let dir: string | undefined;
afterEach(async () => {
  await node?.stop();
  await Promise.all(uas.map((u) => u.stop()));
  if (dir) rmSync(dir, { recursive: true, force: true });
  node = undefined;
  uas = [];
  dir = undefined;
});

interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Every sample of metric `name` (exact name: `_bucket`/`_count` are names of their own). */
function samples(text: string, name: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of the samples of `name` whose labels include `where`. */
function value(text: string, name: string, where: Record<string, string> = {}): number {
  const matching = samples(text, name).filter((s) => Object.entries(where).every(([k, v]) => s.labels[k] === v));
  if (matching.length === 0) throw new Error(`no series ${name}${JSON.stringify(where)} in the scrape`);
  return matching.reduce((a, s) => a + s.value, 0);
}

function sendGarbage(port: number): Promise<void> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.send(Buffer.from('this is not SIP at all\r\n\r\n', 'latin1'), port, '127.0.0.1', () => s.close(() => resolve()));
  });
}

describe.skipIf(!sippAvailable())('metrics after a scripted scenario (running node, real sipp peers)', () => {
  it('serves the exact counts and states the scenario produced', async () => {
    const [sipPort, uacPort, mfPort, ...uasPorts] = await freePorts(6);
    uas = await Promise.all(uasPorts.map((port) => startUas({ port: port! })));
    dir = mkdtempSync(path.join(tmpdir(), 'siplb-metrics-'));
    const file = path.join(dir, 'siplb.yaml');
    const config = {
      node: { id: 'lb-m' },
      sip: { listen: `127.0.0.1:${sipPort}` },
      admin: { listen: '127.0.0.1:0' },
      backends: uas.map((u, i) => ({ id: `gw${i + 1}`, address: `127.0.0.1:${u.port}` })),
      health: { interval: '1s', timeout: '500ms', fall: 2, rise: 2 },
      failover: { timeout: '2s' },
    };
    writeFileSync(file, stringify(config));
    const loaded = await loadConfigFile(file);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.issues));
    node = await startNode(loaded.config, { logger: silentLogger(), configFile: file, loadConfig: () => loadConfigFile(file) });
    const n = node;
    await waitFor('first probes answered', () => n.control.backends().every((b) => b.lastRttMs !== null), 5000);

    // N calls, all completed.
    const calls = await runUac({ target: `127.0.0.1:${sipPort}`, port: uacPort!, calls: N, rate: 50 });
    expect(calls.failed).toBe(0);
    expect(calls.successful).toBe(N);
    // One request with Max-Forwards 0: answered 483 by siplb, never forwarded.
    const mf = await runUac({ target: `127.0.0.1:${sipPort}`, port: mfPort!, calls: 1, rate: 1, scenario: 'uac-maxfwd0.xml', timeoutS: 5 });
    expect(mf.successful).toBe(1);
    // One datagram that is not SIP; one OPTIONS to siplb itself.
    await sendGarbage(sipPort!);
    expect(await sipPing(sipPort!, '127.0.0.1', 1000)).toBe('SIP/2.0 200 OK');
    // An operator drains gw1 and enables it again.
    n.control.setAdminState('gw1', 'draining');
    n.control.setAdminState('gw1', 'enabled');
    // One good reload (same file), one refused (unknown key).
    expect((await n.control.reload()).ok).toBe(true);
    writeFileSync(file, stringify({ ...config, health: { ...config.health, intervall: '1s' } }));
    expect((await n.control.reload()).ok).toBe(false);
    // gw3 dies; its probes take it down (fall 2).
    uas[2]!.kill('SIGKILL');
    await waitFor('gw3 down', () => n.control.backends().find((b) => b.id === 'gw3')?.health === 'down', 6000);

    const { host, port } = n.admin.address;
    const res = await fetch(`http://${host}:${port}/metrics`);
    expect(res.status).toBe(200);
    const t = await res.text();
    const live = ['gw1', 'gw2'];

    // ── Traffic ──
    expect(value(t, 'siplb_new_calls_total')).toBe(N);
    expect(live.every((b) => value(t, 'siplb_new_calls_total', { backend: b }) > 0)).toBe(true);
    // Each request of each call once, more only if sipp retransmitted one.
    for (const method of ['INVITE', 'ACK', 'BYE']) expect(value(t, 'siplb_requests_forwarded_total', { method }), method).toBeGreaterThanOrEqual(N);
    // The Max-Forwards 0 MESSAGE was never forwarded: its series exist from the first scrape
    // (known label sets at zero) and stay at 0.
    const message = samples(t, 'siplb_requests_forwarded_total').filter((s) => s.labels.method === 'MESSAGE');
    expect(message.map((s) => s.labels.backend).sort()).toEqual(['external', 'gw1', 'gw2', 'gw3']);
    expect(message.every((s) => s.value === 0)).toBe(true);
    // 100 + 180 and two 200s (INVITE, BYE) per call; no backend answered an error.
    expect(value(t, 'siplb_responses_forwarded_total', { class: '1xx' })).toBeGreaterThanOrEqual(2 * N);
    expect(value(t, 'siplb_responses_forwarded_total', { class: '2xx' })).toBeGreaterThanOrEqual(2 * N);
    expect(samples(t, 'siplb_responses_forwarded_total').filter((s) => !['1xx', '2xx'].includes(s.labels.class ?? '') && s.value > 0)).toEqual([]);
    expect(value(t, 'siplb_requests_rejected_total', { reason: 'max-forwards', status: '483' })).toBe(1);
    expect(value(t, 'siplb_requests_rejected_total')).toBe(1);
    expect(value(t, 'siplb_datagrams_dropped_total', { reason: 'parse-error' })).toBe(1);
    expect(value(t, 'siplb_local_replies_total', { method: 'OPTIONS', status: '200' })).toBe(1);
    expect(value(t, 'siplb_failovers_total', { kind: 'serial' })).toBe(0);
    // A ring failover each time a backend left the ring: gw1 drained, gw3 down.
    expect(value(t, 'siplb_failovers_total', { kind: 'ring', backend: 'gw1' })).toBe(1);
    expect(value(t, 'siplb_failovers_total', { kind: 'ring', backend: 'gw3' })).toBe(1);
    expect(value(t, 'siplb_failovers_total', { kind: 'ring', backend: 'gw2' })).toBe(0);

    // ── Health ──
    for (const b of live) expect(value(t, 'siplb_probe_rtt_seconds_count', { backend: b }), b).toBeGreaterThan(0);
    expect(value(t, 'siplb_probe_failures_total', { backend: 'gw3', result: 'timeout' })).toBeGreaterThanOrEqual(2);
    for (const b of live) expect(value(t, 'siplb_probe_failures_total', { backend: b }), b).toBe(0);
    expect(value(t, 'siplb_health_transitions_total', { backend: 'gw3', from: 'up', to: 'failing', reason: 'probe-timeout' })).toBe(1);
    expect(value(t, 'siplb_health_transitions_total', { backend: 'gw3', from: 'failing', to: 'down', reason: 'probe-timeout' })).toBe(1);
    expect(value(t, 'siplb_health_transitions_total', { backend: 'gw3' })).toBe(2);
    for (const b of live) expect(samples(t, 'siplb_health_transitions_total').filter((s) => s.labels.backend === b && s.value > 0), b).toEqual([]);
    expect(value(t, 'siplb_admin_state_changes_total', { backend: 'gw1', from: 'enabled', to: 'draining' })).toBe(1);
    expect(value(t, 'siplb_admin_state_changes_total', { backend: 'gw1', from: 'draining', to: 'enabled' })).toBe(1);
    expect(value(t, 'siplb_backend_health_state', { backend: 'gw3', state: 'down' })).toBe(1);
    expect(value(t, 'siplb_backend_health_state', { backend: 'gw3' })).toBe(1);
    for (const b of live) expect(value(t, 'siplb_backend_health_state', { backend: b, state: 'up' }), b).toBe(1);
    expect(value(t, 'siplb_backend_admin_state', { state: 'enabled' })).toBe(3);
    expect(value(t, 'siplb_backend_eligible', { backend: 'gw3' })).toBe(0);
    expect(value(t, 'siplb_backend_eligible')).toBe(2);
    expect(value(t, 'siplb_backend_drained')).toBe(0);
    expect(value(t, 'siplb_backend_active_calls')).toBe(0);
    expect(value(t, 'siplb_backend_pending_invites')).toBe(0);
    expect(value(t, 'siplb_backends_configured')).toBe(3);
    expect(value(t, 'siplb_backends_up')).toBe(2);
    expect(value(t, 'siplb_backends_eligible')).toBe(2);

    // ── Node and HA ──
    expect(value(t, 'siplb_role', { role: 'standalone' })).toBe(1);
    expect(value(t, 'siplb_role')).toBe(1);
    expect(value(t, 'siplb_fencing_token')).toBe(0);
    expect(value(t, 'siplb_leader_changes_total')).toBe(0);
    expect(value(t, 'siplb_config_reloads_total', { result: 'ok' })).toBe(1);
    expect(value(t, 'siplb_config_reloads_total', { result: 'failed' })).toBe(1);
    expect(value(t, 'siplb_build_info', { version: '0.1.0' })).toBe(1);
    // A node that kept up: every new call admitted, nothing lost in the kernel.
    expect(value(t, 'siplb_overload_admit_ratio')).toBe(1);
    expect(value(t, 'siplb_overload_shedding')).toBe(0);
    expect(value(t, 'siplb_sip_kernel_drops_total')).toBe(0);
    // Every series carries the node label.
    expect(samples(t, 'siplb_backends_configured')[0]?.labels.node).toBe('lb-m');
    expect(value(t, 'process_cpu_seconds_total')).toBeGreaterThan(0);

    const fwd = (m: string): number => value(t, 'siplb_requests_forwarded_total', { method: m });
    console.log(`metrics scenario: ${N} new calls, INVITE/ACK/BYE forwarded ${fwd('INVITE')}/${fwd('ACK')}/${fwd('BYE')}, gw3 probe timeouts ${value(t, 'siplb_probe_failures_total', { backend: 'gw3' })}`);
  }, 60_000);
});
