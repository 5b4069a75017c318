/**
 * @module security
 * Abuse protection for the proxy: trusted sources, per-source rate limit with blocking, scanner
 * signatures. Pure decision logic; proxy/screen.ts acts on its verdicts.
 */
export { CidrSet, parseCidr } from './cidr.js';
export { DEFAULT_SCANNER_USER_AGENTS, SignatureMatcher } from './signatures.js';
export { REFUSAL_REASONS, SecurityPolicy, reasonOf, type Offender, type RefusalReason, type SecurityOptions, type UntrustedAction, type Verdict } from './policy.js';
export { fullBucket, take, type BucketRate, type BucketState } from './token-bucket.js';
