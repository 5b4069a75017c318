/**
 * @module demo/run
 * `siplb demo` without the terminal: starts a real siplb node (src/node.ts, the code path of
 * `siplb start`) in front of three demo gateways, drives a light call load through it, takes one
 * gateway down and brings it back on a timeline, and reports a snapshot of every backend once a
 * second. The CLI command (cli/commands/demo.ts) renders what it reports.
 *
 * Timeline (defaults): 0 s start; `downAt` 10 s gw2's socket closes; `upAt` 20 s gw2 binds its
 * port again; `duration` 40 s everything is closed. The caller places `rate` calls per second,
 * and stops early enough (hold + 2 s before the end) for every call to finish inside the run.
 * Calls that were on their way to gw2 when it went down are saved by siplb's serial failover
 * (INVITE) and by the caller's own retransmissions (BYE, answered once gw2 is back).
 */
import { createWriteStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BackendView } from '../api/control.js';
import { validateConfig } from '../config/validate.js';
import { createLogger } from '../log.js';
import { startNode, type RunningNode } from '../node.js';
import { DemoCaller, type CallerStats } from './caller.js';
import { DemoGateway } from './gateway.js';
import { freeUdpPort } from './udp-peer.js';

export interface DemoOptions {
  /** @default 40_000 */
  readonly durationMs?: number;
  /** When the demo gateway `victim` goes down. @default 10_000 */
  readonly downAtMs?: number;
  /** When it comes back. @default 20_000 */
  readonly upAtMs?: number;
  /** New calls per second. @default 10 */
  readonly rate?: number;
  /** Call length (ACK to BYE). @default 2000 */
  readonly holdMs?: number;
  /** Aborting ends the demo early (Ctrl-C), cleanly. */
  readonly signal?: AbortSignal;
  /** Where the node's log goes. @default a new directory under the OS temp dir */
  readonly logDir?: string;
}

export interface DemoStarted {
  readonly sip: string;
  readonly adminUrl: string;
  readonly metricsUrl: string;
  readonly logFile: string;
  readonly gateways: readonly { readonly id: string; readonly address: string }[];
  readonly victim: string;
  readonly plannedCalls: number;
}

export interface BackendRow {
  readonly id: string;
  readonly address: string;
  /** Whether the demo gateway's socket is open. */
  readonly gateway: 'running' | 'stopped';
  /** siplb's view. */
  readonly backend: BackendView;
  /** New calls siplb sent it over the last interval, per second (from siplb_new_calls_total). */
  readonly callsPerSecond: number;
}

export interface DemoFrame {
  readonly elapsedMs: number;
  readonly rows: readonly BackendRow[];
  readonly calls: CallerStats;
}

export interface DemoResult {
  readonly interrupted: boolean;
  readonly calls: CallerStats;
  /** INVITEs siplb moved to another backend (siplb_failovers_total{kind="serial"}). */
  readonly serialFailovers: number;
  readonly logFile: string;
}

export interface DemoHooks {
  started(info: DemoStarted): void;
  /** Once a second, and once more at the end. */
  frame(frame: DemoFrame): void;
  /** Timeline events: a gateway taken down or brought back, the caller done. */
  event(elapsedMs: number, text: string): void;
}

const VICTIM = 'gw2';
/** Probe twice a second, two misses take a backend down, two answers bring it back. */
const DEMO_HEALTH = { interval: '500ms', timeout: '300ms', fall: 2, rise: 2 } as const;

/** The demo node's configuration: fast probes so the table moves within seconds. */
function demoConfig(sipPort: number, gateways: readonly DemoGateway[]): unknown {
  return {
    node: { id: 'demo' },
    sip: { listen: `127.0.0.1:${sipPort}` },
    admin: { listen: '127.0.0.1:0' },
    backends: gateways.map((g) => ({ id: g.id, address: g.address })),
    health: DEMO_HEALTH,
    failover: { timeout: '400ms', maxAttempts: 3 },
    log: { level: 'info' },
  };
}

/** Sum of a counter's series by label `backend` (or all of them), read from the node's registry. */
async function counterBy(node: RunningNode, name: string, filter: (labels: Record<string, unknown>) => boolean = () => true): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const metric = node.metrics.registry.getSingleMetric(name);
  if (!metric) return out;
  for (const v of (await metric.get()).values) {
    const labels = v.labels as Record<string, unknown>;
    if (!filter(labels)) continue;
    const key = String(labels['backend'] ?? '');
    out.set(key, (out.get(key) ?? 0) + v.value);
  }
  return out;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}

export async function runDemo(opts: DemoOptions, hooks: DemoHooks): Promise<DemoResult> {
  const durationMs = opts.durationMs ?? 40_000;
  const downAtMs = opts.downAtMs ?? 10_000;
  const upAtMs = opts.upAtMs ?? 20_000;
  const rate = opts.rate ?? 10;
  const holdMs = opts.holdMs ?? 2000;
  const { signal } = opts;

  const logDir = opts.logDir ?? mkdtempSync(path.join(tmpdir(), 'siplb-demo-'));
  const logFile = path.join(logDir, 'siplb.log');
  const logStream = createWriteStream(logFile, { flags: 'a' });
  const gateways = ['gw1', 'gw2', 'gw3'].map((id) => new DemoGateway({ id }));
  let node: RunningNode | undefined;
  let caller: DemoCaller | undefined;
  try {
    for (const g of gateways) await g.start();
    const raw = demoConfig(await freeUdpPort('127.0.0.1'), gateways);
    const validated = validateConfig(raw);
    if (!validated.ok) throw new Error(`demo config invalid: ${JSON.stringify(validated.issues)}`);
    const logger = createLogger({ level: 'info', base: { node: 'demo' }, destination: logStream });
    node = await startNode(validated.config, { logger, configFile: null, loadConfig: async () => validated });
    const sip = `${node.sip.host}:${node.sip.port}`;
    const admin = `http://${node.admin.address.host}:${node.admin.address.port}`;

    // Calls stop early enough to finish (hold, BYE, margin) before the end.
    const callWindowMs = Math.max(0, durationMs - holdMs - 2000);
    const plannedCalls = Math.max(1, Math.floor((callWindowMs / 1000) * rate));
    caller = new DemoCaller({ target: node.sip, rate, maxCalls: plannedCalls, holdMs });
    hooks.started({
      sip,
      adminUrl: admin,
      metricsUrl: `${admin}/metrics`,
      logFile,
      gateways: gateways.map((g) => ({ id: g.id, address: g.address })),
      victim: VICTIM,
      plannedCalls,
    });
    const start = performance.now();
    const elapsed = (): number => performance.now() - start;
    await caller.start();

    const victim = gateways.find((g) => g.id === VICTIM)!;
    const timeline: { at: number; run: () => Promise<void> }[] = [
      {
        at: downAtMs,
        run: async () => {
          await victim.down();
          hooks.event(elapsed(), `${VICTIM} taken down: its socket is closed, siplb's datagrams to ${victim.address} go nowhere`);
        },
      },
      {
        at: upAtMs,
        run: async () => {
          await victim.up();
          hooks.event(elapsed(), `${VICTIM} is back on ${victim.address}; siplb takes it back after ${DEMO_HEALTH.rise} good probes`);
        },
      },
    ]
      .filter((e) => e.at < durationMs)
      .sort((a, b) => a.at - b.at);

    const running = node;
    let lastNew = await counterBy(running, 'siplb_new_calls_total');
    let lastAt = elapsed();
    const frame = async (): Promise<void> => {
      const now = elapsed();
      const current = await counterBy(running, 'siplb_new_calls_total');
      const seconds = Math.max(0.001, (now - lastAt) / 1000);
      const rows = running.control.backends().map((b): BackendRow => {
        const g = gateways.find((x) => x.id === b.id);
        return {
          id: b.id,
          address: b.address,
          gateway: g?.running === true ? 'running' : 'stopped',
          backend: b,
          callsPerSecond: ((current.get(b.id) ?? 0) - (lastNew.get(b.id) ?? 0)) / seconds,
        };
      });
      lastNew = current;
      lastAt = now;
      hooks.frame({ elapsedMs: now, rows, calls: caller!.stats() });
    };

    let nextFrame = 1000;
    let callerDoneReported = false;
    while (!signal?.aborted) {
      const nextEvent = timeline[0]?.at ?? Infinity;
      const wakeAt = Math.min(nextFrame, nextEvent, durationMs);
      await sleep(wakeAt - elapsed(), signal);
      if (signal?.aborted) break;
      const t = elapsed();
      while (timeline[0] && timeline[0].at <= t) await timeline.shift()!.run();
      if (!callerDoneReported && caller.done) {
        callerDoneReported = true;
        hooks.event(t, `all ${plannedCalls} calls placed and finished`);
      }
      if (t >= durationMs) break;
      if (t >= nextFrame) {
        await frame();
        nextFrame += 1000;
      }
    }
    await frame();
    const failovers = await counterBy(running, 'siplb_failovers_total', (l) => l['kind'] === 'serial');
    const calls = caller.stats();
    return {
      interrupted: signal?.aborted === true,
      calls,
      serialFailovers: [...failovers.values()].reduce((a, b) => a + b, 0),
      logFile,
    };
  } finally {
    await caller?.close();
    await node?.stop();
    await Promise.all(gateways.map((g) => g.close()));
    await new Promise<void>((resolve) => logStream.end(() => resolve()));
  }
}
