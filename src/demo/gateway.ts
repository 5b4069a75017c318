/**
 * @module demo/gateway
 * A demo SIP gateway (UAS) for `siplb demo`: the smallest peer that lets siplb balance real calls
 * on a machine without sipp. On one UDP socket on 127.0.0.1 it answers
 * - OPTIONS with 200 (so siplb's health probes see it alive);
 * - INVITE with 100 Trying, 180 Ringing and 200 OK at once, the 180 and 200 carrying a copy of
 *   every Record-Route (RFC 3261 §12.1.1: the caller's ACK and BYE then come back through siplb)
 *   and a Contact naming this gateway; the 200 is retransmitted with Timer G's schedule (T1,
 *   2·T1 … T2) until the ACK arrives, for at most 64·T1 (§13.3.1.4);
 * - a retransmitted INVITE with the same final response again (§17.2.1), ACK by stopping the
 *   200 retransmissions, BYE and CANCEL with 200, anything else with 501.
 *
 * Taking the gateway down closes its socket: siplb's datagrams meet a closed port, as with a
 * crashed server. Bringing it back binds the same port again. The gateway keeps the calls it
 * answered across that gap (as a server that restarts with its state would), so a BYE the caller
 * retransmits while it is down is answered once it is back. Responses go to the datagram's
 * source (siplb's socket), which is where the top Via's received/rport point (RFC 3581 §4).
 */
import type { RemoteInfo } from 'node:dgram';
import { buildResponse, HeaderId, parseSip, type SipRequest } from '../sip/index.js';
import { UdpPeer } from './udp-peer.js';

export interface GatewayOptions {
  /** Name in the Contact user part and in the demo's table, e.g. "gw1". */
  readonly id: string;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** RFC 3261 T1, the base of every retransmission interval. @default 500 */
  readonly t1Ms?: number;
}

export interface GatewayStats {
  readonly options: number;
  /** Distinct INVITE transactions answered (retransmissions not counted). */
  readonly invites: number;
  readonly byes: number;
}

interface Answered {
  /** CSeq number of the INVITE: a higher one in the same call would be a new transaction. */
  readonly cseq: number;
  /** The 200 OK, sent again for a retransmitted INVITE or by Timer G. */
  readonly ok: Buffer;
  readonly to: { readonly port: number; readonly host: string };
  /** Set once the ACK (or a BYE) arrived. */
  confirmed: boolean;
  retransmit: NodeJS.Timeout | undefined;
  readonly at: number;
}

const T2_MS = 4000;
/** Answered calls are forgotten this long after their INVITE (a demo call lasts seconds). */
const FORGET_AFTER_MS = 5 * 60_000;
const SWEEP_MS = 10_000;

export class DemoGateway {
  readonly id: string;
  readonly #t1: number;
  readonly #peer: UdpPeer;
  /** Key: Call-ID. */
  readonly #answered = new Map<string, Answered>();
  #sweep: NodeJS.Timeout | undefined;
  #options = 0;
  #invites = 0;
  #byes = 0;

  constructor(opts: GatewayOptions) {
    this.id = opts.id;
    this.#t1 = opts.t1Ms ?? 500;
    this.#peer = new UdpPeer(opts.host ?? '127.0.0.1', (buf, from) => this.#receive(buf, from));
  }

  get address(): string {
    return `${this.#peer.host}:${this.#peer.port}`;
  }

  get port(): number {
    return this.#peer.port;
  }

  /** True while the socket is open (the gateway answers). */
  get running(): boolean {
    return this.#peer.open;
  }

  stats(): GatewayStats {
    return { options: this.#options, invites: this.#invites, byes: this.#byes };
  }

  /** Binds a free port chosen by the kernel; resolves with it. */
  async start(): Promise<number> {
    const port = await this.#peer.bind(0);
    this.#sweep = setInterval(() => this.#forgetOld(), SWEEP_MS);
    this.#sweep.unref();
    return port;
  }

  /** Takes the gateway down: closes the socket. Retransmissions of its 200s stop. */
  async down(): Promise<void> {
    for (const a of this.#answered.values()) this.#stopRetransmit(a);
    await this.#peer.close();
  }

  /** Brings the gateway back on the port it had. */
  async up(): Promise<void> {
    await this.#peer.bind(this.#peer.port);
  }

  /** Closes the socket and every timer for good. */
  async close(): Promise<void> {
    if (this.#sweep) clearInterval(this.#sweep);
    this.#sweep = undefined;
    await this.down();
    this.#answered.clear();
  }

  #receive(buf: Buffer, from: RemoteInfo): void {
    const parsed = parseSip(buf);
    // Responses and garbage: a UAS has nothing to say to them.
    if (!parsed.ok || parsed.msg.kind !== 'request') return;
    const req = parsed.msg;
    const reply = (status: number, extra: readonly string[] = []): void =>
      this.#peer.send(buildResponse(req, status, { extraHeaders: extra }), from.port, from.address);
    switch (req.method) {
      case 'OPTIONS':
        this.#options++;
        return reply(200, ['Allow: INVITE, ACK, BYE, CANCEL, OPTIONS', 'Accept: application/sdp']);
      case 'INVITE':
        return this.#invite(req, from);
      case 'ACK':
        return this.#confirm(req.callId());
      case 'BYE':
        this.#byes++;
        this.#confirm(req.callId()); // a BYE also proves the 200 arrived
        return reply(200);
      case 'CANCEL':
        // Every INVITE is answered at once, so a CANCEL always comes too late (§9.2): 200, no 487.
        return reply(200);
      default:
        return reply(501);
    }
  }

  #invite(req: SipRequest, from: RemoteInfo): void {
    const callId = req.callId();
    const cseq = req.cseq().seq;
    const known = this.#answered.get(callId);
    if (known?.cseq === cseq) {
      // A retransmission: our answer was lost or is late. The same final response again.
      this.#peer.send(known.ok, known.to.port, known.to.host);
      return;
    }
    this.#invites++;
    const dialog = [
      ...req.headers.filter((f) => f.id === HeaderId.RECORD_ROUTE).map((f) => `Record-Route: ${req.valueOf(f)}`),
      `Contact: <sip:${this.id}@${this.address}>`,
    ];
    const to = { port: from.port, host: from.address };
    this.#peer.send(buildResponse(req, 100), to.port, to.host);
    // 180 and 200 get the same To tag: buildResponse derives it from the request (§8.2.6.2).
    this.#peer.send(buildResponse(req, 180, { extraHeaders: dialog }), to.port, to.host);
    const ok = buildResponse(req, 200, { extraHeaders: dialog });
    this.#peer.send(ok, to.port, to.host);
    if (known) this.#stopRetransmit(known);
    const answered: Answered = { cseq, ok, to, confirmed: false, retransmit: undefined, at: Date.now() };
    this.#answered.delete(callId); // re-inserted last: the map stays in age order
    this.#answered.set(callId, answered);
    this.#scheduleRetransmit(answered, this.#t1, 0);
  }

  /** Timer G: the 200 again after T1, 2·T1, 4·T1 … capped at T2, until confirmed or 64·T1 passed. */
  #scheduleRetransmit(a: Answered, interval: number, elapsed: number): void {
    if (a.confirmed || elapsed + interval > 64 * this.#t1) return;
    a.retransmit = setTimeout(() => {
      a.retransmit = undefined;
      if (a.confirmed || !this.#peer.open) return;
      this.#peer.send(a.ok, a.to.port, a.to.host);
      this.#scheduleRetransmit(a, Math.min(interval * 2, T2_MS), elapsed + interval);
    }, interval);
  }

  #confirm(callId: string): void {
    const a = this.#answered.get(callId);
    if (!a) return;
    a.confirmed = true;
    this.#stopRetransmit(a);
  }

  #stopRetransmit(a: Answered): void {
    if (a.retransmit) clearTimeout(a.retransmit);
    a.retransmit = undefined;
  }

  #forgetOld(): void {
    const cutoff = Date.now() - FORGET_AFTER_MS;
    for (const [key, a] of this.#answered) {
      if (a.at > cutoff) break; // insertion order is age order
      this.#stopRetransmit(a);
      this.#answered.delete(key);
    }
  }
}
