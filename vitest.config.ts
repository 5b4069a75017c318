import { defineConfig } from 'vitest/config';

// Three projects, one per tier. Unit and integration files run in parallel; e2e files start sipp
// and siplb on loopback ports and load the machine on purpose, so they run one at a time
// (fileParallelism false gives the e2e project one worker, in a group of its own after the rest).
// A file filter still works across projects: `npx vitest run test/unit`.
//
// Both UDP engines (issue 20): e2e runs siplb on the native accelerator when CI=true (scripts/
// test.sh builds it first; a missing build then fails, never falls back) and on whatever `auto`
// picks elsewhere; e2e-dgram runs the files that exercise the datagram path again, forced onto
// node:dgram, after it. SIPLB_UDP_ENGINE (test/helpers/udp-engine.ts) overrides the first.
// `--project e2e` runs one engine only.
const UDP_E2E = [
  'test/e2e/dispatch.test.ts',
  'test/e2e/dialogs.test.ts',
  'test/e2e/failover.test.ts',
  'test/e2e/modes.test.ts',
  'test/e2e/gbt28181.test.ts',
  'test/e2e/kamailio-proxies.test.ts',
  'test/e2e/health.test.ts',
  'test/e2e/abuse.test.ts',
  'test/e2e/tiers.test.ts',
];
const e2eEngine = process.env['SIPLB_UDP_ENGINE'] ?? (process.env['CI'] === 'true' ? 'native' : '');

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'] } },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], fileParallelism: false, env: { SIPLB_UDP_ENGINE: e2eEngine } } },
      {
        extends: true,
        test: { name: 'e2e-dgram', include: UDP_E2E, fileParallelism: false, env: { SIPLB_UDP_ENGINE: 'dgram' }, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
