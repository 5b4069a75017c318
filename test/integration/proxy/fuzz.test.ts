/**
 * A short, bounded run of the coverage-guided fuzzer (scripts/fuzz/run.mjs: parse, request
 * rule, route decision and edit splicing through proxy/dispatcher.ts, with its invariants) so CI
 * catches a regression the long run (`npm run fuzz`, figures in docs/request-rules.md) would.
 * At most 40 s of fuzzing, on a fixed seed so a failure reproduces.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';
import { ensureFreshDist } from '../../helpers/fresh-dist.js';
import { REPO } from '../../helpers/siplb.js';

it('fuzzes the proxy path for up to 40 s with no crash and no broken invariant', () => {
  ensureFreshDist();
  const r = spawnSync(process.execPath, [path.join(REPO, 'scripts/fuzz/run.mjs')], {
    cwd: REPO,
    env: { ...process.env, RUNS: '200000', MAX_SECONDS: '40', SEED: '4475' },
    encoding: 'utf8',
    timeout: 90_000,
  });
  const summary = r.stdout.trim().split('\n').pop() ?? '';
  expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
  const s = JSON.parse(summary) as { execs: number; crashes: number; features: number };
  expect(s.crashes).toBe(0);
  expect(s.execs).toBeGreaterThan(1000);
  expect(s.features).toBeGreaterThan(1000);
}, 120_000);
