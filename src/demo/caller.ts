/**
 * @module demo/caller
 * The demo call generator (UAC) for `siplb demo`: places calls through siplb at a steady rate,
 * up to a fixed total, on one UDP socket on 127.0.0.1. Each call is
 * INVITE → (100/180) → 200 → ACK → hold → BYE → 200, and counts as completed only when the BYE
 * is answered.
 *
 * UDP reliability as RFC 3261 §17.1 has it, so a call survives a lost datagram or a gateway that
 * is down for a while:
 * - the INVITE is retransmitted after T1, 2·T1, 4·T1 … until a response arrives (Timer A), and
 *   the call fails when no final response comes within 64·T1 (Timer B);
 * - a 2xx is acknowledged by an ACK of its own (§13.2.2.4) sent along the route set learnt from
 *   the Record-Route (§12.1.2, reversed; loose routing, so to the first Route's address), to the
 *   Contact as Request-URI; a retransmitted 2xx gets the same ACK again;
 * - the BYE is retransmitted after T1, 2·T1 … capped at T2 (Timer E) until a final response, and
 *   fails after 64·T1 (Timer F);
 * - a non-2xx final response to the INVITE is acknowledged hop by hop (§17.1.1.3) and the call
 *   counts as failed with that status.
 */
import type { RemoteInfo } from 'node:dgram';
import { HeaderId, parseNameAddr, parseSip, type NameAddr, type SipResponse } from '../sip/index.js';
import type { HostPort } from '../transport/address.js';
import { token, UdpPeer } from './udp-peer.js';

export interface CallerOptions {
  /** siplb's SIP address: every INVITE goes there. */
  readonly target: HostPort;
  /** New calls per second. @default 10 */
  readonly rate?: number;
  /** Calls placed in total; the caller places no more after that. */
  readonly maxCalls: number;
  /** Time between the ACK and the BYE. @default 2000 */
  readonly holdMs?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** RFC 3261 T1. @default 500 */
  readonly t1Ms?: number;
}

export interface CallerStats {
  /** INVITEs sent (calls begun). */
  readonly placed: number;
  /** Calls whose INVITE got a 2xx. */
  readonly answered: number;
  /** Calls whose BYE got a 2xx. */
  readonly completed: number;
  readonly failed: number;
  /** Placed, neither completed nor failed yet. */
  readonly inProgress: number;
  /** Why calls failed: 'invite-timeout', 'invite-486', 'bye-timeout', 'bye-481' … */
  readonly failures: Readonly<Record<string, number>>;
}

type Phase = 'inviting' | 'proceeding' | 'holding' | 'bye';

interface Call {
  readonly callId: string;
  readonly fromTag: string;
  readonly inviteBranch: string;
  readonly invite: Buffer;
  phase: Phase;
  /** Retransmission or hold timer (one at a time). */
  timer: NodeJS.Timeout | undefined;
  /** Timer B / Timer F: the transaction gives up. */
  deadline: NodeJS.Timeout | undefined;
  ack: Buffer | undefined;
  bye: Buffer | undefined;
  /** Where ACK and BYE go: the first Route's address, else the Contact's. */
  next: HostPort | undefined;
}

const T2_MS = 4000;

export class DemoCaller {
  readonly #opts: Required<Omit<CallerOptions, 'target'>> & { target: HostPort };
  readonly #peer: UdpPeer;
  readonly #calls = new Map<string, Call>();
  readonly #failures = new Map<string, number>();
  #pacer: NodeJS.Timeout | undefined;
  #startedAt = 0;
  #placed = 0;
  #answered = 0;
  #completed = 0;
  #failed = 0;
  #closed = false;

  constructor(opts: CallerOptions) {
    this.#opts = { rate: 10, holdMs: 2000, host: '127.0.0.1', t1Ms: 500, ...opts };
    this.#peer = new UdpPeer(this.#opts.host, (buf, from) => this.#receive(buf, from));
  }

  stats(): CallerStats {
    return {
      placed: this.#placed,
      answered: this.#answered,
      completed: this.#completed,
      failed: this.#failed,
      inProgress: this.#calls.size,
      failures: Object.fromEntries(this.#failures),
    };
  }

  /** Every call placed and none in progress. */
  get done(): boolean {
    return this.#placed >= this.#opts.maxCalls && this.#calls.size === 0;
  }

  /** Binds a free port and starts placing calls. */
  async start(): Promise<void> {
    await this.#peer.bind(0);
    this.#startedAt = performance.now();
    // One pacing tick every 20 ms places the calls that are due: `rate` per second on average,
    // without a timer per call and without bursts after a slow tick beyond what is due.
    this.#pacer = setInterval(() => this.#pace(), 20);
    this.#pace();
  }

  /** Places no more calls; calls in progress carry on. */
  stopPlacing(): void {
    if (this.#pacer) clearInterval(this.#pacer);
    this.#pacer = undefined;
  }

  /** Stops everything: calls still in progress are abandoned (neither completed nor failed). */
  async close(): Promise<void> {
    this.#closed = true;
    this.stopPlacing();
    for (const c of this.#calls.values()) this.#clearTimers(c);
    await this.#peer.close();
  }

  #pace(): void {
    const due = Math.min(this.#opts.maxCalls, Math.floor(((performance.now() - this.#startedAt) / 1000) * this.#opts.rate) + 1);
    while (this.#placed < due) this.#place();
    if (this.#placed >= this.#opts.maxCalls) this.stopPlacing();
  }

  #place(): void {
    this.#placed++;
    const callId = `${token()}@siplb-demo`;
    const fromTag = token(4);
    const inviteBranch = `z9hG4bK${token()}`;
    const { host, port } = this.#opts.target;
    const ruri = `sip:demo@${host}:${port}`;
    const invite = this.#request('INVITE', ruri, { callId, fromTag, branch: inviteBranch, cseq: 1, to: `<${ruri}>` }, [
      `Contact: <sip:caller@${this.#opts.host}:${this.#peer.port}>`,
    ]);
    const call: Call = { callId, fromTag, inviteBranch, invite, phase: 'inviting', timer: undefined, deadline: undefined, ack: undefined, bye: undefined, next: undefined };
    this.#calls.set(callId, call);
    this.#transmit(call, invite, this.#opts.target, 'inviting', false);
    call.deadline = setTimeout(() => this.#fail(call, 'invite-timeout'), 64 * this.#opts.t1Ms);
  }

  /**
   * Sends `buf` now and again after T1, 2·T1 … (capped at T2 when `capped`: Timer E; Timer A
   * doubles without a cap) while the call stays in `phase`.
   */
  #transmit(call: Call, buf: Buffer, to: HostPort, phase: Phase, capped: boolean, interval = this.#opts.t1Ms): void {
    this.#peer.send(buf, to.port, to.host);
    call.timer = setTimeout(() => {
      call.timer = undefined;
      if (call.phase === phase) this.#transmit(call, buf, to, phase, capped, capped ? Math.min(interval * 2, T2_MS) : interval * 2);
    }, interval);
  }

  #request(
    method: string,
    ruri: string,
    d: { callId: string; fromTag: string; branch: string; cseq: number; to: string },
    extra: readonly string[] = [],
  ): Buffer {
    const me = `${this.#opts.host}:${this.#peer.port}`;
    const lines = [
      `${method} ${ruri} SIP/2.0`,
      `Via: SIP/2.0/UDP ${me};branch=${d.branch};rport`,
      'Max-Forwards: 70',
      `From: <sip:caller@${me}>;tag=${d.fromTag}`,
      `To: ${d.to}`,
      `Call-ID: ${d.callId}`,
      `CSeq: ${d.cseq} ${method}`,
      ...extra,
      'User-Agent: siplb-demo-caller',
      'Content-Length: 0',
      '',
      '',
    ];
    return Buffer.from(lines.join('\r\n'), 'latin1');
  }

  #receive(buf: Buffer, _from: RemoteInfo): void {
    if (this.#closed) return;
    const parsed = parseSip(buf);
    if (!parsed.ok || parsed.msg.kind !== 'response') return;
    const res = parsed.msg;
    const call = this.#calls.get(res.callId());
    if (!call) return; // a late retransmission for a call already over
    const method = res.cseq().method;
    if (method === 'INVITE') this.#inviteResponse(call, res);
    else if (method === 'BYE' && call.phase === 'bye' && res.status >= 200) {
      if (res.status < 300) this.#complete(call);
      else this.#fail(call, `bye-${res.status}`);
    }
  }

  #inviteResponse(call: Call, res: SipResponse): void {
    if (res.status < 200) {
      if (call.phase === 'inviting') {
        // Timer A stops at the first provisional response (§17.1.1.2); Timer B keeps running.
        call.phase = 'proceeding';
        this.#clearTimer(call);
      }
      return;
    }
    if (res.status >= 300) {
      if (call.phase !== 'inviting' && call.phase !== 'proceeding') return;
      this.#peer.send(this.#nonOkAck(call, res), this.#opts.target.port, this.#opts.target.host);
      return this.#fail(call, `invite-${res.status}`);
    }
    if (call.phase === 'holding' || call.phase === 'bye') {
      // The 2xx again (the gateway did not see our ACK yet): the same ACK again (§13.2.2.4).
      if (call.ack && call.next) this.#peer.send(call.ack, call.next.port, call.next.host);
      return;
    }
    this.#answered++;
    this.#clearTimers(call);
    const dialog = this.#dialog(call, res);
    if (!dialog) return this.#fail(call, 'invite-bad-2xx');
    call.next = dialog.next;
    call.ack = this.#request('ACK', dialog.remoteTarget, { ...dialog.ids, branch: `z9hG4bK${token()}`, cseq: 1 }, dialog.routes);
    call.bye = this.#request('BYE', dialog.remoteTarget, { ...dialog.ids, branch: `z9hG4bK${token()}`, cseq: 2 }, dialog.routes);
    this.#peer.send(call.ack, call.next.port, call.next.host);
    call.phase = 'holding';
    call.timer = setTimeout(() => this.#hangUp(call), this.#opts.holdMs);
  }

  #hangUp(call: Call): void {
    call.timer = undefined;
    call.phase = 'bye';
    if (!call.bye || !call.next) return this.#fail(call, 'bye-no-dialog');
    this.#transmit(call, call.bye, call.next, 'bye', true);
    call.deadline = setTimeout(() => this.#fail(call, 'bye-timeout'), 64 * this.#opts.t1Ms);
  }

  /**
   * The dialog a 2xx establishes (§12.1.2): remote target from Contact, route set from the
   * Record-Route in reverse order, the To with the gateway's tag.
   */
  #dialog(call: Call, res: SipResponse): { remoteTarget: string; routes: string[]; next: HostPort; ids: { callId: string; fromTag: string; to: string } } | undefined {
    const contactField = res.first(HeaderId.CONTACT);
    const contact: NameAddr | undefined = contactField && parseNameAddr(res.buf, contactField.valueStart, contactField.valueEnd, 0);
    if (!contact?.uri) return undefined;
    const rr = [...(res.recordRoutes() ?? [])].reverse();
    const first = rr[0]?.uri;
    const next: HostPort = first
      ? { host: first.host, port: first.port ?? 5060 }
      : { host: contact.uri.host, port: contact.uri.port ?? 5060 };
    const toField = res.first(HeaderId.TO);
    if (!toField) return undefined;
    return {
      remoteTarget: contact.uriText,
      routes: rr.map((r) => `Route: <${r.uriText}>`),
      next,
      ids: { callId: call.callId, fromTag: call.fromTag, to: res.valueOf(toField) },
    };
  }

  /** ACK of a non-2xx final response: same branch as the INVITE, To from the response (§17.1.1.3). */
  #nonOkAck(call: Call, res: SipResponse): Buffer {
    const toField = res.first(HeaderId.TO);
    const { host, port } = this.#opts.target;
    const ruri = `sip:demo@${host}:${port}`;
    return this.#request('ACK', ruri, {
      callId: call.callId,
      fromTag: call.fromTag,
      branch: call.inviteBranch,
      cseq: 1,
      to: toField ? res.valueOf(toField) : `<${ruri}>`,
    });
  }

  #complete(call: Call): void {
    this.#completed++;
    this.#finish(call);
  }

  #fail(call: Call, reason: string): void {
    if (!this.#calls.has(call.callId)) return;
    this.#failed++;
    this.#failures.set(reason, (this.#failures.get(reason) ?? 0) + 1);
    this.#finish(call);
  }

  #finish(call: Call): void {
    this.#clearTimers(call);
    this.#calls.delete(call.callId);
  }

  #clearTimer(call: Call): void {
    if (call.timer) clearTimeout(call.timer);
    call.timer = undefined;
  }

  #clearTimers(call: Call): void {
    this.#clearTimer(call);
    if (call.deadline) clearTimeout(call.deadline);
    call.deadline = undefined;
  }
}
