import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Executor } from '../db/database.js';
import type { MasterKey, MasterKeySet } from './master-key.js';

/**
 * Envelope encryption. Secrets are sealed with AES-256-GCM under a data key; data keys are
 * stored in the database wrapped (AES-256-GCM) by the master key, which never touches the
 * database. The database alone therefore decrypts nothing.
 *
 * Every ciphertext is bound to where it belongs: the associated data names the table, row
 * and column, plus the envelope header. A sealed value copied onto another row fails to open.
 * Nonces are 96 random bits; with one data key sealing well under 2^32 values this keeps the
 * nonce-collision probability negligible.
 *
 * Envelope layout: version(1) | dataKeyId(4, BE) | nonce(12) | ciphertext | tag(16).
 *
 * All data keys are unwrapped once at start, so seal() and open() are synchronous and do no
 * I/O: retrieval pays only for the AES-GCM itself.
 */
export interface SealContext {
  readonly table: string;
  readonly rowId: number;
  readonly column: string;
}

export type DataKeyPurpose = 'data' | 'audit-mac';

export interface Keyring {
  seal(plaintext: Buffer | string, context: SealContext): Buffer;
  open(envelope: Buffer, context: SealContext): Buffer;
  /** The key of the audit hash chain (HMAC-SHA-256). */
  auditMacKey(): Buffer;
}

export class KeyringError extends Error {}

const VERSION = 1;
const HEADER_LENGTH = 1 + 4;
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;

interface LoadedDataKey {
  id: number;
  purpose: DataKeyPurpose;
  key: Buffer;
}

function aadFor(header: Buffer, context: SealContext): Buffer {
  return Buffer.concat([
    header,
    Buffer.from(`${context.table}\u0000${context.rowId}\u0000${context.column}`),
  ]);
}

export function wrapDataKey(dataKey: Buffer, dataKeyId: number, master: MasterKey): Buffer {
  const nonce = randomBytes(NONCE_LENGTH);
  const cipher = createCipheriv('aes-256-gcm', master.key, nonce);
  cipher.setAAD(Buffer.from(`bulwark-data-key\u0000${dataKeyId}\u0000${master.id}`));
  return Buffer.concat([nonce, cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
}

export function unwrapDataKey(wrapped: Buffer, dataKeyId: number, master: MasterKey): Buffer {
  const nonce = wrapped.subarray(0, NONCE_LENGTH);
  const tag = wrapped.subarray(wrapped.length - TAG_LENGTH);
  const body = wrapped.subarray(NONCE_LENGTH, wrapped.length - TAG_LENGTH);
  const decipher = createDecipheriv('aes-256-gcm', master.key, nonce);
  decipher.setAAD(Buffer.from(`bulwark-data-key\u0000${dataKeyId}\u0000${master.id}`));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new KeyringError(`data key ${dataKeyId} cannot be unwrapped with master key ${master.id}`);
  }
}

/** Creates the initial data keys (one per purpose) if the database has none. Run by `init`. */
export async function ensureDataKeys(db: Executor, masterKeys: MasterKeySet, now: number): Promise<void> {
  for (const purpose of ['data', 'audit-mac'] as const) {
    const existing = await db
      .selectFrom('data_keys')
      .select('id')
      .where('purpose', '=', purpose)
      .executeTakeFirst();
    if (existing) continue;
    // Insert, then wrap: the wrapping is bound to the row id, known only after the insert.
    const inserted = await db
      .insertInto('data_keys')
      .values({ purpose, wrapped_key: Buffer.alloc(0), master_key_id: masterKeys.activeId, created_at: now })
      .returning('id')
      .executeTakeFirstOrThrow();
    const wrapped = wrapDataKey(randomBytes(32), inserted.id, masterKeys.active);
    await db.updateTable('data_keys').set({ wrapped_key: wrapped }).where('id', '=', inserted.id).execute();
  }
}

/**
 * Loads and unwraps every data key. `reloadMasterKeys` is consulted when a data key is
 * wrapped by a master key this process does not hold (a rotation happened after it started).
 */
export async function loadKeyring(
  db: Executor,
  masterKeys: MasterKeySet,
  reloadMasterKeys: () => Promise<MasterKeySet>,
): Promise<Keyring> {
  const rows = await db.selectFrom('data_keys').selectAll().orderBy('id').execute();
  return keyringFromRows(rows, masterKeys, reloadMasterKeys);
}

/** The data key rows as stored (a backup carries them too). */
export interface DataKeyRow {
  readonly id: number;
  readonly purpose: string;
  readonly wrapped_key: Buffer;
  readonly master_key_id: string;
}

/** Unwraps data key rows into a keyring; `reloadMasterKeys` as for loadKeyring. */
export async function keyringFromRows(
  rows: readonly DataKeyRow[],
  masterKeys: MasterKeySet,
  reloadMasterKeys: () => Promise<MasterKeySet> = () => Promise.resolve(masterKeys),
): Promise<Keyring> {
  let masters = masterKeys;
  const keys = new Map<number, LoadedDataKey>();
  for (const row of rows) {
    let master = masters.get(row.master_key_id);
    if (master === undefined) {
      masters = await reloadMasterKeys();
      master = masters.get(row.master_key_id);
    }
    if (master === undefined) {
      throw new KeyringError(
        `data key ${row.id} is wrapped by master key ${row.master_key_id}, which is not in the master key file`,
      );
    }
    keys.set(row.id, {
      id: row.id,
      purpose: row.purpose as DataKeyPurpose,
      key: unwrapDataKey(row.wrapped_key, row.id, master),
    });
  }
  const active = [...keys.values()].filter((k) => k.purpose === 'data').at(-1);
  const audit = [...keys.values()].filter((k) => k.purpose === 'audit-mac').at(-1);
  if (active === undefined || audit === undefined) {
    throw new KeyringError('the database holds no data keys; was it initialised with `bulwark init`?');
  }
  return createKeyring(keys, active, audit.key);
}

function createKeyring(keys: Map<number, LoadedDataKey>, active: LoadedDataKey, auditKey: Buffer): Keyring {
  const activeHeader = Buffer.alloc(HEADER_LENGTH);
  activeHeader.writeUInt8(VERSION, 0);
  activeHeader.writeUInt32BE(active.id, 1);

  return {
    seal(plaintext, context) {
      const nonce = randomBytes(NONCE_LENGTH);
      const cipher = createCipheriv('aes-256-gcm', active.key, nonce);
      cipher.setAAD(aadFor(activeHeader, context));
      const data = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
      return Buffer.concat([activeHeader, nonce, cipher.update(data), cipher.final(), cipher.getAuthTag()]);
    },

    open(envelope, context) {
      if (envelope.length < HEADER_LENGTH + NONCE_LENGTH + TAG_LENGTH || envelope.readUInt8(0) !== VERSION) {
        throw new KeyringError(
          `sealed value in ${context.table}.${context.column} of row ${context.rowId} is malformed`,
        );
      }
      const keyId = envelope.readUInt32BE(1);
      const dataKey = keys.get(keyId);
      if (dataKey === undefined || dataKey.purpose !== 'data') {
        throw new KeyringError(`sealed value refers to unknown data key ${keyId}`);
      }
      const header = envelope.subarray(0, HEADER_LENGTH);
      const nonce = envelope.subarray(HEADER_LENGTH, HEADER_LENGTH + NONCE_LENGTH);
      const tag = envelope.subarray(envelope.length - TAG_LENGTH);
      const body = envelope.subarray(HEADER_LENGTH + NONCE_LENGTH, envelope.length - TAG_LENGTH);
      const decipher = createDecipheriv('aes-256-gcm', dataKey.key, nonce);
      decipher.setAAD(aadFor(header, context));
      decipher.setAuthTag(tag);
      try {
        return Buffer.concat([decipher.update(body), decipher.final()]);
      } catch {
        throw new KeyringError(
          `sealed value in ${context.table}.${context.column} of row ${context.rowId} failed authentication (tampered or moved)`,
        );
      }
    },

    auditMacKey() {
      return auditKey;
    },
  };
}
