/**
 * @module config/schema
 * The one schema of the siplb configuration. It yields both the runtime check
 * (`ConfigSchema.safeParse`) and the TypeScript type (`Config`), so the two cannot drift.
 * The keys and their conventions are in ./body-schema.ts; the rules spanning several keys in
 * ./cross-field.ts (which imports only the body's types, so neither imports this file).
 */

import type { z } from 'zod';
import { ConfigBodySchema } from './body-schema.js';
import { checkCrossField } from './cross-field.js';

export * from './body-schema.js';
export { effectiveHealth } from './cross-field.js';

/** The siplb configuration schema: the body plus the rules that span sections. */
export const ConfigSchema = ConfigBodySchema.superRefine(checkCrossField, { when: () => true });

/** The validated configuration: defaults filled, durations in ms, addresses as `{ host, port }`. */
export type Config = z.output<typeof ConfigSchema>;
/** The configuration as written: optional keys, durations as strings or numbers, addresses as strings. */
export type ConfigInput = z.input<typeof ConfigSchema>;
