import BetterSqlite3 from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { details, pmpClient, rawRequest } from '../helpers/client.js';
import { signIn } from '../helpers/console-client.js';
import { findPostgresBinaries } from '../helpers/postgres.js';
import { createInstance, dialects, serve, type Instance, type RunningServer } from '../helpers/server.js';

const SECRET_PASSWORD = 'Zq7!unique-vault-password-4b1d';
const SECRET_FIELD = 'Sh4dow-custom-field-secret-90aa';
const SECRET_FILE = 'BEGIN-LICENSE-7f3e9c-file-content-that-must-not-leak-END';

/** Every byte under a directory, file by file (the SQLite file, its WAL and shared memory). */
function filesUnder(dir: string): { file: string; content: Buffer }[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const file = path.join(e.parentPath, e.name);
      return { file, content: readFileSync(file) };
    });
}

function containsAnyEncoding(haystack: Buffer, needle: string): boolean {
  return (
    haystack.includes(Buffer.from(needle, 'utf8')) ||
    haystack.includes(Buffer.from(needle, 'utf16le')) ||
    haystack.includes(Buffer.from(needle, 'utf8').toString('base64').slice(0, 24)) ||
    haystack.includes(Buffer.from(needle, 'utf8').toString('hex'))
  );
}

describe.each(dialects())('secrets at rest and in transit on %s', (dialect) => {
  let instance: Instance;
  let server: RunningServer;
  let call: ReturnType<typeof pmpClient>;
  let ids: { resourceId: string; accountId: string; fileResourceId: string; fileAccountId: string };
  /** The console's own secrets: the session cookie, its CSRF token, the TOTP secret, recovery codes. */
  let consoleSecrets: string[] = [];

  beforeAll(async () => {
    // Debug logging: the most the server ever logs must still hold no secret.
    instance = await createInstance(dialect, { BULWARK_LOG_LEVEL: 'debug' });
    server = await serve(instance);
    call = pmpClient(server.baseUrl, server.token);
    const created = await call('/restapi/json/v1/resources', {
      method: 'POST',
      input: details({
        RESOURCENAME: 'db-primary',
        RESOURCETYPE: 'PostgreSQL',
        ACCOUNTNAME: 'postgres',
        PASSWORD: SECRET_PASSWORD,
        ACCOUNTCUSTOMFIELD: [
          { CUSTOMLABEL: 'Recovery code', CUSTOMVALUE: SECRET_FIELD, CUSTOMTYPE: 'Password' },
        ],
      }),
    });
    expect(created.status, created.message).toBe('Success');
    const boundary = 'bulwark-test-boundary';
    const multipart = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="INPUT_DATA"\r\n\r\n` +
          JSON.stringify(
            details({
              RESOURCENAME: 'licence',
              RESOURCETYPE: 'License Store',
              ACCOUNTNAME: 'key',
              PASSWORD: 'n/a-but-required',
            }),
          ) +
          `\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="licence.txt"\r\nContent-Type: text/plain\r\n\r\n`,
      ),
      Buffer.from(SECRET_FILE),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const file = await rawRequest(server.baseUrl, {
      method: 'POST',
      path: '/restapi/json/v1/resources',
      headers: { AUTHTOKEN: server.token, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: multipart,
    });
    const fileAnswer = JSON.parse(file.text);
    expect(fileAnswer.operation.result.status).toBe('Success');
    ids = {
      resourceId: created.details.RESOURCEID,
      accountId: created.details.ACCOUNTID,
      fileResourceId: fileAnswer.operation.Details.RESOURCEID,
      fileAccountId: fileAnswer.operation.Details.ACCOUNTID,
    };
    // Exercise the read paths once, so that the WAL and any logs have seen them.
    const password = await call(
      `/restapi/json/v1/resources/${ids.resourceId}/accounts/${ids.accountId}/password`,
    );
    expect(password.details.PASSWORD).toBe(SECRET_PASSWORD);
    const download = await rawRequest(server.baseUrl, {
      path: `/restapi/json/v1/resources/${ids.fileResourceId}/accounts/${ids.fileAccountId}/downloadfile`,
      headers: { AUTHTOKEN: server.token },
    });
    expect(download.text).toBe(SECRET_FILE);

    // The console: sign in with a second factor, then release the same password in the browser's API.
    const { username, password: adminPassword } = instance.credentials;
    const signedIn = await signIn(server.baseUrl, username, adminPassword);
    const released = await signedIn.client.post(`/api/v1/accounts/${ids.accountId}/password`, {});
    expect(released.status).toBe(200);
    expect(released.json.password).toBe(SECRET_PASSWORD);
    consoleSecrets = [
      signedIn.client.cookie!,
      signedIn.client.csrf!,
      signedIn.secret,
      ...(signedIn.recoveryCodes ?? []),
      adminPassword,
    ];
    expect(consoleSecrets.length).toBeGreaterThan(5);
  });

  afterAll(async () => {
    await server?.stop();
    instance?.remove();
  });

  it('keeps passwords, secret fields, files, the API token and the console sign-in out of everything on disk', () => {
    const secrets = [SECRET_PASSWORD, SECRET_FIELD, SECRET_FILE, server.token, ...consoleSecrets];
    for (const { file, content } of filesUnder(instance.dataDir)) {
      for (const secret of secrets) {
        expect(containsAnyEncoding(content, secret), `${secret} found in ${file}`).toBe(false);
      }
    }
  });

  it.runIf(dialect === 'postgres')('keeps every secret out of a pg_dump of the database', () => {
    const binaries = findPostgresBinaries()!;
    const dump = execFileSync(
      path.join(path.dirname(realpathSync(binaries.pgCtl)), 'pg_dump'),
      ['--dbname', instance.databaseUrl!],
      {
        maxBuffer: 256 * 1024 * 1024,
      },
    );
    expect(dump.length).toBeGreaterThan(1000);
    expect(dump.includes(Buffer.from('db-primary'))).toBe(true); // the dump is real
    for (const secret of [SECRET_PASSWORD, SECRET_FIELD, SECRET_FILE, server.token, ...consoleSecrets]) {
      expect(containsAnyEncoding(dump, secret), `${secret} found in pg_dump`).toBe(false);
    }
  });

  it('stores API tokens only as SHA-256 hashes', async () => {
    const rows = await query(instance, 'select token_hash from api_tokens');
    expect(rows.map((r) => r.token_hash)).toContain(createHash('sha256').update(server.token).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(server.token);
  });

  it('keeps every secret out of /metrics, /readyz and /healthz (issue 17)', async () => {
    const answers = await Promise.all(
      ['/metrics', '/readyz', '/healthz'].map((p) =>
        rawRequest(server.baseUrl, { path: p, headers: { AUTHTOKEN: server.token } }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(answers[0]!.text).toContain('bulwark_secret_releases_total');
    for (const { text } of answers) {
      for (const secret of [SECRET_PASSWORD, SECRET_FIELD, SECRET_FILE, server.token, ...consoleSecrets]) {
        expect(text).not.toContain(secret);
      }
      // Counts only: no resource or account name travels as a label.
      expect(text).not.toContain('db-primary');
    }
  });

  it('never writes a secret, the token or the console sign-in to its logs', () => {
    const output = server.output();
    for (const secret of [SECRET_PASSWORD, SECRET_FIELD, SECRET_FILE, server.token, ...consoleSecrets]) {
      expect(output).not.toContain(secret);
    }
  });

  it('keeps the key material private on disk', () => {
    expect(statSync(instance.dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(instance.dataDir, 'master.key')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(instance.dataDir, 'tls', 'key.pem')).mode & 0o777).toBe(0o600);
  });

  it('refuses a sealed password copied onto another account (bound to its row)', async () => {
    const second = await call(`/restapi/json/v1/resources/${ids.resourceId}/accounts`, {
      method: 'POST',
      input: details({ ACCOUNTLIST: [{ ACCOUNTNAME: 'replica', PASSWORD: 'replica-password' }] }),
    });
    const replicaId = second.details[0].replica.ACCOUNTID as string;
    await execute(
      instance,
      'update accounts set password_sealed = (select password_sealed from accounts where id = $1) where id = $2',
      [Number(ids.accountId), Number(replicaId)],
    );
    const moved = await call(`/restapi/json/v1/resources/${ids.resourceId}/accounts/${replicaId}/password`);
    expect(moved.status).toBe('Failed');
    expect(moved.http.text).not.toContain(SECRET_PASSWORD);
    expect(moved.message).toMatch(/integrity/i);
    // The original is untouched.
    const original = await call(
      `/restapi/json/v1/resources/${ids.resourceId}/accounts/${ids.accountId}/password`,
    );
    expect(original.details.PASSWORD).toBe(SECRET_PASSWORD);
  });

  it('refuses to initialise the same data directory or database twice', async () => {
    const again = await instance.cli('init', '--data-dir', instance.dataDir, '--json');
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already holds a Bulwark instance/);
    if (dialect === 'postgres') {
      const other = path.join(path.dirname(instance.dataDir), 'second');
      const onSameDatabase = await instance.cli('init', '--data-dir', other, '--json');
      expect(onSameDatabase.code).not.toBe(0);
      expect(onSameDatabase.stderr).toMatch(/database already holds a Bulwark instance/);
    }
  });
});

describe.each(dialects())('master key rotation and audit chain on %s', (dialect) => {
  let instance: Instance;
  let server: RunningServer;

  beforeAll(async () => {
    instance = await createInstance(dialect);
    server = await serve(instance);
  });
  afterAll(async () => {
    await server?.stop();
    instance?.remove();
  });

  it('re-wraps the data keys while the server keeps serving reads', async () => {
    const call = pmpClient(server.baseUrl, server.token);
    const created = await call('/restapi/json/v1/resources', {
      method: 'POST',
      input: details({
        RESOURCENAME: 'rotating',
        RESOURCETYPE: 'Linux',
        ACCOUNTNAME: 'root',
        PASSWORD: 'r0tate-me',
      }),
    });
    const passwordPath = `/restapi/json/v1/resources/${created.details.RESOURCEID}/accounts/${created.details.ACCOUNTID}/password`;
    const before = JSON.parse(readFileSync(path.join(instance.dataDir, 'master.key'), 'utf8'));

    let reading = true;
    let reads = 0;
    const failures: string[] = [];
    const reader = (async () => {
      while (reading) {
        const answer = await call(passwordPath);
        if (answer.details?.PASSWORD === 'r0tate-me') reads++;
        else failures.push(answer.message);
      }
    })();
    const rotation = await instance.cli('rotate-master-key', '--data-dir', instance.dataDir);
    await new Promise((r) => setTimeout(r, 200));
    reading = false;
    await reader;

    expect(rotation.code, rotation.stderr).toBe(0);
    expect(rotation.stdout).toMatch(/Master key rotated/);
    expect(failures).toEqual([]);
    expect(reads).toBeGreaterThan(5);

    const after = JSON.parse(readFileSync(path.join(instance.dataDir, 'master.key'), 'utf8'));
    expect(after.keys).toHaveLength(1);
    expect(after.active).not.toBe(before.active);
    expect(after.keys[0].key).not.toBe(before.keys[0].key);
    const wrapping = await query(instance, 'select distinct master_key_id from data_keys');
    expect(wrapping.map((r) => r.master_key_id)).toEqual([after.active]);

    // A fresh process has only the new key and still opens everything.
    await server.stop();
    server = await serve(instance);
    const fresh = await pmpClient(server.baseUrl, server.token)(passwordPath);
    expect(fresh.details.PASSWORD).toBe('r0tate-me');
    const audit = await pmpClient(server.baseUrl, server.token)('/restapi/json/v1/audit', {
      query: { AUDITTYPE: 'User' },
    });
    expect(audit.details.map((r: any) => r.OPERATIONTYPE)).toContain('Master Key Rotated');
  });

  it('verifies an intact chain, then reports the first altered, removed or truncated record', async () => {
    const call = pmpClient(server.baseUrl, server.token);
    for (let i = 0; i < 5; i++) {
      await call('/restapi/json/v1/resources', {
        method: 'POST',
        input: details({
          RESOURCENAME: `chain-${i}`,
          RESOURCETYPE: 'Linux',
          ACCOUNTNAME: 'root',
          PASSWORD: `p-${i}`,
        }),
      });
    }
    await server.stop(); // a quiet database: the tampering below races with nothing

    const intact = await instance.cli('audit', 'verify', '--data-dir', instance.dataDir);
    expect(intact.code, intact.stderr).toBe(0);
    expect(intact.stdout).toMatch(/Audit trail intact: \d+ records verified/);
    const [newest] = await query(instance, 'select max(seq) as last from audit_records');
    const lastSeq = Number(newest!.last);
    expect(lastSeq).toBeGreaterThan(10);

    // Altered: a reason rewritten.
    const victim = lastSeq - 4;
    const [original] = await query(instance, 'select reason from audit_records where seq = $1', [victim]);
    await execute(instance, "update audit_records set reason = 'nothing to see' where seq = $1", [victim]);
    const altered = await instance.cli('audit', 'verify', '--data-dir', instance.dataDir);
    expect(altered.code).not.toBe(0);
    expect(altered.stdout).toContain(`TAMPERED at record ${victim}`);
    expect(altered.stdout).toMatch(/altered/);
    await execute(instance, 'update audit_records set reason = $1 where seq = $2', [
      original!.reason,
      victim,
    ]);
    expect((await instance.cli('audit', 'verify', '--data-dir', instance.dataDir)).code).toBe(0);

    // Removed: a record in the middle deleted.
    const [row] = await query(instance, 'select * from audit_records where seq = $1', [victim]);
    await execute(instance, 'delete from audit_records where seq = $1', [victim]);
    const removed = await instance.cli('audit', 'verify', '--data-dir', instance.dataDir);
    expect(removed.code).not.toBe(0);
    expect(removed.stdout).toContain(`TAMPERED at record ${victim}`);
    expect(removed.stdout).toMatch(/removed/);
    await reinsert(instance, row!);
    expect((await instance.cli('audit', 'verify', '--data-dir', instance.dataDir)).code).toBe(0);

    // Truncated: the newest records deleted.
    await execute(instance, 'delete from audit_records where seq > $1', [lastSeq - 2]);
    const truncated = await instance.cli('audit', 'verify', '--data-dir', instance.dataDir);
    expect(truncated.code).not.toBe(0);
    expect(truncated.stdout).toContain(`TAMPERED at record ${lastSeq - 1}`);

    server = await serve(instance);
  });
});

// ---- direct database access, for inspection and tampering ---------------------------------

type Row = Record<string, any>;

async function query(instance: Instance, sql: string, params: unknown[] = []): Promise<Row[]> {
  if (instance.dialect === 'postgres') {
    const client = new pg.Client({ connectionString: instance.databaseUrl });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as Row[];
    } finally {
      await client.end();
    }
  }
  const db = new BetterSqlite3(path.join(instance.dataDir, 'bulwark.db'));
  try {
    return db.prepare(sql.replace(/\$\d+/g, '?')).all(...params) as Row[];
  } finally {
    db.close();
  }
}

async function execute(instance: Instance, sql: string, params: unknown[] = []): Promise<void> {
  if (instance.dialect === 'postgres') {
    await query(instance, sql, params);
    return;
  }
  const db = new BetterSqlite3(path.join(instance.dataDir, 'bulwark.db'));
  try {
    db.prepare(sql.replace(/\$\d+/g, '?')).run(...params);
  } finally {
    db.close();
  }
}

async function reinsert(instance: Instance, row: Row): Promise<void> {
  const columns = Object.keys(row);
  await execute(
    instance,
    `insert into audit_records (${columns.join(', ')}) values (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
    columns.map((c) => row[c]),
  );
}
