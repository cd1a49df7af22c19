import { isIP } from 'node:net';
import { connect, type DetailedPeerCertificate, type TLSSocket } from 'node:tls';

/**
 * Reads the certificate chain a TLS server serves (ADR 037). Discovery records what is served,
 * valid or not, so the handshake never verifies the peer (rejectUnauthorized false) and accepts
 * old protocols and weak keys (TLS 1.0, SECLEVEL 0): an expired, self-signed, SHA-1 or 1024-bit
 * certificate is exactly what an inventory must find. No client certificate is ever offered.
 */

export type ProbeFailureKind = 'unreachable' | 'timeout' | 'not-tls' | 'handshake';

export class TlsProbeError extends Error {
  constructor(
    readonly kind: ProbeFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'TlsProbeError';
  }
}

export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
  /** SNI name; defaults to host when host is a name. Never sent for an IP address. */
  readonly servername?: string | undefined;
  /** One deadline for name lookup, connect and handshake. */
  readonly timeoutMs: number;
}

export interface ServedChain {
  /** DER of each certificate as served, leaf first, each issued by the next where they chain. */
  readonly chain: readonly Buffer[];
  /** e.g. `TLSv1.3`. */
  readonly protocol: string;
  /** OpenSSL cipher name, e.g. `TLS_AES_256_GCM_SHA384`. */
  readonly cipher: string;
  /** The SNI name sent, if any. */
  readonly servername: string | undefined;
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * OpenSSL errors the client raises itself when the bytes received are not a TLS server's
 * answer: a plain service (HTTP, SSH banner, an echo returning our own ClientHello).
 */
const NOT_TLS_REASONS = [
  'wrong version number',
  'unexpected message',
  'packet length too long',
  'record length mismatch',
  'http request',
  'unknown protocol',
  'record layer failure',
  'unexpected record',
  'bad record type',
  'length too short',
  'bad packet length',
  'excessive message size',
];

function describeTarget(target: ProbeTarget) {
  return `${target.host}:${target.port}`;
}

/** Maps a socket or OpenSSL error to a typed failure; the message never carries secrets. */
export function classifyProbeError(err: NodeJS.ErrnoException, target: ProbeTarget): TlsProbeError {
  const where = describeTarget(target);
  const code = err.code ?? '';
  if (UNREACHABLE_CODES.has(code)) {
    const why =
      code === 'ECONNREFUSED'
        ? 'connection refused'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? 'host name not found'
          : 'no route to host';
    return new TlsProbeError('unreachable', `${where}: ${why}`);
  }
  const text = `${code} ${err.message}`.toLowerCase();
  if (/alert/.test(text)) {
    return new TlsProbeError('handshake', `${where}: the server refused the handshake (${reason(err)})`);
  }
  if (NOT_TLS_REASONS.some((r) => text.includes(r))) {
    return new TlsProbeError('not-tls', `${where}: the service does not speak TLS (${reason(err)})`);
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || /disconnected before secure tls/.test(text)) {
    return new TlsProbeError('handshake', `${where}: the server closed the connection during the handshake`);
  }
  return new TlsProbeError('handshake', `${where}: TLS handshake failed (${reason(err)})`);
}

function reason(err: NodeJS.ErrnoException) {
  const r = (err as { reason?: unknown }).reason;
  return typeof r === 'string' && r !== '' ? r : (err.code ?? err.message);
}

/**
 * The most certificates read from one served chain. Real chains are 2–4 long; a server may
 * send any number, and each one read becomes a repository row (a host of a range scan with a
 * thousand certificates would otherwise write a thousand), so the walk stops here.
 */
export const MAX_SERVED_CHAIN = 10;

/**
 * The served chain by walking issuerCertificate, leaf first, at most MAX_SERVED_CHAIN long.
 * Node ends the walk at a self-signed certificate (issuer === itself); a served loop (A issued
 * by B issued by A) is cut by remembering what was seen.
 */
export function chainOf(socket: TLSSocket): Buffer[] {
  const chain: Buffer[] = [];
  const seen = new Set<string>();
  let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (cert && cert.raw && cert.raw.length > 0 && chain.length < MAX_SERVED_CHAIN) {
    const key = cert.raw.toString('base64');
    if (seen.has(key)) break;
    seen.add(key);
    chain.push(Buffer.from(cert.raw));
    cert = cert.issuerCertificate;
  }
  return chain;
}

export function readServedChain(target: ProbeTarget): Promise<ServedChain> {
  const servername = sniName(target);
  return new Promise<ServedChain>((resolve, reject) => {
    let settled = false;
    const socket = connect({
      host: target.host,
      port: target.port,
      ...(servername !== undefined ? { servername } : {}),
      rejectUnauthorized: false,
      // Old servers are part of what discovery must find (ADR 037).
      minVersion: 'TLSv1',
      ciphers: 'DEFAULT:@SECLEVEL=0',
    });
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      socket.destroy();
      outcome();
    };
    const deadline = setTimeout(
      () =>
        finish(() =>
          reject(
            new TlsProbeError(
              'timeout',
              `${describeTarget(target)}: no TLS answer within ${target.timeoutMs} ms`,
            ),
          ),
        ),
      target.timeoutMs,
    );
    socket.once('secureConnect', () => {
      const chain = chainOf(socket);
      const protocol = socket.getProtocol() ?? 'unknown';
      const cipher = socket.getCipher()?.name ?? 'unknown';
      finish(() => {
        if (chain.length === 0) {
          reject(new TlsProbeError('handshake', `${describeTarget(target)}: the server sent no certificate`));
        } else {
          resolve({ chain, protocol, cipher, servername });
        }
      });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => finish(() => reject(classifyProbeError(err, target))));
    socket.once('close', () =>
      finish(() =>
        reject(
          new TlsProbeError(
            'handshake',
            `${describeTarget(target)}: the server closed the connection during the handshake`,
          ),
        ),
      ),
    );
  });
}

/** SNI carries names only (RFC 6066 forbids IP literals). */
function sniName(target: ProbeTarget): string | undefined {
  const name = target.servername ?? target.host;
  if (name === '' || isIP(name) !== 0) return undefined;
  return name.replace(/\.$/, '');
}
