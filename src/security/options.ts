/**
 * @module security/options
 * The validated `security` config section as SecurityOptions. Pure.
 */
import type { SecurityConfig } from '../config/schema.js';
import type { SecurityOptions } from './policy.js';

export function securityOptions(c: SecurityConfig): SecurityOptions {
  return {
    trustedSources: c.trustedSources,
    untrusted: c.untrusted,
    rateLimit: { enabled: c.rateLimit.enabled, perSecond: c.rateLimit.perSecond, burst: c.rateLimit.burst, blockFor: c.rateLimit.blockFor },
    scanners: { enabled: c.scanners.enabled, userAgents: c.scanners.userAgents },
    maxSources: c.maxSources,
    topOffenders: c.topOffenders,
  };
}
