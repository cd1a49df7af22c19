/**
 * The SSH key store over the real HTTPS API on both dialects (issue 13, ADR 031): the PKI
 * envelope, create (25) of every type and length read back by the real ssh-keygen, list (27),
 * fetch (28), export (29) through the release gate, import (51) of OpenSSH, PEM and PKCS#8 keys,
 * delete (26), sharing, and bad input answered `Failed` in the PKI envelope.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiUser, type Actor } from '../helpers/actors.js';
import { details, pmpClient, rawRequest, type PmpCall, type RawResponse } from '../helpers/client.js';
import { CLI, dialects, startServer, type RunningServer } from '../helpers/server.js';
import { sqlOn } from '../helpers/sql.js';

const PKI = '/api/pki/restapi';
const V1 = '/restapi/json/v1';

/** A PKI answer: no `operation` wrapper (compat.md). */
interface PkiAnswer {
  readonly http: RawResponse;
  readonly raw: any;
  readonly name: string;
  readonly status: string;
  readonly message: string;
  readonly statusCode: number;
  readonly details: any;
}

function pkiOf(http: RawResponse): PkiAnswer {
  expect(http.status, http.text).toBe(200);
  expect(http.headers['content-type']).toBe('application/json;charset=UTF-8');
  const raw = JSON.parse(http.text);
  expect(raw.operation, http.text).toBeUndefined();
  return {
    http,
    raw,
    name: raw.name,
    status: raw.result?.status,
    message: raw.result?.message,
    statusCode: raw.result?.statusCode,
    details: raw.details,
  };
}

const ok = (a: PkiAnswer, name?: string): PkiAnswer => {
  expect(a.status, a.http.text).toBe('Success');
  expect(a.statusCode).toBe(20000);
  if (name) expect(a.name).toBe(name);
  return a;
};
const failed = (a: PkiAnswer, message: RegExp, name?: string): PkiAnswer => {
  expect(a.status, a.http.text).toBe('Failed');
  expect(a.message).toMatch(message);
  expect(a.statusCode).toBeGreaterThanOrEqual(40000);
  if (name) expect(a.name).toBe(name);
  return a;
};

function multipart(parts: readonly { name: string; value: string | Buffer; fileName?: string }[]) {
  const boundary = `----SshKeys${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.fileName !== undefined)
      head += `; filename="${part.fileName}"\r\nContent-Type: application/octet-stream`;
    chunks.push(Buffer.from(`${head}\r\n\r\n`), Buffer.from(part.value), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat(chunks) };
}

const sshKeygen = (args: string[]) => execFileSync('ssh-keygen', args, { stdio: 'pipe' }).toString().trim();

const CREATE_CASES = [
  ['ssh-rsa', 1024],
  ['ssh-rsa', 2048],
  ['ssh-rsa', 4096],
  ['ssh-dss', 1024],
  ['ed25519', 256],
  ['ecdsa', 256],
  ['ecdsa', 384],
  ['ecdsa', 521],
] as const;

describe.each(dialects())('SSH key store on %s', (dialect) => {
  let server: RunningServer;
  let dir: string;
  const actors: Record<string, Actor> = {};
  const sql = (text: string, params: unknown[] = []) => sqlOn(server.instance, text, params);

  /** A PKI call as pypmp makes it: AUTHTOKEN in the query, INPUT_DATA url-encoded in the body. */
  async function pki(who: Actor | 'admin', endpoint: string, options: PmpCall = {}): Promise<PkiAnswer> {
    const call = who === 'admin' ? pmpClient(server.baseUrl, server.token) : who.call;
    return pkiOf((await call(`${PKI}/${endpoint}`, { transport: 'query', ...options })).http);
  }
  const create = (who: Actor | 'admin', fields: Record<string, unknown>) =>
    pki(who, 'createsshkey', { method: 'POST', input: details(fields) });
  async function exportKey(who: Actor | 'admin', name: string): Promise<RawResponse> {
    const token = who === 'admin' ? server.token : who.token;
    const body = `INPUT_DATA=${encodeURIComponent(JSON.stringify(details({ keyName: name })))}`;
    return rawRequest(server.baseUrl, {
      method: 'POST',
      path: `${PKI}/exportSSHKey?AUTHTOKEN=${token}`,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body,
    });
  }
  async function importFile(who: Actor | 'admin', fields: Record<string, unknown>, file: string | Buffer) {
    const token = who === 'admin' ? server.token : who.token;
    const form = multipart([
      { name: 'INPUT_DATA', value: JSON.stringify(details(fields)) },
      { name: 'File', value: file, fileName: 'id.key' },
    ]);
    return pkiOf(
      await rawRequest(server.baseUrl, {
        method: 'POST',
        path: `${PKI}/addSSHKey`,
        headers: { AUTHTOKEN: token, 'Content-Type': form.contentType },
        body: form.body,
      }),
    );
  }
  const listed = async (who: Actor | 'admin') => ok(await pki(who, 'getAllSSHKeys'), 'GetAllSSHKeys');
  const names = async (who: Actor | 'admin') =>
    ((await listed(who)).details as { KeyName: string }[]).map((k) => k.KeyName);

  /** Writes the exported file and reads it with the real ssh-keygen: public key and `-l` line. */
  function readBack(file: Buffer, name: string, passphrase = '') {
    const at = path.join(dir, name);
    writeFileSync(at, file, { mode: 0o600 });
    const pub = sshKeygen(['-y', '-P', passphrase, '-f', at]);
    writeFileSync(`${at}.pub`, `${pub}\n`);
    const line = sshKeygen(['-l', '-f', `${at}.pub`]);
    return { pub, line };
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'bulwark-sshkeys-'));
    server = await startServer(dialect);
    actors.olivia = await createApiUser(server, 'olivia', 'Password Administrator');
    actors.paul = await createApiUser(server, 'paul', 'Password User');
    actors.gina = await createApiUser(server, 'gina', 'Password User');
    const admin = pmpClient(server.baseUrl, server.token);
    await admin(`${V1}/userGroup`, { method: 'POST', input: details({ USERGROUPNAME: 'KeyOps' }) });
    await admin(`${V1}/user/addUserToUserGroup`, {
      method: 'POST',
      query: { USERNAME: 'gina', USERGROUPNAME: 'KeyOps' },
    });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the PKI envelope: unknown paths, a bad token and a wrong method answer in it; v1 keeps its own', async () => {
    failed(await pki('admin', 'noSuchEndpoint'), /no API endpoint/, 'Unknown');
    failed(
      await pki('admin', 'getAllSSHKeys', { token: 'not-a-token' }),
      /Authentication failed|not associated/,
      'Authentication',
    );
    failed(await pki('admin', 'createsshkey', { method: 'GET' }), /not allowed/);
    const v1 = await pmpClient(server.baseUrl, server.token)(`${V1}/noSuchEndpoint`);
    expect(v1.raw.operation.result.status).toBe('Failed');
    // An empty list still has its arrays.
    const empty = await listed(actors.paul!);
    expect(empty.raw.totalRows).toBe(0);
    expect(empty.details).toEqual([]);
    expect(empty.raw.SSHKeys).toEqual([]);
  });

  it.each(CREATE_CASES)(
    '25 creates %s %i keys that the real ssh-keygen reads, with and without a passphrase',
    async (type, bits) => {
      for (const passphrase of [undefined, `p4ss ${type}!`]) {
        const name = `${type}-${bits}${passphrase ? '-pp' : ''}`;
        const created = ok(
          await create('admin', {
            keyName: name,
            keyType: type,
            length: String(bits),
            comment: `made for ${name}`,
            ...(passphrase ? { passPhrase: passphrase } : {}),
          }),
          'CreateSSHKey',
        );
        expect(created.message).toBe('New SSH key created successfully');
        const fetched = ok(
          await pki('admin', 'getSSHKey', { input: details({ keyName: name }) }),
          'GetSSHKey',
        );
        const key = fetched.details[0];
        expect(key).toMatchObject({
          KeyName: name,
          KeyType: type,
          KeyLength: String(bits),
          isPassphraseAvailable: passphrase !== undefined,
          CreatedBy: 'admin',
          Comment: `made for ${name}`,
        });
        expect(key.CreationTime).toMatch(/\d{4}/);
        const file = await exportKey('admin', name);
        expect(file.status).toBe(200);
        expect(file.headers['content-type']).toBe('application/octet-stream');
        expect(file.text).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
        const { pub, line } = readBack(file.body, name, passphrase ?? '');
        expect(pub.split(' ').slice(0, 2).join(' ')).toBe(key.PublicKey.split(' ').slice(0, 2).join(' '));
        // `ssh-keygen -l`: "<bits> SHA256:<fp> <comment> (<TYPE>)".
        expect(line.split(' ')[0]).toBe(String(bits));
        expect(line.split(' ')[1]).toBe(key.FingerPrint);
        if (passphrase) {
          // The file is encrypted: without the passphrase ssh-keygen refuses it.
          expect(() => sshKeygen(['-y', '-P', 'wrong', '-f', path.join(dir, name)])).toThrow();
        }
      }
    },
    60_000,
  );

  it('27 lists the fields of the reference and the SSHKeys array pypmp reads; 28 answers GET and POST', async () => {
    const list = await listed('admin');
    expect(list.raw.totalRows).toBe(CREATE_CASES.length * 2);
    expect(list.raw.SSHKeys).toEqual(list.details);
    for (const key of list.details) {
      expect(Object.keys(key)).toEqual(
        expect.arrayContaining([
          'KeyName',
          'KeyType',
          'KeyLength',
          'FingerPrint',
          'isPassphraseAvailable',
          'CreatedBy',
          'CreationTime',
        ]),
      );
      expect(key.FingerPrint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    }
    const viaPost = ok(
      await pki('admin', 'getSSHKey', { method: 'POST', input: details({ keyName: 'ED25519-256' }) }),
    );
    expect(viaPost.details[0].KeyName).toBe('ed25519-256');
    expect(viaPost.message).toBe('SSH Key ed25519-256 fetched successfully');
  });

  it('private keys and passphrases are sealed at rest; the export is audited', async () => {
    const exported = (await exportKey('admin', 'ssh-rsa-2048-pp')).text;
    const rows = await sql(`select private_key_sealed, passphrase_sealed from ssh_keys where name = $1`, [
      'ssh-rsa-2048-pp',
    ]);
    const sealed = Buffer.from(rows[0]!.private_key_sealed as Uint8Array);
    expect(sealed.includes(Buffer.from('OPENSSH'))).toBe(false);
    expect(sealed.includes(Buffer.from(exported.split('\n')[1]!))).toBe(false);
    const pass = Buffer.from(rows[0]!.passphrase_sealed as Uint8Array);
    expect(pass.includes(Buffer.from('p4ss'))).toBe(false);
    const audits = await sql(
      `select operation, resource_name from audit_records where operation = $1 and resource_name = $2`,
      ['SSH Key Exported', 'SSH key ssh-rsa-2048-pp'],
    );
    expect(audits.length).toBeGreaterThan(0);
  });

  it('51 imports OpenSSH, PEM and PKCS#8 keys, as a file or as text, with their passphrase', async () => {
    const cases: [string, string[], string | undefined][] = [
      ['imp-openssh-ed25519', ['-t', 'ed25519'], 'open sesame'],
      ['imp-openssh-rsa', ['-t', 'rsa', '-b', '2048'], undefined],
      ['imp-pem-rsa', ['-t', 'rsa', '-b', '2048', '-m', 'PEM'], 'pem-pass'],
      ['imp-pem-ecdsa', ['-t', 'ecdsa', '-b', '384', '-m', 'PEM'], undefined],
      ['imp-pkcs8-rsa', ['-t', 'rsa', '-b', '2048', '-m', 'PKCS8'], 'p8-pass'],
      ['imp-pkcs8-ecdsa', ['-t', 'ecdsa', '-b', '256', '-m', 'PKCS8'], undefined],
      ['imp-pem-dsa', ['-t', 'dsa', '-m', 'PEM'], undefined],
    ];
    for (const [name, args, passphrase] of cases) {
      const at = path.join(dir, name);
      sshKeygen([...args, '-N', passphrase ?? '', '-C', `orig-${name}`, '-q', '-f', at]);
      const expected = sshKeygen(['-l', '-f', `${at}.pub`]).split(' ')[1];
      const fields = { keyName: name, ...(passphrase ? { passphrase } : {}) };
      const answer = name.endsWith('rsa')
        ? await importFile('admin', fields, readFileSync(at))
        : await pki('admin', 'addSSHKey', {
            method: 'POST',
            input: details({ ...fields, privateKey: readFileSync(at, 'utf8') }),
          });
      ok(answer, 'addSSHKey');
      expect(answer.message).toBe('Key imported successfully');
      expect(answer.details[0].FingerPrint).toBe(expected);
      expect(answer.details[0].isPassphraseAvailable).toBe(passphrase !== undefined);
      if (name.startsWith('imp-openssh')) expect(answer.details[0].Comment).toBe(`orig-${name}`);
      const { line } = readBack((await exportKey('admin', name)).body, `${name}.out`, passphrase ?? '');
      expect(line.split(' ')[1]).toBe(expected);
    }
  }, 60_000);

  it('51 refuses a wrong or missing passphrase, a corrupt file and an unsupported type, saying why', async () => {
    const at = path.join(dir, 'locked');
    sshKeygen(['-t', 'ed25519', '-N', 'right', '-q', '-f', at]);
    failed(
      await importFile('admin', { keyName: 'x1', passphrase: 'wrong' }, readFileSync(at)),
      /wrong passphrase/i,
    );
    failed(await importFile('admin', { keyName: 'x1' }, readFileSync(at)), /encrypted: give its passphrase/);
    const pem = path.join(dir, 'locked-pem');
    sshKeygen(['-t', 'rsa', '-b', '1024', '-m', 'PEM', '-N', 'right', '-q', '-f', pem]);
    failed(
      await importFile('admin', { keyName: 'x1', passphrase: 'nope' }, readFileSync(pem)),
      /wrong passphrase/i,
    );
    const text = readFileSync(path.join(dir, 'imp-openssh-rsa'), 'utf8');
    const corrupt =
      text.replace(/\n[A-Za-z0-9+/]{20}/, '\n' + 'A'.repeat(20)).slice(0, 600) +
      '\n-----END OPENSSH PRIVATE KEY-----\n';
    failed(await importFile('admin', { keyName: 'x1' }, corrupt), /corrupt|truncated|cannot be read/);
    failed(
      await importFile('admin', { keyName: 'x1' }, 'hello world'),
      /not a private key in a known format/,
    );
    const ed448 = generateKeyPairSync('ed448').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
    failed(await importFile('admin', { keyName: 'x1' }, ed448), /type ed448/);
    failed(await pki('admin', 'addSSHKey', { method: 'POST', input: details({ keyName: 'x1' }) }), /File/);
    expect(await names('admin')).not.toContain('x1');
  });

  it('bad input to 25: unknown type or length, missing or mistyped fields, a taken name', async () => {
    failed(
      await create('admin', { keyName: 'b1', keyType: 'ssh-foo' }),
      /keyType must be one of/,
      'CreateSSHKey',
    );
    failed(
      await create('admin', { keyName: 'b1', keyType: 'ssh-rsa', length: '3000' }),
      /1024, 2048, 4096 bits/,
    );
    failed(await create('admin', { keyName: 'b1', keyType: 'ssh-dss', length: '2048' }), /1024 bits/);
    failed(await create('admin', { keyName: 'b1', keyType: 'ecdsa', length: '512' }), /256, 384, 521/);
    failed(await create('admin', { keyName: 'b1', keyType: 'ed25519', length: '384' }), /no length/);
    failed(
      await create('admin', { keyName: 'b1', keyType: 'ssh-rsa', length: 'big' }),
      /length must be a number/,
    );
    failed(await create('admin', { keyType: 'ssh-rsa' }), /keyName/);
    failed(await create('admin', { keyName: 'b1' }), /keyType/);
    failed(await create('admin', { keyName: { a: 1 }, keyType: 'ssh-rsa' }), /keyName/);
    failed(await create('admin', { keyName: 'b1', keyType: ['ssh-rsa'] }), /keyType/);
    failed(await create('admin', { keyName: 'ssh-rsa-1024', keyType: 'ed25519' }), /already exists/);
    failed(
      await pki('admin', 'getSSHKey', { input: details({ keyName: 'nothing' }) }),
      /SSH key nothing does not exist/,
    );
    expect(await names('admin')).not.toContain('b1');
  });

  it('another user sees nothing of a key until it is shared; a share gives what it names', async () => {
    const paul = actors.paul!;
    ok(await create(actors.olivia!, { keyName: 'olivia-key', keyType: 'ed25519', passPhrase: 'o-pass' }));
    expect(await names(paul)).not.toContain('olivia-key');
    failed(await pki(paul, 'getSSHKey', { input: details({ keyName: 'olivia-key' }) }), /does not exist/);
    const refused = pkiOf(await exportKey(paul, 'olivia-key'));
    failed(refused, /does not exist/, 'ExportSSHKey');
    failed(
      await pki(paul, 'deleteSSHKey', { method: 'DELETE', input: details({ key_name: 'olivia-key' }) }),
      /does not exist/,
    );
    // The admin (super administrator) sees every key; the owner sees their own.
    expect(await names('admin')).toContain('olivia-key');
    expect(await names(actors.olivia!)).toEqual(['olivia-key']);

    // Only the owner (or a super administrator) shares; paul cannot share what he cannot see.
    const share = (who: Actor | 'admin', fields: Record<string, unknown>) =>
      pki(who, 'shareSSHKey', { method: 'POST', input: details({ keyName: 'olivia-key', ...fields }) });
    failed(await share(paul, { userName: 'paul', permission: 'full' }), /does not exist/);
    ok(await share(actors.olivia!, { userName: 'paul', permission: 'view' }), 'ShareSSHKey');
    expect(await names(paul)).toEqual(['olivia-key']);
    const file = await exportKey(paul, 'olivia-key');
    expect(file.text).toMatch(/OPENSSH PRIVATE KEY/);
    readBack(file.body, 'paul-export', 'o-pass');
    failed(
      await pki(paul, 'deleteSSHKey', { method: 'DELETE', input: details({ key_name: 'olivia-key' }) }),
      /needs full access/,
    );
    failed(await share(paul, { userName: 'gina', permission: 'view' }), /Only the owner/);

    // A group share reaches its members; revoking takes it away.
    expect(await names(actors.gina!)).toEqual([]);
    ok(await share(actors.olivia!, { userGroupName: 'KeyOps', permission: 'modify' }));
    expect(await names(actors.gina!)).toEqual(['olivia-key']);
    ok(await share(actors.olivia!, { userGroupName: 'KeyOps', permission: 'revoke' }));
    expect(await names(actors.gina!)).toEqual([]);
    ok(await share(actors.olivia!, { userName: 'paul', permission: 'revoke' }));
    expect(await names(paul)).toEqual([]);
    failed(await share(actors.olivia!, { userName: 'paul', permission: 'revoke' }), /not shared/);
    failed(
      await share(actors.olivia!, { userName: 'nobody', permission: 'view' }),
      /User nobody does not exist/,
    );
    failed(
      await share(actors.olivia!, { userName: 'paul', permission: 'owner' }),
      /permission must be one of/,
    );
    failed(await share(actors.olivia!, { permission: 'view' }), /userName/);

    // A full share lets paul delete it.
    ok(await share(actors.olivia!, { userName: 'paul', permission: 'full' }));
    ok(
      await pki(paul, 'deleteSSHKey', { method: 'DELETE', input: details({ key_name: 'olivia-key' }) }),
      'DeleteSSHKey',
    );
    expect(await names(actors.olivia!)).toEqual([]);
  });

  it('26 deletes a key; a deployed key is dissociated first (refused when that fails) or left with withoutDisassociation', async () => {
    ok(await create('admin', { keyName: 'to-delete', keyType: 'ed25519' }));
    const deleted = ok(
      await pki('admin', 'deleteSSHKey', {
        method: 'DELETE',
        input: details({ key_name: 'to-delete', withoutDisassociation: 'true' }),
      }),
    );
    expect(deleted.message).toBe('SSH keys to-delete deleted successfully');
    expect(await names('admin')).not.toContain('to-delete');
    failed(
      await pki('admin', 'deleteSSHKey', { method: 'DELETE', input: details({ key_name: 'to-delete' }) }),
      /does not exist/,
    );

    // Deployments as associate records them (test/api/ssh-key-deployments.test.ts does it on a
    // real host), planted here on a resource without remote reset configuration.
    const admin = pmpClient(server.baseUrl, server.token);
    const resource = await admin(`${V1}/resources`, {
      method: 'POST',
      input: details({
        RESOURCENAME: 'web-01',
        RESOURCETYPE: 'Linux',
        ACCOUNTNAME: 'deploy',
        PASSWORD: 'Secret-1!x',
      }),
    });
    const plant = async (key: string) => {
      ok(await create('admin', { keyName: key, keyType: 'ed25519' }));
      const [row] = await sql(`select id from ssh_keys where name = $1`, [key]);
      await sql(
        `insert into ssh_key_associations (key_id, resource_id, user_name, deployed_at, deployed_by) values ($1, $2, $3, $4, $5)`,
        [row!.id, Number(resource.details.RESOURCEID), 'deploy', Date.now(), 'admin'],
      );
    };
    await plant('deployed');
    await plant('left');
    failed(
      await pki('admin', 'deleteSSHKey', { method: 'DELETE', input: details({ key_name: 'deployed' }) }),
      /SSH key deployed was not deleted: removing it failed on deploy@web-01 \(resource web-01 has no remote reset configuration/,
    );
    expect(await names('admin')).toContain('deployed');
    const left = ok(
      await pki('admin', 'deleteSSHKey', {
        method: 'DELETE',
        input: details({ key_name: 'left', withoutDisassociation: 'true' }),
      }),
    );
    expect(left.message).toBe(
      'SSH keys left deleted successfully; not dissociated, it stays in authorized_keys of deploy@web-01',
    );
    // Deleting the resource forgets the deployment (never an internal error); then the key goes.
    const gone = await admin(`${V1}/resources/${resource.details.RESOURCEID}`, { method: 'DELETE' });
    expect(gone.status).toBe('Success');
    ok(await pki('admin', 'deleteSSHKey', { method: 'DELETE', input: details({ key_name: 'deployed' }) }));
  });

  it('bulwark sshkeys: the operator creates, imports, lists, exports and deletes; passphrases on stdin', async () => {
    const bulwark = (args: string[], input = '') => {
      const run = spawnSync(
        process.execPath,
        [CLI, 'sshkeys', ...args, '--data-dir', server.instance.dataDir],
        {
          env: server.instance.env,
          input,
          encoding: 'utf8',
        },
      );
      return { code: run.status, stdout: run.stdout, stderr: run.stderr };
    };
    const created = bulwark(
      [
        'create',
        '--name',
        'cli-key',
        '--type',
        'ecdsa',
        '--length',
        '384',
        '--owner',
        'olivia',
        '--passphrase-stdin',
        '--json',
      ],
      'cli pass\n',
    );
    expect(created.code, created.stderr).toBe(0);
    const key = JSON.parse(created.stdout);
    expect(key).toMatchObject({
      name: 'cli-key',
      type: 'ecdsa',
      length: 384,
      passphrase: true,
      createdBy: 'olivia',
    });
    // Owned by olivia: she sees it through the API, paul does not.
    expect(await names(actors.olivia!)).toContain('cli-key');
    expect(await names(actors.paul!)).not.toContain('cli-key');

    const out = path.join(dir, 'cli-key.key');
    const exported = bulwark(['export', '--name', 'cli-key', '--out', out]);
    expect(exported.code, exported.stderr).toBe(0);
    writeFileSync(`${out}.pub`, `${sshKeygen(['-y', '-P', 'cli pass', '-f', out])}\n`);
    expect(sshKeygen(['-l', '-f', `${out}.pub`]).split(' ')[1]).toBe(key.fingerprint);
    const audits = await sql(`select reason from audit_records where operation = $1 and resource_name = $2`, [
      'SSH Key Exported',
      'SSH key cli-key',
    ]);
    expect(audits.map((a) => a.reason)).toContain('local operator (CLI)');

    const source = path.join(dir, 'cli-import');
    sshKeygen(['-t', 'ed25519', '-N', '', '-C', 'from-file', '-q', '-f', source]);
    const imported = bulwark(['import', '--name', 'cli-imp', '--file', source, '--owner', 'paul']);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/SSH key cli-imp imported: ed25519 256 SHA256:/);
    expect(await names(actors.paul!)).toContain('cli-imp');
    const listed = JSON.parse(bulwark(['list', '--json']).stdout) as { name: string }[];
    expect(listed.map((k) => k.name)).toEqual(expect.arrayContaining(['cli-key', 'cli-imp']));
    const removed = bulwark(['delete', '--name', 'cli-imp']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await names(actors.paul!)).not.toContain('cli-imp');

    const bad = bulwark([
      'create',
      '--name',
      'cli-bad',
      '--type',
      'ssh-rsa',
      '--length',
      '3000',
      '--owner',
      'olivia',
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/^bulwark: A ssh-rsa key can be 1024, 2048, 4096 bits long/);
    const nobody = bulwark(['create', '--name', 'cli-bad', '--type', 'ed25519', '--owner', 'nobody']);
    expect(nobody.stderr).toMatch(/User nobody does not exist/);
    const wrong = bulwark(
      [
        'import',
        '--name',
        'cli-bad',
        '--file',
        path.join(dir, 'locked'),
        '--owner',
        'paul',
        '--passphrase-stdin',
      ],
      'nope\n',
    );
    expect(wrong.stderr).toMatch(/wrong passphrase/);
    expect(JSON.parse(bulwark(['list', '--json']).stdout).map((k: { name: string }) => k.name)).not.toContain(
      'cli-bad',
    );
  });
});
