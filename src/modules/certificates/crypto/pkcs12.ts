import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  pbkdf2Sync,
  randomBytes,
  timingSafeEqual,
  X509Certificate,
} from 'node:crypto';
import { InvalidInputError } from '../../../platform/errors.js';
import * as der from './der.js';
import { TAG, type Node } from './der.js';
import { keystoreEntry } from './keystore-entry.js';
import { rc2CbcDecrypt } from './rc2.js';
import { KeystorePasswordError } from './password-error.js';

/**
 * PKCS#12 (RFC 7292) as OpenSSL 3 writes it (ADR 038): the certificates in an encrypted-data
 * bag and the key in a shrouded key bag, both PBES2 (PBKDF2-HMAC-SHA-256, AES-256-CBC), and an
 * HMAC-SHA-256 integrity MAC with the PKCS#12 key derivation. Reading also accepts the older
 * SHA-1 MAC, pbeWithSHAAnd3-KeyTripleDES-CBC and the RC2 that older tools (OpenSSL 1.x,
 * `openssl pkcs12 -legacy`) write.
 */

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  pbeSha1TripleDes: '1.2.840.113549.1.12.1.3',
  pbeSha1Rc2128: '1.2.840.113549.1.12.1.5',
  pbeSha1Rc240: '1.2.840.113549.1.12.1.6',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;

const PRFS: Record<string, string> = {
  '1.2.840.113549.2.7': 'sha1',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};
const CIPHERS: Record<string, { name: string; keyLength: number; ivLength: number }> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16, ivLength: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24, ivLength: 16 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32, ivLength: 16 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLength: 24, ivLength: 8 },
};
const MAC_HASHES: Record<string, string> = {
  [OID.sha1]: 'sha1',
  [OID.sha256]: 'sha256',
  [OID.sha384]: 'sha384',
  [OID.sha512]: 'sha512',
};

const ITERATIONS = 2048;
// Bounds what a hostile file can make us compute on the event loop (ADR 038): per derivation
// and for the whole file. Real files ask for 2048 (openssl) or 10000 (keytool) per derivation.
const MAX_ITERATIONS = 300_000;
const MAX_WORK = 1_000_000;

/** The key-derivation work one file may cost, charged before each derivation runs. */
class WorkBudget {
  private left = MAX_WORK;
  charge(iterations: number, derivations = 1): void {
    if (iterations < 1 || iterations > MAX_ITERATIONS) {
      throw new InvalidInputError(
        `The PKCS#12 iteration count ${iterations} is out of range (1 to ${MAX_ITERATIONS})`,
      );
    }
    this.left -= iterations * derivations;
    if (this.left < 0) {
      throw new InvalidInputError(
        `The PKCS#12 file asks for more than ${MAX_WORK} key-derivation iterations`,
      );
    }
  }
}

export interface Pkcs12Input {
  /** PKCS#8/PKCS#1/SEC1 PEM; unencrypted, or encrypted with keyPassphrase. */
  readonly privateKeyPem: string;
  readonly keyPassphrase?: string;
  /** PEM certificates, the key's certificate first, then its issuers. */
  readonly chain: readonly string[];
  readonly password: string;
  /** Written as the friendlyName of the key and its certificate. */
  readonly alias?: string;
}

export interface KeystoreContent {
  /** Unencrypted PKCS#8 PEM, when the store holds a key. */
  readonly privateKeyPem?: string;
  /** PEM; the key's certificate first when there is a key. */
  readonly chain: readonly string[];
  readonly alias?: string;
}

/** The PKCS#12 password-to-key function (RFC 7292 appendix B.2). */
export function pkcs12Kdf(
  password: string,
  salt: Buffer,
  id: 1 | 2 | 3,
  iterations: number,
  length: number,
  hash: string,
): Buffer {
  const u = createHash(hash).digest().length;
  const v = hash === 'sha384' || hash === 'sha512' ? 128 : 64;
  const bmp = Buffer.alloc((password.length + 1) * 2);
  for (let i = 0; i < password.length; i++) bmp.writeUInt16BE(password.charCodeAt(i), i * 2);
  const fill = (data: Buffer): Buffer => {
    if (data.length === 0) return Buffer.alloc(0);
    const out = Buffer.alloc(v * Math.ceil(data.length / v));
    for (let i = 0; i < out.length; i++) out[i] = data[i % data.length] as number;
    return out;
  };
  const D = Buffer.alloc(v, id);
  const I = Buffer.concat([fill(salt), fill(bmp)]);
  const blocks: Buffer[] = [];
  for (let produced = 0; produced < length; produced += u) {
    let A = createHash(hash).update(D).update(I).digest();
    for (let r = 1; r < iterations; r++) A = createHash(hash).update(A).digest();
    blocks.push(A);
    const B = fill(A);
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = (I[j + k] as number) + (B[k] as number) + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function pbes2Params(salt: Buffer, iv: Buffer): Buffer {
  return der.seq(
    der.algorithm(
      OID.pbkdf2,
      der.seq(der.octets(salt), der.integer(ITERATIONS), der.algorithm('1.2.840.113549.2.9')),
    ),
    der.seq(der.oid('2.16.840.1.101.3.4.1.42'), der.octets(iv)),
  );
}

function encryptPbes2(data: Buffer, password: string): { algorithm: Buffer; ciphertext: Buffer } {
  const salt = randomBytes(8);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, ITERATIONS, 32, 'sha256');
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const ciphertext = Buffer.concat([cipher.update(data), cipher.final()]);
  return { algorithm: der.algorithm(OID.pbes2, pbes2Params(salt, iv)), ciphertext };
}

const wrongPassword = (): InvalidInputError => new KeystorePasswordError('The keystore password is wrong');

/** Decrypts PBES2 or the PKCS#12 3DES scheme; a padding failure means a wrong password. */
function decrypt(algorithmNode: Node, ciphertext: Buffer, password: string, budget: WorkBudget): Buffer {
  const what = 'PKCS#12 encryption parameters';
  const id = der.oidOf(der.child(algorithmNode, 0, what), what);
  let name: string;
  let key: Buffer;
  let iv: Buffer;
  if (id === OID.pbes2) {
    const params = der.child(algorithmNode, 1, what, TAG.sequence);
    const kdf = der.child(params, 0, what, TAG.sequence);
    if (der.oidOf(der.child(kdf, 0, what), what) !== OID.pbkdf2)
      throw new InvalidInputError('The PKCS#12 file uses an unsupported key derivation');
    const kdfParams = der.child(kdf, 1, what, TAG.sequence);
    const salt = der.child(kdfParams, 0, what, TAG.octetString).content;
    const iterations = der.intOf(der.child(kdfParams, 1, what), what);
    const prfNode = kdfParams.children.find((c) => c.tag === TAG.sequence);
    const prf = prfNode ? PRFS[der.oidOf(der.child(prfNode, 0, what), what)] : 'sha1';
    const scheme = der.child(params, 1, what, TAG.sequence);
    const cipher = CIPHERS[der.oidOf(der.child(scheme, 0, what), what)];
    if (!prf || !cipher) throw new InvalidInputError('The PKCS#12 file uses an unsupported cipher');
    iv = der.child(scheme, 1, what, TAG.octetString).content;
    // A malformed IV is a malformed file, not a wrong password (and costs no derivation).
    if (iv.length !== cipher.ivLength)
      throw new InvalidInputError(`The PKCS#12 file's ${cipher.name} IV is malformed`);
    budget.charge(iterations);
    name = cipher.name;
    key = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, cipher.keyLength, prf);
  } else if (id === OID.pbeSha1TripleDes) {
    const params = der.child(algorithmNode, 1, what, TAG.sequence);
    const salt = der.child(params, 0, what, TAG.octetString).content;
    const iterations = der.intOf(der.child(params, 1, what), what);
    budget.charge(iterations, 3); // two SHA-1 blocks of key, one of IV
    name = 'des-ede3-cbc';
    key = pkcs12Kdf(password, salt, 1, iterations, 24, 'sha1');
    iv = pkcs12Kdf(password, salt, 2, iterations, 8, 'sha1');
  } else if (id === OID.pbeSha1Rc240 || id === OID.pbeSha1Rc2128) {
    // OpenSSL 1.x's default for the certificates (and `openssl pkcs12 -legacy`'s): RC2, which
    // node's OpenSSL 3 lacks without the legacy provider; our own decryption (rc2.ts).
    const params = der.child(algorithmNode, 1, what, TAG.sequence);
    const salt = der.child(params, 0, what, TAG.octetString).content;
    const iterations = der.intOf(der.child(params, 1, what), what);
    budget.charge(iterations, 2);
    const bits = id === OID.pbeSha1Rc240 ? 40 : 128;
    const rc2Key = pkcs12Kdf(password, salt, 1, iterations, bits / 8, 'sha1');
    const rc2Iv = pkcs12Kdf(password, salt, 2, iterations, 8, 'sha1');
    try {
      return rc2CbcDecrypt(rc2Key, bits, rc2Iv, ciphertext);
    } catch {
      throw wrongPassword();
    }
  } else {
    throw new InvalidInputError(
      `The PKCS#12 file uses an unsupported encryption (${id}); re-export it with AES (openssl pkcs12 without -legacy)`,
    );
  }
  try {
    const decipher = createDecipheriv(name, key, iv);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw wrongPassword();
  }
}

function bagAttributes(alias: string | undefined, localKeyId: Buffer): Buffer {
  const attributes = [der.seq(der.oid(OID.localKeyId), der.set(der.octets(localKeyId)))];
  if (alias) attributes.unshift(der.seq(der.oid(OID.friendlyName), der.set(der.bmpString(alias))));
  return der.set(...attributes);
}

/** Writes a password-protected PKCS#12 file with the key and its certificate chain. */
export function writePkcs12(input: Pkcs12Input): Buffer {
  const { key, certs } = keystoreEntry(input, 'A PKCS#12 file');
  // localKeyId pairs the key with its certificate: the certificate's SHA-1, as OpenSSL sets it.
  const localKeyId = createHash('sha1')
    .update(certs[0] as Buffer)
    .digest();

  const certBags = certs.map((cert, i) =>
    der.seq(
      der.oid(OID.certBag),
      der.explicit(0, der.seq(der.oid(OID.x509Certificate), der.explicit(0, der.octets(cert)))),
      ...(i === 0 ? [bagAttributes(input.alias, localKeyId)] : []),
    ),
  );
  const encryptedCerts = encryptPbes2(der.seq(...certBags), input.password);
  const certsInfo = der.seq(
    der.oid(OID.encryptedData),
    der.explicit(
      0,
      der.seq(
        der.integer(0),
        der.seq(der.oid(OID.data), encryptedCerts.algorithm, der.tlv(0x80, encryptedCerts.ciphertext)),
      ),
    ),
  );
  const shrouded = key.export({
    format: 'der',
    type: 'pkcs8',
    cipher: 'aes-256-cbc',
    passphrase: input.password,
  });
  const keyBags = der.seq(
    der.seq(der.oid(OID.shroudedKeyBag), der.explicit(0, shrouded), bagAttributes(input.alias, localKeyId)),
  );
  const keyInfo = der.seq(der.oid(OID.data), der.explicit(0, der.octets(keyBags)));
  const authSafe = der.seq(certsInfo, keyInfo);

  const macSalt = randomBytes(8);
  const macKey = pkcs12Kdf(input.password, macSalt, 3, ITERATIONS, 32, 'sha256');
  const mac = createHmac('sha256', macKey).update(authSafe).digest();
  return der.seq(
    der.integer(3),
    der.seq(der.oid(OID.data), der.explicit(0, der.octets(authSafe))),
    der.seq(
      der.seq(der.algorithm(OID.sha256), der.octets(mac)),
      der.octets(macSalt),
      der.integer(ITERATIONS),
    ),
  );
}

/** Charges the budget for the shrouded key's decryption, which node runs (PBES2 or PKCS#12 PBE). */
function chargeKeyDecryption(encryptedKeyInfo: Node, budget: WorkBudget): void {
  const what = 'PKCS#12 key bag';
  const algorithm = der.child(encryptedKeyInfo, 0, what, TAG.sequence);
  const id = der.oidOf(der.child(algorithm, 0, what), what);
  const params = der.child(algorithm, 1, what, TAG.sequence);
  if (id === OID.pbes2) {
    const kdfParams = der.child(der.child(params, 0, what, TAG.sequence), 1, what, TAG.sequence);
    budget.charge(der.intOf(der.child(kdfParams, 1, what), what), 2);
  } else {
    budget.charge(der.intOf(der.child(params, 1, what), what), 3);
  }
}

function checkMac(pfx: Node, authSafe: Buffer, password: string, budget: WorkBudget): void {
  const what = 'PKCS#12 MAC';
  const macData = pfx.children[2];
  if (!macData)
    throw new InvalidInputError('The PKCS#12 file has no integrity MAC (password integrity is required)');
  const digestInfo = der.child(macData, 0, what, TAG.sequence);
  const hash = MAC_HASHES[der.oidOf(der.child(der.child(digestInfo, 0, what, TAG.sequence), 0, what), what)];
  if (!hash) throw new InvalidInputError('The PKCS#12 file uses an unsupported MAC');
  const expected = der.child(digestInfo, 1, what, TAG.octetString).content;
  const salt = der.child(macData, 1, what, TAG.octetString).content;
  const iterations = macData.children[2] ? der.intOf(macData.children[2], what) : 1;
  budget.charge(iterations);
  const key = pkcs12Kdf(password, salt, 3, iterations, createHash(hash).digest().length, hash);
  const actual = createHmac(hash, key).update(authSafe).digest();
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) throw wrongPassword();
}

interface Bag {
  readonly type: string;
  readonly value: Node;
  readonly localKeyId?: string;
  readonly friendlyName?: string;
}

function readBags(safeContents: Buffer): Bag[] {
  const what = 'PKCS#12 bag';
  return der.parse(safeContents, what).children.map((bag) => {
    const attrs = bag.children[2];
    let localKeyId: string | undefined;
    let friendlyName: string | undefined;
    for (const attr of attrs?.children ?? []) {
      const id = der.oidOf(der.child(attr, 0, what), what);
      const value = der.child(der.child(attr, 1, what, TAG.set), 0, what);
      if (id === OID.localKeyId) localKeyId = value.content.toString('hex');
      if (id === OID.friendlyName && value.tag === TAG.bmpString && value.content.length % 2 === 0) {
        // A copy: swap16 works in place and the content is a view of the caller's file.
        friendlyName = Buffer.from(value.content).swap16().toString('utf16le');
      }
    }
    return {
      type: der.oidOf(der.child(bag, 0, what), what),
      value: der.child(der.child(bag, 1, what), 0, what),
      localKeyId,
      friendlyName,
    };
  });
}

/** A certificate bag's DER read once; a bag that is not a certificate is refused as input. */
function readCert(der: Buffer): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch {
    throw new InvalidInputError('A certificate in the PKCS#12 file is not readable');
  }
}

/** Reads a PKCS#12 file: checks the MAC with the password, then extracts the key and the certificates. */
export function readPkcs12(data: Uint8Array, password: string): KeystoreContent {
  const what = 'PKCS#12 file';
  const pfx = der.parse(data, what);
  if (der.intOf(der.child(pfx, 0, what), what) !== 3)
    throw new InvalidInputError('The file is not a PKCS#12 (version 3) keystore');
  const authSafeInfo = der.child(pfx, 1, what, TAG.sequence);
  if (der.oidOf(der.child(authSafeInfo, 0, what), what) !== OID.data)
    throw new InvalidInputError('Public-key protected PKCS#12 files are not supported');
  const authSafe = der.child(der.child(authSafeInfo, 1, what), 0, what, TAG.octetString).content;
  const budget = new WorkBudget();
  checkMac(pfx, authSafe, password, budget);

  const bags: Bag[] = [];
  for (const info of der.parse(authSafe, what).children) {
    const type = der.oidOf(der.child(info, 0, what), what);
    const content = der.child(info, 1, what);
    if (type === OID.data) {
      bags.push(...readBags(der.child(content, 0, what, TAG.octetString).content));
    } else if (type === OID.encryptedData) {
      const encrypted = der.child(der.child(content, 0, what, TAG.sequence), 1, what, TAG.sequence);
      const ciphertext = der.child(encrypted, 2, what);
      bags.push(
        ...readBags(
          decrypt(der.child(encrypted, 1, what, TAG.sequence), ciphertext.content, password, budget),
        ),
      );
    } else {
      throw new InvalidInputError(
        'The PKCS#12 file holds public-key encrypted content, which is not supported',
      );
    }
  }

  const keyBags = bags.filter((b) => b.type === OID.shroudedKeyBag || b.type === OID.keyBag);
  if (keyBags.length > 1) throw new InvalidInputError('The PKCS#12 file holds more than one private key');
  const certBags = bags.filter(
    (b) => b.type === OID.certBag && der.oidOf(der.child(b.value, 0, what), what) === OID.x509Certificate,
  );
  const certOf = (b: Bag): Buffer => der.child(der.child(b.value, 1, what), 0, what, TAG.octetString).content;
  const keyBag = keyBags[0];
  let privateKeyPem: string | undefined;
  if (keyBag?.type === OID.shroudedKeyBag) chargeKeyDecryption(keyBag.value, budget);
  if (keyBag) {
    try {
      const key =
        keyBag.type === OID.keyBag
          ? createPrivateKey({ key: keyBag.value.raw, format: 'der', type: 'pkcs8' })
          : createPrivateKey({ key: keyBag.value.raw, format: 'der', type: 'pkcs8', passphrase: password });
      privateKeyPem = key.export({ format: 'pem', type: 'pkcs8' }) as string;
    } catch {
      throw new InvalidInputError(
        'The private key in the PKCS#12 file cannot be decrypted with the password',
      );
    }
  }
  // The key's certificate first (by localKeyId, else by public key), then the others in file order.
  const certs = certBags.map((b) => ({ bag: b, cert: readCert(certOf(b)) }));
  let leafIndex = keyBag?.localKeyId ? certs.findIndex((c) => c.bag.localKeyId === keyBag.localKeyId) : -1;
  if (leafIndex < 0 && privateKeyPem) {
    const key = createPrivateKey(privateKeyPem);
    leafIndex = certs.findIndex((c) => c.cert.checkPrivateKey(key));
  }
  const ordered = leafIndex > 0 ? [certs[leafIndex], ...certs.filter((_, i) => i !== leafIndex)] : certs;
  const chain = ordered.flatMap((c) => (c ? [c.cert.toString()] : []));
  const alias = keyBag?.friendlyName ?? ordered[0]?.bag.friendlyName;
  return { ...(privateKeyPem ? { privateKeyPem } : {}), chain, ...(alias ? { alias } : {}) };
}
