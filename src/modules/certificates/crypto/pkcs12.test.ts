import { createHmac, createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../../../test/helpers/crypto-tools.js';
import { opensslCerts, type OpensslCerts } from '../../../../test/helpers/openssl-certs.js';
import { requireBinary } from '../../../../test/helpers/services.js';
import { InvalidInputError } from '../../../platform/errors.js';
import * as der from './der.js';
import { readKeystore } from './keystores.js';
import { pkcs12Kdf, readPkcs12, writePkcs12 } from './pkcs12.js';

// A root, an intermediate and an RSA and an EC leaf, made by openssl; PKCS#12 files are made and
// read by `openssl pkcs12` and `keytool` against ours, in both directions.
let certs: OpensslCerts;
const chain: { root: string; inter: string; rsa: string; rsaKey: string; ec: string; ecKey: string } = {
  root: '',
  inter: '',
  rsa: '',
  rsaKey: '',
  ec: '',
  ecKey: '',
};
const pem = (file: string) => readFileSync(file, 'utf8');
const spki = (keyPem: string) =>
  createPublicKey(createPrivateKey(keyPem)).export({ format: 'der', type: 'spki' }).toString('hex');
const fingerprint = (certPem: string) => new X509Certificate(certPem).fingerprint256;

function openssl(args: string[], input?: string): string {
  const out = run('openssl', args, input);
  expect(out.status, out.stderr).toBe(0);
  return out.stdout;
}

beforeAll(() => {
  certs = opensslCerts();
  const rootKey = certs.key('root', 'ec:P-384');
  chain.root = certs.cert('root', { key: rootKey, subject: '/CN=P12 Root', ca: true });
  const interKey = certs.key('inter', 'rsa:2048');
  chain.inter = certs.cert('inter', {
    key: interKey,
    subject: '/CN=P12 Intermediate',
    ca: true,
    issuer: { cert: chain.root, key: rootKey },
  });
  chain.rsaKey = certs.key('rsa', 'rsa:2048');
  chain.rsa = certs.cert('rsa', {
    key: chain.rsaKey,
    subject: '/CN=rsa.p12.test',
    issuer: { cert: chain.inter, key: interKey },
  });
  chain.ecKey = certs.key('ec', 'ec:P-256');
  chain.ec = certs.cert('ec', { key: chain.ecKey, subject: '/CN=ec.p12.test' });
});
afterAll(() => certs.cleanup());

describe('PKCS#12 made by openssl, read here', () => {
  it.for([
    ['openssl 3 default (PBES2 AES-256, HMAC-SHA-256)', []],
    [
      'AES-128 with a SHA-512 MAC and 50000 iterations',
      ['-keypbe', 'AES-128-CBC', '-certpbe', 'AES-128-CBC', '-macalg', 'sha512', '-iter', '50000'],
    ],
    [
      '3DES key and certificates with a SHA-1 MAC',
      ['-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1'],
    ],
  ] as const)('%s: key, chain in order, alias', ([, extra], ctx) => {
    requireBinary(ctx, 'openssl', ['version']);
    const out = certs.dir + `/in-${extra.length}.p12`;
    const cafile = certs.dir + '/cas.pem';
    writeFileSync(cafile, pem(chain.inter) + pem(chain.root));
    openssl([
      'pkcs12',
      '-export',
      '-in',
      chain.rsa,
      '-inkey',
      chain.rsaKey,
      '-certfile',
      cafile,
      '-name',
      'My Server',
      '-passout',
      'pass:s3cret pass',
      '-out',
      out,
      ...extra,
    ]);
    const read = readPkcs12(readFileSync(out), 's3cret pass');
    expect(read.alias).toBe('My Server');
    expect(spki(read.privateKeyPem!)).toBe(spki(pem(chain.rsaKey)));
    expect(read.chain.map(fingerprint)).toEqual(
      [chain.rsa, chain.inter, chain.root].map((f) => fingerprint(pem(f))),
    );
  });

  it('refuses a wrong password as such, and garbage as not a keystore', (ctx) => {
    requireBinary(ctx, 'openssl', ['version']);
    const out = certs.dir + '/wrong.p12';
    openssl([
      'pkcs12',
      '-export',
      '-in',
      chain.ec,
      '-inkey',
      chain.ecKey,
      '-passout',
      'pass:right',
      '-out',
      out,
    ]);
    expect(() => readPkcs12(readFileSync(out), 'wrong')).toThrow('The keystore password is wrong');
    expect(() => readKeystore(Buffer.from('hello, not a keystore'), 'x')).toThrow(
      'The file is not a PKCS#12 or JKS keystore',
    );
    const truncated = readFileSync(out).subarray(0, 200);
    expect(() => readKeystore(truncated, 'right')).toThrow(InvalidInputError);
    expect(() => readKeystore(Buffer.from([0x30, 0x82, 0xff]), 'right')).toThrow(InvalidInputError);
  });

  it.for([
    ['openssl -legacy (RC2-40 certificates, 3DES key, SHA-1 MAC)', []],
    ['128-bit RC2 certificates', ['-certpbe', 'PBE-SHA1-RC2-128']],
  ] as const)('reads %s', ([, extra], ctx) => {
    requireBinary(ctx, 'openssl', ['version']);
    const out = certs.dir + `/legacy-${extra.length}.p12`;
    openssl([
      ...['pkcs12', '-export', '-legacy', '-in', chain.ec, '-inkey', chain.ecKey, '-name', 'old'],
      ...['-passout', 'pass:x', '-out', out, ...extra],
    ]);
    const info = run('openssl', ['pkcs12', '-legacy', '-info', '-in', out, '-passin', 'pass:x', '-noout']);
    expect(info.stdout + info.stderr).toContain(
      extra.length ? 'pbeWithSHA1And128BitRC2-CBC' : 'pbeWithSHA1And40BitRC2-CBC',
    );
    const read = readPkcs12(readFileSync(out), 'x');
    expect(read.alias).toBe('old');
    expect(spki(read.privateKeyPem!)).toBe(spki(pem(chain.ecKey)));
    expect(read.chain.map(fingerprint)).toEqual([fingerprint(pem(chain.ec))]);
    expect(() => readPkcs12(readFileSync(out), 'y')).toThrow('The keystore password is wrong');
  });

  it('bounds the key derivation a file may ask for: 400000 iterations refused, 100000 read', (ctx) => {
    requireBinary(ctx, 'openssl', ['version']);
    for (const iter of ['400000', '100000']) {
      openssl([
        ...['pkcs12', '-export', '-in', chain.ec, '-inkey', chain.ecKey, '-iter', iter],
        ...['-passout', 'pass:x', '-out', `${certs.dir}/iter-${iter}.p12`],
      ]);
    }
    expect(() => readPkcs12(readFileSync(`${certs.dir}/iter-400000.p12`), 'x')).toThrow(
      'The PKCS#12 iteration count 400000 is out of range (1 to 300000)',
    );
    expect(readPkcs12(readFileSync(`${certs.dir}/iter-100000.p12`), 'x').chain).toHaveLength(1);
  });

  it('reads a PKCS#12 keystore keytool made', (ctx) => {
    requireBinary(ctx, 'keytool', ['-help']);
    const out = certs.dir + '/keytool.p12';
    const gen = run('keytool', [
      '-genkeypair',
      '-alias',
      'tomcat',
      '-keyalg',
      'EC',
      '-groupname',
      'secp384r1',
      '-dname',
      'CN=kt.p12.test',
      '-validity',
      '30',
      '-storetype',
      'PKCS12',
      '-keystore',
      out,
      '-storepass',
      'changeit',
    ]);
    expect(gen.status, gen.stderr).toBe(0);
    const read = readKeystore(readFileSync(out), 'changeit');
    expect(read.format).toBe('PKCS12');
    expect(read.alias).toBe('tomcat');
    expect(new X509Certificate(read.chain[0]!).checkPrivateKey(createPrivateKey(read.privateKeyPem!))).toBe(
      true,
    );
    expect(new X509Certificate(read.chain[0]!).subject).toBe('CN=kt.p12.test');
  });
});

describe('PKCS#12 written here, read by openssl and keytool', () => {
  it.for(['rsa', 'ec'] as const)(
    '%s: openssl pkcs12 reads key and chain with the password, refuses another',
    (kind, ctx) => {
      requireBinary(ctx, 'openssl', ['version']);
      const keyPem = pem(kind === 'rsa' ? chain.rsaKey : chain.ecKey);
      const list = kind === 'rsa' ? [chain.rsa, chain.inter, chain.root].map(pem) : [pem(chain.ec)];
      const file = certs.dir + `/ours-${kind}.p12`;
      writeFileSync(
        file,
        writePkcs12({ privateKeyPem: keyPem, chain: list, password: 'pa55 wörd', alias: 'Bulwark Export' }),
      );
      const info = run('openssl', ['pkcs12', '-info', '-in', file, '-passin', 'pass:pa55 wörd', '-noout']);
      expect(info.status, info.stderr).toBe(0);
      expect(info.stderr + info.stdout).toContain('MAC: sha256, Iteration 2048');
      expect(info.stderr + info.stdout).toContain(
        'Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256',
      );
      expect(info.stderr + info.stdout).toContain('PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC');
      const key = openssl(['pkcs12', '-in', file, '-passin', 'pass:pa55 wörd', '-nocerts', '-nodes']);
      expect(spki(key.slice(key.indexOf('-----BEGIN')))).toBe(spki(keyPem));
      const clcerts = openssl(['pkcs12', '-in', file, '-passin', 'pass:pa55 wörd', '-clcerts', '-nokeys']);
      expect(clcerts).toContain('friendlyName: Bulwark Export');
      expect(fingerprint(clcerts.slice(clcerts.indexOf('-----BEGIN')))).toBe(fingerprint(list[0]!));
      const all = openssl(['pkcs12', '-in', file, '-passin', 'pass:pa55 wörd', '-nokeys']);
      expect(all.match(/BEGIN CERTIFICATE/g)).toHaveLength(list.length);
      const wrong = run('openssl', ['pkcs12', '-in', file, '-passin', 'pass:nope', '-noout']);
      expect(wrong.status).not.toBe(0);
      expect(wrong.stderr).toMatch(/Mac verify error/);
      // And it reads back here.
      const back = readPkcs12(readFileSync(file), 'pa55 wörd');
      expect(back.chain.map(fingerprint)).toEqual(list.map(fingerprint));
      expect(back.alias).toBe('Bulwark Export');
    },
  );

  it('keytool -list -v reads it as a PrivateKeyEntry with its chain', (ctx) => {
    requireBinary(ctx, 'keytool', ['-help']);
    const file = certs.dir + '/ours-keytool.p12';
    const list = [chain.rsa, chain.inter, chain.root].map(pem);
    writeFileSync(
      file,
      writePkcs12({ privateKeyPem: pem(chain.rsaKey), chain: list, password: 'changeit', alias: 'web' }),
    );
    const out = run('keytool', [
      '-list',
      '-v',
      '-storetype',
      'PKCS12',
      '-keystore',
      file,
      '-storepass',
      'changeit',
    ]);
    expect(out.status, out.stderr + out.stdout).toBe(0);
    expect(out.stdout).toContain('Alias name: web');
    expect(out.stdout).toContain('Entry type: PrivateKeyEntry');
    expect(out.stdout).toContain('Certificate chain length: 3');
    expect(out.stdout).toContain(fingerprint(list[0]!));
    const wrong = run('keytool', [
      '-list',
      '-storetype',
      'PKCS12',
      '-keystore',
      file,
      '-storepass',
      'wrongpass',
    ]);
    expect(wrong.status).not.toBe(0);
  });

  it('refuses a key that is not the first certificate’s', () => {
    expect(() =>
      writePkcs12({ privateKeyPem: pem(chain.ecKey), chain: [pem(chain.rsa)], password: 'x' }),
    ).toThrow('The private key does not belong to the first certificate of the chain');
  });
});

describe('the PKCS#12 key derivation (RFC 7292 B.2)', () => {
  it('matches the published test vector (SHA-1, "smeg", 1 iteration)', () => {
    // From the PKCS#12 test vectors used by OpenSSL and Bouncy Castle.
    const key = pkcs12Kdf('smeg', Buffer.from('0a58cf64530d823f', 'hex'), 1, 1, 24, 'sha1');
    expect(key.toString('hex')).toBe('8aaae6297b6cb04642ab5b077851284eb7128f1a2a7fbca3');
  });
});

describe('a hostile PKCS#12 file with a valid MAC', () => {
  // The sender knows the password, so the MAC proves nothing: what is inside must still be refused
  // as input (a Failed envelope), never thrown as a plain Error (a 5xx).
  it('refuses a certificate bag that is not a certificate', () => {
    const certBag = der.seq(
      der.oid('1.2.840.113549.1.12.10.1.3'),
      der.explicit(
        0,
        der.seq(der.oid('1.2.840.113549.1.9.22.1'), der.explicit(0, der.octets(Buffer.from('garbage')))),
      ),
    );
    const file = withValidMac(
      der.seq(der.seq(der.oid(data), der.explicit(0, der.octets(der.seq(certBag))))),
      'pw',
    );
    expect(() => readKeystore(file, 'pw')).toThrow(InvalidInputError);
    expect(() => readKeystore(file, 'pw')).toThrow('A certificate in the PKCS#12 file is not readable');
  });

  it('refuses a malformed AES IV as a malformed file, not as a wrong password', () => {
    const pbes2 = der.algorithm(
      '1.2.840.113549.1.5.13',
      der.seq(
        der.algorithm(
          '1.2.840.113549.1.5.12',
          der.seq(der.octets(Buffer.alloc(8, 1)), der.integer(1), der.algorithm('1.2.840.113549.2.9')),
        ),
        der.seq(der.oid('2.16.840.1.101.3.4.1.42'), der.octets(Buffer.alloc(5, 2))),
      ),
    );
    const encrypted = der.seq(
      der.oid('1.2.840.113549.1.7.6'),
      der.explicit(
        0,
        der.seq(der.integer(0), der.seq(der.oid(data), pbes2, der.tlv(0x80, Buffer.alloc(32, 3)))),
      ),
    );
    const file = withValidMac(der.seq(encrypted), 'pw');
    expect(() => readKeystore(file, 'pw')).toThrow(InvalidInputError);
    expect(() => readKeystore(file, 'pw')).toThrow("The PKCS#12 file's aes-256-cbc IV is malformed");
  });
});

const data = '1.2.840.113549.1.7.1';

/** A PKCS#12 file around `authSafe` whose MAC is valid for `password` (what its sender can always make). */
function withValidMac(authSafe: Buffer, password: string): Buffer {
  const salt = Buffer.from('0102030405060708', 'hex');
  const mac = createHmac('sha256', pkcs12Kdf(password, salt, 3, 1, 32, 'sha256'))
    .update(authSafe)
    .digest();
  return der.seq(
    der.integer(3),
    der.seq(der.oid(data), der.explicit(0, der.octets(authSafe))),
    der.seq(
      der.seq(der.algorithm('2.16.840.1.101.3.4.2.1'), der.octets(mac)),
      der.octets(salt),
      der.integer(1),
    ),
  );
}
