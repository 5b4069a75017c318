/**
 * Header parameters of a name-addr (RFC 3261 §20.10, §25.1 generic-param) are checked by the parse
 * but collected into `params` only when read; `hasHeaderParam` answers from the bytes.
 */
import { describe, expect, it } from 'vitest';
import { hasHeaderParam, parseNameAddr } from '../../../src/sip/index.js';
import type { NameAddr } from '../../../src/sip/message.js';

const na = (s: string): NameAddr => {
  const v = parseNameAddr(Buffer.from(s, 'latin1'), 0, s.length, 0);
  if (v === undefined) throw new Error(`not a name-addr: ${s}`);
  return v;
};

describe('hasHeaderParam', () => {
  it('finds a header parameter in any case, with or without a value, with LWS around', () => {
    expect(hasHeaderParam(na('<sip:a@b>;tag=1'), 'tag')).toBe(true);
    expect(hasHeaderParam(na('<sip:a@b> ; TAG = "x;y"'), 'tag')).toBe(true);
    expect(hasHeaderParam(na('"A" <sip:a@b>;x=1;tag'), 'tag')).toBe(true);
    expect(hasHeaderParam(na('sip:a@b;tag=9'), 'tag')).toBe(true); // addr-spec: ;params are header params
  });

  it('does not take a URI parameter, a longer name or a quoted value for one', () => {
    expect(hasHeaderParam(na('<sip:a@b;tag=1>'), 'tag')).toBe(false);
    expect(hasHeaderParam(na('<sip:a@b>;tags=1;x-tag'), 'tag')).toBe(false);
    expect(hasHeaderParam(na('<sip:a@b>;x=";tag=1"'), 'tag')).toBe(false);
    expect(hasHeaderParam(na('<sip:a@b>'), 'tag')).toBe(false);
  });

  it('agrees with params, read before or after, and with a value that is not a parsed one', () => {
    const v = na('<sip:a@b;lr>;Tag=AbC;expires=60;tag=second');
    expect(hasHeaderParam(v, 'expires')).toBe(true);
    expect([...v.params]).toEqual([
      ['tag', 'AbC'],
      ['expires', '60'],
    ]);
    expect(hasHeaderParam(v, 'tag')).toBe(true);
    expect(hasHeaderParam(v, 'lr')).toBe(false);
    const literal: NameAddr = { fieldIndex: 0, span: { start: 0, end: 0 }, displayName: undefined, uriText: '', uri: undefined, params: new Map([['tag', 'x']]) };
    expect(hasHeaderParam(literal, 'tag')).toBe(true);
    expect(hasHeaderParam(literal, 'other')).toBe(false);
  });

  it('still refuses a malformed parameter list at parse time', () => {
    expect(parseNameAddr(Buffer.from('<sip:a@b>;=1'), 0, 10, 0)).toBeUndefined();
    expect(parseNameAddr(Buffer.from('<sip:a@b>;x="open'), 0, 17, 0)).toBeUndefined();
  });
});
