import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../../../test/helpers/crypto-tools.js';
import { opensslCerts, type OpensslCerts } from '../../../../test/helpers/openssl-certs.js';
import { requireBinary } from '../../../../test/helpers/services.js';
import { InvalidInputError } from '../../../platform/errors.js';
import { readJks, writeJks } from './jks.js';
import { readKeystore, writeKeystore } from './keystores.js';

// JKS checked against the real keytool (Java 17) in both directions.
let certs: OpensslCerts;
let root = '';
let leaf = '';
let leafKey = '';
const pem = (file: string) => readFileSync(file, 'utf8');
const spki = (keyPem: string) =>
  createPublicKey(createPrivateKey(keyPem)).export({ format: 'der', type: 'spki' }).toString('hex');
const fingerprint = (certPem: string) => new X509Certificate(certPem).fingerprint256;

function keytool(args: string[]): string {
  const out = run('keytool', args);
  expect(out.status, out.stdout + out.stderr).toBe(0);
  return out.stdout;
}

beforeAll(() => {
  certs = opensslCerts();
  const rootKey = certs.key('jks-root', 'rsa:2048');
  root = certs.cert('jks-root', { key: rootKey, subject: '/CN=JKS Root', ca: true });
  leafKey = certs.key('jks-leaf', 'ec:P-256');
  leaf = certs.cert('jks-leaf', {
    key: leafKey,
    subject: '/CN=leaf.jks.test',
    issuer: { cert: root, key: rootKey },
  });
});
afterAll(() => certs.cleanup());

describe('JKS made by keytool, read here', () => {
  it.for([
    ['RSA', ['-keyalg', 'RSA', '-keysize', '2048']],
    ['EC', ['-keyalg', 'EC', '-groupname', 'secp384r1']],
  ] as const)('%s key pair: key matches the certificate, alias, with a trusted entry', ([kind, alg], ctx) => {
    requireBinary(ctx, 'keytool', ['-help']);
    const file = `${certs.dir}/kt-${kind}.jks`;
    keytool([
      '-genkeypair',
      '-alias',
      'Tomcat',
      ...alg,
      '-dname',
      `CN=${kind}.kt.test`,
      '-validity',
      '30',
      '-storetype',
      'JKS',
      '-keystore',
      file,
      '-storepass',
      'changeit',
      '-keypass',
      'changeit',
    ]);
    keytool([
      '-importcert',
      '-noprompt',
      '-alias',
      'root',
      '-file',
      root,
      '-storetype',
      'JKS',
      '-keystore',
      file,
      '-storepass',
      'changeit',
    ]);
    const read = readKeystore(readFileSync(file), 'changeit');
    expect(read.format).toBe('JKS');
    expect(read.alias).toBe('tomcat');
    expect(read.chain).toHaveLength(2);
    expect(new X509Certificate(read.chain[0]!).subject).toBe(`CN=${kind}.kt.test`);
    expect(new X509Certificate(read.chain[0]!).checkPrivateKey(createPrivateKey(read.privateKeyPem!))).toBe(
      true,
    );
    expect(fingerprint(read.chain[1]!)).toBe(fingerprint(pem(root)));
    expect(() => readJks(readFileSync(file), 'notit')).toThrow('The keystore password is wrong');
  });

  it('says so when the key password differs from the store password', (ctx) => {
    requireBinary(ctx, 'keytool', ['-help']);
    const file = `${certs.dir}/kt-keypass.jks`;
    keytool([
      '-genkeypair',
      '-alias',
      'k',
      '-keyalg',
      'EC',
      '-groupname',
      'secp256r1',
      '-dname',
      'CN=kp.test',
      '-storetype',
      'JKS',
      '-keystore',
      file,
      '-storepass',
      'storepass',
      '-keypass',
      'otherpass',
    ]);
    expect(() => readJks(readFileSync(file), 'storepass')).toThrow(
      /key password other than the keystore password/,
    );
  });

  it('refuses garbage, truncation and JCEKS', () => {
    expect(() => readJks(Buffer.from('garbage garbage garbage garbage'), 'x')).toThrow(
      'The file is not a JKS keystore',
    );
    const written = writeJks({ privateKeyPem: pem(leafKey), chain: [pem(leaf)], password: 'pw', alias: 'a' });
    expect(() => readJks(written.subarray(0, 60), 'pw')).toThrow(InvalidInputError);
    const flipped = Buffer.from(written);
    flipped[40] = (flipped[40] as number) ^ 1;
    expect(() => readJks(flipped, 'pw')).toThrow('The keystore password is wrong');
    expect(() => readKeystore(Buffer.from([0xce, 0xce, 0xce, 0xce, 0, 0, 0, 2]), 'pw')).toThrow(/JCEKS/);
  });
});

describe('JKS written here, read by keytool', () => {
  it('keytool -list -v -storepass shows the PrivateKeyEntry, its chain and fingerprints', (ctx) => {
    requireBinary(ctx, 'keytool', ['-help']);
    const file = `${certs.dir}/ours.jks`;
    const list = [pem(leaf), pem(root)];
    writeFileSync(
      file,
      writeKeystore('JKS', {
        privateKeyPem: pem(leafKey),
        chain: list,
        password: 'S3cret!pw',
        alias: 'Web Server',
      }),
    );
    const out = keytool(['-list', '-v', '-keystore', file, '-storepass', 'S3cret!pw']);
    expect(out).toContain('Keystore type: JKS');
    expect(out).toContain('Alias name: web server');
    expect(out).toContain('Entry type: PrivateKeyEntry');
    expect(out).toContain('Certificate chain length: 2');
    expect(out).toContain(`SHA256: ${fingerprint(list[0]!)}`);
    expect(out).toContain(`SHA256: ${fingerprint(list[1]!)}`);
    // A wrong store password: keytool refuses (integrity check).
    const wrong = run('keytool', ['-list', '-keystore', file, '-storepass', 'wrongpass']);
    expect(wrong.status).not.toBe(0);
    expect(wrong.stdout + wrong.stderr).toMatch(/password was incorrect/);
  });

  it('keytool converts it to PKCS#12 and openssl finds our private key in it', (ctx) => {
    requireBinary(ctx, 'keytool', ['-help']);
    requireBinary(ctx, 'openssl', ['version']);
    const file = `${certs.dir}/ours-conv.jks`;
    const p12 = `${certs.dir}/ours-conv.p12`;
    writeFileSync(
      file,
      writeJks({
        privateKeyPem: pem(leafKey),
        chain: [pem(leaf), pem(root)],
        password: 'changeit',
        alias: 'conv',
      }),
    );
    keytool([
      '-importkeystore',
      '-noprompt',
      '-srckeystore',
      file,
      '-srcstoretype',
      'JKS',
      '-srcstorepass',
      'changeit',
      '-destkeystore',
      p12,
      '-deststoretype',
      'PKCS12',
      '-deststorepass',
      'changeit',
    ]);
    const key = run('openssl', ['pkcs12', '-in', p12, '-passin', 'pass:changeit', '-nocerts', '-nodes']);
    expect(key.status, key.stderr).toBe(0);
    expect(spki(key.stdout.slice(key.stdout.indexOf('-----BEGIN')))).toBe(spki(pem(leafKey)));
    // And our own reader reads both back.
    expect(spki(readJks(readFileSync(file), 'changeit').privateKeyPem!)).toBe(spki(pem(leafKey)));
    expect(readKeystore(readFileSync(p12), 'changeit').chain.map(fingerprint)).toEqual(
      [leaf, root].map((f) => fingerprint(pem(f))),
    );
  });

  it('refuses an empty password and a key that is not the certificate’s', () => {
    expect(() => writeJks({ privateKeyPem: pem(leafKey), chain: [pem(leaf)], password: '' })).toThrow(
      'A JKS keystore needs a password',
    );
    expect(() => writeJks({ privateKeyPem: pem(leafKey), chain: [pem(root)], password: 'x' })).toThrow(
      'The private key does not belong to the first certificate of the chain',
    );
  });
});
