/**
 * @module config/introspect
 * Reads the schema itself: the sub-schema and documentation at a config path, the keys an
 * object allows, every documented key. Used to word errors (examples, ranges, suggestions) and
 * by the test that every key is documented. Pure.
 */

import { z } from 'zod';
import type { FieldMeta } from './fields.js';

export type ConfigPath = readonly PropertyKey[];

/** One key of the schema with its documentation; `path` uses `[]` for any list index. */
export interface SchemaField {
  readonly path: string;
  readonly meta: Partial<FieldMeta>;
  /** The innermost schema after defaults, optionals and transforms are looked through. */
  readonly leaf: z.ZodType;
}

const WRAPPERS = new Set(['default', 'prefault', 'optional', 'nullable', 'readonly', 'catch', 'nonoptional']);

/** Looks through wrappers to the schema that checks the value, merging metadata (outer wins). */
function unwrap(schema: z.ZodType): { leaf: z.ZodType; meta: Partial<FieldMeta> } {
  let s = schema;
  let meta: Partial<FieldMeta> = {};
  for (;;) {
    const m = z.globalRegistry.get(s);
    if (m !== undefined) meta = { ...(m as Partial<FieldMeta>), ...meta };
    const def = s.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
    if (WRAPPERS.has(def.type) && def.innerType !== undefined) s = def.innerType;
    else if (def.type === 'pipe' && def.in !== undefined) s = def.in;
    else return { leaf: s, meta };
  }
}

/** The object among a union's options (e.g. balance.hashKey: one name, or a map of names). */
function objectOption(leaf: z.ZodType): z.ZodObject | undefined {
  if (leaf instanceof z.ZodObject) return leaf;
  if (!(leaf instanceof z.ZodUnion)) return undefined;
  for (const o of leaf.options as readonly z.ZodType[]) {
    const u = unwrap(o).leaf;
    if (u instanceof z.ZodObject) return u;
  }
  return undefined;
}

function child(leaf: z.ZodType, key: PropertyKey): z.ZodType | undefined {
  const obj = typeof key === 'string' ? objectOption(leaf) : undefined;
  if (obj !== undefined && typeof key === 'string') return obj.shape[key] as z.ZodType | undefined;
  if (leaf instanceof z.ZodArray && typeof key === 'number') return leaf.element as z.ZodType;
  return undefined;
}

/** The schema and merged documentation at `path`, or undefined when the path leaves the schema. */
export function schemaAt(root: z.ZodType, path: ConfigPath): { leaf: z.ZodType; meta: Partial<FieldMeta> } | undefined {
  let cur = unwrap(root);
  for (const key of path) {
    const next = child(cur.leaf, key);
    if (next === undefined) return undefined;
    cur = unwrap(next);
  }
  return cur;
}

/** Keys the object at `path` allows, in schema order; empty when `path` is not an object. */
export function allowedKeys(root: z.ZodType, path: ConfigPath): string[] {
  const at = schemaAt(root, path);
  const obj = at === undefined ? undefined : objectOption(at.leaf);
  return obj === undefined ? [] : Object.keys(obj.shape);
}

/** Every key of the schema, depth first, lists entered as `[]`. */
export function listFields(root: z.ZodType): SchemaField[] {
  const out: SchemaField[] = [];
  const visit = (schema: z.ZodType, path: string): void => {
    const { leaf } = unwrap(schema);
    if (leaf instanceof z.ZodObject) {
      for (const [key, sub] of Object.entries(leaf.shape as Record<string, z.ZodType>)) {
        const p = path === '' ? key : `${path}.${key}`;
        const u = unwrap(sub);
        out.push({ path: p, meta: u.meta, leaf: u.leaf });
        visit(sub, p);
      }
    } else if (leaf instanceof z.ZodArray) {
      visit(leaf.element as z.ZodType, `${path}[]`);
    }
  };
  visit(root, '');
  return out;
}
