/**
 * @module transport/tls-material
 * TLS options of the stream transport, the files behind them, and the node:tls options built from
 * them for the server side and for connections to backends. Files are read at start and again on
 * reload (SIGHUP, POST /reload), so a renewed certificate is picked up without a restart.
 */
import { readFile } from 'node:fs/promises';
import tls from 'node:tls';
import { SiplbError } from '../errors.js';
import { isIpLiteral } from './address.js';

export interface StreamTlsOptions {
  /** PEM certificate chain presented to clients; also our client certificate towards backends that ask for one. Required to listen. */
  readonly certFile?: string;
  /** PEM private key of `certFile`. Required to listen. */
  readonly keyFile?: string;
  /**
   * PEM CA bundle. Verifies client certificates (with `verifyClient`) and backend servers; when
   * unset, backends are verified against Node's bundled public roots. @default undefined
   */
  readonly caFile?: string;
  /**
   * Lowest protocol version accepted either way. TLS 1.3 by default (RFC 8446; RFC 8996 retired
   * 1.0/1.1); 'TLSv1.2' only for peers that cannot do 1.3 (older trunks). @default 'TLSv1.3'
   */
  readonly minVersion?: 'TLSv1.2' | 'TLSv1.3';
  /**
   * Require a client certificate signed by `caFile` (mutual TLS, as SIP trunks such as Teams Direct
   * Routing use; RFC 5922 §7.4). A client without one, or with an unverifiable one, is refused in
   * the handshake. @default false
   */
  readonly verifyClient?: boolean;
  /**
   * Outbound: the name sent as SNI and checked against the backend's certificate (RFC 5922 §7.2),
   * when the target is an IP address and the certificate names a host. @default the target host
   */
  readonly servername?: string;
}

/** The file contents, as read at start or at the last reload. */
export interface TlsMaterial {
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly ca?: Buffer;
}

async function readOne(what: string, file: string | undefined): Promise<Buffer | undefined> {
  if (file === undefined) return undefined;
  try {
    return await readFile(file);
  } catch (err) {
    throw new SiplbError('SIPLB_ERR_TLS_FILES', `cannot read TLS ${what} file ${file}: ${(err as Error).message} (check the path and that siplb may read it)`, { cause: err });
  }
}

/** Read the files and check they make a TLS context (key matches certificate, PEM parses). */
export async function readTlsMaterial(opts: StreamTlsOptions, listening: boolean): Promise<TlsMaterial> {
  if (listening && (opts.certFile === undefined || opts.keyFile === undefined)) {
    throw new SiplbError('SIPLB_ERR_TLS_FILES', 'a TLS listener needs a certificate and a key file (set certFile and keyFile)');
  }
  if (opts.verifyClient === true && opts.caFile === undefined) {
    throw new SiplbError('SIPLB_ERR_TLS_FILES', 'verifying client certificates needs the CA that signs them (set caFile)');
  }
  const [cert, key, ca] = await Promise.all([readOne('certificate', opts.certFile), readOne('key', opts.keyFile), readOne('CA', opts.caFile)]);
  const m: TlsMaterial = { cert, key, ca };
  try {
    tls.createSecureContext(contextOptions(m, opts));
  } catch (err) {
    throw new SiplbError('SIPLB_ERR_TLS_FILES', `TLS files ${[opts.certFile, opts.keyFile, opts.caFile].filter(Boolean).join(', ')} do not form a TLS context: ${(err as Error).message} (does the key belong to the certificate?)`, { cause: err });
  }
  return m;
}

function contextOptions(m: TlsMaterial, opts: StreamTlsOptions): tls.SecureContextOptions {
  return { cert: m.cert, key: m.key, ca: m.ca, minVersion: opts.minVersion ?? 'TLSv1.3' };
}

/** Options for tls.createServer / server.setSecureContext. */
export function serverOptions(m: TlsMaterial, opts: StreamTlsOptions): tls.TlsOptions {
  const verify = opts.verifyClient === true;
  return { ...contextOptions(m, opts), requestCert: verify, rejectUnauthorized: verify };
}

/** Options for tls.connect towards `host` (a backend): the server is always verified. */
export function clientOptions(m: TlsMaterial, opts: StreamTlsOptions, host: string): tls.ConnectionOptions {
  const servername = opts.servername ?? (isIpLiteral(host) ? undefined : host);
  // node checks the certificate against `servername`, else against the host (IP SANs for an address).
  return { ...contextOptions(m, opts), rejectUnauthorized: true, servername };
}
