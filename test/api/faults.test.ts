import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { details, pmpClient, type PmpAnswer } from '../helpers/client.js';
import { expectSuccess } from '../helpers/expect-pmp.js';
import { startPostgres, type PostgresCluster } from '../helpers/postgres.js';
import {
  createInstance,
  dialects,
  postgresOrSkip,
  serve,
  type Instance,
  type RunningServer,
} from '../helpers/server.js';
import { missingService } from '../helpers/services.js';
import { openDatabase } from '../../src/platform/db/database.js';
import { storageFaultOf } from '../../src/platform/db/errors.js';
import { PMP_CONTENT_TYPE } from '../helpers/expect-pmp.js';

/**
 * Faults of the storage under the server (issue 11, ADR 022): a full disk and an unreachable
 * database are answered with their own code and HTTP status, logged as what they are, and
 * nothing acknowledged before is lost.
 */

const V1 = '/restapi/json/v1';

interface Acked {
  readonly name: string;
  readonly resourceId: string;
  readonly accountId: string;
  readonly password: string;
}

function expectFault(answer: PmpAnswer, http: number, code: number, message: RegExp): void {
  const shown = `HTTP ${answer.http.status} ${answer.http.text.slice(0, 300)}`;
  expect(answer.http.status, shown).toBe(http);
  expect(answer.http.headers['content-type'], shown).toBe(PMP_CONTENT_TYPE);
  expect(answer.status, shown).toBe('Failed');
  expect(answer.statusCode, shown).toBe(code);
  expect(answer.message, shown).toMatch(message);
}

/** The cluster's `postgres` database, beside the instance's own. */
function maintenanceUrl(databaseUrl: string): string {
  return databaseUrl.replace(/[^/]*$/, 'postgres');
}

function resourceInput(name: string, password: string) {
  return details({
    RESOURCENAME: name,
    RESOURCETYPE: 'Linux',
    ACCOUNTNAME: 'root',
    PASSWORD: password,
    // Random text, so each write needs fresh pages and the disk fills in few requests.
    RESOURCEDESCRIPTION: randomBytes(300).toString('hex'),
  });
}

/** A tmpfs of `size` mounted on a new directory; undefined (with the reason) when mounting is not permitted. */
function mountTmpfs(size: string): { dir: string } | { problem: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'bulwark-full-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], {
    encoding: 'utf8',
  });
  if (mounted.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return {
      problem: `mount -t tmpfs is not permitted here (${(mounted.stderr || mounted.error?.message || '').trim()})`,
    };
  }
  return { dir };
}

function unmount(dir: string): void {
  spawnSync('umount', ['-l', dir]);
  rmSync(dir, { recursive: true, force: true });
}

/** Writes zeros into `file` until the file system refuses with ENOSPC: the disk is now really full. */
function fillDisk(file: string): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(4096);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

describe('storage faults are classified by their codes', () => {
  it('names a full disk and an unreachable database, and nothing else', () => {
    const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });
    expect(storageFaultOf(coded('SQLITE_FULL'))).toBe('storage-full');
    expect(storageFaultOf(coded('ENOSPC'))).toBe('storage-full');
    expect(storageFaultOf(coded('53100'))).toBe('storage-full');
    expect(storageFaultOf(new Error('wrapped', { cause: coded('SQLITE_FULL') }))).toBe('storage-full');
    for (const code of ['ECONNREFUSED', 'ECONNRESET', '57P01', '57P02', '57P03', '08006', '08001'])
      expect(storageFaultOf(coded(code)), code).toBe('database-unavailable');
    expect(storageFaultOf(new Error('Connection terminated unexpectedly'))).toBe('database-unavailable');
    for (const code of ['23505', 'SQLITE_CONSTRAINT_UNIQUE', '22021', '42P01', 'SQLITE_ERROR'])
      expect(storageFaultOf(coded(code)), code).toBeUndefined();
    expect(storageFaultOf(new TypeError('x is undefined'))).toBeUndefined();
  });
});

describe('SQLite transactions when the database is full (PRAGMA max_page_count: a real SQLITE_FULL)', () => {
  it('reports SQLITE_FULL, not a failed rollback, and the next transaction works', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bulwark-maxpage-'));
    const database = openDatabase({ databaseUrl: undefined, sqliteFile: path.join(dir, 'full.db') });
    try {
      const db = database.db;
      await sql`create table filler (id integer primary key, data blob not null)`.execute(db);
      await sql`insert into filler (data) values (randomblob(1000))`.execute(db);
      const pages = (await sql<{ page_count: number }>`pragma page_count`.execute(db)).rows[0]!.page_count;
      // SQLite's own limit on the file: growing past it fails with SQLITE_FULL, as a full disk does.
      await sql.raw(`pragma max_page_count = ${pages}`).execute(db);
      const failed = await db
        .transaction()
        .execute(async (trx) => {
          for (let i = 0; i < 50; i++)
            await sql`insert into filler (data) values (randomblob(4000))`.execute(trx);
        })
        .then(
          () => undefined,
          (err: unknown) => err,
        );
      expect((failed as { code?: string }).code).toBe('SQLITE_FULL');
      expect((failed as Error).message).not.toMatch(/rollback/);
      expect(storageFaultOf(failed)).toBe('storage-full');
      // Nothing of the failed transaction stayed; the write gate and the connection are free.
      const count = async () =>
        (await sql<{ n: number }>`select count(*) as n from filler`.execute(db)).rows[0]!.n;
      expect(await count()).toBe(1);
      await sql.raw(`pragma max_page_count = 1000000`).execute(db);
      await db
        .transaction()
        .execute((trx) => sql`insert into filler (data) values (randomblob(4000))`.execute(trx));
      expect(await count()).toBe(2);
    } finally {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(dialects())('a full disk (%s, a real tmpfs)', (dialect) => {
  let mountDir: string | undefined;
  let instance: Instance | undefined;
  let server: RunningServer | undefined;
  let databaseName: string | undefined;
  const tablespace = `bulwark_full_${Date.now().toString(36)}`;

  beforeAll(async () => {
    const mounted = mountTmpfs(dialect === 'sqlite' ? '12m' : '40m');
    if ('problem' in mounted) {
      const failure = missingService('a mountable tmpfs (run as root with CAP_SYS_ADMIN)', mounted.problem);
      if (failure) throw failure;
      return;
    }
    mountDir = mounted.dir;
    if (dialect === 'sqlite') {
      // The whole data directory, SQLite database and WAL included, lives on the small disk.
      instance = await createInstance('sqlite', {}, { parentDir: mountDir });
    } else {
      // The database's tablespace (tables and catalogs) moves to the small disk; the cluster's
      // WAL stays where it was, as on a server whose data volume fills.
      instance = await createInstance('postgres');
      databaseName = instance.databaseUrl!.replace(/^.*\//, '');
      const location = path.join(mountDir, 'pg');
      mkdirSync(location);
      if (process.getuid?.() === 0) {
        const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
        chownSync(location, uid, Number(execFileSync('id', ['-g', 'postgres']).toString().trim()));
      }
      const admin = new pg.Client({ connectionString: maintenanceUrl(instance.databaseUrl!) });
      await admin.connect();
      try {
        await admin.query(`create tablespace ${tablespace} location '${location}'`);
        await admin.query(`alter database ${databaseName} set tablespace ${tablespace}`);
      } finally {
        await admin.end();
      }
    }
    server = await serve(instance);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    if (databaseName && instance?.databaseUrl) {
      const admin = new pg.Client({ connectionString: maintenanceUrl(instance.databaseUrl) });
      await admin.connect();
      try {
        await admin.query(`drop database if exists ${databaseName} with (force)`);
        await admin.query(`drop tablespace if exists ${tablespace}`);
      } finally {
        await admin.end();
      }
    }
    instance?.remove();
    if (mountDir) unmount(mountDir);
  }, 60_000);

  it('answers a write with 50701 "storage is full" (HTTP 507), keeps what was acknowledged, keeps reading, and recovers', async (ctx) => {
    if (!server || !mountDir) return ctx.skip('no tmpfs');
    const call = pmpClient(server.baseUrl, server.token);
    const acked: Acked[] = [];
    const create = async (i: number) => {
      const name = `full-${i}`;
      const password = `Pw-${i}-${randomBytes(6).toString('hex')}`;
      const answer = await call(`${V1}/resources`, { method: 'POST', input: resourceInput(name, password) });
      if (answer.status === 'Success')
        acked.push({
          name,
          password,
          resourceId: String(answer.details.RESOURCEID),
          accountId: String(answer.details.ACCOUNTID),
        });
      return answer;
    };
    for (let i = 0; i < 5; i++) expectSuccess(await create(i));

    const filler = path.join(mountDir, 'filler');
    fillDisk(filler);
    // SQLite may still have room in its WAL and PostgreSQL in its last pages: write until the
    // disk refuses. Every answer is a success or the storage-full failure, never anything else.
    let refused: PmpAnswer | undefined;
    for (let i = 5; i < 3000 && !refused; i++) {
      const answer = await create(i);
      if (answer.status !== 'Success') refused = answer;
    }
    expect(refused, 'the disk never refused a write').toBeDefined();
    expectFault(refused!, 507, 50701, /^storage is full/);
    // Refused again, each time with the same clear answer.
    expectFault(await create(100_000), 507, 50701, /^storage is full/);

    // Reads keep working while the disk is full, and list everything acknowledged.
    const listed = expectSuccess(await call(`${V1}/resources`));
    const names = new Set((listed.details as any[]).map((r) => r['RESOURCE NAME']));
    for (const a of acked) expect(names.has(a.name), a.name).toBe(true);

    // A retrieval writes its audit record first: it either succeeds (there was room for the
    // record) or is refused as storage-full, never released without its record.
    const first = acked[0]!;
    const retrieval = await call(`${V1}/resources/${first.resourceId}/accounts/${first.accountId}/password`);
    if (retrieval.status === 'Success') expect(retrieval.details.PASSWORD).toBe(first.password);
    else expectFault(retrieval, 507, 50701, /^storage is full/);

    const log = server.output();
    expect(log).toMatch(/storage is full/);
    // Logged with the driver's own code: SQLite's SQLITE_FULL, PostgreSQL's disk_full SQLSTATE.
    expect(log).toMatch(dialect === 'sqlite' ? /"code":"SQLITE_FULL"/ : /"code":"53100"/);
    expect(log).not.toMatch(/cannot rollback/);
    expect(log).not.toMatch(/internal error/);

    // Space again: writes succeed and every acknowledged password is there, as acknowledged.
    rmSync(filler);
    expectSuccess(await create(200_000));
    for (const a of acked) {
      const answer = expectSuccess(
        await call(`${V1}/resources/${a.resourceId}/accounts/${a.accountId}/password`),
      );
      expect(answer.details.PASSWORD, a.name).toBe(a.password);
    }
    expect(server.process.exitCode).toBeNull();
  }, 300_000);
});

describe('an unreachable PostgreSQL (a dedicated cluster the test stops and starts)', () => {
  let cluster: PostgresCluster | undefined;
  let instance: Instance | undefined;
  let server: RunningServer | undefined;

  beforeAll(async () => {
    if (!postgresOrSkip()) return;
    cluster = await startPostgres();
    instance = await createInstance('postgres', {}, { postgresBaseUrl: cluster.baseUrl });
    server = await serve(instance);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    instance?.remove();
    cluster?.stop();
  }, 60_000);

  it('answers 50301 "database unavailable" (HTTP 503) while it is down, and serves again once it is back', async (ctx) => {
    if (!server || !cluster) return ctx.skip('no PostgreSQL');
    const call = pmpClient(server.baseUrl, server.token);
    const created = expectSuccess(
      await call(`${V1}/resources`, { method: 'POST', input: resourceInput('before-stop', 'Pw-before-1') }),
    );
    const passwordPath = `${V1}/resources/${created.details.RESOURCEID}/accounts/${created.details.ACCOUNTID}/password`;
    expectSuccess(await call(passwordPath));

    // Halted under load: connections are cut while requests hold them, between queries of a
    // transaction too. None of that may take the process down.
    const inFlight = Array.from({ length: 30 }, () => call(passwordPath).catch(() => undefined));
    await new Promise((resolve) => setTimeout(resolve, 30));
    cluster.halt();
    await Promise.all(inFlight);
    // Reads, writes and retrievals, each several times (the pool's connections were cut, then refused).
    for (let round = 0; round < 3; round++) {
      expectFault(await call(`${V1}/resources`), 503, 50301, /^the database is unavailable/);
      expectFault(
        await call(`${V1}/resources`, {
          method: 'POST',
          input: resourceInput(`during-${round}`, 'Pw-during-1'),
        }),
        503,
        50301,
        /^the database is unavailable/,
      );
      const retrieval = await call(passwordPath);
      expectFault(retrieval, 503, 50301, /^the database is unavailable/);
      expect(retrieval.http.headers['retry-after']).toBe('5');
    }
    const log = server.output();
    expect(log).toMatch(/database unavailable/);
    expect(log).toMatch(/"code":"(ECONNREFUSED|57P01)"/);
    expect(log).not.toMatch(/internal error/);

    cluster.resume();
    // The same server process: the pool connects again on the next request.
    const back = expectSuccess(await call(passwordPath));
    expect(back.details.PASSWORD).toBe('Pw-before-1');
    expectSuccess(
      await call(`${V1}/resources`, { method: 'POST', input: resourceInput('after-restart', 'Pw-after-1') }),
    );
    const names = (expectSuccess(await call(`${V1}/resources`)).details as any[]).map(
      (r) => r['RESOURCE NAME'],
    );
    expect(names).toEqual(expect.arrayContaining(['before-stop', 'after-restart']));
    expect(names.some((n: string) => n.startsWith('during-'))).toBe(false);
    expect(server.process.exitCode).toBeNull();
  }, 180_000);
});
