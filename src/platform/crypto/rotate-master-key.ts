import type { Database, Tx } from '../db/database.js';
import { generateMasterKey, MasterKeySet, readMasterKeyFile, writeMasterKeyFile } from './master-key.js';
import { KeyringError, unwrapDataKey, wrapDataKey } from './keyring.js';

export interface MasterKeyRotation {
  readonly previousKeyIds: string[];
  readonly newKeyId: string;
  readonly rewrappedDataKeys: number;
}

/**
 * Replaces the master key without touching a single sealed secret and without stopping
 * readers:
 *  1. the key file is rewritten to hold the new key (active) and the old ones, so any
 *     process that reloads it meanwhile can unwrap data keys wrapped either way;
 *  2. in one transaction every data key is unwrapped with its master key and wrapped with the
 *     new one (`withinTransaction` lets the caller audit the rotation in that transaction);
 *  3. the key file is rewritten to hold only the new key.
 * Running servers keep their unwrapped data keys in memory and never notice. A crash between
 * steps leaves a file that still opens every data key; running the rotation again finishes it.
 */
export async function rotateMasterKey(
  database: Database,
  masterKeyFile: string,
  now: () => Date,
  withinTransaction: (trx: Tx, rotation: MasterKeyRotation) => Promise<void>,
): Promise<MasterKeyRotation> {
  const current = await readMasterKeyFile(masterKeyFile);
  const fresh = generateMasterKey(now());
  const both = new MasterKeySet([fresh, ...current.all], fresh.id);
  await writeMasterKeyFile(masterKeyFile, both, now());

  const rotation = await database.db.transaction().execute(async (trx) => {
    const rows = await trx.selectFrom('data_keys').selectAll().execute();
    for (const row of rows) {
      const master = both.get(row.master_key_id);
      if (master === undefined) {
        throw new KeyringError(`data key ${row.id} is wrapped by unknown master key ${row.master_key_id}`);
      }
      const dataKey = unwrapDataKey(row.wrapped_key, row.id, master);
      await trx
        .updateTable('data_keys')
        .set({ wrapped_key: wrapDataKey(dataKey, row.id, fresh), master_key_id: fresh.id })
        .where('id', '=', row.id)
        .execute();
    }
    const result: MasterKeyRotation = {
      previousKeyIds: current.all.map((k) => k.id),
      newKeyId: fresh.id,
      rewrappedDataKeys: rows.length,
    };
    await withinTransaction(trx, result);
    return result;
  });

  await writeMasterKeyFile(masterKeyFile, new MasterKeySet([fresh], fresh.id), now());
  return rotation;
}
