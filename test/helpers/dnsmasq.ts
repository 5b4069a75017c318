/**
 * A real DNS server for tests: Debian's dnsmasq (package dnsmasq-base: the binary without the
 * system service) in the foreground as a child process, on 127.0.0.1 and a free high port, with
 * only the records a test writes (no upstream, no /etc/hosts, no /etc/dnsmasq.conf). A record
 * change restarts it on the same port (srv-host lines are not re-read on SIGHUP). Stopped by PID.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freeUdpPort } from './ports.js';
import { sleep, waitFor } from './wait.js';

export function dnsmasqMissing(): string | undefined {
  return spawnSync('dnsmasq', ['--version'], { stdio: 'ignore' }).status === 0 ? undefined : 'dnsmasq not installed (Debian package dnsmasq-base)';
}

export interface Dnsmasq {
  readonly port: number;
  readonly pid: () => number | undefined;
  /** Replace the records (dnsmasq config lines) and restart on the same port. */
  setRecords(lines: readonly string[]): Promise<void>;
  stop(): Promise<void>;
  logs(): string;
}

async function waitExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await Promise.race([new Promise((r) => child.once('exit', r)), sleep(timeoutMs)]);
}

/** Starts dnsmasq serving `lines` (e.g. `srv-host=…`, `host-record=…`, `local-ttl=2`). */
export async function startDnsmasq(lines: readonly string[]): Promise<Dnsmasq> {
  const dir = mkdtempSync(path.join(tmpdir(), 'siplb-dnsmasq-'));
  const conf = path.join(dir, 'dnsmasq.conf');
  const port = await freeUdpPort();
  let child: ChildProcess | undefined;
  let out = '';
  const launch = async (records: readonly string[]): Promise<void> => {
    writeFileSync(conf, `${records.join('\n')}\n`);
    const c = spawn(
      'dnsmasq',
      [
        '--keep-in-foreground', '--no-resolv', '--no-hosts', `--conf-file=${conf}`, '--pid-file=',
        '--listen-address=127.0.0.1', '--bind-interfaces', `--port=${port}`, '--log-queries', '--log-facility=-',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    c.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    child = c;
    await waitFor('dnsmasq started', () => (out.includes('started, version') || c.exitCode !== null ? true : undefined), 5000, 20);
    if (c.exitCode !== null) throw new Error(`dnsmasq exited ${c.exitCode}: ${out}`);
  };
  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (c === undefined || c.pid === undefined) return;
    process.kill(c.pid, 'SIGTERM');
    await waitExit(c, 3000);
    if (c.exitCode === null && c.signalCode === null) process.kill(c.pid, 'SIGKILL');
    await waitExit(c, 1000);
  };
  await launch(lines);
  return {
    port,
    pid: () => child?.pid,
    async setRecords(records) {
      await stop();
      await launch(records);
    },
    stop,
    logs: () => out,
  };
}
