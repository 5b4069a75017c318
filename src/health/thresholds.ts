/**
 * @module health/thresholds
 * From the config's health section (global values with per-backend overrides) to what the state
 * machine and the prober need: compiled reply-code predicate, RTT limit, Retry-After cap.
 */
import { effectiveHealth, type Config } from '../config/schema.js';
import { compileReplyCodes } from './reply-policy.js';
import type { HealthThresholds } from './state-machine.js';
import type { ProbeTarget } from './prober.js';

export function thresholdsFor(config: Config, backendId: string): HealthThresholds {
  const b = config.backends.find((x) => x.id === backendId);
  const h = b ? effectiveHealth(config.health, b) : config.health;
  return {
    fall: h.fall,
    rise: h.rise,
    okCodes: compileReplyCodes(h.okCodes),
    maxRttMs: h.maxRtt,
    maxRetryAfterSeconds: config.passive.maxRetryAfter / 1000,
  };
}

/** Memoised per config object: the thresholds are read on every probe result. */
export function thresholdsCache(getConfig: () => Config): (id: string) => HealthThresholds {
  let forConfig: Config | undefined;
  let cache = new Map<string, HealthThresholds>();
  return (id) => {
    const config = getConfig();
    if (config !== forConfig) {
      forConfig = config;
      cache = new Map();
    }
    let t = cache.get(id);
    if (!t) cache.set(id, (t = thresholdsFor(config, id)));
    return t;
  };
}

export function probeTargets(config: Config): ProbeTarget[] {
  if (!config.health.enabled) return [];
  return config.backends.map((b) => {
    const h = effectiveHealth(config.health, b);
    return { id: b.id, host: b.address.host, port: b.address.port, transport: b.transport, intervalMs: h.interval, timeoutMs: h.timeout };
  });
}
