/**
 * @module config/security-options
 * The validated `security` config section as the abuse-protection policy's SecurityOptions. Pure.
 * It lives with the config (which already reads security/ for CIDR and signature checks), so
 * security/ knows nothing of the config schema.
 */
import type { SecurityOptions } from '../security/policy.js';
import type { SecurityConfig } from './schema.js';

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
