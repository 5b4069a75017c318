/**
 * @module test/helpers/redis-server
 * Starts a real `redis-server` for integration tests: loopback only, a free port, no
 * persistence (`--save '' --appendonly no`, so a restart loses every key), in the foreground
 * as a child of the test process. Processes are signalled by their PID, never by name, and any
 * still running when the test process exits are killed.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freeUdpPort } from './ports.js';

/** Absolute path of `redis-server` on PATH (or $REDIS_SERVER), `undefined` when absent. */
export const redisServerPath: string | undefined = findRedisServer();

/** Why the Redis suites are skipped, for `describe.skipIf` and a console note. */
export const redisSkipReason = redisServerPath
  ? undefined
  : 'redis-server not found on PATH (install the Debian package redis-server): skipping tests that need a real Redis';

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** PID of the current process (changes on restart). */
  readonly pid: number;
  /** SIGTERM by PID and wait for the exit (SIGKILL after 3 s). Idempotent. */
  stop(): Promise<void>;
  /** Sends `signal` to the process by PID (SIGSTOP/SIGCONT/SIGKILL…). */
  kill(signal: NodeJS.Signals): void;
  /** Stops (if running) and starts a fresh process on the same port: all data is gone. */
  restart(): Promise<void>;
  /** Resolves when the current process has exited. */
  exited(): Promise<void>;
  /** stdout/stderr of the current process, for failure messages. */
  output(): string;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  });
}

export async function startRedisServer(): Promise<RedisServer> {
  if (!redisServerPath) throw new Error(redisSkipReason);
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), 'siplb-redis-'));
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      const proc = await launch(redisServerPath, port, dir);
      return handle(redisServerPath, port, dir, proc);
    } catch (err) {
      lastError = err; // most likely someone took the port between probe and bind: try another
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}

interface Proc {
  child: ChildProcess;
  pid: number;
  out: string[];
  exited: Promise<void>;
  paused: boolean;
}

function handle(bin: string, port: number, dir: string, first: Proc): RedisServer {
  let proc = first;
  const stop = async (): Promise<void> => {
    const p = proc;
    if (p.child.exitCode !== null || p.child.signalCode !== null) return;
    signal(p, 'SIGTERM');
    if (p.paused) signal(p, 'SIGCONT'); // a stopped process only acts on SIGTERM once continued
    const killer = setTimeout(() => signal(p, 'SIGKILL'), 3000);
    await p.exited;
    clearTimeout(killer);
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return proc.pid;
    },
    stop: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    kill: (sig) => signal(proc, sig),
    restart: async () => {
      await stop();
      proc = await launch(bin, port, dir);
    },
    exited: () => proc.exited,
    output: () => proc.out.join(''),
  };
}

function signal(p: Proc, sig: NodeJS.Signals): void {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  try {
    process.kill(p.pid, sig);
  } catch {
    return; // exited in between
  }
  if (sig === 'SIGSTOP') p.paused = true;
  if (sig === 'SIGCONT') p.paused = false;
}

async function launch(bin: string, port: number, dir: string): Promise<Proc> {
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--save', '',
    '--appendonly', 'no',
    '--daemonize', 'no',
    '--protected-mode', 'yes',
    '--dir', dir,
    '--loglevel', 'warning',
  ];
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  child.stdout?.on('data', (b: Buffer) => out.push(b.toString()));
  child.stderr?.on('data', (b: Buffer) => out.push(b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
  spawnError.catch(() => undefined);
  live.add(child);
  void exited.then(() => live.delete(child));
  if (child.pid === undefined) await spawnError;
  const proc: Proc = { child, pid: child.pid!, out, exited, paused: false };
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    if (await ping(port)) return proc;
    await new Promise((r) => setTimeout(r, 20));
  }
  if (child.exitCode === null && child.signalCode === null) {
    signal(proc, 'SIGKILL');
    await exited;
  }
  throw new Error(`redis-server on port ${port} did not answer PING within 5 s:\n${out.join('')}`);
}

/** True when a raw RESP PING gets +PONG within 500 ms. */
export function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let buf = '';
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 500);
    socket.once('error', () => done(false));
    socket.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
    socket.write('PING\r\n');
  });
}

/**
 * A port that was free a moment ago, from below the kernel's ephemeral range so that no socket
 * bound to port 0 can take it before redis-server binds it (see ./ports.ts).
 */
export function freePort(): Promise<number> {
  return freeUdpPort();
}

function findRedisServer(): string | undefined {
  const candidates = process.env['REDIS_SERVER']
    ? [process.env['REDIS_SERVER']]
    : (process.env['PATH'] ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'redis-server'));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here
    }
  }
  return undefined;
}
