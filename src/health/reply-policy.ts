/**
 * @module health/reply-policy
 * Which OPTIONS reply codes count as "alive" (Kamailio's ds_ping_reply_codes): specs such as
 * `['2xx', 404, 405, 488]` or `'200-299'` compiled once into a table lookup. Pure.
 *
 * A spec is a list of tokens, or one string of tokens separated by commas or spaces. A token is
 * a status code (`404`, `'404'`), a class (`'2xx'`) or an inclusive range (`'200-299'`), all
 * within 100–699 (RFC 3261 §7.2, §21). A locally generated timeout is never a reply, so listing
 * 408 here only accepts a 408 actually sent by the backend (state-machine.ts).
 */

import { SiplbError } from '../errors.js';

export type ReplyCodeSpec = number | string;
export type ReplyCodePredicate = (code: number) => boolean;

/** Any 2xx, the default. */
export const DEFAULT_OK_CODES: readonly ReplyCodeSpec[] = Object.freeze(['2xx']);

export type ReplyCodesParse =
  | { readonly ok: true; readonly predicate: ReplyCodePredicate; readonly codes: readonly number[] }
  | { readonly ok: false; readonly error: string };

const MIN_CODE = 100;
const MAX_CODE = 699;

/** Parse a spec without throwing (for schema refinements). */
export function parseReplyCodes(spec: string | readonly ReplyCodeSpec[]): ReplyCodesParse {
  const tokens: ReplyCodeSpec[] = typeof spec === 'string' ? splitTokens(spec) : [...spec];
  if (tokens.length === 0) return { ok: false, error: 'okCodes is empty: no reply would count as alive; use e.g. ["2xx"]' };
  const table = new Uint8Array(MAX_CODE + 1);
  for (const raw of tokens) {
    const range: readonly [number, number] | undefined = typeof raw === 'number' ? [raw, raw] : tokenRange(raw);
    if (range === undefined || !isCode(range[0]) || !isCode(range[1]) || range[0] > range[1]) {
      return {
        ok: false,
        error: `invalid reply code ${JSON.stringify(raw)} in okCodes: use a code (404), a class (2xx) or a range (200-299), within ${MIN_CODE}-${MAX_CODE}`,
      };
    }
    table.fill(1, range[0], range[1] + 1);
  }
  const codes: number[] = [];
  table.forEach((v, c) => {
    if (v === 1) codes.push(c);
  });
  // Indexing a typed array with a non-integer or out-of-range number yields undefined: false.
  const predicate: ReplyCodePredicate = (code) => table[code] === 1;
  return { ok: true, predicate, codes: Object.freeze(codes) };
}

/** Compile a spec into a predicate; throws SIPLB_ERR_CONFIG_INVALID on a bad spec. */
export function compileReplyCodes(spec: string | readonly ReplyCodeSpec[] = DEFAULT_OK_CODES): ReplyCodePredicate {
  const r = parseReplyCodes(spec);
  if (!r.ok) throw new SiplbError('SIPLB_ERR_CONFIG_INVALID', r.error);
  return r.predicate;
}

function splitTokens(s: string): string[] {
  return s.split(/[\s,]+/).filter((x) => x !== '');
}

function isCode(n: number): boolean {
  return Number.isInteger(n) && n >= MIN_CODE && n <= MAX_CODE;
}

function tokenRange(tok: string): [number, number] | undefined {
  const t = tok.trim().toLowerCase();
  let m = /^([1-6])xx$/.exec(t);
  if (m !== null) {
    const base = Number(m[1]) * 100;
    return [base, base + 99];
  }
  m = /^(\d{3})$/.exec(t);
  if (m !== null) return [Number(m[1]), Number(m[1])];
  m = /^(\d{3})\s*-\s*(\d{3})$/.exec(t);
  if (m !== null) return [Number(m[1]), Number(m[2])];
  return undefined;
}
