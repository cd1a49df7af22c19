import { webcrypto, createPrivateKey } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * What the HTTPS listener negotiates (ADR 022): TLS 1.2 or later; on TLS 1.2 only ECDHE key
 * exchange (forward secrecy) with AEAD ciphers (AES-GCM, ChaCha20-Poly1305), so no static-RSA
 * key exchange and no CBC/SHA-1 suites. TLS 1.3 keeps OpenSSL's default suites, all of which
 * are AEAD with ephemeral keys. ECDSA suites serve operators who bring an ECDSA certificate.
 */
export const SERVER_TLS_OPTIONS = {
  minVersion: 'TLSv1.2',
  ciphers: [
    'ECDHE-ECDSA-AES128-GCM-SHA256',
    'ECDHE-RSA-AES128-GCM-SHA256',
    'ECDHE-ECDSA-AES256-GCM-SHA384',
    'ECDHE-RSA-AES256-GCM-SHA384',
    'ECDHE-ECDSA-CHACHA20-POLY1305',
    'ECDHE-RSA-CHACHA20-POLY1305',
  ].join(':'),
  honorCipherOrder: true,
} as const;

export interface SelfSignedCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

type X509 = typeof import('@peculiar/x509');

/**
 * A self-signed RSA-2048 certificate and its key as PEM. RSA rather than ECDSA because some
 * older PMP clients (Java and .NET loaders) still negotiate RSA only. `extensions` receives the
 * x509 library so callers state only what differs (usages, names).
 */
async function selfSigned(
  subject: string,
  now: Date,
  validDays: number,
  extensions: (x509: X509) => InstanceType<X509['Extension']>[],
): Promise<SelfSignedCertificate> {
  // Loaded on demand: only `init` and `a2a create-cert` need it, and it needs the reflect-metadata polyfill first.
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  const crypto = webcrypto;
  x509.cryptoProvider.set(crypto as never);
  const algorithm = {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-256',
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 2048,
  };
  const keys = await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
      .toString('hex')
      .replace(/^[89a-f]/, '1'),
    name: subject,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + validDays * 86_400_000),
    signingAlgorithm: algorithm,
    keys: keys as never,
    extensions: extensions(x509),
  });
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({
    format: 'pem',
    type: 'pkcs8',
  }) as string;
  return { certPem: cert.toString('pem'), keyPem };
}

/**
 * The self-signed server certificate for first start. Names: this host, localhost and the
 * loopback addresses; most clients skip verification, those that verify can pin it.
 */
export function createSelfSignedCertificate(now: Date, validDays = 5 * 365): Promise<SelfSignedCertificate> {
  const host = hostname();
  return selfSigned(`CN=${host}, O=Bulwark`, now, validDays, (x509) => [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    new x509.SubjectAlternativeNameExtension([
      { type: 'dns', value: host },
      { type: 'dns', value: 'localhost' },
      { type: 'ip', value: '127.0.0.1' },
      { type: 'ip', value: '::1' },
    ]),
  ]);
}

/**
 * A self-signed client certificate for an application (`bulwark a2a create-cert`, ADR 014):
 * extended key usage clientAuth. Bulwark trusts it by fingerprint once imported.
 */
export function createClientCertificate(
  commonName: string,
  now: Date,
  validDays = 365,
): Promise<SelfSignedCertificate> {
  // Distinguished-name syntax: commas, quotes and the like in a name are escaped.
  const cn = commonName.replace(/[,+"\\<>;=]/g, (c) => `\\${c}`);
  return selfSigned(`CN=${cn}, O=Bulwark A2A`, now, validDays, (x509) => [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
  ]);
}
