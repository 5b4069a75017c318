/**
 * @module admin/reply
 * The response value handlers return, and the builders for JSON and error answers. Every error
 * answer has the AdminErrorBody shape with a stable SIPLB_ERR_* code, so scripts can branch on
 * the code rather than on the message.
 */
import type { SiplbErrorCode } from '../errors.js';
import type { AdminErrorBody } from '../api/control.js';

export interface AdminResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** Admin answers are state snapshots: never cache them. */
const COMMON = { 'cache-control': 'no-store' } as const;

export function json(status: number, value: unknown, headers: Record<string, string> = {}): AdminResponse {
  return { status, headers: { ...COMMON, 'content-type': JSON_TYPE, ...headers }, body: `${JSON.stringify(value)}\n` };
}

export function text(status: number, body: string, contentType: string): AdminResponse {
  return { status, headers: { ...COMMON, 'content-type': contentType }, body };
}

export function errorReply(status: number, code: SiplbErrorCode, message: string, headers: Record<string, string> = {}): AdminResponse {
  const body: AdminErrorBody = { error: { code, message } };
  return json(status, body, headers);
}
