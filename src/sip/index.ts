/**
 * @module sip
 * Public API of the SIP message layer: the message model (RFC 3261 §7), the datagram parser, the
 * byte-range editor used to forward messages, stateless response building and status phrases.
 * Pure: no I/O, no timers, no logger.
 */
export type {
  CSeq,
  Edit,
  HeaderField,
  NameAddr,
  Param,
  ParseResult,
  SipMessage,
  SipParseError,
  SipParseErrorReason,
  SipRequest,
  SipResponse,
  SipUri,
  Span,
  Via,
} from './message.js';
export { HeaderId } from './message.js';
export { parseSip } from './parse.js';
export { applyEdits, insertAt, removeLine, removeListValue, removeListValues, replaceSpan, trailingBytesEdit } from './serialize.js';
export { checkRequest, type RequestFault, type RequestFaultKind } from './validate.js';
export { buildResponse, type BuildResponseOptions } from './build-response.js';
export { REASON_PHRASES, reasonPhrase } from './status.js';
export { COMPACT_FORMS, HEADER_NAMES, headerIdOf, longHeaderName } from './compact-forms.js';
export { parseSipUri } from './parse-uri.js';
export { hasHeaderParam, parseNameAddr, parseNameAddrList } from './parse-name-addr.js';
export { parseFirstVia, parseViaLine } from './parse-via.js';
export { parseCSeq, parseContentLength, parseMaxForwards, parseRetryAfter, isValidCallId } from './parse-headers.js';
export { isDottedQuad, isNumericDomain } from './host.js';
