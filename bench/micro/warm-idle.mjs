// Does a warmed-up node stay warm while it relays nothing (an HA standby, a quiet night)?
// V8 ages every function that did not run at each mark-compact and, after --bytecode-old-age of
// them (6 in Node 24), flushes its bytecode, and with it the code compiled from it: the next call
// recompiles lazily and runs interpreted again, as on a node that never warmed up.
//
// Each case runs in its own process (the measurement itself warms the code):
//   cold       no warm-up, then the measurement;
//   warm       sip.warmUpCalls' default (2000 calls) through app/warm-up.ts, then the measurement;
//   idle:N     the warm-up, then N mark-compacts (V8's own, driven by allocation: see idle()), then
//              the measurement.
// The measurement is a node's first MEASURE_CALLS calls (7 datagrams each; 500 = 3500 datagrams,
// about a second of a 4000 calls/s load's first second) through a fresh private core: the warm-up
// itself with a smaller count, so the same functions. It prints one JSON line per case: the ms
// of the measurement (median of ROUNDS processes) and what V8 says of the proxy's entry point
// (handleDatagram) and of the SIP parser (parseSip) just before it: the tier it would run in
// ("turbofan", "maglev", "sparkplug", "ignition") or "lazy" (no bytecode: flushed, recompiled on its next call).
//
// Usage: npm run build && node bench/micro/warm-idle.mjs [case ...]
//   Default cases: cold warm idle:1 idle:3 idle:6 idle:7 idle:12 idle:24. FLAGS='--no-flush-bytecode' adds
//   node flags to every child; ROUNDS (default 5), MEASURE_CALLS (default 500), WARM_CALLS (default 2000).
import process from 'node:process';
import { execFileSync } from 'node:child_process';
import { URL, fileURLToPath, pathToFileURL } from 'node:url';
import { readdirSync } from 'node:fs';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { setInterval, clearInterval } from 'node:timers';

const here = fileURLToPath(import.meta.url);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const MEASURE_CALLS = Number(process.env.MEASURE_CALLS ?? 500);
const WARM_CALLS = Number(process.env.WARM_CALLS ?? 2000);
const FLAGS = (process.env.FLAGS ?? '').split(' ').filter((f) => f !== '');

// %GetOptimizationStatus's kIsLazy bit (V8 src/runtime/runtime-test.cc): no bytecode (never compiled, or flushed).
const IS_LAZY = 1 << 18;

// Lets N mark-compacts happen the way they do on a live node: V8's own, triggered by allocation
// (a little of it surviving into old space, as timers, probes and logs leave behind). A forced
// gc() does not age code (bench: no function is ever flushed after any number of them).
async function idle(markCompacts) {
  if (markCompacts === 0) return;
  let seen = 0;
  let keep = [];
  await new Promise((resolve) => {
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) seen++;
      if (seen >= markCompacts) {
        obs.disconnect();
        clearInterval(t);
        resolve();
      }
    });
    obs.observe({ entryTypes: ['gc'] });
    const t = setInterval(() => {
      for (let j = 0; j < 100_000; j++) keep.push({ j });
      if (keep.length > 1_000_000) keep = [];
    }, 5);
  });
  keep = [];
}

/** Every function and method the modules of the proxy's path export (dist/), to follow their tiers. */
async function hotPathFunctions() {
  const dist = fileURLToPath(new URL('../../dist/', import.meta.url));
  const out = new Set();
  for (const dir of ['sip', 'proxy', 'balance', 'calls', 'health', 'security', 'runtime', 'backends', 'app']) {
    for (const file of readdirSync(dist + dir, { recursive: true })) {
      if (!String(file).endsWith('.js')) continue;
      const mod = await import(pathToFileURL(`${dist}${dir}/${file}`).href);
      for (const v of Object.values(mod)) {
        if (typeof v !== 'function') continue;
        out.add(v);
        for (const d of Object.values(Object.getOwnPropertyDescriptors(v.prototype ?? {}))) {
          for (const m of [d.value, d.get, d.set]) if (typeof m === 'function' && m !== v) out.add(m);
        }
      }
    }
  }
  return [...out];
}

async function child(kase) {
  const { validateConfig } = await import('../../dist/config/validate.js');
  const { warmUpProxy } = await import('../../dist/app/warm-up.js');
  const { handleDatagram } = await import('../../dist/proxy/dispatcher.js');
  const { parseSip } = await import('../../dist/sip/parse.js');
  // V8 natives syntax (--allow-natives-syntax) does not parse in a module: a Function body does.
  const tier = new Function(
    'f',
    'if (%GetOptimizationStatus(f) & ' + IS_LAZY + ') return "lazy";' +
      'return %ActiveTierIsTurbofan(f) ? "turbofan" : %ActiveTierIsMaglev(f) ? "maglev" : %ActiveTierIsSparkplug(f) ? "sparkplug" : "ignition";',
  );
  // bench/siplb-bench.yaml's SIP and health settings (the warm-up replaces the backends anyway).
  const r = validateConfig({
    sip: { listen: '127.0.0.1:5060' },
    backends: [5071, 5072, 5073].map((p, i) => ({ id: `gw${i + 1}`, address: `127.0.0.1:${p}` })),
    health: { interval: '1s', timeout: '500ms', fall: 2, rise: 2 },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  const [name, n] = kase.split(':');
  const functions = await hotPathFunctions();
  if (name !== 'cold') warmUpProxy(r.config, WARM_CALLS);
  // The functions the warm-up got compiled to optimized code: the node's hot path.
  const hot = functions.filter((f) => ['turbofan', 'maglev'].includes(tier(f)));
  await idle(Number(n ?? 0));
  const tiers = {};
  for (const f of hot) tiers[tier(f)] = (tiers[tier(f)] ?? 0) + 1;
  const before = { handleDatagram: tier(handleDatagram), parseSip: tier(parseSip), optimizedByWarmUp: hot.length, nowIn: tiers };
  const w = warmUpProxy(r.config, MEASURE_CALLS);
  process.stdout.write(JSON.stringify({ ms: w.ms, completed: w.completed, before }) + '\n');
}

function parent(cases) {
  for (const kase of cases) {
    const runs = [];
    for (let i = 0; i < ROUNDS; i++) {
      const out = execFileSync(process.execPath, ['--allow-natives-syntax', ...FLAGS, here, '--child', kase], { encoding: 'utf8' });
      runs.push(JSON.parse(out.trim().split('\n').pop()));
    }
    const ms = runs.map((x) => x.ms).sort((a, b) => a - b);
    process.stdout.write(
      JSON.stringify({ case: kase, flags: FLAGS.join(' '), measureCalls: MEASURE_CALLS, medianMs: ms[Math.floor(ms.length / 2)], ms, before: runs[0].before }) + '\n',
    );
  }
}

const args = process.argv.slice(2);
if (args[0] === '--child') await child(args[1]);
else parent(args.length > 0 ? args : ['cold', 'warm', 'idle:1', 'idle:3', 'idle:6', 'idle:7', 'idle:12', 'idle:24']);
