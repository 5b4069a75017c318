/**
 * @module transport/udp-endpoint-base
 * What both UDP engines keep alike: the upward handler, the bound address, the granted socket
 * buffers, closed-ness and the read-batch backlog meter (transport/backlog-meter.ts).
 */
import { performance } from 'node:perf_hooks';
import type { HostPort } from './address.js';
import { BacklogMeter } from './backlog-meter.js';
import type { MessageHandler, SendTarget } from './contract.js';
import type { UdpEndpoint, UdpEngine } from './udp-endpoint.js';

export abstract class UdpEndpointBase implements UdpEndpoint {
  abstract readonly engine: UdpEngine;
  protected handler: MessageHandler = () => {};
  protected bound: HostPort | undefined;
  protected closed = false;
  /** SO_RCVBUF/SO_SNDBUF as the kernel granted them, read once at bind (they do not change after). */
  protected granted: { readonly recv: number | undefined; readonly send: number | undefined } | undefined;
  protected readonly backlog = new BacklogMeter(() => performance.now());
  /** Whether read batches are measured (off while the node is mostly idle: a queue can only stay non-empty under load). */
  protected watching = true;

  abstract start(): Promise<HostPort>;
  abstract close(): Promise<void>;
  abstract send(buf: Buffer, target: SendTarget): void;

  /** Register the single upward callback (wired in app.ts). */
  onMessage(handler: MessageHandler): void {
    this.handler = handler;
  }

  /**
   * Turn the backlog measurement on or off. It costs an immediate per loop turn that received
   * datagrams, so the admission control turns it off while the event loop is mostly idle (a queue
   * that stays non-empty keeps the loop busy, so nothing is missed) and on as soon as it is not.
   */
  watchBacklog(on: boolean): void {
    if (on === this.watching) return;
    this.watching = on;
    if (!on) this.backlog.reset();
  }

  /** The longest time (ms) the receive queue stayed non-empty since the last call (see BacklogMeter). */
  takeBacklogMs(): number {
    return this.backlog.takeLongestMs();
  }

  /** The receive buffer the kernel granted (SO_RCVBUF, doubled for its bookkeeping), once bound. */
  get recvBufferBytes(): number | undefined {
    return this.closed ? undefined : this.granted?.recv;
  }

  /** The send buffer the kernel granted (SO_SNDBUF, doubled like the receive buffer), once bound. */
  get sendBufferBytes(): number | undefined {
    return this.closed ? undefined : this.granted?.send;
  }

  get address(): HostPort | undefined {
    return this.bound;
  }
}
