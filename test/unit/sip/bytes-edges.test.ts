/**
 * Boundaries of the byte helpers: ranges that do not start at 0, bytes just outside the range,
 * empty ranges, the last byte, and the ASCII letter edges of case folding.
 */
import { describe, it, expect } from 'vitest';
import {
  TOKEN,
  eqExact,
  eqLower,
  eqRanges,
  internLatin1,
  isDigit,
  latin1,
  lowerByte,
  methodString,
  paramName,
  parseUint,
  quotedEnd,
  skipClass,
  skipLws,
  transportString,
  trimLwsEnd,
} from '../../../src/sip/bytes.js';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('LWS and class scanning stop at the range end', () => {
  it('skipLws never passes `end`', () => {
    expect(skipLws(b('   x'), 0, 2)).toBe(2);
    expect(skipLws(b('   x'), 0, 4)).toBe(3);
    expect(skipLws(b(' \t\r\nx'), 0, 5)).toBe(4);
    expect(skipLws(b('x  '), 1, 1)).toBe(1);
  });

  it('trimLwsEnd never goes below `start`', () => {
    expect(trimLwsEnd(b('    '), 1, 3)).toBe(1);
    expect(trimLwsEnd(b('  a  '), 1, 5)).toBe(3);
    expect(trimLwsEnd(b('a\r\n\t '), 0, 5)).toBe(1);
    expect(trimLwsEnd(b(' '), 1, 1)).toBe(1);
  });

  it('skipClass never passes `end`', () => {
    expect(skipClass(b('abcd'), 0, 2, TOKEN)).toBe(2);
    expect(skipClass(b('ab;d'), 0, 4, TOKEN)).toBe(2);
    expect(skipClass(b('abcd'), 1, 4, TOKEN)).toBe(4);
  });

  it('isDigit is true for 0..9 only', () => {
    expect([0x2f, 0x30, 0x39, 0x3a].map(isDigit)).toEqual([false, true, true, false]);
    expect(isDigit(undefined)).toBe(false);
  });
});

describe('case folding', () => {
  it('lowerByte lowers A..Z only', () => {
    expect(lowerByte(0x40)).toBe(0x40);
    expect(lowerByte(0x41)).toBe(0x61);
    expect(lowerByte(0x5a)).toBe(0x7a);
    expect(lowerByte(0x5b)).toBe(0x5b);
    expect(lowerByte(0x61)).toBe(0x61);
    expect(lowerByte(0x30)).toBe(0x30);
    expect(lowerByte(0x0d)).toBe(0x0d);
    expect(lowerByte(0xc1)).toBe(0xc1);
  });

  it('eqLower compares the whole range, any case, the last byte too', () => {
    const buf = b('xxBrAnChyy');
    expect(eqLower(buf, 2, 8, 'branch')).toBe(true);
    expect(eqLower(buf, 2, 7, 'branch')).toBe(false);
    expect(eqLower(buf, 2, 9, 'branch')).toBe(false);
    expect(eqLower(b('branci'), 0, 6, 'branch')).toBe(false);
    expect(eqLower(b('[ranch'), 0, 6, '{ranch')).toBe(false);
    expect(eqLower(buf, 4, 4, '')).toBe(true);
  });

  it('eqExact is case-sensitive and checks length and every byte', () => {
    const buf = b('..INVITE..');
    expect(eqExact(buf, 2, 8, 'INVITE')).toBe(true);
    expect(eqExact(buf, 2, 8, 'invite')).toBe(false);
    expect(eqExact(buf, 2, 7, 'INVITE')).toBe(false);
    expect(eqExact(buf, 2, 9, 'INVITE')).toBe(false);
    expect(eqExact(b('INVITF'), 0, 6, 'INVITE')).toBe(false);
    expect(eqExact(b('JNVITE'), 0, 6, 'INVITE')).toBe(false);
    expect(eqExact(buf, 3, 3, '')).toBe(true);
  });
});

describe('eqRanges', () => {
  const buf = b('abcXabcYabdZab');
  it('is true for equal ranges anywhere in the buffer', () => {
    expect(eqRanges(buf, 0, 3, 4, 7)).toBe(true);
    expect(eqRanges(buf, 4, 7, 0, 3)).toBe(true);
    expect(eqRanges(buf, 1, 3, 5, 7)).toBe(true);
    expect(eqRanges(buf, 2, 2, 9, 9)).toBe(true);
  });

  it('is false when a byte differs, the last one included', () => {
    expect(eqRanges(buf, 0, 3, 8, 11)).toBe(false);
    expect(eqRanges(buf, 8, 11, 4, 7)).toBe(false);
    expect(eqRanges(buf, 0, 4, 4, 8)).toBe(false);
  });

  it('is false when the lengths differ, even with a common prefix', () => {
    expect(eqRanges(buf, 0, 3, 4, 8)).toBe(false);
    expect(eqRanges(buf, 0, 2, 12, 14)).toBe(true);
    expect(eqRanges(buf, 0, 3, 12, 14)).toBe(false);
    expect(eqRanges(buf, 0, 2, 4, 7)).toBe(false);
  });
});

describe('latin1 and internLatin1', () => {
  it('latin1 decodes exactly the range; an empty or reversed range is empty', () => {
    const buf = b('ab\u00e9cd');
    expect(latin1(buf, 1, 4)).toBe('b\u00e9c');
    expect(latin1(buf, 3, 3)).toBe('');
    expect(latin1(buf, 4, 2)).toBe('');
  });

  it('internLatin1 decodes exactly the range, short and long, empty and reversed', () => {
    const buf = b('xx' + 'abcdefghijklmnopqrstu' + 'yy');
    for (let n = 0; n <= 21; n++) expect(internLatin1(buf, 2, 2 + n)).toBe('abcdefghijklmnopqrstu'.slice(0, n));
    expect(internLatin1(buf, 5, 3)).toBe('');
    expect(internLatin1(buf, 2, 18)).toBe('abcdefghijklmnop');
    expect(internLatin1(buf, 2, 19)).toBe('abcdefghijklmnopq');
  });

  it('a cached longer string never answers for its prefix in the same slot', () => {
    // FNV-1a as bytes.ts computes it, to find a string whose prefix falls in the same slot.
    const slot = (s: string) => {
      let h = 0x811c9dc5;
      for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
      return (h ^ (h >>> 15)) & 511;
    };
    let long = '';
    for (let i = 0; i < 200000 && long === ''; i++) {
      const s = `h${i.toString(36)}zz`;
      if (slot(s) === slot(s.slice(0, -1))) long = s;
    }
    expect(long).not.toBe('');
    const short = long.slice(0, -1);
    const buf = b(`;${long};`);
    expect(internLatin1(buf, 1, 1 + long.length)).toBe(long);
    expect(internLatin1(buf, 1, long.length)).toBe(short);
    expect(internLatin1(buf, 1, 1 + long.length)).toBe(long);
    // same slot, same length, different bytes
    let other = '';
    for (let i = 0; i < 200000 && other === ''; i++) {
      const s = `q${i.toString(36)}`.padEnd(short.length, 'x').slice(0, short.length);
      if (s !== short && slot(s) === slot(short)) other = s;
    }
    if (other !== '') {
      expect(internLatin1(b(other), 0, other.length)).toBe(other);
      expect(internLatin1(buf, 1, long.length)).toBe(short);
      expect(internLatin1(b(`..${other}`), 2, 2 + other.length)).toBe(other);
    }
  });
});

describe('token tables', () => {
  it('methodString: known methods, unknown tokens of a known length, any offset', () => {
    const buf = b('..BYE..FOO..REGISTER..invite');
    expect(methodString(buf, 2, 5)).toBe('BYE');
    expect(methodString(buf, 7, 10)).toBe('FOO');
    expect(methodString(buf, 12, 20)).toBe('REGISTER');
    expect(methodString(buf, 22, 28)).toBe('invite');
    expect(methodString(b('ACKX'), 0, 4)).toBe('ACKX');
    expect(methodString(b('AC'), 0, 2)).toBe('AC');
    expect(methodString(b('SUBSCRIBERS'), 0, 11)).toBe('SUBSCRIBERS');
  });

  it('paramName: lower-cased, known or not', () => {
    expect(paramName(b(';BRANCH='), 1, 7)).toBe('branch');
    expect(paramName(b('Foo'), 0, 3)).toBe('foo');
    expect(paramName(b('TAG'), 0, 3)).toBe('tag');
    expect(paramName(b('Tab'), 0, 3)).toBe('tab');
    expect(paramName(b('X'), 0, 1)).toBe('x');
    expect(paramName(b('Q'), 0, 1)).toBe('q');
    expect(paramName(b('a-very-long-parameter'), 0, 21)).toBe('a-very-long-parameter');
  });

  it('transportString: upper-cased, known or not', () => {
    expect(transportString(b('/udp;'), 1, 4)).toBe('UDP');
    expect(transportString(b('tls-sctp'), 0, 8)).toBe('TLS-SCTP');
    expect(transportString(b('Wss'), 0, 3)).toBe('WSS');
    expect(transportString(b('quic'), 0, 4)).toBe('QUIC');
    expect(transportString(b('x'), 0, 0)).toBe('');
  });
});

describe('parseUint and quotedEnd', () => {
  it('parseUint: digits only, bounded length, non-empty', () => {
    expect(parseUint(b('x0042y'), 1, 5, 4)).toBe(42);
    expect(parseUint(b('x0042y'), 1, 5, 3)).toBe(-1);
    expect(parseUint(b('x0042y'), 1, 6, 10)).toBe(-1);
    expect(parseUint(b('/9:'), 0, 3, 10)).toBe(-1);
    expect(parseUint(b('/9:'), 1, 2, 1)).toBe(9);
    expect(parseUint(b('12'), 1, 1, 5)).toBe(-1);
  });

  it('quotedEnd: the closing quote must be inside the range', () => {
    expect(quotedEnd(b('"abc"'), 0, 5)).toBe(5);
    expect(quotedEnd(b('"abc"'), 0, 4)).toBe(-1);
    expect(quotedEnd(b('"a\\"c"x'), 0, 7)).toBe(6);
    expect(quotedEnd(b('"a\\"'), 0, 4)).toBe(-1);
    expect(quotedEnd(b('x"ab"'), 1, 5)).toBe(5);
    expect(quotedEnd(b('""'), 0, 2)).toBe(2);
  });
});
