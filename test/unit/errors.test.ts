import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, SiplbError, isSiplbError } from '../../src/errors.js';

describe('error codes', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  it.each(Object.keys(ERROR_CODES))('%s is documented in the README error table', (code) => {
    expect(readme).toContain(`| \`${code}\` |`);
  });
  it('carries its code and cause', () => {
    const cause = new Error('x');
    const e = new SiplbError('SIPLB_ERR_BIND', 'cannot bind', { cause });
    expect(e.code).toBe('SIPLB_ERR_BIND');
    expect(e.cause).toBe(cause);
    expect(isSiplbError(e)).toBe(true);
    expect(isSiplbError(new Error('y'))).toBe(false);
  });
});
