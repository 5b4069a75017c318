/**
 * @module runtime/facts
 * This process's runtime facts, read once from `process` (the only place that does).
 */
import type { RuntimeFacts } from './node-version.js';

export function runtimeFacts(): RuntimeFacts {
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    pid: process.pid,
  };
}
