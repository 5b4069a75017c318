/**
 * @module test/helpers/torture
 * siplb's own torture corpus, written per category of RFC 4475 §3.1.1 (valid, odd), §3.1.2 and
 * §3.3 (invalid) and RFC 5118 (IPv6), in their spirit (none copied byte for byte). Used by the
 * in-process unit test (test/unit/proxy/torture.test.ts) and by the real-process suite over
 * loopback UDP (test/integration/proxy/torture.test.ts).
 *
 * Each message is a template: `{lb}` is siplb's host:port (a Route to siplb), `{n}` makes
 * Call-ID and branch unique per send. Request-URIs name no backend and no siplb address, so a
 * valid request is dispatched by the balancer to a backend; no message routes anywhere else.
 *
 * - `answer`: the stateless error siplb must send, with the `Warning: 399 siplb "..."` text.
 * - `forward`: the message must reach a backend unchanged apart from siplb's own edits
 *   (see {@link normaliseForwarded}); `expectBody` when bytes past Content-Length must go.
 * - `drop`: no answer is possible (no readable top Via, or an ACK); counted, never answered.
 */

export interface AnswerCase {
  readonly name: string;
  readonly rfc: string;
  readonly text: string;
  readonly answer: { readonly status: number; readonly warning: RegExp; readonly unsupported?: string };
}
export interface ForwardCase {
  readonly name: string;
  readonly rfc: string;
  readonly text: string;
  /** What the backend must receive when it differs from `text` beyond siplb's edits (§18.3 trimming). */
  readonly expectText?: string;
}
export interface DropCase {
  readonly name: string;
  readonly rfc: string;
  readonly text: string;
}

const H = (lines: readonly string[], body = ''): string => lines.join('\r\n') + '\r\n\r\n' + body;

/** The mandatory headers of an OPTIONS (§8.1.1), for cases about one other thing. */
function options(first: string, extra: readonly string[] = [], method = 'OPTIONS'): string {
  return H([
    first,
    'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-{n}',
    'Max-Forwards: 70',
    'From: <sip:alice@example.net>;tag=a{n}',
    'To: <sip:bob@example.com>',
    'Call-ID: torture-{n}@192.0.2.1',
    `CSeq: 1 ${method}`,
    ...extra,
    'Content-Length: 0',
  ]);
}

/** `text` (ending in `Content-Length: 0` and the empty line) with a body of its own length. */
function withBody(text: string, type: string, body: string): string {
  return text.replace('Content-Length: 0\r\n\r\n', `Content-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body, 'latin1')}\r\n\r\n${body}`);
}

// ---- RFC 4475 §3.1.2 and §3.3 (invalid), RFC 5118 §4.2 ----------------------------------------
export const INVALID: readonly AnswerCase[] = [
  { name: 'badvers', rfc: 'RFC 4475 §3.1.2.16', text: options('OPTIONS sip:bob@example.com SIP/7.0'), answer: { status: 505, warning: /SIP version/ } },
  { name: 'unkscm', rfc: 'RFC 4475 §3.3.2', text: options('OPTIONS nobodyknowsthisscheme:totallyopaque SIP/2.0'), answer: { status: 416, warning: /Request-URI scheme/ } },
  { name: 'novelsc', rfc: 'RFC 4475 §3.3.3', text: options('OPTIONS soap.beep://192.0.2.103:3002 SIP/2.0'), answer: { status: 416, warning: /Request-URI scheme/ } },
  {
    name: 'bext01 Proxy-Require',
    rfc: 'RFC 4475 §3.3.5',
    text: options('OPTIONS sip:bob@example.com SIP/2.0', ['Require: nothingSupported', 'Proxy-Require: noProxiesSupport, nor-this']),
    answer: { status: 420, warning: /Proxy-Require/, unsupported: 'noProxiesSupport, nor-this' },
  },
  {
    name: 'insuf (no Call-ID)',
    rfc: 'RFC 4475 §3.3.1',
    text: H(['INVITE sip:bob@example.com SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-{n}', 'Max-Forwards: 70', 'From: <sip:a@example.net>;tag=1', 'To: <sip:bob@example.com>', 'CSeq: 1 INVITE', 'l: 0']),
    answer: { status: 400, warning: /missing Call-ID/ },
  },
  {
    name: 'insuf (no From, no To)',
    rfc: 'RFC 4475 §3.3.1',
    text: H(['INVITE sip:bob@example.com SIP/2.0', 'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-{n}', 'Max-Forwards: 70', 'Call-ID: torture-{n}', 'CSeq: 1 INVITE', 'l: 0']),
    answer: { status: 400, warning: /missing From/ },
  },
  {
    name: 'multi01 (two To, two Call-ID)',
    rfc: 'RFC 4475 §3.3.8',
    text: options('OPTIONS sip:bob@example.com SIP/2.0', ['To: <sip:carol@example.com>', 'i: other-{n}@192.0.2.1']),
    answer: { status: 400, warning: /more than one (To|Call-ID) header/ },
  },
  {
    name: 'two Max-Forwards',
    rfc: 'RFC 4475 §3.3.8',
    text: options('OPTIONS sip:bob@example.com SIP/2.0', ['Max-Forwards: 69']),
    answer: { status: 400, warning: /more than one Max-Forwards header/ },
  },
  {
    name: 'mcl01 (two Content-Length)',
    rfc: 'RFC 4475 §3.3.9',
    text: options('OPTIONS sip:bob@example.com SIP/2.0', ['Content-Length: 3']),
    answer: { status: 400, warning: /Content-Length/ },
  },
  {
    name: 'clerr (Content-Length beyond the datagram)',
    rfc: 'RFC 4475 §3.1.2.2, RFC 3261 §18.3',
    text: options('INVITE sip:bob@example.com SIP/2.0', [], 'INVITE').replace('Content-Length: 0', 'Content-Type: application/sdp\r\nContent-Length: 9999') + 'v=0\r\n',
    answer: { status: 400, warning: /shorter than Content-Length/ },
  },
  {
    name: 'ncl (negative Content-Length)',
    rfc: 'RFC 4475 §3.1.2.3',
    text: options('INVITE sip:bob@example.com SIP/2.0', [], 'INVITE').replace('Content-Length: 0', 'Content-Length: -999'),
    answer: { status: 400, warning: /Content-Length/ },
  },
  {
    name: 'scalar02 (CSeq beyond 2**31)',
    rfc: 'RFC 4475 §3.1.2.4, RFC 3261 §8.1.1.5',
    text: options('OPTIONS sip:bob@example.com SIP/2.0').replace('CSeq: 1 OPTIONS', 'CSeq: 36893488147419103232 OPTIONS'),
    answer: { status: 400, warning: /CSeq/ },
  },
  {
    name: 'scalar02 (Max-Forwards 300)',
    rfc: 'RFC 4475 §3.1.2.4, RFC 3261 §20.22',
    text: options('OPTIONS sip:bob@example.com SIP/2.0').replace('Max-Forwards: 70', 'Max-Forwards: 300'),
    answer: { status: 400, warning: /Max-Forwards/ },
  },
  { name: 'mismatch01', rfc: 'RFC 4475 §3.1.2.17', text: options('OPTIONS sip:bob@example.com SIP/2.0', [], 'INVITE'), answer: { status: 400, warning: /CSeq method/ } },
  { name: 'mismatch02 (unknown method)', rfc: 'RFC 4475 §3.1.2.18', text: options('NEWMETHOD sip:bob@example.com SIP/2.0', [], 'INVITE'), answer: { status: 400, warning: /CSeq method/ } },
  { name: 'ltgtruri', rfc: 'RFC 4475 §3.1.2.7', text: options('INVITE <sip:bob@example.com> SIP/2.0', [], 'INVITE'), answer: { status: 400, warning: /Request-URI/ } },
  { name: 'lwsruri', rfc: 'RFC 4475 §3.1.2.8', text: options('INVITE sip:bob@example.com; lr SIP/2.0', [], 'INVITE'), answer: { status: 400, warning: /Request-Line/ } },
  { name: 'lwsstart', rfc: 'RFC 4475 §3.1.2.9', text: options('INVITE  sip:bob@example.com  SIP/2.0', [], 'INVITE'), answer: { status: 400, warning: /Request-Line/ } },
  { name: 'trws', rfc: 'RFC 4475 §3.1.2.10', text: options('OPTIONS sip:bob@example.com SIP/2.0  '), answer: { status: 400, warning: /Request-Line/ } },
  {
    name: 'escruri (escaped headers in the Request-URI)',
    rfc: 'RFC 4475 §3.1.2.11, RFC 3261 §19.1.5',
    text: options('INVITE sip:bob@example.com?Route=%3Csip:example.com%3E SIP/2.0', [], 'INVITE'),
    answer: { status: 400, warning: /headers not allowed in Request-URI/ },
  },
  {
    name: 'method parameter in the Request-URI',
    rfc: 'RFC 3261 §19.1.1 table',
    text: options('INVITE sip:bob@example.com;method=REGISTER SIP/2.0', [], 'INVITE'),
    answer: { status: 400, warning: /method parameter/ },
  },
  {
    name: 'quotbal (unterminated quote in To)',
    rfc: 'RFC 4475 §3.1.2.6',
    text: options('OPTIONS sip:bob@example.com SIP/2.0').replace('To: <sip:bob@example.com>', 'To: "Mr. J. User <sip:bob@example.com>'),
    answer: { status: 400, warning: /malformed To/ },
  },
  {
    name: 'malformed To with a tag',
    rfc: 'RFC 3261 §12.1 (the To tag)',
    text: options('BYE sip:bob@example.com SIP/2.0', [], 'BYE').replace('To: <sip:bob@example.com>', 'To: <sip:bob@example.com;tag=x'),
    answer: { status: 400, warning: /malformed To/ },
  },
  { name: 'Max-Forwards not a number', rfc: 'RFC 3261 §16.3 step 3', text: options('OPTIONS sip:bob@example.com SIP/2.0').replace('Max-Forwards: 70', 'Max-Forwards: seventy'), answer: { status: 400, warning: /Max-Forwards/ } },
  {
    name: 'second Via malformed',
    rfc: 'RFC 3261 §20.42',
    text: options('OPTIONS sip:bob@example.com SIP/2.0', ['Via: SIP/2.0/UDP ;branch=z9hG4bK-x']),
    answer: { status: 400, warning: /malformed Via/ },
  },
  {
    name: 'ipv6-bad (Request-URI IPv6 without brackets)',
    rfc: 'RFC 5118 §4.2',
    text: options('REGISTER sip:2001:db8::10 SIP/2.0', [], 'REGISTER'),
    answer: { status: 400, warning: /malformed Request-URI/ },
  },
  {
    name: 'Route with an IPv6 host without brackets',
    rfc: 'RFC 5118 §4.2, RFC 3261 §16.4',
    text: options('OPTIONS sip:bob@example.com SIP/2.0', ['Route: <sip:2001:db8::1;lr>']),
    answer: { status: 400, warning: /malformed Route/ },
  },
];

// ---- answered nothing, counted ------------------------------------------------------------------
export const UNANSWERABLE: readonly DropCase[] = [
  {
    name: 'badinv01 (top Via unreadable)',
    rfc: 'RFC 4475 §3.1.2.1',
    text: H([
      'INVITE sip:bob@example.com SIP/2.0',
      'To: sip:j.user@example.com',
      'From: sip:caller@example.net;;tag=134161461246',
      'Max-Forwards: 7',
      'Call-ID: badinv01-{n}',
      'CSeq: 8 INVITE',
      'Via: SIP/2.0/UDP 192.0.2.15;;,;,,',
      'Contact: "Joe" <sip:joe@example.org>;;;;',
      'Content-Length: 0',
    ]),
  },
  { name: 'no Via at all', rfc: 'RFC 3261 §8.1.1.7', text: H(['OPTIONS sip:bob@example.com SIP/2.0', 'Max-Forwards: 70', 'From: <sip:a@example.net>;tag=1', 'To: <sip:b@example.com>', 'Call-ID: novia-{n}', 'CSeq: 1 OPTIONS', 'l: 0']) },
  { name: 'junk start line', rfc: 'RFC 3261 §7.1', text: '\x01\x02 garbage\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-{n}\r\n\r\n' },
  { name: 'ACK with a fault (never answered)', rfc: 'RFC 3261 §17.1.1.3', text: options('ACK sip:bob@example.com SIP/7.0', [], 'ACK') },
];

// ---- RFC 4475 §3.1.1, §3.3 (valid), RFC 5118 (IPv6): forwarded unchanged ---------------------------
export const VALID_ODD: readonly ForwardCase[] = [
  {
    name: 'wsinv (a short tortuous INVITE)',
    rfc: 'RFC 4475 §3.1.1.1',
    text: H(
      [
        'INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0',
        'TO :',
        ' sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n',
        'from   : "J Rosenberg \\\\\\""       <sip:jdrosen@example.com>',
        '  ;',
        '  tag = 98asjd8',
        'MaX-fOrWaRdS: 0068',
        'Call-ID: wsinv-{n}@192.0.2.1',
        'Content-Length   : 14',
        'cseq: 0009',
        '  INVITE',
        'Via  : SIP  /   2.0',
        ' /UDP',
        '    192.0.2.2;rport;branch=390skdjuw-{n}',
        's :',
        'NewFangledHeader:   newfangled value',
        ' continued newfangled value',
        'UnknownHeaderWithUnusualValue: ;;,,;;,;',
        'Content-Type: application/sdp',
        'v:  SIP  / 2.0  / TCP     spindle.example.com   ;',
        '  branch  =   z9hG4bK9ikj8  ,',
        ' SIP  /    2.0   / UDP  192.168.255.111   ; branch=',
        ' z9hG4bK30239',
        'm:"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam =',
        '      newvalue ;',
        '  secondparam ; q = 0.33',
      ],
      'v=0\r\no=- 0 0\r\n',
    ),
  },
  {
    name: 'intmeth (unusual method and URI characters)',
    rfc: 'RFC 4475 §3.1.1.2',
    text: options("!interesting-Method0123456789_*+`.%indeed'~ sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0", ['extensionHeader-!.%*+_`\'~:\xef\xbb\xbfbig:value'], "!interesting-Method0123456789_*+`.%indeed'~"),
  },
  {
    name: 'esc01 (escaped characters in URIs)',
    rfc: 'RFC 4475 §3.1.1.3',
    text: options('INVITE sip:sips%3Auser%40example.com@example.net SIP/2.0', ['Contact: <sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>'], 'INVITE')
      .replace('From: <sip:alice@example.net>', 'From: <sip:I%20have%20spaces@example.net>'),
  },
  { name: 'escnull (escaped NUL in the user part)', rfc: 'RFC 4475 §3.1.1.4', text: options('REGISTER sip:null-%00-null@example.com SIP/2.0', [], 'REGISTER') },
  {
    name: 'esc02 (% that is not an escape)',
    rfc: 'RFC 4475 §3.1.1.5',
    text: options('RE%47IST%45R sip:registrar.example.com SIP/2.0', ['Contact: <sip:alias1@host1.example.com>', 'Contact: "%Z%45" <sip:alias2@host2.example.com>'], 'RE%47IST%45R')
      .replace('To: <sip:bob@example.com>', 'To: "%Z%45" <sip:resource@example.com>'),
  },
  { name: 'lwsdisp (no LWS between display name and <)', rfc: 'RFC 4475 §3.1.1.6', text: options('OPTIONS sip:bob@example.com SIP/2.0').replace('From: <sip:alice@example.net>', 'From: caller<sip:caller@example.com>') },
  {
    name: 'longreq (long values)',
    rfc: 'RFC 4475 §3.1.1.7',
    text: options('INVITE sip:bob@example.com SIP/2.0', [`X-Long: ${'very'.repeat(300)}long`, `Contact: <sip:${'amazinglylongcallername'.repeat(10)}@host5.example.net>`], 'INVITE'),
  },
  {
    name: 'dblreq (bytes after the body: discarded)',
    rfc: 'RFC 4475 §3.1.1.8, RFC 3261 §18.3',
    text: options('REGISTER sip:example.com SIP/2.0', [], 'REGISTER') + options('INVITE sip:joe@example.com SIP/2.0', [], 'INVITE'),
    expectText: options('REGISTER sip:example.com SIP/2.0', [], 'REGISTER'),
  },
  { name: 'semiuri (; in the user part)', rfc: 'RFC 4475 §3.1.1.9', text: options('OPTIONS sip:user;par=u%40example.net@example.com SIP/2.0') },
  {
    name: 'transports (unknown transports, odd branch characters)',
    rfc: 'RFC 4475 §3.1.1.10',
    text: options('OPTIONS sip:bob@example.com SIP/2.0', [
      'Via: SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf',
      'Via: SIP/2.0/TLS t3.example.com;branch=z9hG4bK2980unddj',
      'Via: SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en',
      "Via: SIP/2.0/TCP t5.example.com;branch=z9hG4bK0a9idfnee-.!%66*_+`'~",
    ]),
  },
  {
    name: 'mpart01 (multipart body)',
    rfc: 'RFC 4475 §3.1.1.11',
    text: withBody(
      options('MESSAGE sip:bob@example.com SIP/2.0', [], 'MESSAGE'),
      'multipart/mixed;boundary=7a9cbec02ceef655',
      '--7a9cbec02ceef655\r\nContent-Type: text/plain\r\n\r\nhello\r\n--7a9cbec02ceef655\r\nX: \x00\xff\r\n--7a9cbec02ceef655--\r\n',
    ),
  },
  { name: 'Via branch with @ (Kamailio)', rfc: 'RFC 3261 §20.42 (passed through)', text: options('OPTIONS sip:bob@example.com SIP/2.0').replace('branch=z9hG4bK-{n}', 'branch=z9hG4bK-{n}@kamailio.example/1') },
  {
    name: 'unksm2 (unknown schemes in To, From, Contact)',
    rfc: 'RFC 4475 §3.3.4',
    text: options('REGISTER sip:example.com SIP/2.0', ['Contact: <name:John_Smith>'], 'REGISTER')
      .replace('To: <sip:bob@example.com>', 'To: isbn:2983792873')
      .replace('From: <sip:alice@example.net>', 'From: <http://www.example.com>'),
  },
  { name: 'bext01 Require only (for the UAS)', rfc: 'RFC 4475 §3.3.5, RFC 3261 §16.3', text: options('OPTIONS sip:bob@example.com SIP/2.0', ['Require: nothingSupported']) },
  { name: 'invut (unknown Content-Type)', rfc: 'RFC 4475 §3.3.6', text: withBody(options('MESSAGE sip:bob@example.com SIP/2.0', [], 'MESSAGE'), 'application/unknownformat', '<?x>') },
  { name: 'regaut01 (unknown Authorization scheme)', rfc: 'RFC 4475 §3.3.7', text: options('REGISTER sip:example.com SIP/2.0', ['Authorization: NoOneKnowsThisScheme opaque-data=here'], 'REGISTER') },
  { name: 'cparam01/02 (Contact parameters)', rfc: 'RFC 4475 §3.3.12–13', text: options('REGISTER sip:example.com SIP/2.0', ['Contact: sip:+19725552222@gw1.example.net;unknownparam', 'Contact: <sip:+19725552222@gw1.example.net;unknownparam>'], 'REGISTER') },
  { name: 'regescrt (escaped header in a Contact)', rfc: 'RFC 4475 §3.3.14', text: options('REGISTER sip:example.com SIP/2.0', ['Contact: <sip:user@host.example.com?Route=%3Csip:sip.example.com%3E>'], 'REGISTER') },
  { name: 'sdp01 (Accept)', rfc: 'RFC 4475 §3.3.15', text: options('INVITE sip:bob@example.com SIP/2.0', ['Accept: text/nobodyknowsthis'], 'INVITE') },
  { name: 'baddate (odd Date, not interpreted)', rfc: 'RFC 4475 §3.1.2.12', text: options('INVITE sip:bob@example.com SIP/2.0', ['Date: Fri, 01 Jan 2010 16:00:00 EST'], 'INVITE') },
  { name: 'baddn (unquoted display name in From, not interpreted)', rfc: 'RFC 4475 §3.1.2.15', text: options('OPTIONS sip:bob@example.com SIP/2.0').replace('From: <sip:alice@example.net>', 'From: Bell, Alexander <sip:a.g.bell@example.net>') },
  { name: 'tel Request-URI', rfc: 'RFC 3966, RFC 3261 §16.3 step 1', text: options('INVITE tel:+1-201-555-0123 SIP/2.0', [], 'INVITE') },
  { name: 'Route to siplb with unknown parameters (removed: siplb\'s edit)', rfc: 'RFC 3261 §16.4', text: options('OPTIONS sip:bob@{lb} SIP/2.0', ['Route: <sip:{lb};lr;unknownwith=value;unknown-no-value>']) },
  { name: 'ipv6-good', rfc: 'RFC 5118 §4.1', text: options('REGISTER sip:[2001:db8::10] SIP/2.0', ['Contact: "Caller" <sip:caller@[2001:db8::1]>'], 'REGISTER') },
  { name: 'port-ambiguous', rfc: 'RFC 5118 §4.3', text: options('REGISTER sip:[2001:db8::10:5070] SIP/2.0', [], 'REGISTER') },
  { name: 'port-unambiguous', rfc: 'RFC 5118 §4.4', text: options('REGISTER sip:[2001:db8::10]:5070 SIP/2.0', [], 'REGISTER') },
  {
    name: 'via received with and without brackets',
    rfc: 'RFC 5118 §4.5',
    text: options('BYE sip:[2001:db8::10] SIP/2.0', ['Via: SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3-111;received=2001:db8::9:255', 'Via: SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bKas3-112'], 'BYE'),
  },
  {
    name: 'ipv6-in-sdp',
    rfc: 'RFC 5118 §4.6',
    text: withBody(options('INVITE sip:user@[2001:db8::10] SIP/2.0', [], 'INVITE'), 'application/sdp', 'v=0\r\nc=IN IP6 2001:db8::20\r\nm=audio 3456 RTP/AVP 0\r\n'),
  },
  { name: 'mult-ip-in-header', rfc: 'RFC 5118 §4.7', text: options('BYE sip:user@host.example.net SIP/2.0', ['Via: SIP/2.0/UDP [2001:db8::9:255];branch=z9hG4bKas3', 'Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKjhja8781hjuaij65144'], 'BYE') },
  { name: 'ipv4-mapped-ipv6', rfc: 'RFC 5118 §4.9', text: options('INVITE sip:user@example.com SIP/2.0', ['Contact: <sip:caller@[::ffff:192.0.2.10]>'], 'INVITE') },
  { name: 'ipv6-correct-abnf-2-colons', rfc: 'RFC 5118 §4.10', text: options('OPTIONS sip:[2001:db8::192.0.2.1] SIP/2.0') },
  { name: 'ipv6-bug-abnf-3-colons', rfc: 'RFC 5118 §4.10', text: options('OPTIONS sip:[2001:db8:::192.0.2.1] SIP/2.0') },
];

/** A template filled in: `{lb}` → siplb's host:port, `{n}` → a unique token. */
export function fill(template: string, lb: string, n: string): Buffer {
  return Buffer.from(template.replaceAll('{lb}', lb).replaceAll('{n}', n), 'latin1');
}

/**
 * A forwarded request with siplb's own edits (RFC 3261 §16.6) undone, to compare with what the
 * caller sent: the Via and Record-Route lines siplb pushed right after the request line (and the
 * Max-Forwards it adds when there was none), the `received`/`rport` values it wrote on the
 * caller's Via (§18.2.1, RFC 3581 §4), the decremented Max-Forwards, and a Route naming `lb`.
 * What is left must equal the input (its Max-Forwards value and own Route likewise normalised).
 */
export function normaliseForwarded(text: string, lb: string, ourHost: string): string {
  const lines = text.split('\r\n');
  let i = 1;
  while (i < lines.length && (/^(Via|Record-Route): .*/.test(lines[i]!) && lines[i]!.includes(ourHost))) i++;
  return normaliseSent([lines[0]!, ...lines.slice(i)].join('\r\n'), lb);
}

/** The caller's side of the comparison in {@link normaliseForwarded}. */
export function normaliseSent(text: string, lb: string): string {
  return text
    .replace(/;received=[^;,\s]*/g, '')
    .replace(/;rport=\d+/g, ';rport')
    .replace(/(max-forwards\s*:\s*)\d+/gi, '$1N')
    .replace(`Route: <sip:${lb};lr;unknownwith=value;unknown-no-value>\r\n`, '');
}
