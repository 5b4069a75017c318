/**
 * `siplb demo` through the CLI program with captured output (GitHub issue "Operations", item 4):
 * a short run (8 s, gw2 down at 3 s and back at 5 s) prints its URLs and a per-backend table,
 * shows gw2 going down and coming back, completes every call (serial failover saves the INVITEs
 * that met the closed gateway, the caller's BYE retransmissions the calls already on it), exits 0
 * and leaves no socket, server, timer or signal listener behind. Needs no sipp.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.js';
import { waitFor } from '../../helpers/wait.js';

/** Handle types that would keep the process alive, counted by type. */
function handles(): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) m.set(r, (m.get(r) ?? 0) + 1);
  return m;
}

let logDir: string | undefined;
afterEach(() => {
  if (logDir) rmSync(logDir, { recursive: true, force: true });
  logDir = undefined;
});

/** The STATE column of `id` in every table printed, in order. */
function statesOf(out: string, id: string): string[] {
  return out
    .split('\n')
    .filter((l) => l.startsWith(`${id} `))
    .map((l) => l.trim().split(/\s+/)[3]!);
}

describe('siplb demo', () => {
  it('runs a node with three demo gateways, shows gw2 down then up again, completes every call and cleans up', async () => {
    const before = handles();
    const sigint = process.listenerCount('SIGINT');
    let out = '';
    let err = '';
    const io = { out: (t: string) => void (out += t), err: (t: string) => void (err += t), setExitCode: () => undefined };
    const run = runCli(['demo', '--duration', '8s', '--down-at', '3s', '--up-at', '5s'], io);

    // The printed admin URL is the live node's: ask it while the demo runs.
    const adminUrl = await waitFor('the admin URL', () => /admin API {2}(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1], 5000);
    const status: unknown = await (await fetch(`${adminUrl}/status`, { headers: { connection: 'close' } })).json();
    const code = await run;

    expect(err).toBe('');
    expect(code).toBe(0);
    expect(status).toMatchObject({ nodeId: 'demo', role: 'standalone', backends: { total: 3 } });
    expect(out).toMatch(/metrics {4}http:\/\/127\.0\.0\.1:\d+\/metrics/);
    const log = /log {8}(\S+siplb\.log)/.exec(out)?.[1];
    expect(log).toBeDefined();
    logDir = path.dirname(log!);

    // A table once a second: 8 of them, each with the header and three backends.
    expect(out.match(/^BACKEND +ADDRESS +GATEWAY +STATE +ELIGIBLE +CALLS\/S +RTT +ACTIVE$/gm)?.length).toBeGreaterThanOrEqual(7);
    const gw2 = statesOf(out, 'gw2');
    const firstDown = gw2.indexOf('down');
    expect(firstDown, `gw2 states: ${gw2.join(' ')}`).toBeGreaterThan(0);
    expect(gw2.slice(firstDown).at(-1), `gw2 states: ${gw2.join(' ')}`).toBe('up');
    // The others never went down (a probe slower than 300 ms on a loaded machine may show 'failing').
    expect(statesOf(out, 'gw1')).not.toContain('down');
    expect(statesOf(out, 'gw3')).not.toContain('down');
    expect(out).toContain('gw2 taken down');
    expect(out).toContain('gw2 is back');

    // 10 calls/s for 8 s - 2 s hold - 2 s margin = 40 calls, all completed.
    const done = /Done: (\d+) calls placed, (\d+) completed, (\d+) failed\./.exec(out);
    expect(done, out.slice(-600)).not.toBeNull();
    expect(Number(done![1])).toBe(40);
    expect(Number(done![2])).toBe(40);
    expect(Number(done![3])).toBe(0);
    const moved = Number(/siplb moved (\d+) INVITE/.exec(out)?.[1]);
    console.log(`demo: 40/40 calls completed; ${moved} INVITE(s) saved by serial failover; gw2 states ${gw2.join(' ')}`);

    // Nothing left open: no UDP socket, HTTP server or connection, timer or file handle more
    // than before the run (the fetch's socket may take a tick to go), and no signal listener.
    await waitFor('every handle to close', () => {
      const after = handles();
      return [...after].every(([type, n]) => n <= (before.get(type) ?? 0)) || undefined;
    }, 3000).catch(() => undefined);
    const after = handles();
    const leaked = [...after].filter(([type, n]) => n > (before.get(type) ?? 0));
    expect(leaked).toEqual([]);
    expect(process.listenerCount('SIGINT')).toBe(sigint);
  }, 30_000);

  it('refuses times out of order with the usage exit code', async () => {
    let err = '';
    const code = await runCli(['demo', '--down-at', '20s', '--up-at', '10s'], { out: () => undefined, err: (t) => void (err += t), setExitCode: () => undefined });
    expect(code).toBe(64);
    expect(err).toContain('--down-at < --up-at < --duration');
  });
});
