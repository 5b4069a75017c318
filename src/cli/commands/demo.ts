/**
 * @module cli/commands/demo
 * `siplb demo`: one command for a newcomer. Runs src/demo (a real siplb node, three demo
 * gateways, a light call load, one gateway down and back) and prints its addresses, then a
 * per-backend table every second and a summary. On a terminal the table is redrawn in place;
 * otherwise (piped, or captured by tests) each table follows the previous one.
 *
 * Exit code: 0 when every call completed (or the demo was interrupted with Ctrl-C), 1 when a
 * call failed or was still unfinished at the end.
 */
import { formatDuration } from '../../config/duration.js';
import { runDemo, type BackendRow, type DemoFrame, type DemoStarted } from '../../demo/run.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { formatTable, type Column } from '../table.js';

export interface DemoCommandOptions {
  readonly durationMs: number;
  readonly downAtMs: number;
  readonly upAtMs: number;
  readonly rate: number;
}

const COLUMNS: readonly Column<BackendRow>[] = [
  { header: 'BACKEND', value: (r) => r.id },
  { header: 'ADDRESS', value: (r) => r.address },
  { header: 'GATEWAY', value: (r) => r.gateway },
  { header: 'STATE', value: (r) => (r.backend.admin === 'enabled' ? r.backend.health : `${r.backend.health}/${r.backend.admin}`) },
  { header: 'ELIGIBLE', value: (r) => (r.backend.eligible ? 'yes' : 'no') },
  { header: 'CALLS/S', value: (r) => r.callsPerSecond.toFixed(1), align: 'right' },
  { header: 'RTT', value: (r) => (r.backend.lastRttMs === null ? '-' : `${r.backend.lastRttMs.toFixed(2)}ms`), align: 'right' },
  { header: 'ACTIVE', value: (r) => String(r.backend.activeCalls), align: 'right' },
];

const seconds = (ms: number): string => `${Math.round(ms / 1000)}s`;

function formatStart(s: DemoStarted, o: DemoCommandOptions): string {
  const admin = s.adminUrl.replace(/^http:\/\//, '');
  return [
    `siplb demo: a siplb node in front of three demo SIP gateways on 127.0.0.1, ${o.rate} calls/s (${s.plannedCalls} calls).`,
    `  SIP        udp ${s.sip}  (the demo caller sends its INVITEs here)`,
    `  admin API  ${s.adminUrl}  (try: siplb backends --admin ${admin})`,
    `  status     ${s.adminUrl}/  (the status page: open it in a browser)`,
    `  metrics    ${s.metricsUrl}`,
    `  log        ${s.logFile}`,
    `  gateways   ${s.gateways.map((g) => `${g.id} ${g.address}`).join(', ')}`,
    `Timeline: ${s.victim} goes down at ${formatDuration(o.downAtMs)} and comes back at ${formatDuration(o.upAtMs)}; ` +
      `the demo ends at ${formatDuration(o.durationMs)} (Ctrl-C ends it sooner).`,
    '',
  ].join('\n');
}

function formatFrame(f: DemoFrame): string {
  const c = f.calls;
  const head = `[t=${seconds(f.elapsedMs)}] calls: ${c.placed} placed, ${c.completed} completed, ${c.failed} failed, ${c.inProgress} in progress`;
  return `${head}\n${formatTable(COLUMNS, f.rows)}`;
}

export async function runDemoCommand(o: DemoCommandOptions, io: CliIo): Promise<number> {
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // On a terminal the last table is redrawn in place, unless something was printed below it.
  let frameLines = 0;
  const print = (text: string): void => {
    io.out(text);
    frameLines = 0;
  };
  try {
    const result = await runDemo(
      { durationMs: o.durationMs, downAtMs: o.downAtMs, upAtMs: o.upAtMs, rate: o.rate, signal: abort.signal },
      {
        started: (s) => print(formatStart(s, o)),
        event: (t, text) => print(`[t=${seconds(t)}] ${text}\n`),
        frame: (f) => {
          const text = formatFrame(f);
          // Cursor up over the previous table, clear to the end of the screen (ANSI CSI A, J).
          io.out(io.tty === true && frameLines > 0 ? `\x1b[${frameLines}A\x1b[0J${text}` : text);
          frameLines = text.split('\n').length - 1;
        },
      },
    );
    const c = result.calls;
    const unfinished = c.inProgress === 0 ? '' : `, ${c.inProgress} ${result.interrupted ? 'abandoned' : 'unfinished'}`;
    const why = Object.entries(c.failures).map(([k, v]) => `${k}=${v}`).join(' ');
    print(
      `${result.interrupted ? 'Interrupted' : 'Done'}: ${c.placed} calls placed, ${c.completed} completed, ${c.failed} failed${unfinished}${why ? ` (${why})` : ''}.\n` +
        `siplb moved ${result.serialFailovers} INVITE(s) to another backend by serial failover (a caller never sees a failed attempt).\n` +
        `siplb's log: ${result.logFile}\n`,
    );
    if (result.interrupted) return EXIT.OK;
    return c.failed === 0 && c.inProgress === 0 ? EXIT.OK : EXIT.RUNTIME;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
