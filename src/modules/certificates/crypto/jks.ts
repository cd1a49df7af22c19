import { createHash, createPrivateKey, randomBytes, timingSafeEqual, X509Certificate } from 'node:crypto';
import { InvalidInputError } from '../../../platform/errors.js';
import * as der from './der.js';
import { TAG } from './der.js';
import { keystoreEntry } from './keystore-entry.js';
import type { KeystoreContent, Pkcs12Input } from './pkcs12.js';
import { KeystorePasswordError } from './password-error.js';

/**
 * Sun's JKS keystore (ADR 038), as keytool reads and writes it with `-storetype JKS`: big-endian
 * records after the magic FEEDFEED; a private key entry holds the PKCS#8 key under Sun's
 * "key protector" (a SHA-1 keystream of the password, and a SHA-1 check of the plain key) and
 * its certificate chain; the whole file ends with SHA-1(password, "Mighty Aphrodite", file).
 * The format is weak by design; it is offered only for Java clients that still need it.
 */

const MAGIC = 0xfeedfeed;
const JCEKS_MAGIC = 0xcececece;
const PRIVATE_KEY_ENTRY = 1;
const TRUSTED_CERT_ENTRY = 2;
const KEY_PROTECTOR_OID = '1.3.6.1.4.1.42.2.17.1.1';
const WHITENER = Buffer.from('Mighty Aphrodite', 'utf8');
const MAX_ENTRIES = 1024;

/** Java's char[] password as bytes: each UTF-16 code unit big-endian. */
function passwordBytes(password: string): Buffer {
  const out = Buffer.alloc(password.length * 2);
  for (let i = 0; i < password.length; i++) out.writeUInt16BE(password.charCodeAt(i), i * 2);
  return out;
}

/** Java's DataOutput.writeUTF: a 16-bit length and "modified UTF-8" (NUL as C0 80, surrogates apart). */
function writeUtf(text: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 1 && c < 0x80) bytes.push(c);
    else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  if (bytes.length > 0xffff) throw new InvalidInputError('The keystore alias is too long');
  const head = Buffer.alloc(2);
  head.writeUInt16BE(bytes.length);
  return Buffer.concat([head, Buffer.from(bytes)]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** Sun's KeyProtector: salt ‖ (key XOR SHA-1 keystream) ‖ SHA-1(password ‖ key). */
function protect(plainKey: Buffer, password: string): Buffer {
  const pw = passwordBytes(password);
  const salt = randomBytes(20);
  const encrypted = Buffer.from(plainKey);
  xorKeystream(encrypted, pw, salt);
  const check = createHash('sha1').update(pw).update(plainKey).digest();
  return Buffer.concat([salt, encrypted, check]);
}

function xorKeystream(data: Buffer, pw: Buffer, salt: Buffer): void {
  let digest = salt;
  for (let offset = 0; offset < data.length; offset += 20) {
    digest = createHash('sha1').update(pw).update(digest).digest();
    for (let i = 0; i < 20 && offset + i < data.length; i++) {
      data[offset + i] = (data[offset + i] as number) ^ (digest[i] as number);
    }
  }
}

function unprotect(protectedKey: Buffer, password: string): Buffer | undefined {
  if (protectedKey.length < 41) return undefined;
  const pw = passwordBytes(password);
  const salt = protectedKey.subarray(0, 20);
  const plain = Buffer.from(protectedKey.subarray(20, protectedKey.length - 20));
  xorKeystream(plain, pw, salt);
  const check = createHash('sha1').update(pw).update(plain).digest();
  return timingSafeEqual(check, protectedKey.subarray(protectedKey.length - 20)) ? plain : undefined;
}

/** Writes a JKS keystore with one private key entry (key password = store password) and its chain. */
export function writeJks(input: Pkcs12Input): Buffer {
  if (input.password.length === 0) throw new KeystorePasswordError('A JKS keystore needs a password');
  const { key, certs } = keystoreEntry(input, 'A JKS keystore');
  const pkcs8 = key.export({ format: 'der', type: 'pkcs8' });
  const encryptedKeyInfo = der.seq(
    der.algorithm(KEY_PROTECTOR_OID),
    der.octets(protect(pkcs8, input.password)),
  );
  pkcs8.fill(0);
  const timestamp = Buffer.alloc(8);
  timestamp.writeBigUInt64BE(BigInt(Date.now()));
  const body = Buffer.concat([
    u32(MAGIC),
    u32(2),
    u32(1),
    u32(PRIVATE_KEY_ENTRY),
    // keytool lower-cases aliases; so do we, so that `keytool -alias` finds it as written.
    writeUtf((input.alias ?? 'bulwark').toLowerCase()),
    timestamp,
    u32(encryptedKeyInfo.length),
    encryptedKeyInfo,
    u32(certs.length),
    ...certs.flatMap((c) => [writeUtf('X.509'), u32(c.length), c]),
  ]);
  const mac = createHash('sha1').update(passwordBytes(input.password)).update(WHITENER).update(body).digest();
  return Buffer.concat([body, mac]);
}

/** A bounded reader over the file; running past the end means the file is not a JKS keystore. */
class Reader {
  private at = 0;
  constructor(private readonly data: Buffer) {}
  get offset(): number {
    return this.at;
  }
  private need(n: number): void {
    if (this.at + n > this.data.length)
      throw new InvalidInputError('The JKS keystore is truncated or damaged');
  }
  u32(): number {
    this.need(4);
    const v = this.data.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  bytes(n: number): Buffer {
    this.need(n);
    const v = this.data.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }
  utf(): string {
    this.need(2);
    const n = this.data.readUInt16BE(this.at);
    this.at += 2;
    const b = this.bytes(n);
    let out = '';
    for (let i = 0; i < b.length;) {
      const c = b[i] as number;
      if (c < 0x80) {
        out += String.fromCharCode(c);
        i += 1;
      } else if ((c & 0xe0) === 0xc0) {
        out += String.fromCharCode(((c & 0x1f) << 6) | ((b[i + 1] ?? 0) & 0x3f));
        i += 2;
      } else {
        out += String.fromCharCode(
          ((c & 0x0f) << 12) | (((b[i + 1] ?? 0) & 0x3f) << 6) | ((b[i + 2] ?? 0) & 0x3f),
        );
        i += 3;
      }
    }
    return out;
  }
}

export const isJks = (data: Uint8Array): boolean =>
  data.length >= 4 && Buffer.from(data.buffer, data.byteOffset, 4).readUInt32BE(0) === MAGIC;
export const isJceks = (data: Uint8Array): boolean =>
  data.length >= 4 && Buffer.from(data.buffer, data.byteOffset, 4).readUInt32BE(0) === JCEKS_MAGIC;

/**
 * Reads a JKS keystore: checks its integrity digest with the password (a wrong password is said
 * so), then answers the one private key (its key password must be the store password) with its
 * chain, followed by the trusted certificates. More than one private key entry is refused.
 */
export function readJks(data: Uint8Array, password: string): KeystoreContent {
  const file = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (!isJks(file)) throw new InvalidInputError('The file is not a JKS keystore');
  if (file.length < 32) throw new InvalidInputError('The JKS keystore is truncated or damaged');
  const body = file.subarray(0, file.length - 20);
  const expected = file.subarray(file.length - 20);
  const actual = createHash('sha1').update(passwordBytes(password)).update(WHITENER).update(body).digest();
  if (!timingSafeEqual(actual, expected)) throw new KeystorePasswordError('The keystore password is wrong');

  const r = new Reader(body);
  r.u32();
  const version = r.u32();
  if (version !== 1 && version !== 2) throw new InvalidInputError(`JKS version ${version} is not supported`);
  const count = r.u32();
  if (count > MAX_ENTRIES) throw new InvalidInputError(`The JKS keystore holds too many entries (${count})`);
  const readCert = (): Buffer => {
    if (version === 2) {
      const type = r.utf();
      if (type !== 'X.509')
        throw new InvalidInputError(`The JKS keystore holds a ${type} certificate (X.509 only)`);
    }
    return r.bytes(r.u32());
  };
  const keys: { alias: string; pkcs8: Buffer; chain: Buffer[] }[] = [];
  const trusted: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const tag = r.u32();
    const alias = r.utf();
    r.bytes(8); // creation date
    if (tag === PRIVATE_KEY_ENTRY) {
      const info = der.parse(r.bytes(r.u32()), 'JKS private key entry');
      const algorithm = der.child(info, 0, 'JKS private key entry', TAG.sequence);
      if (
        der.oidOf(der.child(algorithm, 0, 'JKS private key entry'), 'JKS private key entry') !==
        KEY_PROTECTOR_OID
      ) {
        throw new InvalidInputError('The JKS private key is protected by an unsupported algorithm');
      }
      const pkcs8 = unprotect(der.child(info, 1, 'JKS private key entry', TAG.octetString).content, password);
      if (!pkcs8) {
        throw new InvalidInputError(
          `The private key ${alias} has a key password other than the keystore password (give both the same)`,
        );
      }
      const chainLength = r.u32();
      if (chainLength > MAX_ENTRIES) throw new InvalidInputError('The JKS certificate chain is too long');
      const chain: Buffer[] = [];
      for (let j = 0; j < chainLength; j++) chain.push(readCert());
      keys.push({ alias, pkcs8, chain });
    } else if (tag === TRUSTED_CERT_ENTRY) {
      trusted.push(readCert());
    } else {
      throw new InvalidInputError(`The JKS keystore holds an entry of unknown type ${tag}`);
    }
  }
  if (r.offset !== body.length) throw new InvalidInputError('The JKS keystore has trailing data');
  if (keys.length > 1) {
    throw new InvalidInputError(
      `The JKS keystore holds ${keys.length} private keys (${keys.map((k) => k.alias).join(', ')}): export one alone`,
    );
  }
  const toPem = (c: Buffer): string => {
    try {
      return new X509Certificate(c).toString();
    } catch {
      throw new InvalidInputError('A certificate in the JKS keystore is not readable');
    }
  };
  const key = keys[0];
  let privateKeyPem: string | undefined;
  if (key) {
    try {
      privateKeyPem = createPrivateKey({ key: key.pkcs8, format: 'der', type: 'pkcs8' }).export({
        format: 'pem',
        type: 'pkcs8',
      }) as string;
    } catch {
      throw new InvalidInputError(
        `The private key ${key.alias} of the JKS keystore is not a readable PKCS#8 key`,
      );
    } finally {
      key.pkcs8.fill(0);
    }
  }
  const chain = [...(key?.chain ?? []), ...trusted].map(toPem);
  return { ...(privateKeyPem ? { privateKeyPem } : {}), chain, ...(key ? { alias: key.alias } : {}) };
}
