/**
 * @module errors
 * The one error base class of siplb and its table of stable codes. Codes never change meaning
 * and are never reused; the README lists every one (a test checks that).
 */

export const ERROR_CODES = {
  SIPLB_ERR_CONFIG_INVALID: 'The configuration file failed validation',
  SIPLB_ERR_CONFIG_READ: 'The configuration file could not be read or parsed',
  SIPLB_ERR_SIP_PARSE: 'A SIP message could not be parsed',
  SIPLB_ERR_BIND: 'A socket could not be bound to its configured address',
  SIPLB_ERR_ADMIN_AUTH: 'The admin API request lacked a valid bearer token (or changed state over TCP on a node without one)',
  SIPLB_ERR_ADMIN_BAD_REQUEST: 'The admin API request was malformed',
  SIPLB_ERR_ADMIN_NOT_FOUND: 'The admin API route or object does not exist',
  SIPLB_ERR_ADMIN_UNREACHABLE: 'The CLI could not reach the admin API',
  SIPLB_ERR_ADMIN_FORBIDDEN: 'The admin API refused a request that may come from another web page (cross-origin, not JSON, or a non-loopback Host without a token)',
  SIPLB_ERR_UNKNOWN_BACKEND: 'No backend with that id is configured',
  SIPLB_ERR_HA_LEASE: 'The Redis leader lease could not be acquired or renewed',
  SIPLB_ERR_PROBE_TIMEOUT: 'A SIP OPTIONS probe got no reply in time',
  SIPLB_ERR_DNS_LOOKUP: 'A DNS lookup of backends[].host or backends[].srv failed (the last good answer stays in use)',
  SIPLB_ERR_TLS_FILES: 'A TLS certificate, key or CA file could not be read or does not form a usable TLS context',
  SIPLB_ERR_INTERNAL: 'An unexpected internal error',
} as const;

export type SiplbErrorCode = keyof typeof ERROR_CODES;

export class SiplbError extends Error {
  override readonly name = 'SiplbError';
  readonly code: SiplbErrorCode;

  constructor(code: SiplbErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

export function isSiplbError(err: unknown): err is SiplbError {
  return err instanceof SiplbError;
}
