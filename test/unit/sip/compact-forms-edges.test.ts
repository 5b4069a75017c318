import { describe, it, expect } from 'vitest';
import { COMPACT_FORMS, HEADER_NAMES, HeaderId, headerIdOf, longHeaderName } from '../../../src/sip/index.js';

const id = (name: string) => {
  const buf = Buffer.from(`..${name}:`, 'latin1');
  return headerIdOf(buf, 2, 2 + name.length);
};

describe('headerIdOf', () => {
  it('knows every long name in any case', () => {
    const known: Array<[string, HeaderId]> = [
      ['To', HeaderId.TO],
      ['VIA', HeaderId.VIA],
      ['CSeq', HeaderId.CSEQ],
      ['FROM', HeaderId.FROM],
      ['Route', HeaderId.ROUTE],
      ['Server', HeaderId.SERVER],
      ['SERVER', HeaderId.SERVER],
      ['Call-ID', HeaderId.CALL_ID],
      ['Contact', HeaderId.CONTACT],
      ['User-Agent', HeaderId.USER_AGENT],
      ['Retry-After', HeaderId.RETRY_AFTER],
      ['Max-Forwards', HeaderId.MAX_FORWARDS],
      ['Record-Route', HeaderId.RECORD_ROUTE],
      ['Content-Type', HeaderId.CONTENT_TYPE],
      ['Proxy-Require', HeaderId.PROXY_REQUIRE],
      ['Content-Length', HeaderId.CONTENT_LENGTH],
    ];
    for (const [name, want] of known) {
      expect(id(name)).toBe(want);
      expect(HEADER_NAMES[want].toLowerCase()).toBe(name.toLowerCase());
    }
  });

  it('knows the compact forms a proxy needs, in any case', () => {
    const compact: Array<[string, HeaderId]> = [
      ['v', HeaderId.VIA],
      ['I', HeaderId.CALL_ID],
      ['l', HeaderId.CONTENT_LENGTH],
      ['F', HeaderId.FROM],
      ['t', HeaderId.TO],
      ['M', HeaderId.CONTACT],
      ['c', HeaderId.CONTENT_TYPE],
      ['k', HeaderId.OTHER],
      ['x', HeaderId.OTHER],
    ];
    for (const [name, want] of compact) expect(id(name)).toBe(want);
  });

  it('a name of the right length and first letter but another spelling is OTHER', () => {
    for (const name of [
      'tx',
      'vim',
      'cseg',
      'frog',
      'routx',
      'serves',
      'contacx',
      'call-ix',
      'user-agenx',
      'retry-aftex',
      'max-forwardx',
      'record-routx',
      'content-typx',
      'proxy-requirx',
      'content-lengtx',
    ]) {
      expect(id(name)).toBe(HeaderId.OTHER);
    }
  });

  it('a name spelt right but for its first letter is OTHER', () => {
    for (const name of ['xo', 'xia', 'xseq', 'xrom', 'xoute', 'xerver', 'xall-id', 'xser-agent', 'xetry-after', 'xax-forwards', 'xecord-route', 'xontent-type', 'xroxy-require', 'xontent-length']) {
      expect(id(name)).toBe(HeaderId.OTHER);
    }
  });

  it('other lengths are OTHER', () => {
    for (const name of ['', 'Subject', 'Min-SE', 'Expires', 'Allow', 'Supported', 'Content-Encoding', 'X-A']) expect(id(name)).toBe(HeaderId.OTHER);
  });
});

describe('longHeaderName', () => {
  it('expands compact forms in either case; other names come back as given', () => {
    expect(longHeaderName('v')).toBe('Via');
    expect(longHeaderName('X')).toBe('Session-Expires');
    expect(longHeaderName('z')).toBe('z');
    expect(longHeaderName('Via')).toBe('Via');
    expect(longHeaderName('Constructor')).toBe('Constructor');
    expect(longHeaderName('toString')).toBe('toString');
    expect(Object.keys(COMPACT_FORMS)).toHaveLength(20);
  });
});
