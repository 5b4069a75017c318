import { describe, it, expect } from 'vitest';
import { parseCSeq, parseNameAddr, parseNameAddrList, parseRetryAfter } from '../../../src/sip/index.js';
import type { NameAddr } from '../../../src/sip/index.js';

const b = (s: string) => Buffer.from(s, 'latin1');
const one = (s: string, end = s.length) => parseNameAddr(b(s), 0, end, 3);
function list(s: string): NameAddr[] | undefined {
  const out: NameAddr[] = [];
  return parseNameAddrList(b(s), 0, s.length, 0, out) ? out : undefined;
}

describe('parseNameAddr', () => {
  it('caches the parsed URI', () => {
    const v = one('Bob <sip:bob@example.com;lr>;tag=1')!;
    expect(v.uri).toBe(v.uri);
    expect(v.uri?.user).toBe('bob');
    expect(v.displayName).toBe('Bob');
    expect(v.fieldIndex).toBe(3);
  });

  it('resolves backslash escapes in a quoted display name', () => {
    expect(one('"Al\\"ice" <sip:a@example.com>')?.displayName).toBe('Al"ice');
    expect(one('"x\\\\y" <sip:a@example.com>')?.displayName).toBe('x\\y');
    expect(one('"Bob Smith" <sip:a@example.com>')?.displayName).toBe('Bob Smith');
    expect(one('"" <sip:a@example.com>')?.displayName).toBe('');
  });

  it('a quoted display name must be followed by <', () => {
    expect(one('"Bob" sip:b@example.com')).toBeUndefined();
    expect(one('"Bob')).toBeUndefined();
  });

  it('stops at `end` even when the buffer goes on', () => {
    const s = '<sip:a@example.com>;tag=1';
    const v = one(s, 19)!;
    expect(v.uriText).toBe('sip:a@example.com');
    expect(v.params.size).toBe(0);
    expect(v.span).toEqual({ start: 0, end: 19 });
    const w = one('<sip:a@example.com>;lr=1', 22)!;
    expect([...w.params]).toEqual([['lr', undefined]]);
    const spec = one('sip:a@bXYZ', 7)!;
    expect(spec.uriText).toBe('sip:a@b');
    expect(spec.span).toEqual({ start: 0, end: 7 });
  });

  it('reads flag, token and quoted parameter values; the first of a repeated name wins', () => {
    const v = one('<sip:a@example.com>;lr;x=1 ; Tag = "q;v" ;tag=2')!;
    expect([...v.params]).toEqual([
      ['lr', undefined],
      ['x', '1'],
      ['tag', '"q;v"'],
    ]);
  });

  it('rejects malformed parameters', () => {
    for (const s of ['<sip:a@example.com>;', '<sip:a@example.com>;;x', '<sip:a@example.com>; =1', '<sip:a@example.com>;p=', '<sip:a@example.com>;p=;q', '<sip:a@example.com>;p="open', 'sip:a@example.com;=x']) {
      expect(one(s)).toBeUndefined();
    }
  });

  it('an addr-spec ends at ; , whitespace < > or "', () => {
    expect(one('sip:a@example.com;tag=1')?.params.get('tag')).toBe('1');
    expect(one('sip:a@example.com<x')).toBeUndefined();
    expect(one('sip:a@example.com>x')).toBeUndefined();
    expect(one('sip:a@example.com"x"')).toBeUndefined();
    expect(one('sip:a@example.com x')).toBeUndefined();
    expect(one('sip:a@example.com')?.uriText).toBe('sip:a@example.com');
    expect(one('nocolon')).toBeUndefined();
  });

  it('holds exactly one value', () => {
    expect(one('<sip:a@example.com>, <sip:b@example.com>')).toBeUndefined();
    expect(one('<sip:a@example.com> junk')).toBeUndefined();
    expect(one('<sip:a@example.com>  ')?.span).toEqual({ start: 0, end: 19 });
  });
});

describe('parseNameAddrList', () => {
  it('splits at commas, also between addr-specs', () => {
    expect(list('sip:a@example.com,sip:b@example.com')?.map((v) => v.uriText)).toEqual(['sip:a@example.com', 'sip:b@example.com']);
    expect(list('<sip:a@example.com> , "B" <sip:b@example.com>;lr')?.map((v) => v.uriText)).toEqual(['sip:a@example.com', 'sip:b@example.com']);
  });

  it('fails on anything but a comma between values', () => {
    expect(list('<sip:a@example.com> x<sip:b@example.com>')).toBeUndefined();
    expect(list('<sip:a@example.com>,')).toBeUndefined();
    expect(list('<sip:a@example.com>,,<sip:b@example.com>')).toBeUndefined();
  });
});

describe('parseCSeq', () => {
  const cseq = (s: string) => parseCSeq(b(s), 0, s.length);
  it('accepts up to 2**31 - 1', () => {
    expect(cseq('2147483647 INVITE')).toEqual({ seq: 2147483647, method: 'INVITE' });
    expect(cseq('2147483648 INVITE')).toBeUndefined();
    expect(cseq('0 ACK')).toEqual({ seq: 0, method: 'ACK' });
    expect(cseq('19 FOO')).toEqual({ seq: 19, method: 'FOO' });
  });

  it('needs digits, whitespace and exactly one method token', () => {
    expect(cseq(' INVITE')).toBeUndefined();
    expect(cseq('1INVITE')).toBeUndefined();
    expect(cseq('1 INVITE x')).toBeUndefined();
    expect(cseq('1 ')).toBeUndefined();
    expect(cseq('1 \t INVITE')).toEqual({ seq: 1, method: 'INVITE' });
  });
});

describe('parseRetryAfter', () => {
  const ra = (s: string, end = s.length) => parseRetryAfter(b(s), 0, end);
  it('reads the leading delta-seconds, 0 and 9 included', () => {
    expect(ra('0')).toBe(0);
    expect(ra('19')).toBe(19);
    expect(ra('90 (busy);duration=30')).toBe(90);
    expect(ra('90;duration=30')).toBe(90);
    expect(ra('90(x)')).toBe(90);
    expect(ra('12', 1)).toBe(1);
  });

  it('rejects what is no delta-seconds', () => {
    expect(ra('')).toBeUndefined();
    expect(ra('x')).toBeUndefined();
    expect(ra('120abc')).toBeUndefined();
  });
});
