/**
 * @module test/unit/sip/load-fixtures
 * Loads the hand-written SIP fixtures: `test/fixtures/sip/{valid,invalid}/NAME.sip` with an
 * optional sibling `NAME.json` of expectations. JSON cannot say `undefined` or `NaN`, so the
 * strings "undefined" and "NaN" stand for them (see {@link fromJson}).
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Fixture {
  readonly name: string;
  readonly bytes: Buffer;
  readonly expect: Record<string, unknown>;
}

const ROOT = fileURLToPath(new URL('../../fixtures/sip/', import.meta.url));

export function loadFixtures(folder: 'valid' | 'invalid'): Fixture[] {
  const dir = ROOT + folder + '/';
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sip'))
    .sort()
    .map((f) => {
      const name = f.slice(0, -4);
      const json = dir + name + '.json';
      const expect = existsSync(json) ? (fromJson(JSON.parse(readFileSync(json, 'utf8'))) as Record<string, unknown>) : {};
      return { name, bytes: readFileSync(dir + f), expect };
    });
}

/** Replaces the marker strings "undefined" and "NaN" by the values they stand for, recursively. */
export function fromJson(v: unknown): unknown {
  if (v === 'undefined') return undefined;
  if (v === 'NaN') return NaN;
  if (Array.isArray(v)) return v.map(fromJson);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromJson(x)]));
  }
  return v;
}
