/**
 * @module transport/native-addon
 * Loads the optional native UDP accelerator (native/udp, built by `npm run build:native`). It is
 * optional like `ws`'s bufferutil: when it was not built, or cannot load on this platform, the
 * caller gets the reason and siplb runs on node:dgram.
 */
import { createRequire } from 'node:module';

/** The addon's surface (native/udp/src/udp.c). Errors are positive errno values, never throws. */
export interface NativeUdpSocket {
  /**
   * [0, host, port, grantedRcv, grantedSnd, meta, send] or [errno, syscall]. `send` is {@link send}
   * bound to this socket (cheaper per call); call it only while the socket is open.
   */
  bind(family: 4 | 6, host: string, port: number, rcvbuf: number, sndbuf: number): [number, ...unknown[]];
  /** 0 queued; else an errno (EINVAL for a host that is not an IP literal). */
  send(buf: Buffer, host: string, port: number): number;
  /** Sends what is queued; returns how many still wait for the kernel's send buffer. */
  flush(): number;
  close(): void;
}

export interface NativeUdpAddon {
  readonly UdpSocket: new (
    /** A batch of `count` datagrams; `slab` is set when they are in another buffer than the last batch's (the slab is reused: its bytes are valid until the callback returns). */
    onBatch: (count: number, slab: Buffer | undefined) => void,
    onError: (errno: number, syscall: string, host: string, port: number) => void,
  ) => NativeUdpSocket;
  errnoName(errno: number): string;
  /** Datagrams per recvmmsg batch. */
  readonly slots: number;
  /** Int32 entries per datagram in the meta array. */
  readonly metaInts: number;
  /** Byte offset of the source address text inside a datagram's meta entry. */
  readonly metaTextByte: number;
  /** A datagram's meta length when it was truncated (MSG_TRUNC); below it: no memory to store it. */
  readonly lenTruncated: number;
  /** A datagram's meta length when it was a keepalive (CRLFs only, or empty). */
  readonly lenKeepalive: number;
}

/** From dist/transport or src/transport alike: the repository root is two levels up. */
const ADDON_PATH = '../../native/udp/build/Release/siplb_udp.node';

export type AddonLoad = { readonly ok: true; readonly addon: NativeUdpAddon } | { readonly ok: false; readonly reason: string };

let cached: AddonLoad | undefined;

/** Load the addon once; the reason says why not (not built, wrong platform, load error). */
export function loadNativeUdp(): AddonLoad {
  if (cached) return cached;
  if (process.platform !== 'linux') {
    cached = { ok: false, reason: `the native UDP accelerator uses recvmmsg/sendmmsg (Linux only), this is ${process.platform}` };
    return cached;
  }
  try {
    const addon = createRequire(import.meta.url)(ADDON_PATH) as NativeUdpAddon;
    cached = { ok: true, addon };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    cached = {
      ok: false,
      reason:
        code === 'MODULE_NOT_FOUND'
          ? 'the native UDP accelerator is not built (run `npm run build:native`; needs g++, make, python3)'
          : `the native UDP accelerator did not load: ${(err as Error).message}`,
    };
  }
  return cached;
}
