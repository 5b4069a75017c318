/**
 * @module config/schema
 * The one schema of the siplb configuration: the document of ./body-schema.ts, the rules that
 * span sections (./cross-field.ts) and the split of `backends` into fixed and DNS entries
 * (./backend-entries.ts). It yields both the runtime check (`ConfigSchema.safeParse`) and the
 * TypeScript type (`Config`), so the two cannot drift. Pure.
 *
 * The body lives in a module of its own so that the rules and the split can name its types
 * without importing this one (no import circle).
 */
import type { z } from 'zod';
import { splitBackends } from './backend-entries.js';
import { ConfigBodySchema } from './body-schema.js';
import { checkCrossField } from './cross-field.js';

export * from './body-schema.js';
export type { DnsBackendConfig, FixedBackendConfig } from './backend-entries.js';
export { parseDnsServer, parseSrvName } from './backend-names.js';
export { effectiveHealth } from './cross-field.js';

/** The siplb configuration schema: the body plus the rules that span sections. */
export const ConfigSchema = ConfigBodySchema.superRefine(checkCrossField, { when: () => true }).transform(splitBackends);

/** The validated configuration: defaults filled, durations in ms, addresses as `{ host, port }`. */
export type Config = z.output<typeof ConfigSchema>;
/** The configuration as written: optional keys, durations as strings or numbers, addresses as strings. */
export type ConfigInput = z.input<typeof ConfigSchema>;

export type BackendConfig = Config['backends'][number];
export type HealthConfig = Config['health'];
export type BalanceMode = Config['balance']['mode'];
export type LogLevel = Config['log']['level'];
export type SecurityConfig = Config['security'];
export type HashKeys = Config['balance']['hashKey'];
