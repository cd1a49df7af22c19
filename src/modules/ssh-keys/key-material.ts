import {
  createCipheriv,
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { createRequire } from 'node:module';
import ssh2, { type ParsedKey } from 'ssh2';
import { InvalidInputError } from '../../platform/errors.js';
import type { SshKeyType } from './ssh-keys.types.js';

/**
 * SSH key pairs in the formats OpenSSH reads: generation, import of PEM (PKCS#1, SEC1), PKCS#8
 * and OpenSSH private keys, and the one writer of the `openssh-key-v1` private key file (with
 * bcrypt-pbkdf and aes256-ctr when a passphrase is set, as `ssh-keygen` writes it). Written here
 * rather than taken from ssh2's keygen because ssh2 cannot write DSA keys, and imported keys of
 * every format must come out in one format. Nothing here spawns `ssh-keygen`: secrets never go
 * into a command line.
 */

// ssh2 is CommonJS: Node's ESM loader does not see `utils` as a named export.
const ssh2Utils = ssh2.utils;

const { pbkdf: bcryptPbkdf } = createRequire(import.meta.url)('bcrypt-pbkdf') as {
  pbkdf: (
    pass: Uint8Array,
    passLength: number,
    salt: Uint8Array,
    saltLength: number,
    key: Uint8Array,
    keyLength: number,
    rounds: number,
  ) => number;
};

/** A key pair ready to store: the OpenSSH private key file and what the listing shows. */
export interface SshKeyPair {
  readonly type: SshKeyType;
  readonly bits: number;
  /** The private key file (openssh-key-v1, encrypted with the passphrase when one is set). */
  readonly privateKey: string;
  /** The `authorized_keys` line: `<type> <base64> <comment>`. */
  readonly publicKey: string;
  /** As `ssh-keygen -l` prints it: `SHA256:` and the unpadded base64 of the blob's digest. */
  readonly fingerprint: string;
  readonly comment: string;
}

/** The sizes each type accepts at creation (endpoint 25's note). */
export const CREATE_LENGTHS: Readonly<Record<SshKeyType, readonly number[]>> = {
  'ssh-rsa': [1024, 2048, 4096],
  'ssh-dss': [1024],
  ed25519: [256],
  ecdsa: [256, 384, 521],
};

const CURVES = {
  256: { jwk: 'P-256', ssh: 'nistp256', node: 'prime256v1' },
  384: { jwk: 'P-384', ssh: 'nistp384', node: 'secp384r1' },
  521: { jwk: 'P-521', ssh: 'nistp521', node: 'secp521r1' },
} as const;
const CURVE_BITS: Readonly<Record<string, 256 | 384 | 521>> = { 'P-256': 256, 'P-384': 384, 'P-521': 521 };

/** A new key pair of `type` and `bits` (already validated against {@link CREATE_LENGTHS}). */
export function generateKeyPair(
  type: SshKeyType,
  bits: number,
  comment: string,
  passphrase: string | undefined,
): SshKeyPair {
  let key: KeyObject;
  switch (type) {
    case 'ssh-rsa':
      key = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 65537 }).privateKey;
      break;
    case 'ssh-dss':
      key = generateKeyPairSync('dsa', { modulusLength: bits, divisorLength: 160 }).privateKey;
      break;
    case 'ecdsa':
      key = generateKeyPairSync('ec', { namedCurve: CURVES[bits as 256 | 384 | 521].node }).privateKey;
      break;
    case 'ed25519':
      key = generateKeyPairSync('ed25519').privateKey;
      break;
  }
  return pairOf(key, comment, passphrase);
}

/**
 * An existing private key, in any of the formats clients upload, opened with its passphrase and
 * written again in the OpenSSH format (encrypted with the same passphrase when it had one).
 * A wrong or missing passphrase, a corrupt file or an unsupported type is refused saying which.
 */
export function importPrivateKey(
  text: string,
  passphrase: string | undefined,
  comment: string | undefined,
): SshKeyPair {
  const trimmed = text.trim();
  let key: KeyObject;
  let ownComment = '';
  if (/^-----BEGIN OPENSSH PRIVATE KEY-----/.test(trimmed)) {
    const parsed = ssh2Utils.parseKey(trimmed, passphrase);
    if (parsed instanceof Error) throw refusal(parsed.message, passphrase);
    const first: ParsedKey | undefined = Array.isArray(parsed) ? (parsed as ParsedKey[])[0] : parsed;
    if (!first) throw new InvalidInputError('The key file holds no key');
    ownComment = first.comment ?? '';
    key = keyObjectOf(first.getPrivatePEM(), undefined);
  } else if (/^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(trimmed)) {
    key = keyObjectOf(trimmed, passphrase, isEncryptedPem(trimmed));
  } else {
    throw new InvalidInputError(
      'The key file is not a private key in a known format (OpenSSH, PEM or PKCS#8 private key expected)',
    );
  }
  const pair = pairOf(key, comment ?? ownComment, passphrase);
  // OpenSSH reads DSA keys of 1024 bits only, and no RSA key under 1024 bits.
  if ((pair.type === 'ssh-dss' && pair.bits !== 1024) || (pair.type === 'ssh-rsa' && pair.bits < 1024)) {
    throw new InvalidInputError(`A ${pair.bits}-bit ${pair.type} key is not usable with OpenSSH`);
  }
  return pair;
}

/** A PEM key encrypted with a passphrase: legacy `Proc-Type: 4,ENCRYPTED`, or PKCS#8's own label. */
const isEncryptedPem = (pem: string): boolean =>
  /^-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(pem) || /^Proc-Type:\s*4,\s*ENCRYPTED/m.test(pem);

function keyObjectOf(pem: string, passphrase: string | undefined, encrypted = false): KeyObject {
  try {
    return createPrivateKey({ key: pem, format: 'pem', ...(passphrase ? { passphrase } : {}) });
  } catch (err) {
    // Legacy PEM encryption has no integrity check: a wrong passphrase decrypts to bytes whose
    // padding passes about once in 256 tries and then fail to parse, which OpenSSL reports as a
    // decoding error. Encrypted input that does not open is the passphrase's fault first.
    if (encrypted && passphrase) {
      throw new InvalidInputError(
        'The passphrase does not open the private key (wrong passphrase, or the file is corrupt)',
      );
    }
    throw refusal((err as Error).message ?? '', passphrase);
  }
}

/** The reason a key does not open, in words, never quoting the key or the passphrase. */
function refusal(message: string, passphrase: string | undefined): InvalidInputError {
  if (/passphrase|decrypt|bad decrypt|interrupted or cancelled|integrity check/i.test(message)) {
    return new InvalidInputError(
      passphrase
        ? 'The passphrase does not open the private key (wrong passphrase)'
        : 'The private key is encrypted: give its passphrase',
    );
  }
  // ssh2 names an OpenSSH key's type it cannot read ("Unsupported OpenSSH key type"); OpenSSL's
  // "unsupported" on PEM input means only that no decoder read it: a corrupt file.
  if (/key type/i.test(message)) {
    return new InvalidInputError('The private key is of a type this server does not support');
  }
  return new InvalidInputError('The private key file is corrupt or truncated and cannot be read');
}

/** The stored form of a key: type, size, both halves, fingerprint. */
function pairOf(key: KeyObject, comment: string, passphrase: string | undefined): SshKeyPair {
  let parts: KeyParts;
  try {
    parts = partsOf(key);
  } catch (err) {
    // Node cannot export every curve as JWK (brainpool…): a key SSH does not use either.
    if (err instanceof InvalidInputError) throw err;
    throw new InvalidInputError('The private key is of a type or curve SSH does not use');
  }
  const blob = Buffer.concat(parts.publicFields);
  const fingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
  return {
    type: parts.type,
    bits: parts.bits,
    privateKey: writeOpenSshPrivateKey(blob, Buffer.concat(parts.privateFields), comment, passphrase),
    publicKey: `${parts.sshName} ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`,
    fingerprint,
    comment,
  };
}

interface KeyParts {
  readonly type: SshKeyType;
  readonly sshName: string;
  readonly bits: number;
  /** The public key blob's fields, each already length-prefixed. */
  readonly publicFields: Buffer[];
  /** The private section's fields for this key (without the comment). */
  readonly privateFields: Buffer[];
}

function partsOf(key: KeyObject): KeyParts {
  const kind = key.asymmetricKeyType;
  if (kind === 'rsa') {
    const j = key.export({ format: 'jwk' });
    const [n, e, d, p, q, qi] = [j.n, j.e, j.d, j.p, j.q, j.qi].map(b64url);
    const name = str('ssh-rsa');
    return {
      type: 'ssh-rsa',
      sshName: 'ssh-rsa',
      bits: bitLength(n!),
      publicFields: [name, mpint(e!), mpint(n!)],
      privateFields: [name, mpint(n!), mpint(e!), mpint(d!), mpint(qi!), mpint(p!), mpint(q!)],
    };
  }
  if (kind === 'dsa') {
    const { p, q, g, x } = dsaParts(key.export({ format: 'der', type: 'pkcs8' }));
    const y = modPow(toBig(g), toBig(x), toBig(p));
    const yb = fromBig(y);
    const name = str('ssh-dss');
    return {
      type: 'ssh-dss',
      sshName: 'ssh-dss',
      bits: bitLength(p),
      publicFields: [name, mpint(p), mpint(q), mpint(g), mpint(yb)],
      privateFields: [name, mpint(p), mpint(q), mpint(g), mpint(yb), mpint(x)],
    };
  }
  if (kind === 'ec') {
    const j = key.export({ format: 'jwk' });
    const bits = CURVE_BITS[j.crv ?? ''];
    if (bits === undefined)
      throw new InvalidInputError('The private key is on an elliptic curve SSH does not use');
    const curve = CURVES[bits];
    const point = Buffer.concat([Buffer.from([4]), b64url(j.x)!, b64url(j.y)!]);
    const name = str(`ecdsa-sha2-${curve.ssh}`);
    return {
      type: 'ecdsa',
      sshName: `ecdsa-sha2-${curve.ssh}`,
      bits,
      publicFields: [name, str(curve.ssh), str(point)],
      privateFields: [name, str(curve.ssh), str(point), mpint(b64url(j.d)!)],
    };
  }
  if (kind === 'ed25519') {
    const j = key.export({ format: 'jwk' });
    const pub = b64url(j.x)!;
    const name = str('ssh-ed25519');
    return {
      type: 'ed25519',
      sshName: 'ssh-ed25519',
      bits: 256,
      publicFields: [name, str(pub)],
      privateFields: [name, str(pub), str(Buffer.concat([b64url(j.d)!, pub]))],
    };
  }
  throw new InvalidInputError(
    `The private key is of type ${kind ?? 'unknown'}; supported: ssh-rsa, ssh-dss, ecdsa, ed25519`,
  );
}

const CIPHER = 'aes256-ctr';
const KDF_ROUNDS = 16;

/** The `openssh-key-v1` file (PROTOCOL.key in OpenSSH's sources), one key. */
function writeOpenSshPrivateKey(
  publicBlob: Buffer,
  privateFields: Buffer,
  comment: string,
  passphrase: string | undefined,
): string {
  const encrypted = passphrase !== undefined && passphrase !== '';
  const blockSize = encrypted ? 16 : 8;
  const check = randomBytes(4);
  let section = Buffer.concat([check, check, privateFields, str(comment)]);
  const pad = (blockSize - (section.length % blockSize)) % blockSize;
  section = Buffer.concat([section, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
  let kdfOptions = Buffer.alloc(0);
  if (encrypted) {
    const salt = randomBytes(16);
    kdfOptions = Buffer.concat([str(salt), u32(KDF_ROUNDS)]);
    const derived = deriveKey(passphrase, salt, KDF_ROUNDS);
    const cipher = createCipheriv('aes-256-ctr', derived.subarray(0, 32), derived.subarray(32, 48));
    section = Buffer.concat([cipher.update(section), cipher.final()]);
    derived.fill(0);
  }
  const file = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    str(encrypted ? CIPHER : 'none'),
    str(encrypted ? 'bcrypt' : 'none'),
    str(kdfOptions),
    u32(1),
    str(publicBlob),
    str(section),
  ]);
  const body = file.toString('base64').replace(/.{70}/g, '$&\n');
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}${body.endsWith('\n') ? '' : '\n'}-----END OPENSSH PRIVATE KEY-----\n`;
}

function deriveKey(passphrase: string, salt: Buffer, rounds: number): Buffer {
  const pass = Buffer.from(passphrase, 'utf8');
  const out = Buffer.alloc(48);
  if (bcryptPbkdf(pass, pass.length, salt, salt.length, out, out.length, rounds) !== 0) {
    throw new InvalidInputError('The passphrase cannot be used to encrypt the key');
  }
  pass.fill(0);
  return out;
}

// SSH wire encoding (RFC 4251).
function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
function str(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([u32(bytes.length), bytes]);
}
/** An unsigned big-endian integer as an mpint: no leading zeros, a zero byte when the top bit is set. */
function mpint(unsigned: Buffer): Buffer {
  let start = 0;
  while (start < unsigned.length - 1 && unsigned[start] === 0) start++;
  const trimmed = unsigned.subarray(start);
  return str(trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}
function b64url(value: string | undefined): Buffer | undefined {
  return value === undefined ? undefined : Buffer.from(value, 'base64url');
}
function bitLength(unsigned: Buffer): number {
  let start = 0;
  while (start < unsigned.length && unsigned[start] === 0) start++;
  if (start === unsigned.length) return 0;
  return (unsigned.length - start - 1) * 8 + (32 - Math.clz32(unsigned[start]!));
}
const toBig = (b: Buffer): bigint => (b.length === 0 ? 0n : BigInt(`0x${b.toString('hex')}`));
function fromBig(n: bigint): Buffer {
  const hex = n.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
}
function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
    e >>= 1n;
  }
  return result;
}

/**
 * p, q, g and x of a PKCS#8 DSA key: SEQUENCE { INTEGER 0, SEQUENCE { OID, SEQUENCE { p, q, g } },
 * OCTET STRING { INTEGER x } }. Node exports DSA keys only as PKCS#8 DER (no JWK).
 */
function dsaParts(der: Buffer): { p: Buffer; q: Buffer; g: Buffer; x: Buffer } {
  const top = children(der, 0);
  const algorithm = children(der, top[1]!.start);
  const params = children(der, algorithm[1]!.start);
  const octets = top[2]!;
  const x = children(der.subarray(octets.valueStart, octets.end), 0, true)[0]!;
  const value = (n: Tlv, buf = der) => buf.subarray(n.valueStart, n.end);
  return {
    p: value(params[0]!),
    q: value(params[1]!),
    g: value(params[2]!),
    x: der.subarray(octets.valueStart + x.valueStart, octets.valueStart + x.end),
  };
}

interface Tlv {
  readonly start: number;
  readonly valueStart: number;
  readonly end: number;
}

/** The TLVs inside the constructed value at `at` (or, with `flat`, the TLVs starting at `at`). */
function children(der: Buffer, at: number, flat = false): Tlv[] {
  const outer = flat ? { valueStart: at, end: der.length } : tlv(der, at);
  const out: Tlv[] = [];
  for (let i = outer.valueStart; i < outer.end;) {
    const child = tlv(der, i);
    out.push(child);
    i = child.end;
  }
  return out;
}

function tlv(der: Buffer, at: number): Tlv {
  let length = der[at + 1]!;
  let valueStart = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[at + 2 + i]!;
    valueStart += count;
  }
  return { start: at, valueStart, end: valueStart + length };
}
