/**
 * Real sipp peers for end-to-end tests (Debian package sip-tester). UAS backends run in server
 * mode with a scenario from test/fixtures/sipp; the UAC runs a bounded call load (-m calls,
 * -timeout) and stops by itself. Every process is ended by its PID.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep, waitFor } from './wait.js';

export const SIPP_SCENARIOS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/sipp');

export function sippAvailable(): boolean {
  return spawnSync('sipp', ['-v'], { stdio: 'ignore' }).error === undefined;
}

function scenarioPath(name: string): string {
  return name.includes('/') ? name : path.join(SIPP_SCENARIOS, name);
}

/** Last data row of a sipp ';'-separated CSV as a column → number map. */
export function lastCsvRow(file: string): Record<string, number> {
  const lines = readFileSync(file, 'latin1').trim().split('\n');
  const header = lines[0]!.split(';');
  const last = lines[lines.length - 1]!.split(';');
  const row: Record<string, number> = {};
  header.forEach((h, i) => {
    if (h) row[h] = Number(last[i]);
  });
  return row;
}

export interface Uas {
  readonly port: number;
  readonly pid: number;
  readonly dir: string;
  /** Final per-message counts (INVITE received, BYE received, ...). Stops the UAS first if asked. */
  counts(): Record<string, number>;
  invites(): number;
  /** The message trace (`traceMessages`), as written so far. */
  messages(): string;
  stop(): Promise<void>;
  kill(signal: NodeJS.Signals): void;
}

/** sipp transport modes: UDP one socket, TCP one socket, TCP one socket per call (Debian's sipp has no TLS). */
export type SippTransport = 'u1' | 't1' | 'tn';

export interface UasOptions {
  port: number;
  scenario?: string;
  host?: string;
  extraArgs?: string[];
  /** @default 'u1' */
  transport?: SippTransport;
  /** Write every message sent and received to `<dir>/messages.log` (read with `messages()`). */
  traceMessages?: boolean;
}

async function waitExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await Promise.race([new Promise((r) => child.once('exit', r)), sleep(timeoutMs)]);
}

export async function startUas(opts: UasOptions): Promise<Uas> {
  const dir = mkdtempSync(path.join(tmpdir(), `siplb-uas-${opts.port}-`));
  const host = opts.host ?? '127.0.0.1';
  const child = spawn(
    'sipp',
    [
      '-sf', scenarioPath(opts.scenario ?? 'uas.xml'), '-i', host, '-p', String(opts.port), '-t', opts.transport ?? 'u1',
      '-nostdin', '-buff_size', '4194304', '-trace_counts', '-fd', '1', '-trace_err',
      '-error_file', path.join(dir, 'errors.log'),
      ...(opts.traceMessages === true ? ['-trace_msg', '-message_file', path.join(dir, 'messages.log')] : []),
      ...(opts.extraArgs ?? []),
    ],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const pid = child.pid!;
  await waitFor(`sipp UAS on ${opts.port} to start`, () => {
    if (child.exitCode !== null) throw new Error(`sipp UAS exited: ${stderr}`);
    return readdirSync(dir).some((f) => f.endsWith('_counts.csv'));
  }, 5000);
  const countsFile = (): string | undefined => {
    const f = readdirSync(dir).find((x) => x.endsWith('_counts.csv'));
    return f && path.join(dir, f);
  };
  const uas: Uas = {
    port: opts.port,
    pid,
    dir,
    counts: () => {
      const f = countsFile();
      return f && existsSync(f) ? lastCsvRow(f) : {};
    },
    messages: () => {
      const f = path.join(dir, 'messages.log');
      return existsSync(f) ? readFileSync(f, 'latin1') : '';
    },
    invites: () => {
      const c = uas.counts();
      const k = Object.keys(c).find((x) => /^\d+_INVITE_Recv$/.test(x));
      return k ? c[k]! : 0;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        try { process.kill(pid, 'SIGCONT'); } catch { /* gone */ }
        try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ }
        await waitExit(child, 3000);
        if (child.exitCode === null && child.signalCode === null) {
          try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
          await waitExit(child, 2000);
        }
      }
    },
    kill: (signal) => {
      try { process.kill(pid, signal); } catch { /* gone */ }
    },
  };
  return uas;
}

export interface UacResult {
  readonly exitCode: number | null;
  readonly stats: Record<string, number>;
  readonly successful: number;
  readonly failed: number;
  readonly created: number;
  readonly dir: string;
  readonly errors: string;
  readonly stderr: string;
}

export interface UacOptions {
  target: string;
  port: number;
  calls: number;
  rate: number;
  scenario?: string;
  callLengthMs?: number;
  timeoutS?: number;
  extraArgs?: string[];
  /** Concurrent call limit (-l). */
  limit?: number;
  /** @default 'u1' */
  transport?: SippTransport;
}

/** Runs a bounded sipp UAC to completion and returns its final statistics. */
export async function runUac(opts: UacOptions): Promise<UacResult> {
  const dir = mkdtempSync(path.join(tmpdir(), `siplb-uac-${opts.port}-`));
  const timeoutS = opts.timeoutS ?? Math.ceil(opts.calls / opts.rate) + 20;
  const child = spawn(
    'sipp',
    [
      opts.target, '-sf', scenarioPath(opts.scenario ?? 'uac.xml'), '-i', '127.0.0.1', '-p', String(opts.port),
      '-t', opts.transport ?? 'u1', '-m', String(opts.calls), '-r', String(opts.rate), '-rp', '1000',
      '-l', String(opts.limit ?? Math.max(100, opts.rate * 10)), '-d', String(opts.callLengthMs ?? 0),
      '-nostdin', '-buff_size', '4194304', '-timeout', `${timeoutS}s`, '-timeout_error',
      '-trace_stat', '-stf', path.join(dir, 'stat.csv'), '-fd', '1',
      '-trace_err', '-error_file', path.join(dir, 'errors.log'), ...(opts.extraArgs ?? []),
    ],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exitCode = await new Promise<number | null>((resolve) => {
    const guard = setTimeout(() => child.kill('SIGKILL'), (timeoutS + 15) * 1000);
    child.once('exit', (code) => {
      clearTimeout(guard);
      resolve(code);
    });
  });
  const statFile = path.join(dir, 'stat.csv');
  const stats = existsSync(statFile) ? lastCsvRow(statFile) : {};
  const errFile = path.join(dir, 'errors.log');
  // sipp's error file lists failed calls and unexpected messages; its stderr only chats.
  const errors = existsSync(errFile) ? readFileSync(errFile, 'latin1').slice(0, 4000) : '';
  return {
    exitCode,
    stats,
    successful: stats['SuccessfulCall(C)'] ?? 0,
    failed: stats['FailedCall(C)'] ?? 0,
    created: stats['TotalCallCreated'] ?? 0,
    dir,
    errors,
    stderr: stderr.slice(0, 2000),
  };
}

/** The messages of a sipp trace that start with `start` (a request line or a status line). */
export function traced(log: string, start: RegExp): string[] {
  // Each entry: a dashed line, `UDP message received [n] bytes :`, a blank line, the message.
  return log
    .split(/-{20,}[^\n]*\n/)
    .map((m) => m.replace(/^[^\n]*message (?:received|sent)[^\n]*\n/, '').trimStart())
    .filter((m) => start.test(m));
}
