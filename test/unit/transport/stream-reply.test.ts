import { describe, expect, it } from 'vitest';
import { missingContentLengthReply } from '../../../src/transport/stream-reply.js';

const head = (method: string, extra = ''): Buffer =>
  Buffer.from(
    `${method} sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK7;rport\r\nFrom: <sip:b@x>;tag=f\r\nTo: <sip:a@x>\r\nCall-ID: c9\r\nCSeq: 4 ${method}\r\n${extra}\r\n`,
    'latin1',
  );

describe('missingContentLengthReply', () => {
  it('builds a 400 with the Warning, the transaction headers and received/rport from the source', () => {
    const r = missingContentLengthReply(head('INVITE'), { address: '192.0.2.7', port: 40001 })!.toString('latin1');
    expect(r).toMatch(/^SIP\/2\.0 400 Bad Request\r\n/);
    expect(r).toContain('Via: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bK7;rport=40001;received=192.0.2.7\r\n');
    expect(r).toContain('Warning: 399 siplb "missing Content-Length"\r\n');
    expect(r).toContain('CSeq: 4 INVITE\r\n');
    expect(r).toMatch(/To: <sip:a@x>;tag=\w+\r\n/);
    expect(r.endsWith('Content-Length: 0\r\n\r\n')).toBe(true);
  });

  it('answers nothing to an ACK, to a response, or to headers that name no transaction', () => {
    const src = { address: '192.0.2.7', port: 1 };
    expect(missingContentLengthReply(head('ACK'), src)).toBeUndefined();
    expect(missingContentLengthReply(Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP x;branch=z9hG4bK1\r\n\r\n'), src)).toBeUndefined();
    expect(missingContentLengthReply(Buffer.from('OPTIONS sip:a SIP/2.0\r\nX: y\r\n\r\n'), src)).toBeUndefined();
  });
});
