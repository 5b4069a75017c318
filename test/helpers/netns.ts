/**
 * @module test/helpers/netns
 * A throwaway L2 lab in Linux network namespaces for end-to-end HA tests (root only): one
 * namespace holds a bridge, every other namespace gets one veth `eth0` plugged into it, with an
 * address from a private test range. Nothing is created in the root namespace and nothing is
 * routed out of the lab. Namespace names carry the test process's PID, so parallel runs never
 * collide; namespaces left behind by a run that died are removed by the next one.
 *
 * Processes started through `spawn()` run with `ip netns exec`, which execs the command, so the
 * PID we hold is the command's own; `destroy()` signals each by that PID (never by name),
 * then deletes every namespace. A process 'exit' hook does the same if the test process dies.
 */
import { spawn as spawnChild, spawnSync } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const PREFIX = 'siplbha';

export interface LabHost {
  /** Short name, e.g. 'a'; the namespace is `${PREFIX}-${pid}-${name}`. */
  readonly name: string;
  /** Address with prefix length, e.g. '10.213.0.11/24'. */
  readonly cidr: string;
}

export function onPath(bin: string): boolean {
  return (process.env['PATH'] ?? '').split(delimiter).some((d) => {
    try {
      accessSync(join(d, bin), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Why the netns suite cannot run here, or undefined when it can. */
export function netnsSkipReason(required: readonly string[]): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root (creates network namespaces, runs keepalived)';
  const missing = required.filter((b) => !onPath(b));
  if (missing.length > 0) return `missing on PATH: ${missing.join(', ')}`;
  const probe = `${PREFIX}-${process.pid}-probe`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.status !== 0) return `cannot create a network namespace: ${(r.stderr || r.error?.message || '').trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return undefined;
}

/** Runs `cmd` synchronously; throws with its stderr when it fails. */
export function run(cmd: string, args: readonly string[], opts: { allowFail?: boolean; timeoutMs?: number } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: opts.timeoutMs ?? 10_000 });
  if (!opts.allowFail && r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${(r.stderr || r.error?.message || '').trim()}`);
  }
  return r.stdout ?? '';
}

const liveLabs = new Set<NetnsLab>();
let exitHook = false;

export class NetnsLab {
  readonly id = `${PREFIX}-${process.pid}`;
  readonly bridgeNs = `${this.id}-br`;
  readonly #hosts = new Map<string, string>();
  readonly #children = new Set<ChildProcess>();
  #created: string[] = [];

  /** Namespace name of a host. */
  ns(name: string): string {
    const ns = this.#hosts.get(name);
    if (!ns) throw new Error(`no lab host '${name}'`);
    return ns;
  }

  /** Creates the bridge namespace and one namespace per host, all on one L2 segment. */
  create(hosts: readonly LabHost[]): void {
    removeStaleLabs();
    liveLabs.add(this);
    if (!exitHook) {
      exitHook = true;
      process.once('exit', () => {
        for (const lab of liveLabs) lab.destroySync();
      });
    }
    this.#addNs(this.bridgeNs);
    run('ip', ['-n', this.bridgeNs, 'link', 'add', 'br0', 'type', 'bridge']);
    run('ip', ['-n', this.bridgeNs, 'link', 'set', 'br0', 'up']);
    hosts.forEach((h, i) => {
      const ns = `${this.id}-${h.name}`;
      this.#hosts.set(h.name, ns);
      this.#addNs(ns);
      const port = `p${i}`;
      run('ip', ['-n', this.bridgeNs, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      run('ip', ['-n', this.bridgeNs, 'link', 'set', port, 'master', 'br0', 'up']);
      run('ip', ['-n', ns, 'addr', 'add', h.cidr, 'dev', 'eth0']);
      run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    });
  }

  #addNs(ns: string): void {
    run('ip', ['netns', 'add', ns]);
    this.#created.push(ns);
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }

  /** Runs a command inside a host's namespace and returns its stdout. */
  exec(host: string, cmd: string, args: readonly string[], opts: { allowFail?: boolean; timeoutMs?: number } = {}): string {
    return run('ip', ['netns', 'exec', this.ns(host), cmd, ...args], opts);
  }

  sysctl(host: string, setting: string): void {
    this.exec(host, 'sysctl', ['-q', '-w', setting]);
  }

  /** Starts a long-running process in a host's namespace; its PID is the command's own. */
  spawn(host: string, cmd: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
    const child = spawnChild('ip', ['netns', 'exec', this.ns(host), cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    return child;
  }

  /** IPv4 addresses on a host's eth0, without prefix length. */
  addresses(host: string): string[] {
    const out = run('ip', ['-n', this.ns(host), '-o', '-4', 'addr', 'show', 'dev', 'eth0'], { allowFail: true });
    return [...out.matchAll(/inet (\d+\.\d+\.\d+\.\d+)\//g)].map((m) => m[1]!);
  }

  /**
   * SIGTERM (then SIGKILL after `graceMs`) every process we started, by PID; then SIGKILL any
   * process still inside one of our namespaces (keepalived's VRRP child, scripts), by the PIDs
   * `ip netns pids` lists; then deletes every namespace.
   */
  async destroy(graceMs = 2000): Promise<void> {
    const children = [...this.#children];
    for (const c of children) signal(c.pid, 'SIGTERM');
    await Promise.all(children.map((c) => exited(c, graceMs)));
    for (const c of children) signal(c.pid, 'SIGKILL');
    await Promise.all(children.map((c) => exited(c, 1000)));
    this.destroySync();
  }

  /** For the exit hook too: SIGKILL by PID and delete the namespaces, synchronously. */
  destroySync(): void {
    for (const c of this.#children) signal(c.pid, 'SIGKILL');
    for (const ns of this.#created) killInside(ns);
    for (const ns of this.#created.reverse()) run('ip', ['netns', 'del', ns], { allowFail: true });
    this.#created = [];
    liveLabs.delete(this);
  }
}

/** SIGKILL, by PID, every process whose network namespace is `ns` (one of ours). */
function killInside(ns: string): void {
  const pids = run('ip', ['netns', 'pids', ns], { allowFail: true }).split(/\s+/).filter(Boolean).map(Number);
  for (const pid of pids) if (Number.isInteger(pid) && pid > 1 && pid !== process.pid) signal(pid, 'SIGKILL');
}

function signal(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

function exited(c: ChildProcess, timeoutMs: number): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, timeoutMs);
    c.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** Deletes namespaces of earlier runs whose test process no longer exists. */
function removeStaleLabs(): void {
  const list = run('ip', ['netns', 'list'], { allowFail: true });
  for (const m of list.matchAll(new RegExp(`^(${PREFIX}-(\\d+)-\\S+)`, 'gm'))) {
    const pid = Number(m[2]);
    if (pid === process.pid) continue;
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (!alive) {
      killInside(m[1]!);
      run('ip', ['netns', 'del', m[1]!], { allowFail: true });
    }
  }
}
