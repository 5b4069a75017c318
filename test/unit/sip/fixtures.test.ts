import { describe, it, expect } from 'vitest';
import { HeaderId, buildResponse, parseSip } from '../../../src/sip/index.js';
import type { NameAddr, SipMessage, SipUri, Via } from '../../../src/sip/index.js';
import { loadFixtures } from './load-fixtures.js';

const valid = loadFixtures('valid');
const invalid = loadFixtures('invalid');
const ID_NAMES = Object.fromEntries(Object.entries(HeaderId).map(([k, v]) => [v, k]));

type Exp = Record<string, unknown>;

function parseOk(bytes: Buffer): SipMessage {
  const r = parseSip(bytes);
  if (!r.ok) throw new Error(`expected ok, got ${r.error.reason}: ${r.error.detail}`);
  return r.msg;
}

function checkUri(uri: SipUri | undefined, exp: unknown): void {
  if (exp === undefined) return void expect(uri).toBeUndefined();
  const e = exp as Exp;
  expect(uri).toBeDefined();
  for (const [k, v] of Object.entries(e)) {
    if (k === 'params') expect(Object.fromEntries(uri?.params ?? [])).toEqual(v);
    else expect(uri?.[k as keyof SipUri], `uri.${k}`).toEqual(v);
  }
}

function checkVia(via: Via | undefined, exp: Exp): void {
  expect(via).toBeDefined();
  for (const [k, v] of Object.entries(exp)) {
    if (k === 'paramNames') expect(via?.params.map((p) => p.name)).toEqual(v);
    else expect(via?.[k as keyof Via], `via.${k}`).toEqual(v);
  }
}

function checkNameAddr(na: NameAddr, exp: Exp): void {
  for (const [k, v] of Object.entries(exp)) {
    if (k === 'tag') expect(na.params.get('tag'), 'tag').toBe(v);
    else if (k === 'uriHost') expect(na.uri?.host).toBe(v);
    else if (k === 'uriPort') expect(na.uri?.port).toBe(v);
    else if (k === 'uriParams') expect(Object.fromEntries(na.uri?.params ?? [])).toEqual(v);
    else expect(na[k as keyof NameAddr], k).toEqual(v);
  }
}

/** Header line whose name (as written) equals `name`, ignoring case. */
function fieldNamed(msg: SipMessage, name: string) {
  return msg.headers.find((h) => {
    const line = msg.buf.toString('latin1', h.lineStart, h.valueStart);
    return line.slice(0, line.indexOf(':')).trim().toLowerCase() === name.toLowerCase();
  });
}

/** Structural invariants every successfully parsed message must satisfy. */
function checkInvariants(msg: SipMessage): void {
  let pos = msg.headersStart;
  for (const h of msg.headers) {
    expect(h.lineStart).toBe(pos);
    expect(h.valueStart).toBeGreaterThan(h.lineStart);
    expect(h.valueEnd).toBeGreaterThanOrEqual(h.valueStart);
    expect(h.lineEnd).toBeGreaterThan(h.valueEnd);
    pos = h.lineEnd;
  }
  expect(pos).toBe(msg.headersEnd);
  expect(msg.bodyStart + msg.bodyLength).toBeLessThanOrEqual(msg.buf.length);
  // Every Via and name-addr span points at its own text inside its line.
  for (const v of msg.vias() ?? []) {
    const f = msg.headers[v.fieldIndex];
    expect(f?.id).toBe(HeaderId.VIA);
    expect(v.span.start).toBeGreaterThanOrEqual(f?.valueStart ?? -1);
    expect(v.span.end).toBeLessThanOrEqual(f?.valueEnd ?? -1);
    expect(msg.buf.toString('latin1', v.span.start, v.span.end)).toMatch(/^SIP\s*\/\s*2\.0\s*\//i);
    for (const p of v.params) expect(msg.buf.toString('latin1', p.span.start, p.span.end).toLowerCase().startsWith(p.name)).toBe(true);
  }
  for (const r of [...(msg.routes() ?? []), ...(msg.recordRoutes() ?? [])]) {
    expect(msg.buf.toString('latin1', r.span.start, r.span.end)).toContain(r.uriText);
  }
}

describe('parseSip: valid fixtures', () => {
  it('has fixtures', () => expect(valid.length).toBeGreaterThan(20));

  it.each(valid.map((f) => [f.name, f] as const))('%s', (_name, f) => {
    const msg = parseOk(f.bytes);
    const e = f.expect;
    checkInvariants(msg);
    for (const [k, v] of Object.entries(e)) {
      switch (k) {
        case 'kind':
          expect(msg.kind).toBe(v);
          break;
        case 'method':
        case 'uriText':
          expect(msg.kind === 'request' ? msg[k] : undefined, k).toBe(v);
          break;
        case 'requestUri':
          checkUri(msg.kind === 'request' ? msg.requestUri() : undefined, v);
          break;
        case 'status':
        case 'reason':
          expect(msg.kind === 'response' ? msg[k] : undefined, k).toBe(v);
          break;
        case 'callId':
          expect(msg.callId()).toBe(v);
          break;
        case 'cseq':
          expect(msg.cseq()).toEqual(v);
          break;
        case 'topVia':
          checkVia(msg.topVia(), v as Exp);
          break;
        case 'viaCount':
          expect(msg.vias()?.length).toBe(v);
          break;
        case 'vias':
          (v as Exp[]).forEach((ve, i) => checkVia(msg.vias()?.[i], ve));
          break;
        case 'maxForwards':
          expect(msg.maxForwards()).toBe(v);
          break;
        case 'routes':
          expect(msg.routes()?.map((r) => r.uriText)).toEqual(v);
          break;
        case 'routeHosts':
          expect(msg.routes()?.map((r) => r.uri?.host)).toEqual(v);
          break;
        case 'recordRoutes':
          expect(msg.recordRoutes()?.map((r) => r.uriText)).toEqual(v);
          break;
        case 'from':
          checkNameAddr(msg.from(), v as Exp);
          break;
        case 'to':
          checkNameAddr(msg.to(), v as Exp);
          break;
        case 'headerCount':
          expect(msg.headers.length).toBe(v);
          break;
        case 'ids':
          expect(msg.headers.map((h) => ID_NAMES[h.id])).toEqual(v);
          break;
        case 'values':
          for (const [name, text] of Object.entries(v as Record<string, string>)) {
            const field = fieldNamed(msg, name);
            expect(field, name).toBeDefined();
            if (field) expect(msg.valueOf(field)).toBe(text);
          }
          break;
        case 'bodyLength':
          expect(msg.bodyLength).toBe(v);
          break;
        case 'bodyText':
          expect(msg.buf.toString('latin1', msg.bodyStart, msg.bodyStart + msg.bodyLength)).toBe(v);
          break;
        case 'retryAfter':
          expect(msg.retryAfter()).toBe(v);
          break;
        default:
          throw new Error(`unknown expectation key ${k} in ${f.name}.json`);
      }
    }
  });
});

describe('parseSip: invalid fixtures', () => {
  it('has fixtures', () => expect(invalid.length).toBeGreaterThan(20));

  it.each(invalid.map((f) => [f.name, f] as const))('%s', (_name, f) => {
    const r = parseSip(f.bytes);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.reason).toBe(f.expect['reason']);
    expect(r.error.canReply).toBe(f.expect['canReply']);
    expect(r.error.detail.length).toBeGreaterThan(0);
    if (!r.error.canReply) {
      expect(r.error.partial).toBeUndefined();
      return;
    }
    // A replyable error carries a request good enough to build the stateless 400 from (§8.2.6):
    // its top Via at least. When Call-ID or CSeq is what is missing or broken, the answer copies
    // what there is (it cannot invent them); otherwise it parses back as a complete response.
    const req = r.error.partial;
    expect(req?.kind).toBe('request');
    if (req === undefined) return;
    const built = buildResponse(req, 400);
    expect(built.toString('latin1')).toMatch(/^SIP\/2\.0 400 /);
    if (['missing-header', 'bad-call-id', 'bad-cseq', 'duplicate-header'].includes(r.error.reason)) {
      const back = parseSip(built);
      expect(back.ok || back.error.reason !== 'bad-via').toBe(true);
      return;
    }
    const reply = parseOk(built);
    expect(reply.kind === 'response' && reply.status).toBe(400);
    expect(reply.callId()).toBe(req.callId());
    expect(reply.cseq()).toEqual(req.cseq());
    expect(reply.topVia().branch).toBe(req.topVia().branch);
    // A To siplb cannot read is copied as it is, with the tag appended to its raw text.
    if (req.to().malformed !== true) expect(reply.to().params.get('tag')).toMatch(/^[0-9a-f]{8}$/);
    else expect(reply.valueOf(reply.first(HeaderId.TO)!)).toMatch(/;tag=[0-9a-f]{8}$/);
  });
});
