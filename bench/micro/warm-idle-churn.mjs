// Preloaded into a siplb process (NODE_OPTS="--max-semi-space-size=4 --import <this file>") for the
// live half of bench/PERF-NOTES.md "Session 12 — warm-up on an idle node": CHURN_DELAY_MS (3000)
// after start — the warm-up is done by then — it allocates until CHURN_MCS (12) mark-compacts,
// V8's own, have happened, then stops and appends a line to /tmp/warm-idle-churn-<pid>.log:
// what hours of an idle node's mark-compacts do to its compiled code, in seconds.
// (A forced gc() would not do: it does not age code; see the notes.)
import process from 'node:process';
import { PerformanceObserver, constants, performance } from 'node:perf_hooks';
import { appendFileSync } from 'node:fs';
import { setInterval, clearInterval, setTimeout } from 'node:timers';

const want = Number(process.env.CHURN_MCS ?? 12);
const log = `/tmp/warm-idle-churn-${process.pid}.log`;
setTimeout(() => {
  const t0 = performance.now();
  let seen = 0;
  let keep = [];
  const t = setInterval(() => {
    for (let j = 0; j < 100_000; j++) keep.push({ j });
    if (keep.length > 1_000_000) keep = [];
  }, 5);
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) seen++;
    if (seen < want) return;
    clearInterval(t);
    obs.disconnect();
    keep = [];
    appendFileSync(log, `churn done: ${seen} mark-compacts in ${Math.round(performance.now() - t0)} ms\n`);
  });
  obs.observe({ entryTypes: ['gc'] });
}, Number(process.env.CHURN_DELAY_MS ?? 3000)).unref();
