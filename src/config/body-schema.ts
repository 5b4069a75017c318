/**
 * @module config/body-schema
 * The document part of the one schema of the siplb configuration (./schema.ts adds the rules
 * that span sections and the split of `backends`). It yields both the runtime check and the
 * TypeScript types, so the two cannot drift.
 *
 * Conventions:
 * - every object is strict: an unknown key is an error, never silently ignored;
 * - every key carries `.meta({ description, example })`; the description states the default;
 * - durations are written "500ms", "2s", "1m30s", "2h" or as a number of milliseconds, and are
 *   integer milliseconds in `Config` (the key keeps its plain name: `interval`, not `intervalMs`);
 * - addresses are written `host:port` or `[IPv6]:port` and are `{ host, port }` in `Config`;
 * - defaults everywhere except `backends`.
 *
 * Pure: imports zod and sibling pure modules only. Rules spanning several keys live in
 * ./cross-field.ts; turning issues into operator messages lives in ./errors.ts.
 */

import { z } from 'zod';
import { DEFAULT_VNODES } from '../balance/hash-ring.js';
import { parseCidr } from '../security/cidr.js';
import { DEFAULT_SCANNER_USER_AGENTS } from '../security/signatures.js';
import { formatAddress, isHostname, isIPv4, type Address } from './address.js';
import { parseDnsServer, parseSrvName } from './backend-names.js';
import { address, doc, duration, int, listenList, okCode } from './fields.js';
import { FlowSchema } from './flow-schema.js';
import type { FieldMeta } from './fields.js';
import { WsSchema } from './ws-schema.js';

export type { Address } from './address.js';
export type { Milliseconds } from './duration.js';
export type { ConfigRule, FieldMeta } from './fields.js';
export { isOkCodePattern } from './fields.js';

/** Where `siplb start` looks for its configuration when no path is given. */
export const DEFAULT_CONFIG_PATH = 'config/siplb.yaml';

// ── health thresholds: global values, and per-backend overrides of the same keys ──────────

const THRESHOLD_DOCS = {
  interval: { text: 'Time between two OPTIONS probes of one backend.', def: '2s', example: '5s' },
  timeout: { text: 'How long a probe waits for any response before it counts as failed. Must be below interval.', def: '1s', example: '800ms' },
  fall: { text: 'Consecutive failed probes that take an up backend down.', def: 3, example: 5 },
  rise: { text: 'Consecutive successful probes that bring a down backend up.', def: 2, example: 3 },
  okCodes: { text: 'Response codes that count as alive: a code 100..699, a class "2xx", or a range "200-299". A locally generated timeout is a failure whatever this says.', def: ['2xx'], example: ['2xx', 404] },
  maxRtt: { text: 'A probe answered slower than this counts as failed.', def: undefined, example: '300ms' },
} as const;

function thresholdSchemas() {
  return {
    interval: duration(),
    timeout: duration(),
    fall: int(1, 100),
    rise: int(1, 100),
    okCodes: z.array(okCode).min(1),
    maxRtt: duration(),
  };
}

type ThresholdKey = keyof typeof THRESHOLD_DOCS;

function thresholdDescription(key: ThresholdKey): string {
  const d = THRESHOLD_DOCS[key];
  const def = d.def === undefined ? 'unset (no RTT limit)' : JSON.stringify(d.def);
  const unit = key === 'interval' || key === 'timeout' || key === 'maxRtt' ? ' In Config: integer milliseconds.' : '';
  return `${d.text} Default: ${def}.${unit}`;
}

const t = thresholdSchemas();
const globalThresholds = {
  interval: doc(t.interval.prefault(THRESHOLD_DOCS.interval.def), { description: thresholdDescription('interval'), example: THRESHOLD_DOCS.interval.example }),
  timeout: doc(t.timeout.prefault(THRESHOLD_DOCS.timeout.def), { description: thresholdDescription('timeout'), example: THRESHOLD_DOCS.timeout.example }),
  fall: doc(t.fall.default(THRESHOLD_DOCS.fall.def), { description: thresholdDescription('fall'), example: THRESHOLD_DOCS.fall.example }),
  rise: doc(t.rise.default(THRESHOLD_DOCS.rise.def), { description: thresholdDescription('rise'), example: THRESHOLD_DOCS.rise.example }),
  okCodes: doc(t.okCodes.prefault([...THRESHOLD_DOCS.okCodes.def]), { description: thresholdDescription('okCodes'), example: THRESHOLD_DOCS.okCodes.example }),
  maxRtt: doc(t.maxRtt.optional(), { description: thresholdDescription('maxRtt'), example: THRESHOLD_DOCS.maxRtt.example }),
};

const o = thresholdSchemas();
const overrideText = (key: ThresholdKey): FieldMeta => ({
  description: `Overrides health.${key} for this backend. Default: unset (health.${key} applies).`,
  example: THRESHOLD_DOCS[key].example,
});
const BackendHealthSchema = z.strictObject({
  interval: doc(o.interval.optional(), overrideText('interval')),
  timeout: doc(o.timeout.optional(), overrideText('timeout')),
  fall: doc(o.fall.optional(), overrideText('fall')),
  rise: doc(o.rise.optional(), overrideText('rise')),
  okCodes: doc(o.okCodes.optional(), overrideText('okCodes')),
  maxRtt: doc(o.maxRtt.optional(), overrideText('maxRtt')),
});

// ── sections ───────────────────────────────────────────────────────────────────────────────

const NodeSchema = z.strictObject({
  id: doc(z.string().max(253).regex(/^\S*$/).default(''), {
    description: 'Name of this siplb instance in logs, metrics and the HA lease. Default: "" (the loader fills in the host name).',
    example: 'lb-a',
    hint: 'use a name without spaces, at most 253 characters, e.g. lb-a',
  }),
});

const TlsSchema = z.strictObject({
  cert: doc(z.string().min(1).optional(), {
    description: 'PEM certificate chain siplb presents on tls: listeners (and as a client certificate to backends that ask). Re-read on reload (SIGHUP, POST /reload): new connections get the new one, open ones stay up. Default: unset.',
    example: '/etc/siplb/tls/cert.pem',
  }),
  key: doc(z.string().min(1).optional(), {
    description: 'PEM private key of sip.tls.cert. Never logged. Default: unset.',
    example: '/etc/siplb/tls/key.pem',
  }),
  ca: doc(z.string().min(1).optional(), {
    description: 'PEM CA bundle that client certificates (verifyClients) and backend certificates are checked against. Default: unset (the system CAs for backends).',
    example: '/etc/siplb/tls/ca.pem',
  }),
  minVersion: doc(z.enum(['1.2', '1.3']).default('1.3'), {
    description: 'Oldest TLS version accepted, both ways. Default: "1.3"; "1.2" only for peers that cannot do 1.3.',
    example: '1.2',
    hint: "use '1.3' or '1.2'",
  }),
  verifyClients: doc(z.boolean().default(false), {
    description: 'Require a client certificate signed by sip.tls.ca on tls: listeners (mutual TLS for trunks). Default: false.',
    example: true,
  }),
  verifyBackends: doc(z.boolean().default(true), {
    description: "Check a TLS backend's certificate against sip.tls.ca (or the system CAs) and its address. Default: true.",
    example: false,
  }),
});

const StreamLimitsSchema = z.strictObject({
  maxConnections: doc(int(1, 1_000_000).default(4096), {
    description: 'Open TCP and TLS connections at most, inbound and outbound together (Kamailio: tcp_max_connections). Default: 4096.',
    example: 16384,
  }),
  maxConnectionsPerIp: doc(int(1, 1_000_000).default(1024), {
    description: 'Inbound connections from one source IP at most (Kamailio: tcp_accept_iplimit); generous, since many clients may share one carrier-grade NAT address. Default: 1024.',
    example: 256,
  }),
  maxHandshakes: doc(int(1, 100_000).default(256), {
    description: 'TLS handshakes in flight at most; more connections wait to be accepted. Default: 256.',
    example: 64,
  }),
  idleTimeout: doc(duration(1000).default(3_605_000), {
    description: 'A connection with no traffic for this long is closed (just above a one-hour registration, as Kamailio ships tcp_connection_lifetime). Default: 3605s. In Config: integer milliseconds.',
    example: '600s',
  }),
  firstByteTimeout: doc(duration(100, 600_000).default(5000), {
    description: 'An inbound connection must send its first byte within this (slowloris guard). Default: 5s. In Config: integer milliseconds.',
    example: '2s',
  }),
  messageTimeout: doc(duration(100, 600_000).default(10_000), {
    description: 'A message once started must be complete within this (slowloris guard). Default: 10s. In Config: integer milliseconds.',
    example: '5s',
  }),
  connectTimeout: doc(duration(100, 60_000).default(3000), {
    description: 'Connecting to a backend (TCP connect and TLS handshake) must finish within this; else the send and a probe fail. Default: 3s. In Config: integer milliseconds.',
    example: '1s',
  }),
  maxMessageBytes: doc(int(1024, 1_048_576).default(65535), {
    description: 'Largest SIP message accepted on a stream; a larger Content-Length closes the connection (it cannot be resynchronised, RFC 3261 §18.3). Default: 65535.',
    example: 131072,
  }),
});

const SipSchema = z.strictObject({
  listen: doc(listenList().prefault('127.0.0.1:5060'), {
    description:
      'Where siplb receives SIP: one address or a list, each `[udp:|tcp:|tls:|ws:|wss:]host:port` as Kamailio writes listen= (a bare host:port is UDP; one listener per transport; the first is the primary, whose port sip.advertise stands for). tls: and wss: need sip.tls.cert and sip.tls.key; ws:/wss: take SIP over WebSocket (RFC 7118, see sip.ws). Port 0 lets the OS pick (tests). Default: "127.0.0.1:5060" (UDP only).',
    example: ['udp:0.0.0.0:5060', 'tcp:0.0.0.0:5060', 'tls:0.0.0.0:5061'],
  }),
  udpMtu: doc(int(0, 65535).default(1300), {
    description:
      'A request that would leave over UDP larger than this many bytes goes over TCP instead, to a backend with acceptsTcp (RFC 3261 §18.1.1: 1300 bytes when the path MTU is unknown; a video or WebRTC SDP is 3-6 KB). 0 turns the switch off. Default: 1300.',
    example: 1400,
  }),
  tls: doc(TlsSchema.prefault({}), {
    description: 'Certificates and policy of TLS, for tls: listeners and backends with transport tls. Default: {} (no certificate: no tls: listener).',
    example: { cert: '/etc/siplb/tls/cert.pem', key: '/etc/siplb/tls/key.pem' },
  }),
  tcp: doc(StreamLimitsSchema.prefault({}), {
    description: 'Limits of TCP and TLS connections, both ways (caps, deadlines, sizes). Default: {}.',
    example: { maxConnectionsPerIp: 256 },
  }),
  ws: doc(WsSchema.prefault({}), {
    description: 'WebSocket listeners (ws:, wss: in listen; RFC 7118): handshake allowlists and deadline, heartbeat, message size. Their connections count against sip.tcp caps and deadlines too. Default: {}.',
    example: { allowedOrigins: ['https://phone.example.com'] },
  }),
  advertise: doc(address().optional(), {
    description: 'Address siplb writes into Via and Record-Route: the VIP in production (RFC 3261 §16.6 step 4, §18.2.1). Required when listen is 0.0.0.0 or [::]. Default: unset (listen is used).',
    example: '192.0.2.10:5060',
  }),
  maxDatagramBytes: doc(int(512, 65535).default(65535), {
    description:
      'Largest SIP datagram accepted, in bytes (512..65535). RFC 3261 §18.1.1 requires an element to be prepared to receive up to 65535 bytes over UDP, hence the default. A request over a lower cap is answered 513 Message Too Large (when its top Via can be read) and logged; a response over it is dropped and logged. Default: 65535.',
    example: 16384,
  }),
  recvBufferBytes: doc(int(4096, 268435456).default(4194304), {
    description: 'SO_RCVBUF size of the SIP socket in bytes; the kernel may cap it at net.core.rmem_max. Default: 4194304.',
    example: 8388608,
  }),
  sendBufferBytes: doc(int(4096, 268435456).default(4194304), {
    description: 'SO_SNDBUF size of the SIP socket in bytes; the kernel may cap it at net.core.wmem_max. Default: 4194304.',
    example: 8388608,
  }),
  udpEngine: doc(z.enum(['auto', 'native', 'dgram']).default('auto'), {
    description:
      'What carries the UDP sockets: "native" (the accelerator built by npm run build:native: one recvmmsg/sendmmsg per batch of datagrams), "dgram" (node:dgram, one system call and callback per datagram), or "auto" (native when it is built and loads, else dgram with one log line saying why). siplb behaves the same on both; native costs less CPU per message. `siplb status` says which is in use. Default: "auto".',
    example: 'dgram',
    hint: 'use auto, native or dgram',
  }),
  warmUpCalls: doc(int(0, 100000).default(2000), {
    description:
      'Synthetic calls (INVITE to BYE, seven datagrams each) run through a private copy of the proxy before the node takes traffic, so the hot path is already compiled when the first real call arrives: a cold node runs it interpreted, several times slower, and a restart or a standby taking over the virtual IP under load would shed calls for its first seconds. Nothing is sent, logged or counted. 0 turns it off. Default: 2000.',
    example: 0,
  }),
  defaultMaxForwards: doc(int(1, 255).default(70), {
    description: 'Max-Forwards added to a request that has none (RFC 3261 §16.6 step 3). Default: 70.',
    example: 70,
  }),
  recordRoute: doc(z.boolean().default(true), {
    description: 'Insert Record-Route so in-dialog requests come back through siplb (RFC 3261 §16.6 step 4). Default: true.',
    example: false,
  }),
  answerOptions: doc(z.boolean().default(true), {
    description: 'Answer OPTIONS addressed to siplb itself (upstream keepalives of the VIP) instead of forwarding them. Default: true.',
    example: false,
  }),
  optionsReflectBackends: doc(z.boolean().default(true), {
    description:
      'Answer those OPTIONS with 503 and Retry-After (sip.noBackendRetryAfter) while no backend can take a new call, and 200 otherwise, so a carrier that watches the VIP moves traffic away. false: always 200. Default: true.',
    example: false,
  }),
  noBackendRetryAfter: doc(int(1, 3600).default(5), {
    description: 'Retry-After seconds in the 503 sent to a new call, or to an OPTIONS for siplb, while no backend can take a call (RFC 3261 §21.5.4). Default: 5.',
    example: 30,
  }),
});

const BACKEND_TRANSPORTS = ['udp', 'tcp', 'tls'] as const;
const BACKEND_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const dnsName = z.string().refine((v) => isHostname(v) && !isIPv4(v), { params: { rule: 'dns-name' }, message: 'not a DNS host name' });
const srvName = z.string().refine((v) => parseSrvName(v) !== undefined, { params: { rule: 'srv-name' }, message: 'not a SIP SRV name' });
const dnsServer = z.string().transform((v, ctx): Address => {
  const a = parseDnsServer(v);
  if (a === undefined) {
    ctx.addIssue({ code: 'custom', input: v, message: `invalid DNS server '${v}': not an IP address with an optional port`, params: { rule: 'dns-server' } });
    return z.NEVER;
  }
  return a;
});

const BackendSchema = z.strictObject({
  id: doc(z.string().regex(BACKEND_ID).optional(), {
    description:
      'Stable name of the backend in logs, metrics and the admin API. Required with address or host. With srv it is optional and names the members the SRV name yields, `<id>/<target>:<port>` (default: the SRV name itself).',
    example: 'gw1',
    hint: "use 1 to 64 letters, digits, '_', '.' or '-', e.g. gw1",
  }),
  address: doc(address().optional(), {
    description: 'SIP address of the backend, host:port. Required: one of address, host or srv.',
    example: '10.0.0.11:5060',
  }),
  acceptsTcp: doc(z.boolean().default(false), {
    description: 'The backend also takes TCP at its address: a request over sip.udpMtu bytes goes to it over TCP instead of UDP (RFC 3261 §18.1.1). Implied by transport tcp. Default: false.',
    example: true,
  }),
  host: doc(dnsName.optional(), {
    description:
      'DNS name whose A and AAAA records are the backend (every address one member; the id alone when there is one, `<id>/<ip>` when there are several), re-resolved on its TTL within dns.minTtl..dns.maxTtl. Instead of address or srv. Default: unset.',
    example: 'gw1.example.com',
    hint: 'use a DNS host name such as gw1.example.com (an IP address goes into address)',
  }),
  port: doc(int(1, 65535).optional(), {
    description: 'Port of a host backend. Only with host. Default: 5060, or 5061 with transport tls (RFC 3263 §4.2).',
    example: 5080,
  }),
  srv: doc(srvName.optional(), {
    description:
      'DNS SRV name listing the backends (RFC 2782): every target address is a member, SRV priority becomes its priority tier and SRV weight its weight (scaled to 1..100), re-resolved on the TTL within dns.minTtl..dns.maxTtl. _sip._udp, _sip._tcp and _sips._tcp imply transport udp, tcp and tls (RFC 3263 §4.1). Instead of address or host. Default: unset.',
    example: '_sip._udp.gw.example.com',
    hint: 'use _sip._udp.<domain>, _sip._tcp.<domain> or _sips._tcp.<domain>, e.g. _sip._udp.gw.example.com',
  }),
  transport: doc(z.enum(BACKEND_TRANSPORTS).optional(), {
    description:
      'Transport siplb uses towards the backend: udp, tcp or tls. Requests, CANCELs, ACKs and probes go over it (a failed TCP connect or TLS handshake is a probe failure). With srv the SRV name implies it. Default: udp.',
    example: 'tcp',
    hint: 'use udp, tcp or tls',
  }),
  weight: doc(int(1, 100).optional(), {
    description: 'Relative share of new calls (1..100); a backend of weight 2 gets twice the calls of weight 1. Not with srv (the SRV weight applies). Default: 1.',
    example: 2,
  }),
  priority: doc(int(0, 65535).optional(), {
    description:
      'Tier of the backend (0..65535, lower is preferred, like DNS SRV priority): new calls go only to the best tier that has an eligible backend, so a higher number is a standby site. Not with srv (the SRV priority applies). Default: 0.',
    example: 10,
  }),
  health: doc(BackendHealthSchema.prefault({}), {
    description: 'Per-backend overrides of the health thresholds (interval, timeout, fall, rise, okCodes, maxRtt). Default: {} (use health.*).',
    example: { timeout: '800ms' },
  }),
});

const DnsSchema = z.strictObject({
  servers: doc(z.array(dnsServer).min(1).max(10).optional(), {
    description:
      'DNS servers asked for backends[].srv and backends[].host, each an IP address with an optional port (53 when omitted). Default: unset (the system resolvers of /etc/resolv.conf).',
    example: ['10.0.0.53', '10.0.0.54:5353'],
    hint: 'list IP addresses, with a port when not 53, e.g. ["10.0.0.53", "[2001:db8::53]:5353"]',
  }),
  minTtl: doc(duration(1000, 3_600_000).prefault('5s'), {
    description: 'Floor of the re-resolution interval: a record with a shorter TTL is asked again after this long, not sooner. Default: "5s". In Config: integer milliseconds.',
    example: '10s',
  }),
  maxTtl: doc(duration(1000, 86_400_000).prefault('5m'), {
    description: 'Ceiling of the re-resolution interval: a record is asked again after this long even when its TTL is longer. Must not be below minTtl. Default: "5m". In Config: integer milliseconds.',
    example: '1m',
  }),
});

const BALANCE_MODES = ['hash', 'round-robin', 'least-connections'] as const;
const HASH_KEYS = ['call-id', 'from-user', 'to-user', 'request-uri-user'] as const;
const HASH_KINDS = ['register', 'registered', 'other'] as const;
type HashKeyName = (typeof HASH_KEYS)[number];
type HashKinds = Readonly<Record<(typeof HASH_KINDS)[number], HashKeyName>>;

/**
 * Per-kind default: a REGISTER by its address-of-record user (RFC 3261 §10.2), a call to a user
 * that registered through siplb by the Request-URI user (so it meets that registrar), everything
 * else by Call-ID (so calls to one number spread). See README "Registrars and hash keys".
 */
export const DEFAULT_HASH_KEYS: HashKinds = Object.freeze({ register: 'to-user', registered: 'request-uri-user', other: 'call-id' });

const hashKeyName = z.enum(HASH_KEYS);
const HashKeyMapSchema = z.strictObject({
  register: doc(hashKeyName.optional(), {
    description: `Key of a REGISTER. Its Request-URI has no user (RFC 3261 §10.2), so to-user (the address-of-record) or from-user. Default: "${DEFAULT_HASH_KEYS.register}".`,
    example: 'to-user',
  }),
  registered: doc(hashKeyName.optional(), {
    description: `Key of a request whose Request-URI user registered through siplb within the last hour: request-uri-user or to-user lands it on the registrar holding the binding. Default: "${DEFAULT_HASH_KEYS.registered}".`,
    example: 'request-uri-user',
  }),
  other: doc(hashKeyName.optional(), {
    description: `Key of every other request. call-id spreads calls to one number over all backends. Default: "${DEFAULT_HASH_KEYS.other}".`,
    example: 'call-id',
  }),
});

const BalanceSchema = z
  .strictObject({
    mode: doc(z.enum(BALANCE_MODES).default('hash'), {
      description: 'How a new call picks its backend: consistent hash of hashKey, weighted round-robin, or fewest active calls. Default: "hash".',
      example: 'round-robin',
    }),
    hashKey: doc(z.union([hashKeyName, HashKeyMapSchema]).optional(), {
      description:
        'What mode "hash" hashes: one key for every request (call-id, from-user, to-user, request-uri-user), or a key per request kind { register, registered, other }. Only valid with mode "hash". Default: { register: to-user, registered: request-uri-user, other: call-id }.',
      example: { register: 'to-user', registered: 'request-uri-user', other: 'call-id' },
      hint: 'use one of call-id, from-user, to-user, request-uri-user, or a map such as { register: to-user, registered: request-uri-user, other: call-id }',
    }),
    vnodes: doc(int(1, 10_000).default(DEFAULT_VNODES), {
      description: `Virtual nodes per unit of weight on the hash ring; more spreads calls more evenly. The default keeps the busiest backend within 10 % of the mean for 3-10 backends (fewer, e.g. 160, lets it reach ~20 %). Default: ${DEFAULT_VNODES}.`,
      example: 3000,
    }),
    affinityTtl: doc(duration().prefault('32s'), {
      description: 'How long a Call-ID stays pinned to its backend after its last request (64×T1, RFC 3261 Timer B). Needs a restart to change. Default: "32s". In Config: integer milliseconds.',
      example: '1m',
    }),
    failback: doc(z.enum(['hold-registrations', 'immediate']).default('hold-registrations'), {
      description:
        'Where a device goes once the backend it failed over from comes back. "hold-registrations": siplb learns from each REGISTER\'s 2xx which backend holds the address-of-record and until when (Contact expires, RFC 3261 §10.3), and the device\'s REGISTER refreshes, its own requests (From = the AOR, e.g. GB/T 28181 keep-alive MESSAGEs) and, when hashKey.registered keys on the user, requests to it go to that backend while it is eligible, so they stay on the backend that holds the registration until it expires or is refreshed elsewhere. "immediate": the balancer decides at once, as before (a returning backend gets its share back, without the registrations). Default: "hold-registrations".',
      example: 'immediate',
    }),
    affinityMaxEntries: doc(int(1, 10_000_000).default(200000), {
      description: 'Cap on pinned Call-IDs (and on remembered registered users and registration holders); the oldest go first when it is reached. Needs a restart to change. Default: 200000.',
      example: 500000,
    }),
  })
  .superRefine((b, ctx) => {
    if (b.hashKey !== undefined && b.mode !== 'hash') {
      const shown = typeof b.hashKey === 'string' ? b.hashKey : JSON.stringify(b.hashKey);
      ctx.addIssue({
        code: 'custom',
        path: ['hashKey'],
        message: `hashKey ${typeof b.hashKey === 'string' ? `'${shown}'` : shown} has no effect with mode '${b.mode}'`,
        params: { rule: 'hash-key-without-hash-mode', mode: b.mode, hashKey: shown },
      });
    }
  })
  .transform((b) => ({ ...b, hashKey: normalizeHashKey(b.hashKey) }));

/** One key → the same key for every kind; a partial map → filled from the defaults. */
function normalizeHashKey(k: HashKeyName | Partial<Record<(typeof HASH_KINDS)[number], HashKeyName | undefined>> | undefined): HashKinds {
  if (k === undefined) return DEFAULT_HASH_KEYS;
  if (typeof k === 'string') return { register: k, registered: k, other: k };
  return {
    register: k.register ?? DEFAULT_HASH_KEYS.register,
    registered: k.registered ?? DEFAULT_HASH_KEYS.registered,
    other: k.other ?? DEFAULT_HASH_KEYS.other,
  };
}

const HealthSchema = z.strictObject({
  enabled: doc(z.boolean().default(true), {
    description: 'Probe backends with SIP OPTIONS. When false, every backend counts as up unless passive checks or an operator say otherwise. Default: true.',
    example: false,
  }),
  startState: doc(z.enum(['up', 'probe-first']).default('up'), {
    description: 'State of a backend before its first probe: "up" takes traffic at once, "probe-first" waits for rise successes. Default: "up".',
    example: 'probe-first',
  }),
  fromUri: doc(z.string().regex(/^sips?:\S+$/).default('sip:siplb@localhost'), {
    description: 'From URI of probe OPTIONS. Default: "sip:siplb@localhost".',
    example: 'sip:probe@lb.example.com',
    hint: 'use a SIP URI, e.g. sip:probe@lb.example.com',
  }),
  userAgent: doc(z.string().min(1).max(128).default('siplb'), {
    description: 'User-Agent header of probe OPTIONS. Default: "siplb".',
    example: 'siplb-probe',
  }),
  source: doc(address(true).optional(), {
    description:
      "Address probes are sent from. Probes always use a socket of their own, so their replies never queue behind a flood of SIP traffic. Set it to this node's own IP when sip.listen is a VIP shared by several nodes: a standby's probe replies addressed to the VIP would reach the leader, and the standby would mark every backend down. Port 0 picks a free port. Default: the host of sip.listen with a free port.",
    example: '10.0.0.21:0',
  }),
  ...globalThresholds,
});

const PassiveSchema = z.strictObject({
  enabled: doc(z.boolean().default(true), {
    description: 'Also judge backends by live traffic (timeouts, 503s). Default: true.',
    example: false,
  }),
  inviteTimeout: doc(duration().prefault('5s'), {
    description: 'An INVITE with no response at all from the backend within this time counts as a failure. Default: "5s". In Config: integer milliseconds.',
    example: '3s',
  }),
  consecutive503: doc(int(1, 100).default(3), {
    description: 'Consecutive blamed final responses (see blameCodes; 503 by default, hence the name) that count as one failure of the backend. Default: 3.',
    example: 5,
  }),
  blameCodes: doc(z.array(int(300, 699)).prefault([503]), {
    description:
      "Final responses that count against the health of the backend that generated them. A response the backend only relayed from further downstream (its Server/User-Agent differs from the backend's own probe replies, see README \"Failover and health blame\") is never blamed unless blameRelayed is true. A backend that sends no response at all is always blamed (inviteTimeout, failover.timeout). Default: [503].",
    example: [503, 500],
  }),
  blameRelayed: doc(z.boolean().default(false), {
    description: 'Also blame the backend for blameCodes it merely relayed (right for gateways and B2BUAs behind siplb that hide their downstream, wrong for proxies). Default: false.',
    example: true,
  }),
  honorRetryAfter: doc(z.boolean().default(true), {
    description: 'On a 503 with Retry-After, keep the backend down for that long (RFC 3261 §21.5.4). Default: true.',
    example: false,
  }),
  maxRetryAfter: doc(duration().prefault('300s'), {
    description: 'Upper bound on a honoured Retry-After. Default: "300s". In Config: integer milliseconds.',
    example: '60s',
  }),
});

/** Methods that may start a non-INVITE transaction at a backend (not ACK/CANCEL: they belong to an INVITE). */
const NON_INVITE_FAILOVER_METHODS = ['REGISTER', 'MESSAGE', 'SUBSCRIBE', 'OPTIONS', 'PUBLISH', 'NOTIFY', 'INFO', 'REFER'] as const;

const FailoverSchema = z.strictObject({
  enabled: doc(z.boolean().default(true), {
    description: 'Retry an INVITE on another backend when the first does not answer or answers with one of codes. Default: true.',
    example: false,
  }),
  timeout: doc(duration().prefault('400ms'), {
    description: "Time without any response after which the INVITE goes to the next backend (and the silent backend is blamed); below the UAC's first retransmission at T1=500ms (RFC 3261 §17.1.1.2). Default: \"400ms\". In Config: integer milliseconds.",
    example: '300ms',
  }),
  codes: doc(z.array(int(400, 699)).prefault([503]), {
    description:
      "Final responses that send the INVITE to the next backend instead of the caller — when the backend generated them itself (see relayed), and only while no provisional response other than 100 has been relayed: after a 180/183 the call belongs to that branch (RFC 3261 §16.7). Whether the backend's health suffers is passive.blameCodes' business. A 408 or 500 from a proxy usually means no answer or a failure downstream, which another proxy would repeat. Default: [503].",
    example: [503, 500],
  }),
  relayed: doc(z.boolean().default(false), {
    description:
      "Also fail over on one of codes that the backend only relayed from downstream (its Server/User-Agent differs from the backend's own probe replies). Off by default: another proxy would reach the same downstream, which has already seen this very request and may refuse the copy as a merged request (RFC 3261 §8.2.2.2). Turn it on for backends that hide their downstream. Default: false.",
    example: true,
  }),
  maxAttempts: doc(int(1, 10).default(2), {
    description: 'Backends tried for one INVITE (or covered non-INVITE request), the first included; 1 disables failover. Default: 2.',
    example: 3,
  }),
  methods: doc(z.array(z.enum(NON_INVITE_FAILOVER_METHODS)).prefault(['REGISTER', 'MESSAGE', 'SUBSCRIBE']), {
    description:
      'Non-INVITE methods whose out-of-dialog requests (no To tag) also go to the next backend on silence (timeout) or one of codes, by the same rules as an INVITE. A non-INVITE cannot be CANCELled (RFC 3261 §9.1): the abandoned branch is forgotten and its late answers absorbed. [] limits failover to INVITE. Default: ["REGISTER", "MESSAGE", "SUBSCRIBE"].',
    example: ['REGISTER', 'MESSAGE', 'SUBSCRIBE', 'OPTIONS', 'PUBLISH'],
  }),
});

const DialogsSchema = z.strictObject({
  maxCallDuration: doc(duration().prefault('3h'), {
    description: 'A dialog with no BYE is forgotten after this long. Needs a restart to change. Default: "3h". In Config: integer milliseconds.',
    example: '12h',
  }),
  maxEntries: doc(int(1, 10_000_000).default(500000), {
    description: 'Cap on tracked dialogs. When it is reached, new dialogs are not counted (and the refusals counted); dialogs already tracked are never evicted, so counts stay exact for them. Default: 500000.',
    example: 1000000,
  }),
});

const OverloadSchema = z.strictObject({
  enabled: doc(z.boolean().default(true), {
    description: 'Shed new calls with a stateless 503 when the node is saturated, instead of losing datagrams silently in the kernel. In-dialog requests and responses are never shed. Default: true.',
    example: false,
  }),
  maxQueueDelay: doc(duration().prefault('1s'), {
    description: 'The node is behind when the SIP socket\'s receive queue stays non-empty this long (it could not catch up once), when the queue fills half its buffer, or when the kernel drops datagrams from it. While behind, the share of new INVITEs admitted shrinks (x0.7 per 100 ms, down to 5 %, holding while the queue shrinks); it grows back by 4 % per 100 ms once the node keeps up. Shed calls get a 503 with Retry-After. A queue that has not emptied for 1 s holds requests past the retransmission timer of their senders (T1 = 500 ms, RFC 3261 §17.1.1.1), so shed then even when the buffer is large; shorter bursts are what the queue is for (a node on a shared CPU falls behind for a fraction of a second and catches up). Default: "1s". In Config: integer milliseconds.',
    example: '500ms',
  }),
  maxUtilization: doc(z.number().min(0.1).max(1).default(0.9), {
    description: 'Event-loop utilization (0..1, share of time the node is busy) above which, for a second, the node counts as saturated: its own late answers are then no evidence against a backend (passive INVITE timeouts and serial-failover timeouts are not counted). Utilization alone does not shed calls: a node sharing its CPU can be busy and still keep up. Default: 0.9.',
    example: 0.8,
  }),
  retryAfter: doc(int(1, 3600).default(2), {
    description: 'Retry-After seconds in the 503 sent to a shed call (RFC 3261 §21.5.4). Default: 2.',
    example: 5,
  }),
});

const AdminSchema = z.strictObject({
  listen: doc(address(true).prefault('127.0.0.1:8060'), {
    description: 'HTTP address of the admin API. Off loopback, token is required. Default: "127.0.0.1:8060".',
    example: '127.0.0.1:9060',
  }),
  token: doc(z.string().min(16).max(1024).optional(), {
    description: 'Bearer token the admin API requires (16+ characters): for every route over TCP when set, and for state changes (POST) over TCP always (without it, use admin.socket). Required when listen is not a loopback address. Default: unset (reads open on loopback, state changes only through admin.socket).',
    example: 'c2f1e0b7a9d84e6f8c1b2a3d4e5f6a7b',
    hint: 'use a random secret of at least 16 characters, e.g. the output of `openssl rand -hex 32`',
  }),
  socket: doc(z.string().min(1).max(100).regex(/^\//).optional(), {
    description:
      'Unix socket the admin API also listens on; whoever may open the file (its mode and owner decide, as with HAProxy\'s stats socket) may change state without a token. The CLI uses it by default when it exists. Over TCP, state changes (POST) need admin.token; a node with neither refuses them. Absolute path, at most 100 bytes (sun_path). Default: unset (no socket).',
    example: '/run/siplb/admin.sock',
    hint: 'use an absolute path, e.g. /run/siplb/admin.sock (systemd RuntimeDirectory=siplb)',
  }),
  socketMode: doc(z.string().regex(/^0?[0-7]{3}$/).default('0660'), {
    description: 'File mode of admin.socket, octal: who besides its owner may use it. 0660 lets the siplb group in (add operators to it); 0600 only the siplb user. Default: "0660".',
    example: '0600',
    hint: 'write an octal mode as a string, e.g. "0660"',
  }),
});

const cidr = z.string().refine((v) => parseCidr(v) !== undefined, { message: 'not an IP address or CIDR block (e.g. 192.0.2.0/24, 2001:db8::/32)' });

const RateLimitSchema = z.strictObject({
  enabled: doc(z.boolean().default(false), {
    description:
      'Limit new (out-of-dialog) requests per source IP with a token bucket. Trusted sources (security.trustedSources) and backends are exempt. Off by default because one carrier trunk legitimately sends hundreds of calls per second from one address: list your carriers in trustedSources, then turn it on for everyone else. Default: false.',
    example: true,
  }),
  perSecond: doc(z.number().min(0.1).max(100_000).default(20), {
    description: 'Sustained new requests per second allowed from one source IP; beyond it they get 503 with Retry-After (RFC 3261 §21.5.4). Default: 20.',
    example: 50,
  }),
  burst: doc(int(1, 1_000_000).default(40), {
    description: 'Requests one source may send at once above perSecond (the bucket size). A source that sends more than this many refused requests in a row despite the 503s is blocked. Default: 40.',
    example: 100,
  }),
  blockFor: doc(duration(1000, 86_400_000).prefault('60s'), {
    description: 'How long a source that keeps flooding is dropped silently (no answer at all, so siplb spends nothing on it and cannot be used as a reflector). Default: "60s". In Config: integer milliseconds.',
    example: '10m',
  }),
});

const ScannersSchema = z.strictObject({
  enabled: doc(z.boolean().default(true), {
    description: 'Drop requests whose User-Agent contains a scanner signature silently: scanners map networks by what answers, and their calls are toll-fraud attempts. Backends are exempt. Default: true.',
    example: false,
  }),
  userAgents: doc(z.array(z.string().min(3).max(100)).max(100).prefault([...DEFAULT_SCANNER_USER_AGENTS]), {
    description: `User-Agent substrings (ASCII case-insensitive) that mark a scanner. Default: ${JSON.stringify(DEFAULT_SCANNER_USER_AGENTS)}.`,
    example: ['friendly-scanner', 'sipvicious', 'my-old-pentest-tool'],
  }),
});

const SecuritySchema = z.strictObject({
  trustedSources: doc(z.array(cidr).max(10_000).prefault([]), {
    description:
      'Source IPs or CIDR blocks allowed to send requests (start calls) through siplb, exempt from the rate limit; backends are always trusted. Empty: every source may, subject to the rate limit. Default: [].',
    example: ['198.51.100.0/24', '2001:db8:10::/48'],
  }),
  untrusted: doc(z.enum(['reject', 'drop']).default('reject'), {
    description: 'What a request from a source outside a non-empty trustedSources gets: "reject" answers 403 Forbidden, "drop" sends nothing (the source cannot tell a SIP server is there). Default: "reject".',
    example: 'drop',
  }),
  rateLimit: doc(RateLimitSchema.prefault({}), { description: 'Per-source-IP limit on new requests. Default: {} (off).' }),
  scanners: doc(ScannersSchema.prefault({}), { description: 'Scanner signatures. Default: {} (on).' }),
  maxSources: doc(int(100, 10_000_000).default(100_000), {
    description: 'Most source IPs remembered at once for rate limits, blocks and the top-offenders view (about 150 bytes each); the least recently added idle ones are forgotten first. Default: 100000.',
    example: 20000,
  }),
  topOffenders: doc(int(1, 100).default(10), {
    description: 'Length of the top-offenders list in GET /status and `siplb status`. Default: 10.',
    example: 20,
  }),
});

const HaSchema = z.strictObject({
  redis: doc(
    z
      .string()
      .refine((v) => /^rediss?:\/\/[^\s/]/.test(v) && URL.canParse(v), { params: { rule: 'redis-url' }, message: 'invalid Redis URL' })
      .optional(),
    {
      description: 'Redis URL holding the leader lease, e.g. redis://10.0.0.5:6379/0 or rediss:// for TLS. Default: unset (standalone: this node is always leader).',
      example: 'redis://10.0.0.5:6379/0',
    },
  ),
  key: doc(z.string().min(1).max(256).default('siplb:leader'), {
    description: 'Redis key of the leader lease; the same on every node of one cluster. Default: "siplb:leader".',
    example: 'siplb:prod:leader',
  }),
  leaseTtl: doc(duration().prefault('3s'), {
    description: 'Lifetime of the leader lease; a dead leader is replaced after at most this long. Default: "3s". In Config: integer milliseconds.',
    example: '5s',
  }),
  renewInterval: doc(duration().prefault('1s'), {
    description: 'How often the leader renews its lease. Must be below leaseTtl/2 so one lost renewal does not cost leadership. Default: "1s". In Config: integer milliseconds.',
    example: '1500ms',
  }),
  commandTimeout: doc(duration().prefault('500ms'), {
    description: 'Timeout of one Redis command; a leader that cannot renew in time fences itself. Must be below renewInterval. Default: "500ms". In Config: integer milliseconds.',
    example: '300ms',
  }),
  roleFile: doc(z.string().min(1).optional(), {
    description: 'File siplb writes its keepalived weight to on each role change: 50 while it is the Redis leader, 0 otherwise (read by keepalived track_file with weight 1, see keepalived/README.md). Default: unset (no file).',
    example: '/run/siplb/role',
  }),
});

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

const LogSchema = z.strictObject({
  level: doc(z.enum(LOG_LEVELS).default('info'), {
    description: 'Lowest log level written. Overridden by the SIPLB_LOG_LEVEL environment variable and the logLevel override (command line). Default: "info".',
    example: 'debug',
  }),
});

/** The document without the rules that span sections (see ./cross-field.ts). */
export const ConfigBodySchema = z.strictObject({
  node: doc(NodeSchema.prefault({}), { description: 'This instance. Default: {}.' }),
  sip: doc(SipSchema.prefault({}), { description: 'SIP listener and forwarding. Default: {}.' }),
  backends: doc(z.array(BackendSchema).min(1), {
    description: 'The SIP servers calls are spread over: each entry one fixed address, a DNS host name (A/AAAA) or an SRV name. Required: at least one; ids and addresses unique.',
    example: [{ id: 'gw1', address: '10.0.0.11:5060' }],
    hint: 'add a list, e.g. backends: [{ id: gw1, address: "10.0.0.11:5060" }]',
  }),
  dns: doc(DnsSchema.prefault({}), { description: 'How backends[].srv and backends[].host are resolved. Default: {} (system resolvers, TTL within 5s..5m).' }),
  balance: doc(BalanceSchema.prefault({}), { description: 'Choice of backend for a new call. Default: {}.' }),
  health: doc(HealthSchema.prefault({}), { description: 'Active health checks with SIP OPTIONS. Default: {}.' }),
  passive: doc(PassiveSchema.prefault({}), { description: 'Health judged from live traffic. Default: {}.' }),
  failover: doc(FailoverSchema.prefault({}), { description: 'Retrying an INVITE on another backend. Default: {}.' }),
  dialogs: doc(DialogsSchema.prefault({}), { description: 'Dialog tracking limits. Default: {}.' }),
  overload: doc(OverloadSchema.prefault({}), { description: 'Load shedding when the node is saturated. Default: {}.' }),
  security: doc(SecuritySchema.prefault({}), { description: 'Abuse protection for requests from non-backend sources: trusted sources, rate limit, scanner signatures. Default: {}.' }),
  admin: doc(AdminSchema.prefault({}), { description: 'HTTP admin API. Default: {}.' }),
  ha: doc(HaSchema.prefault({}), { description: 'Active/standby leadership through a Redis lease. Default: {} (standalone).' }),
  flow: doc(FlowSchema.prefault({}), { description: 'Flow tokens in Path and Record-Route (RFC 5626, RFC 3327): reaching clients over their own connection. Default: {}.' }),
  log: doc(LogSchema.prefault({}), { description: 'Logging. Default: {}.' }),
});

export type ConfigBody = z.output<typeof ConfigBodySchema>;
/** One `backends[]` entry as written (address, host or srv), before the split into fixed and DNS backends. */
export type BackendEntry = ConfigBody['backends'][number];
export type HealthThresholds = Pick<ConfigBody['health'], ThresholdKey>;
export type HashKey = HashKeyName;
export { BALANCE_MODES, HASH_KEYS, HASH_KINDS, LOG_LEVELS, formatAddress };
