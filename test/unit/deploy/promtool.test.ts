/**
 * The Prometheus files in deploy/ are valid and the alerts fire when they should:
 * `promtool check rules`, `promtool test rules` (deploy/prometheus/siplb-alerts.test.yml) and
 * `promtool check config --syntax-only` (the token file exists only on a real host).
 * Skipped with a message when promtool is not installed (Debian: apt install prometheus).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const DIR = path.resolve(import.meta.dirname, '../../../deploy/prometheus');
const HAVE_PROMTOOL = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).error === undefined;
if (!HAVE_PROMTOOL) console.warn('promtool not found: skipping deploy/prometheus checks (apt install prometheus)');

function promtool(...args: string[]): { status: number | null; output: string } {
  const r = spawnSync('promtool', args, { cwd: DIR, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe.skipIf(!HAVE_PROMTOOL)('deploy/prometheus with promtool', () => {
  it('siplb-alerts.yml passes `promtool check rules` and defines the six alerts', () => {
    const r = promtool('check', 'rules', 'siplb-alerts.yml');
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain('SUCCESS: 6 rules found');
  });

  it('siplb-alerts.test.yml passes `promtool test rules`', () => {
    const r = promtool('test', 'rules', 'siplb-alerts.test.yml');
    expect(r.status, r.output).toBe(0);
  });

  it('prometheus.yml passes `promtool check config --syntax-only`', () => {
    const r = promtool('check', 'config', '--syntax-only', 'prometheus.yml');
    expect(r.status, r.output).toBe(0);
  });
});
