/**
 * @module config/suggest
 * "Did you mean …?" for mistyped keys and enum values, and the table of renamed keys. Pure.
 */

/**
 * Optimal string alignment distance (Damerau-Levenshtein restricted to adjacent swaps):
 * insertions, deletions, substitutions and transpositions each cost 1.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      d[i * cols + j] = v;
    }
  }
  return at(a.length, b.length);
}

/**
 * The candidate closest to `word`, ignoring case, if it is close enough to be a plausible typo:
 * at most one edit per three characters (and at least one).
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  const limit = Math.max(1, Math.floor(w.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const dist = editDistance(w, c.toLowerCase());
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** A key that existed under another name; rejected with a pointer to its new name. */
export interface RenamedKey {
  /** Path of the object holding the old key: '' for the top level, `[]` for any list index. */
  readonly at: string;
  readonly key: string;
  /** Full path of the new key, `[]` standing for the same list index as the old one. */
  readonly use: string;
  /** What else changed, when more than the name did. */
  readonly note?: string;
}

/**
 * Old names in the style of the SIP proxies operators come from (Kamailio dispatcher) and of
 * earlier siplb drafts. Like undici's "unsupported keepAlive, use pipelining=0 instead": we
 * refuse the old name rather than guess, because a silently ignored threshold is a production
 * incident.
 */
export const RENAMED_KEYS: readonly RenamedKey[] = [
  { at: '', key: 'probeInterval', use: 'health.interval' },
  { at: 'health', key: 'probeInterval', use: 'health.interval' },
  { at: 'health', key: 'pingInterval', use: 'health.interval' },
  { at: 'health', key: 'threshold', use: 'health.fall' },
  { at: '', key: 'threshold', use: 'health.fall' },
  { at: 'health', key: 'probingThreshold', use: 'health.fall' },
  { at: 'health', key: 'inactiveThreshold', use: 'health.rise' },
  { at: 'health', key: 'aliveReplyCodes', use: 'health.okCodes' },
  { at: 'health', key: 'pingReplyCodes', use: 'health.okCodes' },
  { at: '', key: 'listen', use: 'sip.listen' },
  { at: '', key: 'logLevel', use: 'log.level' },
  { at: 'balance', key: 'algorithm', use: 'balance.mode' },
  { at: 'balance', key: 'strategy', use: 'balance.mode' },
  { at: 'backends[]', key: 'name', use: 'backends[].id' },
  { at: 'backends[]', key: 'uri', use: 'backends[].address', note: 'write host:port, not a SIP URI' },
  { at: 'admin', key: 'port', use: 'admin.listen', note: 'write host:port, e.g. 127.0.0.1:8060' },
  { at: 'ha', key: 'redisUrl', use: 'ha.redis' },
  { at: 'sip', key: 'mtu', use: 'sip.maxDatagramBytes' },
];

/** The rename entry for `key` in the object at `parentPattern` (indices written `[]`). */
export function findRename(parentPattern: string, key: string): RenamedKey | undefined {
  return RENAMED_KEYS.find((r) => r.at === parentPattern && r.key === key);
}
