/**
 * A real Prometheus (Debian package `prometheus`) for tests: scrapes the given targets every
 * second from a temp config and data dir on a free port; stopped by its PID.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { sleep, waitFor } from '../../helpers/wait.js';

export function prometheusAvailable(): boolean {
  return spawnSync('prometheus', ['--version'], { stdio: 'ignore' }).error === undefined;
}

export interface PromQueryResult {
  readonly resultType: string;
  readonly result: readonly { metric: Record<string, string>; value: [number, string] }[];
}

export interface Prometheus {
  readonly url: string;
  readonly pid: number;
  /** Instant query; throws on an HTTP or PromQL error. */
  query(expr: string): Promise<PromQueryResult>;
  logs(): string;
  stop(): Promise<void>;
}

export async function startPrometheus(opts: { port: number; targets: readonly string[]; bearerToken?: string }): Promise<Prometheus> {
  const dir = mkdtempSync(path.join(tmpdir(), 'siplb-prom-'));
  const configFile = path.join(dir, 'prometheus.yml');
  writeFileSync(
    configFile,
    stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      scrape_configs: [
        {
          job_name: 'siplb',
          scrape_timeout: '900ms',
          static_configs: [{ targets: opts.targets }],
          ...(opts.bearerToken ? { authorization: { type: 'Bearer', credentials: opts.bearerToken } } : {}),
        },
      ],
    }),
  );
  const child: ChildProcess = spawn(
    'prometheus',
    [`--config.file=${configFile}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${opts.port}`],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${opts.port}`;
  await waitFor('prometheus to be ready', async () => {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${out.slice(-2000)}`);
    try {
      return (await fetch(`${url}/-/ready`)).ok;
    } catch {
      return false;
    }
  }, 20_000, 100);
  return {
    url,
    pid: child.pid!,
    logs: () => out,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; data?: PromQueryResult; error?: string };
      if (body.status !== 'success' || body.data === undefined) throw new Error(`query failed: ${body.error ?? res.status}: ${expr}`);
      return body.data;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(child.pid!, 'SIGTERM');
      if ((await Promise.race([exited, sleep(5000).then(() => 'timeout')])) === 'timeout') {
        process.kill(child.pid!, 'SIGKILL');
        await exited;
      }
    },
  };
}
