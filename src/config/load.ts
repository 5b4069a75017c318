/**
 * @module config/load
 * Reads the configuration file (YAML; JSON is YAML too), applies overrides from the environment
 * and the command line, fills `node.id` from the host name, and validates. Owns the file read
 * and `os.hostname()`; everything else is ./validate.ts. Never throws for bad input: every
 * problem, from a missing file to a bad port, comes back as a ConfigIssue, located by line
 * when it comes from the file.
 */

import { readFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { ConfigIssue } from './errors.js';
import { validateConfig } from './validate.js';
import type { ValidateResult } from './validate.js';

/** Values from the command line; each replaces the file's value before validation. */
export interface ConfigOverrides {
  /** Replaces sip.listen: one address or a list, e.g. ["udp:0.0.0.0:5060", "tcp:0.0.0.0:5060"]. */
  listen?: string | readonly string[];
  /** Replaces sip.tls.cert (a PEM file). */
  tlsCert?: string;
  /** Replaces sip.tls.key (a PEM file). */
  tlsKey?: string;
  /** Replaces admin.listen, e.g. "127.0.0.1:8060". */
  adminListen?: string;
  /** Replaces ha.redis, e.g. "redis://10.0.0.5:6379/0". */
  redis?: string;
  /** Replaces node.id. */
  nodeId?: string;
  /** Replaces log.level; wins over SIPLB_LOG_LEVEL. */
  logLevel?: string;
}

/** Seams for tests; production uses the defaults. */
export interface LoadOptions {
  /** Environment read for SIPLB_LOG_LEVEL. Default: process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Host name for an empty node.id. Default: os.hostname(). */
  hostname?: () => string;
}

export type LoadResult = ValidateResult;

type Path = readonly (string | number)[];

const EXAMPLE_HINT = 'deploy/siplb.example.yaml documents every key';

/** Which config key each override replaces, and how to name its source in an error. */
const OVERRIDES: ReadonlyArray<{ key: keyof ConfigOverrides; path: Path }> = [
  { key: 'listen', path: ['sip', 'listen'] },
  { key: 'tlsCert', path: ['sip', 'tls', 'cert'] },
  { key: 'tlsKey', path: ['sip', 'tls', 'key'] },
  { key: 'adminListen', path: ['admin', 'listen'] },
  { key: 'redis', path: ['ha', 'redis'] },
  { key: 'nodeId', path: ['node', 'id'] },
  { key: 'logLevel', path: ['log', 'level'] },
];

function fileIssue(reason: string, fix: string, line?: number, column?: number): ConfigIssue {
  return line === undefined ? { path: '(file)', reason, fix } : { path: '(file)', reason, fix, line, column };
}

function readFailure(path: string, err: unknown): ConfigIssue {
  const code = (err as { code?: unknown }).code;
  switch (code) {
    case 'ENOENT':
      return fileIssue(`cannot read ${path}: no such file`, `check the path; the default is config/siplb.yaml and ${EXAMPLE_HINT}`);
    case 'EACCES':
    case 'EPERM':
      return fileIssue(`cannot read ${path}: permission denied`, 'make the file readable by the user siplb runs as');
    case 'EISDIR':
      return fileIssue(`cannot read ${path}: it is a directory`, 'give the path of the YAML file, e.g. config/siplb.yaml');
    default:
      return fileIssue(`cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`, 'check the path and its permissions');
  }
}

const YAML_FIXES: Record<string, string> = {
  DUPLICATE_KEY: 'remove one of the two keys: YAML keys must be unique within a mapping',
  TAB_AS_INDENT: 'indent with spaces, not tabs',
  BAD_INDENT: 'align the indentation of this line with its siblings, and close any [ or {',
  BLOCK_AS_IMPLICIT_KEY: 'put a nested mapping on its own indented lines, or quote a value that contains ": "',
  MISSING_CHAR: 'add the missing closing character (quote, ] or })',
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sets `path` in `root`, creating missing sections; leaves a section of the wrong type alone (validation reports it). */
function setIn(root: Record<string, unknown>, path: Path, value: unknown): void {
  let cur = root;
  for (const [i, key] of path.entries()) {
    if (i === path.length - 1) {
      cur[key] = value;
      return;
    }
    const next = cur[key] ?? {};
    if (!isPlainObject(next)) return;
    cur[key] = next;
    cur = next;
  }
}

function getIn(root: Record<string, unknown>, path: Path): unknown {
  let cur: unknown = root;
  for (const key of path) cur = isPlainObject(cur) ? cur[key] : undefined;
  return cur;
}

/** `backends[1].address` → ['backends', 1, 'address']. */
function parsePath(text: string): Path {
  if (text.startsWith('(')) return [];
  const out: (string | number)[] = [];
  for (const m of text.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : (m[1] ?? ''));
  return out;
}

/** Offset of the key (or list item) at `path`, or of its nearest existing ancestor. */
function offsetOf(doc: Document, path: Path): number | undefined {
  let node: unknown = doc.contents;
  let offset = (doc.contents as YamlNode | null)?.range?.[0];
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
      if (pair === undefined) break;
      offset = (pair.key as YamlNode).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key] as YamlNode | undefined;
      if (item === undefined) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset;
}

/**
 * Reads, overrides and validates the configuration at `path`.
 * Precedence, lowest first: file, SIPLB_LOG_LEVEL, `overrides`. Overridden values are
 * validated like the file's, and their issues name the override instead of a line.
 */
export async function loadConfigFile(path: string, overrides: ConfigOverrides = {}, options: LoadOptions = {}): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    return { ok: false, issues: [readFailure(path, err)] };
  }
  const emptyIssue = fileIssue('the file is empty', `add at least a backends list, e.g. backends: [{ id: gw1, address: "10.0.0.11:5060" }]; ${EXAMPLE_HINT}`);
  if (text.trim() === '') return { ok: false, issues: [emptyIssue] };

  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const { line, col } = lines.linePos(e.pos[0]);
      const fix = YAML_FIXES[e.code] ?? 'correct the YAML syntax at that position (indentation, colons, quotes, brackets)';
      return fileIssue(`YAML syntax error at line ${line}, column ${col}: ${e.message}`, fix, line, col);
    });
    return { ok: false, issues };
  }
  if (doc.contents === null) return { ok: false, issues: [emptyIssue] };

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    const reason = `YAML could not be read: ${err instanceof Error ? err.message : String(err)}`;
    return { ok: false, issues: [fileIssue(reason, 'define each anchor (&name) before its alias (*name), and do not nest aliases deeply')] };
  }

  const sources = new Map<string, string>();
  if (isPlainObject(raw)) {
    const env = options.env ?? process.env;
    const envLevel = env['SIPLB_LOG_LEVEL'];
    if (envLevel !== undefined && envLevel !== '') {
      setIn(raw, ['log', 'level'], envLevel);
      sources.set('log.level', 'the environment variable SIPLB_LOG_LEVEL');
    }
    for (const { key, path: at } of OVERRIDES) {
      const value = overrides[key];
      if (value === undefined) continue;
      setIn(raw, at, value);
      sources.set(at.join('.'), `the override ${key}`);
    }
    const id = getIn(raw, ['node', 'id']);
    if (id === undefined || id === '') setIn(raw, ['node', 'id'], (options.hostname ?? osHostname)());
  }

  const result = validateConfig(raw);
  if (result.ok) return result;
  const issues = result.issues.map((issue): ConfigIssue => {
    const source = sources.get(issue.path);
    if (source !== undefined) return { ...issue, reason: `${issue.reason} (value from ${source})` };
    const offset = offsetOf(doc, parsePath(issue.path));
    if (offset === undefined) return issue;
    const { line, col } = lines.linePos(offset);
    return { ...issue, line, column: col };
  });
  return { ok: false, issues };
}
