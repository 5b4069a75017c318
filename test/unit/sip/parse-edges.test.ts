/**
 * parseSip's exact verdicts: every (reason, detail, canReply) of the start line, header scan,
 * mandatory-header and Content-Length checks, and the exact offsets of a good parse.
 */
import { describe, it, expect } from 'vitest';
import { HeaderId, parseSip } from '../../../src/sip/index.js';
import type { ParseResult, SipMessage } from '../../../src/sip/index.js';

const REQ_HEADERS = ['Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-pe', 'From: <sip:a@example.com>;tag=f', 'To: <sip:b@example.com>', 'Call-ID: pe-1@example.com', 'CSeq: 1 OPTIONS'];
const RES_HEADERS = ['Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-pe', 'From: <sip:a@example.com>;tag=f', 'To: <sip:b@example.com>;tag=t', 'Call-ID: pe-1@example.com', 'CSeq: 1 OPTIONS'];

/** start line + header lines + empty line + body, CRLF (or `eol`) line ends. */
function raw(start: string, headers: string[], body = '', eol = '\r\n'): Buffer {
  return Buffer.from([start, ...headers, '', body].join(eol), 'latin1');
}

const req = (start: string, headers = REQ_HEADERS, body = '') => parseSip(raw(start, headers, body));
const res = (start: string, headers = RES_HEADERS, body = '') => parseSip(raw(start, headers, body));

function verdict(r: ParseResult): string {
  return r.ok ? 'ok' : `${r.error.reason} | ${r.error.detail} | ${r.error.canReply ? 'reply' : 'drop'}`;
}

function ok(r: ParseResult): SipMessage {
  if (!r.ok) throw new Error(`expected ok, got ${verdict(r)}`);
  return r.msg;
}

describe('empty and unterminated datagrams', () => {
  it('no start line', () => {
    expect(verdict(parseSip(Buffer.alloc(0)))).toBe('empty | no start line | drop');
    expect(verdict(parseSip(Buffer.from('\r\n\r\n\n')))).toBe('empty | no start line | drop');
  });

  it('no line end after the start line', () => {
    expect(verdict(parseSip(Buffer.from('OPTIONS sip:b@example.com SIP/2.0')))).toBe('headers-unterminated | no line end after start line | drop');
    expect(verdict(parseSip(Buffer.from('SIP/2.0 200 OK')))).toBe('headers-unterminated | no line end after start line | drop');
  });

  it('no empty line after the headers', () => {
    expect(verdict(parseSip(Buffer.from(['OPTIONS sip:b@example.com SIP/2.0', ...REQ_HEADERS, ''].join('\r\n'))))).toBe('headers-unterminated | no empty line after headers | drop');
    expect(verdict(parseSip(Buffer.from(['OPTIONS sip:b@example.com SIP/2.0', ...REQ_HEADERS].join('\r\n'))))).toBe('headers-unterminated | no empty line after headers | drop');
    expect(verdict(parseSip(Buffer.from(['OPTIONS sip:b@example.com SIP/2.0', ...REQ_HEADERS, 'Subject'].join('\r\n'))))).toBe('headers-unterminated | no empty line after headers | drop');
  });

  it('drop verdicts are shared frozen values', () => {
    const a = parseSip(Buffer.from('garbage\r\n\r\n'));
    const b = parseSip(Buffer.from('rubbish\r\n\r\n'));
    expect(a).toBe(b);
    expect(Object.isFrozen(a)).toBe(true);
    expect(parseSip(Buffer.alloc(0))).toBe(parseSip(Buffer.from('\r\n')));
  });
});

describe('status line', () => {
  const cases: Array<[string, string]> = [
    ['SIP/2.0 200 OK', 'ok'],
    ['sip/2.0 200 OK', 'ok'],
    ['SIP/2.0 200', 'ok'],
    ['SIP/2.0 100 Trying', 'ok'],
    ['SIP/2.0 699 Whatever', 'ok'],
    ['SIP/2.0', 'bad-start-line | malformed status line | drop'],
    ['SIP/2.0 20', 'bad-start-line | malformed status line | drop'],
    ['SIP/2 200 OK', 'bad-start-line | malformed status line | drop'],
    ['SIP/.00 200 OK', 'bad-start-line | malformed status line | drop'],
    ['SIP/x.0 200 OK', 'bad-start-line | malformed status line | drop'],
    ['SIP/200 200 OK', 'bad-start-line | malformed status line | drop'],
    ['SIP/22. 200 OK', 'bad-start-line | malformed status line | drop'],
    ['SIP/2.0x 200 OK', 'bad-start-line | malformed status line | drop'],
    ['SIP/2.x0 200 OK', 'bad-start-line | malformed status line | drop'],
    ['SIP/3.0 200 OK', 'bad-version | unsupported SIP version | drop'],
    ['SIP/22.10 200 OK', 'bad-version | unsupported SIP version | drop'],
    ['SIP/2.0 2x0 OK', 'bad-status | status code is not 3 digits | drop'],
    ['SIP/2.0 2000 OK', 'bad-status | status code is not 3 digits | drop'],
    ['SIP/2.0 000 Zero', 'bad-status | status code out of range | drop'],
    ['SIP/2.0 099 Low', 'bad-status | status code out of range | drop'],
    ['SIP/2.0 700 High', 'bad-status | status code out of range | drop'],
  ];
  for (const [line, want] of cases) {
    it(`${JSON.stringify(line)} → ${want}`, () => expect(verdict(res(line))).toBe(want));
  }

  it('status and reason phrase', () => {
    const m = ok(res('SIP/2.0 486 Busy Here'));
    if (m.kind !== 'response') throw new Error('fixture');
    expect(m.status).toBe(486);
    expect(m.reason).toBe('Busy Here');
    const bare = ok(res('SIP/2.0 200'));
    if (bare.kind !== 'response') throw new Error('fixture');
    expect(bare.reason).toBe('');
    const sp = ok(res('SIP/2.0 200 '));
    if (sp.kind !== 'response') throw new Error('fixture');
    expect(sp.reason).toBe('');
  });
});

describe('request line', () => {
  const cases: Array<[string, string]> = [
    ['OPTIONS sip:b@example.com SIP/2.0', 'ok'],
    ['OPTIONS sip:b@example.com sip/2.0', 'ok'],
    ['/OPTIONS sip:b@example.com SIP/2.0', 'bad-start-line | malformed request line | drop'],
    ['OPTIONS', 'bad-start-line | malformed request line | drop'],
    ['OPTIONS\tsip:b@example.com SIP/2.0', 'bad-start-line | malformed request line | drop'],
    ['OPTIONS ', 'bad-start-line | malformed Request-Line | reply'],
    ['OPTIONS sip:b@example.com', 'bad-start-line | malformed Request-Line | reply'],
    ['OPTIONS sip:b@example.com ', 'bad-start-line | malformed Request-Line | reply'],
    ['OPTIONS sip:b@example.com FOO/2.0', 'bad-start-line | malformed Request-Line | reply'],
    ['OPTIONS sip:b@example.com SIP/3.0', 'bad-version | SIP version not supported | reply'],
    ['OPTIONS 1sip:b SIP/2.0', 'bad-start-line | malformed Request-URI | reply'],
    ['OPTIONS sip: SIP/2.0', 'bad-start-line | malformed Request-URI | reply'],
    ['OPTIONS sip SIP/2.0', 'bad-start-line | malformed Request-URI | reply'],
    ['OPTIONS s_p:b SIP/2.0', 'bad-start-line | malformed Request-URI | reply'],
    ['OPTIONS sip:b\x7f SIP/2.0', 'bad-start-line | malformed Request-URI | reply'],
    ['OPTIONS sip:b\x80 SIP/2.0', 'bad-start-line | malformed Request-URI | reply'],
    ['OPTIONS sip:b\tc SIP/2.0', 'bad-start-line | malformed Request-URI | reply'],
    ['OPTIONS sip:b~"! SIP/2.0', 'ok'],
    ['OPTIONS s+-.9:b SIP/2.0', 'ok'],
    ['OPTIONS sip:: SIP/2.0', 'ok'],
  ];
  for (const [line, want] of cases) {
    it(`${JSON.stringify(line)} → ${want}`, () => expect(verdict(req(line))).toBe(want));
  }

  it('accepts exactly the letters as the first scheme byte', () => {
    for (const c of ['A', 'Z', 'a', 'z']) expect(verdict(req(`OPTIONS ${c}:x SIP/2.0`))).toBe('ok');
    for (const c of ['@', '[', '`', '{', '0']) expect(verdict(req(`OPTIONS ${c}:x SIP/2.0`))).toBe('bad-start-line | malformed Request-URI | reply');
  });

  it('accepts exactly alphanumerics and + - . in the rest of the scheme', () => {
    for (const c of ['0', '9', 'A', 'Z', 'a', 'z', '+', '-', '.']) expect(verdict(req(`OPTIONS x${c}:x SIP/2.0`))).toBe('ok');
    for (const c of ['/', '@', '[', '`', '{', ',', '*', '_']) expect(verdict(req(`OPTIONS x${c}:x SIP/2.0`))).toBe('bad-start-line | malformed Request-URI | reply');
  });

  it('accepts exactly the visible ASCII after the colon', () => {
    expect(verdict(req('OPTIONS x:!~ SIP/2.0'))).toBe('ok');
    expect(verdict(req('OPTIONS x:a\x1fb SIP/2.0'))).toBe('bad-start-line | malformed Request-URI | reply');
  });

  it('without a Via, a request-line fault is dropped with its own reason', () => {
    const noVia = REQ_HEADERS.slice(1);
    expect(verdict(req('OPTIONS sip:b@example.com SIP/3.0', noVia))).toBe('bad-version | SIP version not supported | drop');
    expect(verdict(req('OPTIONS sip:b@example.com', noVia))).toBe('bad-start-line | malformed Request-Line | drop');
    expect(verdict(req('OPTIONS sip:b@example.com SIP/2.0', noVia))).toBe('missing-via | missing Via | drop');
  });

  it('method, Request-URI span and text', () => {
    const m = ok(parseSip(raw('\r\n\r\nINVITE sip:b@example.com SIP/2.0', REQ_HEADERS.map((h) => h.replace('1 OPTIONS', '1 INVITE')))));
    if (m.kind !== 'request') throw new Error('fixture');
    expect(m.method).toBe('INVITE');
    expect(m.uriSpan).toEqual({ start: 11, end: 28 });
    expect(m.uriText).toBe('sip:b@example.com');
    expect(m.headersStart).toBe(4 + 'INVITE sip:b@example.com SIP/2.0\r\n'.length);
  });
});

describe('header lines', () => {
  it('a line without a name or a colon is a bad header line', () => {
    expect(verdict(req('OPTIONS sip:b@example.com SIP/2.0', [...REQ_HEADERS, ': x']))).toBe('bad-header-line | header line without name or colon | drop');
    expect(verdict(req('OPTIONS sip:b@example.com SIP/2.0', [...REQ_HEADERS, 'Subject x']))).toBe('bad-header-line | header line without name or colon | drop');
    expect(verdict(req('OPTIONS sip:b@example.com SIP/2.0', [...REQ_HEADERS, '\rSubject: x']))).toBe('bad-header-line | header line without name or colon | drop');
  });

  it('a one-letter line with a bare LF is a bad line, not the end of the headers', () => {
    const r = parseSip(raw('OPTIONS sip:b@example.com SIP/2.0', [...REQ_HEADERS, 'a'], '', '\n'));
    expect(verdict(r)).toBe('bad-header-line | header line without name or colon | drop');
  });

  it('whitespace between name and colon is allowed, SP and HTAB', () => {
    const m = ok(req('OPTIONS sip:b@example.com SIP/2.0', [...REQ_HEADERS, 'Subject \t : hi']));
    const f = m.headers[m.headers.length - 1]!;
    expect(m.valueOf(f)).toBe('hi');
    expect(ok(req('OPTIONS sip:b@example.com SIP/2.0', [...REQ_HEADERS, 'Subject\t: hi'])).headers).toHaveLength(6);
  });

  it('records exact offsets, trimming SP/HTAB around the value', () => {
    const text = 'OPTIONS sip:b@example.com SIP/2.0\r\n' + REQ_HEADERS.join('\r\n') + '\r\nSubject: \t hi there \t \r\nX-Empty:\r\n\r\n';
    const m = ok(parseSip(Buffer.from(text, 'latin1')));
    const subj = m.headers[5]!;
    const lineStart = text.indexOf('Subject');
    expect(subj).toEqual({ id: HeaderId.OTHER, lineStart, lineEnd: text.indexOf('X-Empty'), valueStart: text.indexOf('hi there'), valueEnd: text.indexOf('hi there') + 8 });
    const empty = m.headers[6]!;
    expect(empty.valueStart).toBe(empty.valueEnd);
    expect(empty.valueStart).toBe(text.indexOf('X-Empty:') + 8);
    expect(m.headersEnd).toBe(text.length - 2);
    expect(m.bodyStart).toBe(text.length);
    expect(m.bodyLength).toBe(0);
  });

  it('folds continuation lines into one field, trimming whitespace and line ends at the end', () => {
    const text = 'OPTIONS sip:b@example.com SIP/2.0\r\n' + REQ_HEADERS.join('\r\n') + '\r\nSubject: a\r\n\tb \r\n  \r\nX: 1\r\n\r\n';
    const m = ok(parseSip(Buffer.from(text, 'latin1')));
    const subj = m.headers[5]!;
    expect(subj.lineEnd).toBe(text.indexOf('X: 1'));
    expect(subj.valueEnd).toBe(text.indexOf('\tb ') + 2);
    expect(m.valueOf(subj)).toBe('a b');
    expect(m.headers[6]!.lineStart).toBe(text.indexOf('X: 1'));
  });

  it('a value that starts on the next line skips the line end', () => {
    const text = 'OPTIONS sip:b@example.com SIP/2.0\r\n' + REQ_HEADERS.join('\r\n') + '\r\nSubject:\r\n  hello\r\n\r\n';
    const m = ok(parseSip(Buffer.from(text, 'latin1')));
    expect(m.headers[5]!.valueStart).toBe(text.indexOf('hello'));
    expect(m.valueOf(m.headers[5]!)).toBe('hello');
  });

  it('bare LF line ends work throughout; the body starts after the empty line', () => {
    const m = ok(parseSip(raw('OPTIONS sip:b@example.com SIP/2.0', [...REQ_HEADERS, 'Content-Length: 4'], 'body', '\n')));
    expect(m.buf.toString('latin1', m.bodyStart, m.bodyStart + m.bodyLength)).toBe('body');
    expect(m.bodyLength).toBe(4);
    expect(m.headers[0]!.valueEnd).toBe(m.headers[0]!.lineEnd - 1);
  });

  it('first() is undefined for every id not present', () => {
    const m = ok(req('OPTIONS sip:b@example.com SIP/2.0'));
    for (let id = 0; id < 16; id++) {
      const want = m.headers.find((h) => h.id === id && id !== HeaderId.OTHER);
      expect(m.first(id as HeaderId)).toBe(want);
    }
  });
});

describe('mandatory headers', () => {
  const without = (name: string) => REQ_HEADERS.filter((h) => !h.startsWith(name));
  it('each missing header has its own detail, and the request can be answered', () => {
    expect(verdict(req('OPTIONS sip:b@example.com SIP/2.0', without('Call-ID')))).toBe('missing-header | missing Call-ID | reply');
    expect(verdict(req('OPTIONS sip:b@example.com SIP/2.0', without('CSeq')))).toBe('missing-header | missing CSeq | reply');
    expect(verdict(req('OPTIONS sip:b@example.com SIP/2.0', without('From')))).toBe('missing-header | missing From | reply');
    expect(verdict(req('OPTIONS sip:b@example.com SIP/2.0', without('To')))).toBe('missing-header | missing To | reply');
    expect(verdict(res('SIP/2.0 200 OK', RES_HEADERS.filter((h) => !h.startsWith('To'))))).toBe('missing-header | missing To | drop');
  });

  it('From or To or Call-ID on the first header line counts as present', () => {
    const order = [REQ_HEADERS[1]!, REQ_HEADERS[0]!, ...REQ_HEADERS.slice(2)];
    expect(verdict(req('OPTIONS sip:b@example.com SIP/2.0', order))).toBe('ok');
    const toFirst = [REQ_HEADERS[2]!, REQ_HEADERS[0]!, REQ_HEADERS[1]!, ...REQ_HEADERS.slice(3)];
    expect(verdict(req('OPTIONS sip:b@example.com SIP/2.0', toFirst))).toBe('ok');
  });

  it('a malformed top Via', () => {
    expect(verdict(req('OPTIONS sip:b@example.com SIP/2.0', ['Via: nonsense', ...REQ_HEADERS.slice(1)]))).toBe('bad-via | malformed top Via | drop');
  });

  it('a request-line fault comes before everything else', () => {
    expect(verdict(req('OPTIONS sip:b@example.com SIP/3.0', without('To')))).toBe('bad-version | SIP version not supported | reply');
  });
});

describe('duplicates and conflicts', () => {
  it('a request may not repeat a single-valued header; the first repeated one is named', () => {
    expect(verdict(req('OPTIONS sip:b@example.com SIP/2.0', [...REQ_HEADERS, 'Max-Forwards: 70', 'Max-Forwards: 70']))).toBe('duplicate-header | more than one Max-Forwards header | reply');
    expect(verdict(req('OPTIONS sip:b@example.com SIP/2.0', [...REQ_HEADERS, 'Max-Forwards: 70', 'Max-Forwards: 70', 'To: <sip:c@example.com>']))).toBe(
      'duplicate-header | more than one Max-Forwards header | reply',
    );
    expect(verdict(req('OPTIONS sip:b@example.com SIP/2.0', [...REQ_HEADERS, 'Call-ID: pe-1@example.com']))).toBe('duplicate-header | more than one Call-ID header | reply');
    expect(verdict(req('OPTIONS sip:b@example.com SIP/2.0', [...REQ_HEADERS, 'Route: <sip:r1>', 'Route: <sip:r2>']))).toBe('ok');
  });

  it('a response may repeat Call-ID only with the same value', () => {
    expect(verdict(res('SIP/2.0 200 OK', [...RES_HEADERS, 'Call-ID: pe-1@example.com']))).toBe('ok');
    expect(verdict(res('SIP/2.0 200 OK', [...RES_HEADERS, 'Call-ID: pe-2@example.com']))).toBe('bad-call-id | conflicting Call-ID headers | drop');
    expect(verdict(res('SIP/2.0 200 OK', ['Call-ID: pe-2@example.com', ...RES_HEADERS]))).toBe('bad-call-id | conflicting Call-ID headers | drop');
    expect(verdict(res('SIP/2.0 200 OK', ['Call-ID: pe-1@example.co', ...RES_HEADERS]))).toBe('bad-call-id | conflicting Call-ID headers | drop');
  });

  it('Content-Length values must agree', () => {
    expect(verdict(res('SIP/2.0 200 OK', [...RES_HEADERS, 'Content-Length: 2', 'l: 2'], 'ab'))).toBe('ok');
    expect(verdict(res('SIP/2.0 200 OK', [...RES_HEADERS, 'Content-Length: 2', 'l: 1'], 'ab'))).toBe('bad-content-length | malformed or conflicting Content-Length | drop');
    expect(verdict(res('SIP/2.0 200 OK', ['Content-Length: 2', ...RES_HEADERS, 'l: 1'], 'ab'))).toBe('bad-content-length | malformed or conflicting Content-Length | drop');
    expect(verdict(res('SIP/2.0 200 OK', [...RES_HEADERS, 'Content-Length: x'], 'ab'))).toBe('bad-content-length | malformed or conflicting Content-Length | drop');
    expect(verdict(res('SIP/2.0 200 OK', [...RES_HEADERS, 'Content-Length: x', 'Content-Length: 2'], 'ab'))).toBe('bad-content-length | malformed or conflicting Content-Length | drop');
  });
});

describe('body length', () => {
  it('Content-Length frames the body; extra bytes are not part of it', () => {
    expect(ok(res('SIP/2.0 200 OK', [...RES_HEADERS, 'Content-Length: 0'], 'junk')).bodyLength).toBe(0);
    expect(ok(res('SIP/2.0 200 OK', [...RES_HEADERS, 'Content-Length: 2'], 'junk')).bodyLength).toBe(2);
    expect(ok(res('SIP/2.0 200 OK', [...RES_HEADERS, 'Content-Length: 4'], 'junk')).bodyLength).toBe(4);
  });

  it('without Content-Length the body is the rest of the datagram', () => {
    expect(ok(res('SIP/2.0 200 OK', RES_HEADERS, 'junk')).bodyLength).toBe(4);
  });

  it('a Content-Length beyond the datagram is a truncated body', () => {
    expect(verdict(res('SIP/2.0 200 OK', [...RES_HEADERS, 'Content-Length: 5'], 'junk'))).toBe('body-truncated | datagram shorter than Content-Length | drop');
  });

  it('the partial request of an error gets a body length it can trust', () => {
    const partialLength = (headers: string[], body: string) => {
      const r = req('OPTIONS sip:b@example.com SIP/2.0', headers, body);
      if (r.ok || r.error.partial === undefined) throw new Error(`expected a replyable error, got ${verdict(r)}`);
      return r.error.partial.bodyLength;
    };
    const noTo = REQ_HEADERS.filter((h) => !h.startsWith('To'));
    expect(partialLength(noTo, 'abc')).toBe(3);
    expect(partialLength([...noTo, 'Content-Length: 2'], 'abc')).toBe(2);
    expect(partialLength([...noTo, 'Content-Length: 9'], 'abc')).toBe(3);
    expect(partialLength([...noTo, 'Content-Length: x'], 'abc')).toBe(0);
    expect(partialLength([...REQ_HEADERS, 'Content-Length: 9'], 'abc')).toBe(3);
  });
});
