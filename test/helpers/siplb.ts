/**
 * A real siplb process for end-to-end tests: writes a YAML config to a temp dir and runs the
 * built CLI (`node dist/cli/index.js start --config FILE`), the same binary operators run, after
 * making sure dist/ was built from the current src/. Ready
 * when an OPTIONS to siplb itself is answered. Stopped by PID with SIGTERM (SIGKILL as a last resort).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { ensureFreshDist } from './fresh-dist.js';
import { withUdpEngine } from './udp-engine.js';
import { sleep, waitFor } from './wait.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(REPO, 'dist/cli/index.js');

/** dist/ exists and was built from the current src/ (built now if it was not: see fresh-dist.ts). */
export function assertBuilt(): void {
  ensureFreshDist();
  if (!existsSync(CLI)) throw new Error(`${CLI} missing after a build`);
}

export interface SiplbProcess {
  readonly pid: number;
  readonly port: number;
  readonly configFile: string;
  readonly child: ChildProcess;
  /** Everything the process wrote to stdout (pino JSON lines). */
  logs(): string;
  stop(): Promise<number | null>;
}

/**
 * Sends one datagram from an ephemeral loopback port and resolves with the first reply's status
 * line, or undefined after `timeoutMs`. `payload` may depend on the local port (for the Via).
 */
export function udpExchange(
  port: number,
  payload: string | Buffer | ((localPort: number) => string | Buffer),
  timeoutMs = 400,
  host = '127.0.0.1',
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, timeoutMs);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(m.toString('latin1').split('\r\n', 1)[0]);
    });
    s.bind(0, '127.0.0.1', () => s.send(typeof payload === 'function' ? payload(s.address().port) : payload, port, host));
  });
}

/** Sends one OPTIONS to host:port and resolves with the status line, or undefined on timeout. */
export function sipPing(port: number, host = '127.0.0.1', timeoutMs = 500, uri?: string): Promise<string | undefined> {
  const id = Math.random().toString(16).slice(2);
  const target = uri ?? `sip:${host}:${port}`;
  return udpExchange(
    port,
    (lp) =>
      `OPTIONS ${target} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${lp};branch=z9hG4bK${id};rport\r\n` +
      `From: <sip:ping@127.0.0.1:${lp}>;tag=${id}\r\nTo: <${target}>\r\nCall-ID: ${id}\r\nCSeq: 1 OPTIONS\r\n` +
      `Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n`,
    timeoutMs,
    host,
  );
}

/**
 * sip.warmUpCalls 0 unless the test sets it: the synthetic warm-up (app/warm-up.ts) only makes
 * the first seconds faster, and would add about a second to each of the suite's many starts.
 * test/e2e/warm-up.test.ts runs a node with it on.
 */
function withoutWarmUp(config: Record<string, unknown>): Record<string, unknown> {
  const sip = (config['sip'] as Record<string, unknown> | undefined) ?? {};
  return sip['warmUpCalls'] !== undefined ? config : { ...config, sip: { ...sip, warmUpCalls: 0 } };
}

export async function startSiplb(testConfig: Record<string, unknown>, extraArgs: string[] = []): Promise<SiplbProcess> {
  assertBuilt();
  const config = withoutWarmUp(withUdpEngine(testConfig));
  const dir = mkdtempSync(path.join(tmpdir(), 'siplb-e2e-'));
  const configFile = path.join(dir, 'siplb.yaml');
  // Parallel test files must not collide on the default admin port 8060: let the kernel pick.
  const admin = (config.admin as Record<string, unknown> | undefined) ?? {};
  const withAdmin = { ...config, admin: { listen: '127.0.0.1:0', ...admin } };
  writeFileSync(configFile, stringify(withAdmin));
  // Readiness is an OPTIONS over UDP: to the udp listener of a list (a test always has one).
  const listens = (config.sip as { listen?: string | string[] } | undefined)?.listen ?? '127.0.0.1:5060';
  const listen = (Array.isArray(listens) ? listens : [listens]).find((l) => !/^(tcp|tls|ws|wss):/i.test(l)) ?? '127.0.0.1:5060';
  const port = Number(listen.slice(listen.lastIndexOf(':') + 1));
  const child = spawn(process.execPath, [CLI, 'start', '--config', configFile, ...extraArgs], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor(
    'siplb to answer OPTIONS',
    async () => {
      if (child.exitCode !== null) throw new Error(`siplb exited with ${child.exitCode}:\n${out}`);
      return (await sipPing(port, '127.0.0.1', 200)) !== undefined;
    },
    10_000,
    50,
  );
  return {
    pid: child.pid!,
    port,
    configFile,
    child,
    logs: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(5000).then(() => 'timeout' as const)]);
      if (code === 'timeout') {
        child.kill('SIGKILL');
        return exited;
      }
      return code;
    },
  };
}
