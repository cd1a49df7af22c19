import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureDataKeys, loadKeyring, type Keyring } from '../../platform/crypto/keyring.js';
import { generateMasterKey, MasterKeySet } from '../../platform/crypto/master-key.js';
import { openDatabase, type Database } from '../../platform/db/database.js';
import { migrateToLatest } from '../../platform/db/migrator.js';
import { createReadiness } from './readiness.js';

/** /readyz's checks on a real SQLite file: each one fails for its own reason and says which. */
describe('readiness', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  const freshDatabase = (): Database => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bulwark-readiness-'));
    const database = openDatabase({ databaseUrl: undefined, sqliteFile: path.join(dir, 'bulwark.db') });
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    cleanups.push(() => database.close());
    return database;
  };

  const keyringOf = async (database: Database): Promise<Keyring> => {
    const master = generateMasterKey(new Date());
    const keys = new MasterKeySet([master], master.id);
    await ensureDataKeys(database.db, keys, Date.now());
    return loadKeyring(database.db, keys, () => Promise.resolve(keys));
  };

  /** A keyring whose data keys are gone: every seal fails. */
  const brokenKeyring: Keyring = {
    seal: () => {
      throw new Error('no data key');
    },
    open: () => {
      throw new Error('no data key');
    },
    auditMacKey: () => Buffer.alloc(32),
  };

  it('is ready on a migrated database with its keys loaded, until the server stops serving', async () => {
    const database = freshDatabase();
    await migrateToLatest(database);
    const readiness = createReadiness({ database, keyring: await keyringOf(database) });
    expect(await readiness.check()).toEqual({
      ready: true,
      checks: { database: { ok: true }, migrations: { ok: true }, keys: { ok: true }, serving: { ok: true } },
    });
    readiness.stopServing();
    const stopping = await readiness.check();
    expect(stopping.ready).toBe(false);
    expect(stopping.checks.serving).toEqual({ ok: false, problem: 'the server is shutting down' });
  });

  it('is not ready before the migrations ran, and names the check', async () => {
    const database = freshDatabase();
    const report = await createReadiness({ database, keyring: brokenKeyring }).check();
    expect(report.ready).toBe(false);
    expect(report.checks.database).toEqual({ ok: true });
    expect(report.checks.migrations.ok).toBe(false);
    expect(report.checks.migrations.problem).toMatch(/applied migrations cannot be read/);
    expect(report.checks.keys).toEqual({ ok: false, problem: 'the data keys are not loaded' });
  });

  it('counts migrations this code knows and the database lacks', async () => {
    const database = freshDatabase();
    await migrateToLatest(database);
    const keyring = await keyringOf(database);
    await sql`delete from schema_migrations where name > '2026-12-01'`.execute(database.db);
    const report = await createReadiness({ database, keyring }).check();
    expect(report.ready).toBe(false);
    expect(report.checks.migrations.problem).toMatch(/^\d+ migration\(s\) not applied, first 2026-12-/);
  });

  it('is not ready when the database is closed', async () => {
    const database = freshDatabase();
    await migrateToLatest(database);
    const keyring = await keyringOf(database);
    await database.close();
    const report = await createReadiness({ database, keyring }).check();
    expect(report.ready).toBe(false);
    expect(report.checks.database.ok).toBe(false);
    expect(report.checks.database.problem).toMatch(/^the database does not answer: /);
  });
});
