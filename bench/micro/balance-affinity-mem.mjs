/**
 * @module bench/micro/balance-affinity-mem
 * Rough heap cost per AffinityTable and CallLoad entry: 100 000 entries with 40-character
 * Call-IDs (the key strings included, since the table keeps them alive), measured with
 * process.memoryUsage().heapUsed around a forced GC. Prints JSON lines { bench, case, bytesPerEntry }.
 *
 * Usage: npx tsc -p tsconfig.build.json && node --expose-gc bench/micro/balance-affinity-mem.mjs
 */

import { Buffer } from 'node:buffer';
import process from 'node:process';
import { AffinityTable, CallLoad } from '../../dist/balance/index.js';

const N = 100_000;
const gc = globalThis.gc;
if (typeof gc !== 'function') throw new Error('run with node --expose-gc');

function heap() {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** A fresh, flat 40-character Call-ID (not a slice of a bigger string). */
function callId(i) {
  return flat(`${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}${i.toString(16).padStart(20, '0')}@10.0.0.1${String(i % 1000).padStart(3, '0')}`);
}

/** Copy through a Buffer into a flat one-byte string, as the SIP parser produces Call-IDs. */
function flat(s) {
  return Buffer.from(s, 'latin1').toString('latin1');
}

function measure(name, fill) {
  const backends = ['10.0.0.1:5060', '10.0.0.2:5060', '10.0.0.3:5060'];
  const before = heap();
  const keep = fill(backends);
  const after = heap();
  const bytesPerEntry = Math.round((after - before) / N);
  process.stdout.write(`${JSON.stringify({ bench: 'balance-mem', case: name, entries: N, bytesPerEntry, size: keep.size })}\n`);
}

measure('AffinityTable (40-char Call-ID, key included)', (backends) => {
  const t = new AffinityTable({ maxEntries: N });
  for (let i = 0; i < N; i++) t.set(callId(i), backends[i % 3], 1_000_000 + i);
  return t;
});

measure('CallLoad (40-char Call-ID, key included)', (backends) => {
  const l = new CallLoad({ maxEntries: N });
  for (let i = 0; i < N; i++) l.established(callId(i), backends[i % 3], 1_000_000 + i);
  return l;
});

measure('40-char Call-ID strings alone', () => {
  const a = [];
  for (let i = 0; i < N; i++) a.push(callId(i));
  return { size: a.length, a };
});
