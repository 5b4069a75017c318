/**
 * @module test/helpers/core/recording-sender
 * A `MessageSender` that sends nothing: it records each datagram (bytes, destination) so a test
 * can read what the proxy or the prober put on the wire, parsed. The shared stand-in for a
 * transport in unit tests; a new transport's tests can replay `sent` through their own sockets.
 */
import type { MessageSender, SendTarget, Transport } from '../../../src/transport/contract.js';
import { parseSip } from '../../../src/sip/index.js';
import type { SipMessage, SipRequest, SipResponse } from '../../../src/sip/message.js';

export interface SentDatagram {
  readonly buf: Buffer;
  readonly host: string;
  readonly port: number;
  readonly transport: Transport;
  /** The stream connection asked for first, if any. */
  readonly connectionId: number | undefined;
  /** The bytes as latin1 text (SIP is ASCII on the wire; latin1 keeps every byte). */
  readonly text: string;
  /** The datagram parsed back; throws if siplb sent something unparsable. */
  readonly msg: SipMessage;
}

export class RecordingSender implements MessageSender {
  readonly sent: SentDatagram[] = [];

  send(buf: Buffer, target: SendTarget): void {
    const copy = Buffer.from(buf);
    let parsed: SipMessage | undefined;
    this.sent.push({
      buf: copy,
      host: target.host,
      port: target.port,
      transport: target.transport,
      connectionId: target.connectionId,
      text: copy.toString('latin1'),
      get msg(): SipMessage {
        if (parsed === undefined) {
          const r = parseSip(copy);
          if (!r.ok) throw new Error(`siplb sent an unparsable datagram (${r.error.reason}): ${copy.toString('latin1')}`);
          parsed = r.msg;
        }
        return parsed;
      },
    });
  }

  /** The datagrams recorded (since the last take) that went to host:port. */
  to(host: string, port: number): SentDatagram[] {
    return this.sent.filter((d) => d.host === host && d.port === port);
  }

  /** Everything recorded since the last take, then forgets it. */
  take(): SentDatagram[] {
    return this.sent.splice(0, this.sent.length);
  }

  /** The one datagram recorded since the last take; fails the test when there are none or several. */
  takeOne(): SentDatagram {
    const all = this.take();
    if (all.length !== 1) {
      throw new Error(`expected exactly 1 datagram, got ${all.length}:\n${all.map((d) => `→ ${d.host}:${d.port}\n${d.text}`).join('\n')}`);
    }
    return all[0]!;
  }
}

/** The datagram as a request; fails the test when it is a response. */
export function asRequest(d: SentDatagram): SipRequest {
  if (d.msg.kind !== 'request') throw new Error(`expected a request, got: ${d.text}`);
  return d.msg;
}

/** The datagram as a response; fails the test when it is a request. */
export function asResponse(d: SentDatagram): SipResponse {
  if (d.msg.kind !== 'response') throw new Error(`expected a response, got: ${d.text}`);
  return d.msg;
}

/** All values of header `name` (case-insensitive, long form) in a datagram's text, in order. */
export function headerValues(text: string, name: string): string[] {
  const head = text.slice(0, text.indexOf('\r\n\r\n'));
  const lower = name.toLowerCase();
  return head
    .split('\r\n')
    .slice(1)
    .filter((l) => l.slice(0, l.indexOf(':')).trim().toLowerCase() === lower)
    .map((l) => l.slice(l.indexOf(':') + 1).trim());
}
