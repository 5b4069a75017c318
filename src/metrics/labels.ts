/**
 * @module metrics/labels
 * Label values derived from event fields. Everything that reaches a label is bounded here, so a
 * peer sending odd SIP cannot create new time series: methods outside RFC 3261 and its common
 * extensions become 'other', status codes become a class.
 */

/** Methods of RFC 3261 §7.1 and the extensions in common use (RFC 3262, 3265, 3311, 3428, 3515, 3903, 6086). */
const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER',
  'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE',
]);

/** Every value methodLabel returns, for exporting the method series at zero from the start. */
export const KNOWN_METHOD_LABELS: readonly string[] = Object.freeze([...KNOWN_METHODS, 'other']);

/** The classes of SIP responses siplb relays (it parses only codes 100..699, RFC 3261 §7.2). */
export const STATUS_CLASSES: readonly string[] = Object.freeze(['1xx', '2xx', '3xx', '4xx', '5xx', '6xx']);

/** The method as a label value: known methods as they are, anything else 'other'. */
export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : 'other';
}

/** '1xx'..'6xx' for a SIP status code (RFC 3261 §7.2), 'other' outside 100..699. */
export function statusClass(status: number): string {
  // A constant from the table, not a string built per response (a fresh string is hashed again by
  // every Map it is looked up in).
  return status >= 100 && status <= 699 ? STATUS_CLASSES[Math.floor(status / 100) - 1]! : 'other';
}

/** A status code as a label value; only codes siplb itself sends reach this (bounded set). */
export function statusLabel(status: number): string {
  return status >= 100 && status <= 699 ? String(Math.trunc(status)) : 'other';
}
