/**
 * The services on a real SQLite file in a temp directory, without HTTP: for tests that control
 * what the API tests cannot, such as the clock. The admin is bootstrapped and authenticated.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureDataKeys, loadKeyring } from '../../src/platform/crypto/keyring.js';
import { generateMasterKey, MasterKeySet } from '../../src/platform/crypto/master-key.js';
import { openDatabase, type Database } from '../../src/platform/db/database.js';
import { migrateToLatest } from '../../src/platform/db/migrator.js';
import type { Clock } from '../../src/platform/clock.js';
import type { Caller, CallOrigin } from '../../src/platform/principal.js';
import { createServices, type Services } from '../../src/services.js';

export interface InProcessServices {
  readonly database: Database;
  readonly services: Services;
  /** The bootstrapped super administrator, calling from `origin`. */
  readonly admin: Caller;
  close(): Promise<void>;
}

export async function openInProcessServices(
  clock: Clock,
  origin: CallOrigin,
  options: Omit<Parameters<typeof createServices>[0], 'database' | 'keyring' | 'clock' | 'timeZone'> = {},
): Promise<InProcessServices> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bulwark-in-process-'));
  const database = openDatabase({ databaseUrl: undefined, sqliteFile: path.join(dir, 'test.db') });
  await migrateToLatest(database);
  const master = generateMasterKey(new Date(clock.now()));
  const keys = new MasterKeySet([master], master.id);
  await ensureDataKeys(database.db, keys, clock.now());
  const keyring = await loadKeyring(database.db, keys, () => Promise.resolve(keys));
  const services = createServices({ database, keyring, clock, timeZone: 'UTC', ...options });
  const credentials = await services.identity.bootstrapAdmin(origin);
  const admin = { ...origin, principal: await services.identity.authenticate(credentials.authToken, origin) };
  return {
    database,
    services,
    admin,
    async close() {
      await services.audit.close();
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
