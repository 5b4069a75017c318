/**
 * From the config's health section to what the state machine and the prober use
 * (health/thresholds.ts): per-backend overrides over the global values, the Retry-After cap in
 * seconds, one cache per config object, and no probe targets when health checks are off.
 */
import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/schema.js';
import { validateConfig } from '../../../src/config/validate.js';
import { probeTargets, thresholdsCache, thresholdsFor } from '../../../src/health/thresholds.js';

function config(extra: Record<string, unknown> = {}): Config {
  const v = validateConfig({
    sip: { listen: '127.0.0.1:0' },
    backends: [
      { id: 'gw1', address: '127.0.0.1:5100' },
      { id: 'gw2', address: '127.0.0.2:5200', transport: 'tcp', health: { fall: 7, rise: 4, okCodes: [200], maxRtt: '150ms', interval: '5s', timeout: '700ms' } },
    ],
    health: { fall: 3, rise: 2, okCodes: ['2xx', 404], maxRtt: '800ms', interval: '1s', timeout: '400ms' },
    passive: { maxRetryAfter: '90s' },
    ...extra,
  });
  if (!v.ok) throw new Error(`bad test config: ${JSON.stringify(v.issues)}`);
  return v.config;
}

describe('thresholdsFor', () => {
  it('gives a backend without overrides the global values, and the Retry-After cap in seconds', () => {
    const t = thresholdsFor(config(), 'gw1');
    expect({ ...t, okCodes: undefined }).toEqual({ fall: 3, rise: 2, okCodes: undefined, maxRttMs: 800, maxRetryAfterSeconds: 90 });
    expect([200, 299, 404, 300, 403, 503].map((c) => t.okCodes(c))).toEqual([true, true, true, false, false, false]);
  });

  it("gives a backend its own overrides", () => {
    const t = thresholdsFor(config(), 'gw2');
    expect({ ...t, okCodes: undefined }).toEqual({ fall: 7, rise: 4, okCodes: undefined, maxRttMs: 150, maxRetryAfterSeconds: 90 });
    expect([200, 404].map((c) => t.okCodes(c))).toEqual([true, false]);
  });

  it('gives an unknown backend id the global values', () => {
    const t = thresholdsFor(config(), 'gw9');
    expect([t.fall, t.rise, t.maxRttMs]).toEqual([3, 2, 800]);
    expect(t.okCodes(404)).toBe(true);
  });
});

describe('thresholdsCache', () => {
  it('computes once per backend and config object, and again after a reload', () => {
    let c = config();
    const get = thresholdsCache(() => c);
    const first = get('gw1');
    expect(get('gw1')).toBe(first);
    expect(get('gw2')).not.toBe(first);
    expect(get('gw2').fall).toBe(7);
    c = config({ health: { fall: 5 } });
    const reloaded = get('gw1');
    expect(reloaded).not.toBe(first);
    expect(reloaded.fall).toBe(5);
    expect(get('gw1')).toBe(reloaded);
  });
});

describe('probeTargets', () => {
  it('one target per backend with its address, transport and effective timings', () => {
    expect(probeTargets(config())).toEqual([
      { id: 'gw1', host: '127.0.0.1', port: 5100, transport: 'udp', intervalMs: 1000, timeoutMs: 400 },
      { id: 'gw2', host: '127.0.0.2', port: 5200, transport: 'tcp', intervalMs: 5000, timeoutMs: 700 },
    ]);
  });

  it('none when health checks are off', () => {
    expect(probeTargets(config({ health: { enabled: false } }))).toEqual([]);
  });
});
