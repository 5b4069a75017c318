/**
 * @module bench/micro/balance-ring
 * Micro-benchmark of the balancing hot path: hashString on a 40-character Call-ID, ring lookup
 * (hash included) with 3 and 10 members, HashBalancer.pick, smooth WRR pick, least-conn pick.
 * Prints one JSON line per case: { bench, case, nsPerOp, ops, runs }. Median of 7 runs.
 *
 * Usage: npx tsc -p tsconfig.build.json && node bench/micro/balance-ring.mjs
 */

import { Buffer } from 'node:buffer';
import process from 'node:process';
import { performance } from 'node:perf_hooks';
import {
  CallLoad,
  DEFAULT_VNODES,
  HashBalancer,
  HashRing,
  LeastConnBalancer,
  RoundRobinBalancer,
  hashString,
} from '../../dist/balance/index.js';

const RUNS = 7;
const OPS = 2_000_000;

/** Deterministic 40-character Call-IDs: 28 hex digits + '@10.0.0.1' + 3 digits. */
function callIds(n) {
  let x = 0x12345678;
  const out = [];
  for (let i = 0; i < n; i++) {
    let hex = '';
    for (let j = 0; j < 4; j++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      hex += (x >>> 0).toString(16).padStart(8, '0');
    }
    // Through a Buffer, as the SIP parser produces them from a datagram: flat one-byte strings.
    // (A concatenated cons string would measure V8's rope indirection, ~10× slower per char.)
    const s = `${hex.slice(0, 28)}@10.0.0.1${String(i % 1000).padStart(3, '0')}`;
    out.push(Buffer.from(s, 'latin1').toString('latin1'));
  }
  return out;
}

const KEYS = callIds(4096);
if (KEYS[0].length !== 40) throw new Error(`Call-ID length ${KEYS[0].length}`);
let sink = 0;

function bench(name, fn) {
  const mask = KEYS.length - 1;
  for (let i = 0; i < 200_000; i++) fn(KEYS[i & mask]); // warm up (JIT)
  const samples = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < OPS; i++) sink += fn(KEYS[i & mask]);
    samples.push(((performance.now() - t0) * 1e6) / OPS);
  }
  samples.sort((a, b) => a - b);
  const nsPerOp = Math.round(samples[RUNS >> 1] * 10) / 10;
  process.stdout.write(`${JSON.stringify({ bench: 'balance', case: name, nsPerOp, ops: OPS, runs: RUNS })}\n`);
}

const members = (n, w = () => 1) => Array.from({ length: n }, (_, i) => ({ id: `10.0.0.${i + 1}:5060`, weight: w(i) }));

bench('hashString(40-char Call-ID)', (k) => hashString(k));

for (const n of [3, 10]) {
  const ring = new HashRing(members(n));
  bench(`HashRing.lookup ${n} members (${n * DEFAULT_VNODES} points, hash included)`, (k) => ring.lookup(k).length);
}

const m10 = members(10);
const hb = new HashBalancer();
bench('HashBalancer.pick 10 members (unchanged set)', (k) => hb.pick(k, m10).weight);

const rr = new RoundRobinBalancer();
const wrr3 = members(3, (i) => [5, 1, 1][i]);
bench('RoundRobinBalancer.pick (smooth WRR, weights 5,1,1)', (k) => rr.pick(k, wrr3).weight);
const rr10 = new RoundRobinBalancer();
const wrr10 = members(10, (i) => 1 + (i % 3));
bench('RoundRobinBalancer.pick (smooth WRR, 10 members)', (k) => rr10.pick(k, wrr10).weight);

const load = new CallLoad();
m10.forEach((m, i) => {
  for (let c = 0; c < i * 3; c++) load.established(`${m.id}-${c}`, m.id, 0);
});
const lc = new LeastConnBalancer(load);
bench('LeastConnBalancer.pick 10 members', (k) => lc.pick(k, m10).weight);

if (sink === 42) process.stdout.write('\n'); // keep results observable so nothing is optimized away
