import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opensslCerts, type OpensslCerts } from '../../../test/helpers/openssl-certs.js';
import {
  CertificateParseError,
  parseCertificate,
  parseCertificates,
  type ParsedCertificate,
} from './certificate-parsing.js';

/** What `openssl x509 -text -noout` (and -serial, -fingerprint) says, read field by field. */
function opensslSays(o: OpensslCerts, cert: string) {
  const text = o.x509(cert, '-text', '-noout');
  const line = (re: RegExp) => re.exec(text)?.[1]?.trim() ?? null;
  const fp = (alg: string) => o.x509(cert, '-noout', '-fingerprint', `-${alg}`).split('=')[1]?.trim();
  return {
    subject: line(/Subject: (.*)/),
    issuer: line(/Issuer: (.*)/),
    signature: line(/Signature Algorithm: (.*)/),
    keyAlgorithm: line(/Public Key Algorithm: (.*)/),
    bits: Number(line(/Public-Key: \((\d+) bit\)/)),
    curve: line(/ASN1 OID: (.*)/),
    notBefore: new Date(line(/Not Before: (.*)/) ?? ''),
    notAfter: new Date(line(/Not After : (.*)/) ?? ''),
    san: line(/X509v3 Subject Alternative Name: ?\n\s*(.*)/),
    ca: /CA:TRUE/.test(text),
    serial: o
      .x509(cert, '-noout', '-serial')
      .trim()
      .replace(/^serial=/, ''),
    sha256: fp('sha256'),
    sha1: fp('sha1'),
  };
}

function expectAsOpenssl(o: OpensslCerts, cert: string, parsed: ParsedCertificate) {
  const says = opensslSays(o, cert);
  expect(parsed.subject).toBe(says.subject);
  expect(parsed.issuer).toBe(says.issuer);
  expect(parsed.signatureAlgorithm).toBe(says.signature);
  expect(parsed.keyBits).toBe(says.bits);
  expect(parsed.curve).toBe(says.curve);
  expect(parsed.keyAlgorithm).toBe(
    { rsaEncryption: 'RSA', 'id-ecPublicKey': 'EC', ED25519: 'Ed25519' }[says.keyAlgorithm ?? ''],
  );
  expect(parsed.notBefore.getTime()).toBe(says.notBefore.getTime());
  expect(parsed.notAfter.getTime()).toBe(says.notAfter.getTime());
  expect(parsed.isCa).toBe(says.ca);
  expect(parsed.serial).toBe(says.serial);
  expect(parsed.sha256).toBe(says.sha256);
  expect(parsed.sha1).toBe(says.sha1);
  const sans = [
    ...parsed.sans.dns.map((v) => `DNS:${v}`),
    ...parsed.sans.ip.map((v) => `IP Address:${v}`),
    ...parsed.sans.email.map((v) => `email:${v}`),
    ...parsed.sans.uri.map((v) => `URI:${v}`),
  ];
  expect(sans.length === 0 ? null : sans.sort().join(', ')).toBe(
    says.san === null ? null : says.san.split(', ').sort().join(', '),
  );
}

describe('parseCertificate compared with openssl x509 -text', () => {
  const o = opensslCerts();
  const certs: Record<string, string> = {};
  beforeAll(() => {
    const rootKey = o.key('root', 'ec:P-384');
    certs.root = o.cert('root', {
      key: rootKey,
      subject: '/C=US/O=Bulwark Test/CN=Test Root',
      ca: true,
      digest: 'sha384',
    });
    const interKey = o.key('inter', 'rsa:2048');
    certs.inter = o.cert('inter', {
      key: interKey,
      subject: '/O=Bulwark Test/OU=PKI/CN=Test Intermediate',
      issuer: { cert: certs.root, key: rootKey },
      ca: true,
    });
    const leafKey = o.key('leaf', 'ec:P-256');
    certs.leaf = o.cert('leaf', {
      key: leafKey,
      subject:
        '/C=DE/ST=Berlin/L=Berlin/O=Acme, Inc/OU=Web\\+Ops/CN=www.example.com/emailAddress=ops@example.com',
      issuer: { cert: certs.inter, key: interKey },
      san: 'DNS:www.example.com,DNS:example.com,IP:127.0.0.1,IP:fe80::1:abcd,email:ops@example.com,URI:https://example.com/x',
    });
    certs.rsa2048 = o.cert('rsa2048', { key: o.key('r2', 'rsa:2048'), subject: '/CN=rsa2048' });
    certs.rsa1024 = o.cert('rsa1024', { key: o.key('r1', 'rsa:1024'), subject: '/CN=rsa1024' });
    certs.ec256 = o.cert('ec256', { key: o.key('e2', 'ec:P-256'), subject: '/CN=ec256' });
    certs.sha1 = o.cert('sha1', { key: o.key('s1', 'rsa:2048'), subject: '/CN=sha1', digest: 'sha1' });
    certs.expired = o.cert('expired', {
      key: o.key('ex', 'rsa:2048'),
      subject: '/CN=expired',
      start: '20200101000000Z',
      end: '20200201000000Z',
    });
    certs.future = o.cert('future', {
      key: o.key('fu', 'ec:P-256'),
      subject: '/CN=future',
      start: '20400101000000Z',
      end: '20410101000000Z',
    });
  });
  afterAll(() => o.cleanup());

  it.each(['root', 'inter', 'leaf', 'rsa2048', 'rsa1024', 'ec256', 'sha1', 'expired', 'future'])(
    '%s: every field as openssl prints it, PEM and DER alike',
    (name) => {
      const file = certs[name] as string;
      const pem = o.file(file);
      const parsed = parseCertificate(pem);
      expectAsOpenssl(o, file, parsed);
      expect(parseCertificate(derOf(o, file))).toEqual(parsed);
    },
  );

  it('keys, signatures, dates and flags', () => {
    const p = (n: string) => parseCertificate(o.file(certs[n] as string));
    expect([p('rsa2048').keyAlgorithm, p('rsa2048').keyBits]).toEqual(['RSA', 2048]);
    expect(p('rsa1024').keyBits).toBe(1024);
    expect([p('ec256').keyAlgorithm, p('ec256').curve, p('ec256').keyBits]).toEqual([
      'EC',
      'prime256v1',
      256,
    ]);
    expect(p('root').curve).toBe('secp384r1');
    expect(p('sha1').signatureAlgorithm).toBe('sha1WithRSAEncryption');
    expect(p('root').signatureAlgorithm).toBe('ecdsa-with-SHA384');
    expect(p('inter').signatureAlgorithm).toBe('ecdsa-with-SHA256');
    expect(p('leaf').signatureAlgorithm).toBe('sha256WithRSAEncryption');
    expect(p('expired').notAfter.getTime()).toBe(Date.UTC(2020, 1, 1));
    expect(p('future').notBefore.getTime()).toBe(Date.UTC(2040, 0, 1));
    expect(p('root').selfSigned && p('rsa2048').selfSigned && p('expired').selfSigned).toBe(true);
    expect(p('inter').selfSigned || p('leaf').selfSigned).toBe(false);
    expect([p('root').isCa, p('inter').isCa, p('leaf').isCa]).toEqual([true, true, false]);
    const leaf = p('leaf');
    expect(leaf.subject).toBe(
      'C = DE, ST = Berlin, L = Berlin, O = "Acme, Inc", OU = "Web+Ops", CN = www.example.com, emailAddress = ops@example.com',
    );
    expect(leaf.commonName).toBe('www.example.com');
    expect(leaf.issuerCommonName).toBe('Test Intermediate');
    expect(leaf.subjectComponents.find((c) => c.name === 'O')?.value).toBe('Acme, Inc');
    expect(leaf.sans).toEqual({
      dns: ['www.example.com', 'example.com'],
      ip: ['127.0.0.1', 'FE80:0:0:0:0:0:1:ABCD'],
      email: ['ops@example.com'],
      uri: ['https://example.com/x'],
    });
  });

  it('a PEM chain parses into each certificate, in order', () => {
    const chain = Buffer.concat(['leaf', 'inter', 'root'].map((n) => o.file(certs[n] as string)));
    const parsed = parseCertificates(chain);
    expect(parsed.map((c) => c.commonName)).toEqual(['www.example.com', 'Test Intermediate', 'Test Root']);
    expect(parsed[0]?.issuer).toBe(parsed[1]?.subject);
    expect(parsed[1]?.issuer).toBe(parsed[2]?.subject);
  });

  it('garbage is a clear error, never a crash', () => {
    const pem = o.file(certs.leaf as string).toString('utf8');
    const broken = pem.replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA');
    const der = derOf(o, certs.leaf as string);
    const inputs: (Buffer | string)[] = [
      '',
      'hello',
      Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]),
      Buffer.from([0x30, 0x82, 0xff, 0xff]),
      der.subarray(0, der.length - 10),
      broken,
      '-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----',
      Buffer.alloc(300_000, 0x41),
    ];
    for (const input of inputs) {
      expect(() => parseCertificate(input)).toThrow(CertificateParseError);
    }
    expect(() => parseCertificate('junk')).toThrow(/neither a PEM certificate .* nor a DER certificate/);
  });
});

function derOf(o: OpensslCerts, file: string): Buffer {
  const out = `${file}.der`;
  o.x509(file, '-outform', 'DER', '-out', out);
  return o.file(out);
}
