// Runs every micro-benchmark in this folder, one after the other, on the Node.js that runs this
// script (process.execPath: the Node 24 of node_modules/.bin under `npm run bench:micro`), each in
// a fresh process so one benchmark's JIT state and heap do not colour the next. Node flags a
// benchmark needs are listed here. Prints each benchmark's JSON lines under a header line.
// Usage: npm run bench:micro            (builds first)
//        node bench/micro/run.mjs sip-parse balance-ring   (a subset, by file name)
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const FLAGS = { 'balance-affinity-mem.mjs': ['--expose-gc'] };
const wanted = process.argv.slice(2);
const benches = readdirSync(here)
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs')
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.mjs$/, '')))
  .sort();
if (benches.length === 0) {
  console.error(`no micro-benchmark matches ${wanted.join(' ')}`);
  process.exit(2);
}
let failed = 0;
for (const f of benches) {
  console.log(`# ${f} (node ${process.version})`);
  const r = spawnSync(process.execPath, [...(FLAGS[f] ?? []), join(here, f)], { stdio: 'inherit', timeout: 300_000 });
  if (r.status !== 0) {
    failed += 1;
    console.error(`# ${f} failed: ${r.error?.message ?? `exit ${r.status ?? r.signal}`}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
