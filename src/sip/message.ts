/**
 * @module sip/message
 * The SIP message model that the parser produces and the proxy consumes. A message is a *view*
 * over the received datagram: nothing is copied at parse time; headers are located by byte
 * offsets and decoded lazily, on first access, by the typed accessors below.
 * RFC 3261 §7 (message format), §20 (header fields), §25 (ABNF).
 */

/** Stable ids of the header fields a proxy needs. Everything else is `OTHER`. */
export const HeaderId = {
  OTHER: 0,
  VIA: 1,
  CALL_ID: 2,
  CSEQ: 3,
  MAX_FORWARDS: 4,
  ROUTE: 5,
  RECORD_ROUTE: 6,
  CONTENT_LENGTH: 7,
  TO: 8,
  FROM: 9,
  CONTACT: 10,
  RETRY_AFTER: 11,
  CONTENT_TYPE: 12,
  USER_AGENT: 13,
  SERVER: 14,
  PROXY_REQUIRE: 15,
} as const;
export type HeaderId = (typeof HeaderId)[keyof typeof HeaderId];

/** One header *line* (a field, possibly folded over several physical lines; RFC 3261 §7.3.1). */
export interface HeaderField {
  readonly id: HeaderId;
  /** Offset of the first byte of the header name. */
  readonly lineStart: number;
  /** Offset just past the CRLF that ends this field (after any folded continuation lines). */
  readonly lineEnd: number;
  /** Offset of the first byte of the value (leading whitespace skipped). */
  readonly valueStart: number;
  /** Offset just past the last non-whitespace byte of the value (before the final CRLF). */
  readonly valueEnd: number;
}

/** A byte range inside the message buffer. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** A `;name[=value]` parameter. `span` covers `name[=value]` without the leading `;`. */
export interface Param {
  /** Lower-cased name. */
  readonly name: string;
  /** Raw value (quotes kept), or `undefined` for a flag parameter such as `;lr` or a bare `;rport`. */
  readonly value: string | undefined;
  readonly span: Span;
}

/** One Via value (one hop). Several may share a header line, separated by commas (§7.3.1). */
export interface Via {
  /** Index into `SipMessage.headers` of the line this value sits on. */
  readonly fieldIndex: number;
  /** The value within that line, excluding surrounding whitespace and commas. */
  readonly span: Span;
  /** Upper-cased transport token: 'UDP', 'TCP', 'TLS', 'WS', 'WSS', 'SCTP'. */
  readonly transport: string;
  /** Host without IPv6 brackets, e.g. `2001:db8::1`, `10.0.0.1`, `proxy.example.com`. */
  readonly host: string;
  /** Port from sent-by, or `undefined` when absent. */
  readonly port: number | undefined;
  /** Every parameter in order (made on first use: the proxy reads the few it needs by name). */
  readonly params: readonly Param[];
  readonly branch: string | undefined;
  /** The datagram this value was read from (its message's `buf`). Never modified. */
  readonly buf: Buffer;
  /**
   * The branch value's byte range in `buf` (`branchStart` -1 without a branch), so that it can
   * be hashed or compared without decoding it into a string.
   */
  readonly branchStart: number;
  readonly branchEnd: number;
  readonly received: string | undefined;
  /** `undefined`: no rport param; `null`: bare `;rport` (RFC 3581 request); a number: filled in. */
  readonly rport: number | null | undefined;
  /** The first parameter named `name` (lower case), or `undefined`. */
  param(name: string): Param | undefined;
  /** Whether the branch value begins with `prefix` (case-sensitive, as `String#startsWith`). */
  branchStartsWith(prefix: string): boolean;
}

/** A parsed SIP or SIPS URI (RFC 3261 §19.1). */
export interface SipUri {
  readonly scheme: 'sip' | 'sips' | 'tel' | string;
  readonly user: string | undefined;
  /** Host without IPv6 brackets. */
  readonly host: string;
  readonly port: number | undefined;
  /** Lower-cased names; value `undefined` for flags such as `lr`. */
  readonly params: ReadonlyMap<string, string | undefined>;
  /** True when `?headers` follow (§19.1.1); they are not allowed in a Request-URI (§19.1.5). */
  readonly hasHeaders?: boolean;
}

/** A name-addr or addr-spec value: Route, Record-Route, To, From, Contact (§20.10, §25.1). */
export interface NameAddr {
  /** Index into `SipMessage.headers` of the line this value sits on. */
  readonly fieldIndex: number;
  /** The whole value within its line, excluding surrounding whitespace and commas. */
  readonly span: Span;
  readonly displayName: string | undefined;
  /** The URI text as written (without `<` `>`). */
  readonly uriText: string;
  /** The parsed URI, or `undefined` when it is not a well-formed SIP URI. */
  readonly uri: SipUri | undefined;
  /** Header parameters after the `>` (e.g. `tag`). Lower-cased names. */
  readonly params: ReadonlyMap<string, string | undefined>;
  /** True when the value is not a name-addr/addr-spec at all: only its raw text is known. */
  readonly malformed?: true;
}

export interface CSeq {
  readonly seq: number;
  /** Method token, case-sensitive as RFC 3261 §7.1 says. */
  readonly method: string;
}

interface SipMessageBase {
  /** The received datagram. Never modified. */
  readonly buf: Buffer;
  /**
   * Header lines in order of appearance, as objects made on first use. Hot paths read the same
   * offsets by line index instead (`headerCount`, `idAt`, ... below), which makes no object.
   */
  readonly headers: readonly HeaderField[];
  /** Number of header lines. */
  readonly headerCount: number;
  /** Offset just past the start line's CRLF (= first header line's start). */
  readonly headersStart: number;
  /** Offset of the empty line (CRLF) that ends the headers. */
  readonly headersEnd: number;
  /** Offset of the first body byte (just past the empty line). */
  readonly bodyStart: number;
  /** Body length in bytes (Content-Length, validated against the datagram; RFC 3261 §18.3). */
  readonly bodyLength: number;

  /** First header line with this id, or `undefined`. */
  first(id: HeaderId): HeaderField | undefined;
  /** Index of the first header line with this id, or -1. */
  firstIndex(id: HeaderId): number;
  /** HeaderField.id of line `i` (0 ≤ i < headerCount). */
  idAt(i: number): HeaderId;
  /** HeaderField.lineStart of line `i`. */
  lineStartAt(i: number): number;
  /** HeaderField.lineEnd of line `i`. */
  lineEndAt(i: number): number;
  /** HeaderField.valueStart of line `i`. */
  valueStartAt(i: number): number;
  /** HeaderField.valueEnd of line `i`. */
  valueEndAt(i: number): number;
  /** `valueOf` of line `i`. */
  valueAt(i: number): string;
  /** Value of a header line as a string (latin1; folding collapsed to one space). */
  valueOf(field: HeaderField): string;
  /** The Call-ID value (§20.8). Always present on a successfully parsed message. */
  callId(): string;
  /** The CSeq (§20.16). Always present and valid on a successfully parsed message. */
  cseq(): CSeq;
  /** The top Via value (§20.42). Always present and valid on a successfully parsed message. */
  topVia(): Via;
  /** Every Via value, top first (parses all of them on first call). `undefined` if one is malformed. */
  vias(): readonly Via[] | undefined;
  /** Max-Forwards (§20.22): `undefined` when absent, `NaN` when not a valid 0..255 integer. */
  maxForwards(): number | undefined;
  /** Route values, top first (§20.34); `undefined` if one is malformed. */
  routes(): readonly NameAddr[] | undefined;
  /** Record-Route values, top first (§20.30); `undefined` if one is malformed. */
  recordRoutes(): readonly NameAddr[] | undefined;
  /** From (§20.20); always present on a successfully parsed message, but may have no parsable URI. */
  from(): NameAddr;
  /** To (§20.39); always present on a successfully parsed message. */
  to(): NameAddr;
  /** Retry-After seconds (§20.33) or `undefined`. */
  retryAfter(): number | undefined;
}

export interface SipRequest extends SipMessageBase {
  readonly kind: 'request';
  /** Method token from the request line, e.g. 'INVITE'. */
  readonly method: string;
  /** Byte range of the Request-URI inside `buf`. */
  readonly uriSpan: Span;
  /** The Request-URI text. */
  readonly uriText: string;
  /** The parsed Request-URI, or `undefined` when it is not a SIP/SIPS URI (e.g. tel:). */
  requestUri(): SipUri | undefined;
}

export interface SipResponse extends SipMessageBase {
  readonly kind: 'response';
  /** Status code 100..699. */
  readonly status: number;
  readonly reason: string;
}

export type SipMessage = SipRequest | SipResponse;

/** Why a datagram is not a usable SIP message. Stable strings: they become metric label values. */
export type SipParseErrorReason =
  | 'empty'
  | 'bad-start-line'
  | 'bad-version'
  | 'bad-header-line'
  | 'headers-unterminated'
  | 'missing-header'
  | 'missing-via'
  | 'bad-via'
  | 'bad-cseq'
  | 'bad-call-id'
  | 'bad-content-length'
  | 'body-truncated'
  | 'duplicate-header'
  | 'bad-status';

export interface SipParseError {
  readonly reason: SipParseErrorReason;
  /**
   * What is wrong, naming the header (or the request line) at fault, e.g. 'missing Call-ID'. A
   * constant (never bytes of the message), so it can go into a `Warning` header as it is.
   */
  readonly detail: string;
  /**
   * True when the message was recognisably a request (a method token, then SP) whose top Via
   * could be read, so a stateless error can be built and sent back (RFC 3261 §8.2.6, §16.3): the
   * Via tells where the answer goes (§18.2.2), and the copied From, To, Call-ID and CSeq (when
   * present) let the client match it.
   */
  readonly canReply: boolean;
  /** When `canReply`, the partially parsed request to build the 400 from. */
  readonly partial?: SipRequest;
}

export type ParseResult =
  | { readonly ok: true; readonly msg: SipMessage }
  | { readonly ok: false; readonly error: SipParseError };

/** A byte-range replacement: `buf[start, end)` is replaced by `insert` (start === end inserts). */
export interface Edit {
  readonly start: number;
  readonly end: number;
  readonly insert: Buffer | string;
}
