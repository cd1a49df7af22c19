/**
 * Keystores over the real HTTPS API on both dialects (issue 14, ADR 038): addCertificate (38) with
 * fileType KEYSTORE takes a PKCS#12 made by `openssl pkcs12` or a JKS made by `keytool` with its
 * PASSWORD and stores the chain and the sealed key like a PEM add; a wrong password or garbage is
 * Failed and changes nothing. getCertificateKeyStore (36) writes PKCS#12 or JKS with the key
 * released through the vault's release gate (audited), which openssl and keytool then open.
 */
import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredRoutes } from '../../src/tools/docs.js';
import { createApiUser, type Actor } from '../helpers/actors.js';
import { details, rawRequest, type RawResponse } from '../helpers/client.js';
import { opensslCerts, type OpensslCerts } from '../helpers/openssl-certs.js';
import { CLI, dialects, startServer, type RunningServer } from '../helpers/server.js';
import { sqlOn } from '../helpers/sql.js';

const PKI = '/api/pki/restapi';

function tool(command: string, args: string[]): string {
  const run = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  expect(run.status, `${command} ${args.join(' ')}: ${run.stdout}${run.stderr}`).toBe(0);
  return run.stdout;
}
const spki = (keyPem: string) =>
  createPublicKey(createPrivateKey(keyPem)).export({ format: 'der', type: 'spki' }).toString('hex');
const fingerprint = (pem: string | Buffer) => new X509Certificate(pem).fingerprint256;

function multipart(parts: readonly { name: string; value: string | Buffer; fileName?: string }[]) {
  const boundary = `----Keystores${randomBytes(8).toString('hex')}`;
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

describe.each(dialects())('certificate keystores on %s', (dialect) => {
  let server: RunningServer;
  let o: OpensslCerts;
  let paul: Actor;
  const f = { rootKey: '', root: '', leafKey: '', leaf: '', cas: '', legacy: '', jks: '' };
  const sql = (text: string, params: unknown[] = []) => sqlOn(server.instance, text, params);
  const tokenOf = (who: Actor | 'admin') => (who === 'admin' ? server.token : who.token);

  function json(http: RawResponse) {
    expect(http.status, `${http.text}\n${http.status === 500 ? server.output().slice(-3000) : ''}`).toBe(200);
    return JSON.parse(http.text);
  }
  const ok = (raw: any, name: string) => {
    expect(raw.result?.status, JSON.stringify(raw)).toBe('Success');
    expect(raw.name).toBe(name);
    return raw;
  };
  const failed = (raw: any, message: RegExp) => {
    expect(raw.result?.status, JSON.stringify(raw)).toBe('Failed');
    expect(raw.result?.message).toMatch(message);
    return raw;
  };

  async function addKeystore(who: Actor | 'admin', fields: Record<string, unknown>, file: Buffer) {
    const form = multipart([
      { name: 'INPUT_DATA', value: JSON.stringify(details(fields)) },
      { name: 'File', value: file, fileName: 'newcert.keystore' },
    ]);
    return json(
      await rawRequest(server.baseUrl, {
        method: 'POST',
        path: `${PKI}/addCertificate`,
        headers: { AUTHTOKEN: tokenOf(who), 'Content-Type': form.contentType },
        body: form.body,
      }),
    );
  }
  async function getKeystore(who: Actor | 'admin', input: Record<string, unknown>, method = 'GET') {
    return rawRequest(server.baseUrl, {
      method,
      path: `${PKI}/getCertificateKeyStore?INPUT_DATA=${encodeURIComponent(JSON.stringify(details(input)))}`,
      headers: { AUTHTOKEN: tokenOf(who) },
    });
  }
  const passphraseOf = async (cn: string) =>
    json(
      await rawRequest(server.baseUrl, {
        path: `${PKI}/getCertificatePassphrase?INPUT_DATA=${encodeURIComponent(JSON.stringify(details({ common_name: cn })))}`,
        headers: { AUTHTOKEN: server.token },
      }),
    );
  const snapshot = () =>
    sql('select id, sha256, private_key_sealed is null as nokey from certificates order by id');
  const audits = (operation: string) =>
    sql('select operator_name, resource_name from audit_records where operation = $1 order by seq', [
      operation,
    ]);
  const write = (name: string, data: Buffer) => {
    const file = path.join(o.dir, name);
    writeFileSync(file, data);
    return file;
  };

  const bulwark = (args: string[], input = '') => {
    const run = spawnSync(process.execPath, [CLI, 'certs', ...args, '--data-dir', server.instance.dataDir], {
      env: server.instance.env,
      input,
      encoding: 'utf8',
    });
    return { code: run.status, stdout: run.stdout, stderr: run.stderr };
  };

  beforeAll(async () => {
    o = opensslCerts();
    f.rootKey = o.key('root', 'ec:P-384');
    f.root = o.cert('root', { key: f.rootKey, subject: '/O=Bulwark Test/CN=Keystore Root', ca: true });
    f.leafKey = o.key('leaf', 'rsa:2048');
    f.leaf = o.cert('leaf', {
      key: f.leafKey,
      subject: '/CN=p12.example',
      issuer: { cert: f.root, key: f.rootKey },
      san: 'DNS:p12.example',
    });
    f.cas = write('cas.pem', o.file(f.root));
    // openssl 3's default PKCS#12 (PBES2, AES-256-CBC, HMAC-SHA-256), with the root as a CA cert.
    tool('openssl', [
      ...['pkcs12', '-export', '-in', f.leaf, '-inkey', f.leafKey, '-certfile', f.cas],
      ...['-name', 'p12 leaf', '-passout', 'pass:store pass 1', '-out', path.join(o.dir, 'leaf.p12')],
    ]);
    f.legacy = path.join(o.dir, 'legacy.p12');
    tool('openssl', [
      ...['pkcs12', '-export', '-legacy', '-in', f.leaf, '-inkey', f.leafKey],
      ...['-passout', 'pass:x', '-out', f.legacy],
    ]);
    // keytool's own JKS with an EC key pair.
    f.jks = path.join(o.dir, 'kt.jks');
    tool('keytool', [
      ...['-genkeypair', '-alias', 'tomcat', '-keyalg', 'EC', '-groupname', 'secp256r1'],
      ...['-dname', 'CN=jks.example', '-validity', '30', '-storetype', 'JKS', '-keystore', f.jks],
      ...['-storepass', 'changeit', '-keypass', 'changeit'],
    ]);
    server = await startServer(dialect);
    paul = await createApiUser(server, 'paul', 'Password User');
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
    o?.cleanup();
  });

  it('refuses a wrong password (also of a legacy RC2 file), garbage, a PEM and a missing PASSWORD, saying why, changing nothing', async () => {
    const before = await snapshot();
    const p12 = readFileSync(path.join(o.dir, 'leaf.p12'));
    failed(
      await addKeystore('admin', { fileType: 'KEYSTORE', PASSWORD: 'wrong' }, p12),
      /keystore password is wrong/,
    );
    failed(
      await addKeystore('admin', { fileType: 'KEYSTORE', PASSWORD: 'wrong' }, readFileSync(f.jks)),
      /keystore password is wrong/,
    );
    failed(
      await addKeystore(
        'admin',
        { fileType: 'KEYSTORE', PASSWORD: 'x' },
        Buffer.from('not a keystore at all'),
      ),
      /not a PKCS#12 or JKS keystore/,
    );
    failed(
      await addKeystore('admin', { fileType: 'KEYSTORE', PASSWORD: 'x' }, p12.subarray(0, 300)),
      /PKCS#12|ASN\.1|keystore/,
    );
    failed(
      await addKeystore('admin', { fileType: 'KEYSTORE', PASSWORD: 'y' }, readFileSync(f.legacy)),
      /keystore password is wrong/,
    );
    failed(await addKeystore('admin', { fileType: 'KEYSTORE' }, p12), /PASSWORD/);
    failed(
      await addKeystore('admin', { fileType: 'KEYSTORE', PASSWORD: 'x' }, o.file(f.leaf)),
      /PEM, not a PKCS#12 or JKS keystore: send it with fileType CERTFILE/,
    );
    expect(await snapshot()).toEqual(before);
    expect(JSON.stringify(await sql('select * from audit_records'))).not.toContain('store pass 1');
  });

  it('adds an openssl PKCS#12 (KEYSTORE + PASSWORD): the chain and the sealed key, the password as passphrase', async () => {
    const answer = ok(
      await addKeystore(
        'admin',
        { fileType: 'KEYSTORE', PASSWORD: 'store pass 1' },
        readFileSync(path.join(o.dir, 'leaf.p12')),
      ),
      'AddCertificate',
    );
    expect(answer.result.message).toBe('Certificate p12.example added successfully');
    expect(answer.details.map((d: any) => d['Common Name'])).toEqual(['p12.example', 'Keystore Root']);
    const [row] = await sql('select * from certificates where common_name = $1', ['p12.example']);
    expect(row!.private_key_sealed).not.toBeNull();
    expect(Buffer.from(row!.private_key_sealed as Buffer).includes('BEGIN')).toBe(false);
    expect(Buffer.from(row!.passphrase_sealed as Buffer).includes('store pass 1')).toBe(false);
    const [root] = await sql('select id from certificates where common_name = $1', ['Keystore Root']);
    expect(Number(row!.issuer_id)).toBe(Number(root!.id));
    // As the reference's product: the keystore password is the key's passphrase (endpoint 37).
    expect(ok(await passphraseOf('p12.example'), 'GetCertificatePassphrase').result.message).toBe(
      'Private key passphrase of certificate p12.example is store pass 1',
    );
    expect((await audits('Certificate Added')).map((a) => a.resource_name)).toEqual([
      expect.stringMatching(/^Certificate p12\.example/),
      expect.stringMatching(/^Certificate Keystore Root/),
    ]);
  });

  it('adds a keytool JKS; a keystore with a privateKey beside it is refused', async () => {
    ok(
      await addKeystore('admin', { fileType: 'KEYSTORE', PASSWORD: 'changeit' }, readFileSync(f.jks)),
      'AddCertificate',
    );
    const [row] = await sql(
      'select key_algorithm, curve, private_key_sealed from certificates where common_name = $1',
      ['jks.example'],
    );
    expect(row!.private_key_sealed).not.toBeNull();
    failed(
      await addKeystore(
        'admin',
        { fileType: 'KEYSTORE', PASSWORD: 'changeit', passphrase: 'x' },
        readFileSync(f.jks),
      ),
      /carries its own private key/,
    );
  });

  it('exports PKCS#12 with PASSWORD: openssl opens it, key and chain are the originals; released through the gate, audited', async () => {
    const exportedBefore = (await audits('Certificate Private Key Exported')).length;
    const http = await getKeystore('admin', {
      common_name: 'p12.example',
      PASSWORD: 'export pw',
      KEYSTORE_TYPE: 'PKCS12',
    });
    expect(http.status, http.text).toBe(200);
    expect(String(http.headers['content-type'])).toContain('application/x-pkcs12');
    expect(String(http.headers['content-disposition'])).toContain('p12.example.p12');
    const file = write('export.p12', http.body);
    const key = tool('openssl', ['pkcs12', '-in', file, '-passin', 'pass:export pw', '-nocerts', '-nodes']);
    expect(spki(key.slice(key.indexOf('-----BEGIN')))).toBe(spki(o.file(f.leafKey).toString()));
    const certsOut = tool('openssl', ['pkcs12', '-in', file, '-passin', 'pass:export pw', '-nokeys']);
    const pems = certsOut.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
    expect(pems.map(fingerprint)).toEqual([f.leaf, f.root].map((p) => fingerprint(o.file(p))));
    const wrong = spawnSync('openssl', ['pkcs12', '-in', file, '-passin', 'pass:nope', '-noout']);
    expect(wrong.status).not.toBe(0);
    const exported = await audits('Certificate Private Key Exported');
    expect(exported).toHaveLength(exportedBefore + 1);
    expect(exported.at(-1)!.resource_name).toMatch(/^Certificate p12\.example \(serial [0-9A-F]+\)$/);
    expect(JSON.stringify(await sql('select * from audit_records'))).not.toContain('export pw');
  });

  it('exports without PASSWORD under the stored passphrase; JKS that keytool -list -v opens', async () => {
    const http = await getKeystore('admin', { common_name: 'p12.example' }, 'POST');
    expect(http.status, http.text).toBe(200);
    const file = write('default.p12', http.body);
    tool('openssl', ['pkcs12', '-in', file, '-passin', 'pass:store pass 1', '-noout']);

    const jks = await getKeystore('admin', {
      common_name: 'p12.example',
      PASSWORD: 'jks pass',
      KEYSTORE_TYPE: 'JKS',
    });
    expect(jks.status, jks.text).toBe(200);
    expect(String(jks.headers['content-disposition'])).toContain('p12.example.jks');
    const jksFile = write('export.jks', jks.body);
    const listing = tool('keytool', ['-list', '-v', '-keystore', jksFile, '-storepass', 'jks pass']);
    expect(listing).toContain('Keystore type: JKS');
    expect(listing).toContain('Alias name: p12.example');
    expect(listing).toContain('Entry type: PrivateKeyEntry');
    expect(listing).toContain('Certificate chain length: 2');
    expect(listing).toContain(`SHA256: ${fingerprint(o.file(f.leaf))}`);
    // The JKS added from keytool goes back out as PKCS#12 with its own key.
    const back = await getKeystore('admin', { common_name: 'jks.example', PASSWORD: 'pw2' });
    const backFile = write('back.p12', back.body);
    const list2 = tool('keytool', [
      '-list',
      '-v',
      '-storetype',
      'PKCS12',
      '-keystore',
      backFile,
      '-storepass',
      'pw2',
    ]);
    expect(list2).toContain('Entry type: PrivateKeyEntry');
    expect(list2).toContain('Owner: CN=jks.example');
  });

  it('Failed without a private key, for a bad KEYSTORE_TYPE, and to whom may not have the key', async () => {
    const exportedBefore = await audits('Certificate Private Key Exported');
    // A certificate without its key (the root came in the keystore's chain).
    failed(
      json(await getKeystore('admin', { common_name: 'Keystore Root', PASSWORD: 'x' })),
      /has no private key stored/,
    );
    failed(
      json(await getKeystore('admin', { common_name: 'p12.example', PASSWORD: 'x', KEYSTORE_TYPE: 'JCEKS' })),
      /KEYSTORE_TYPE must be PKCS12 or JKS/,
    );
    failed(json(await getKeystore(paul, { common_name: 'p12.example', PASSWORD: 'x' })), /does not exist/);
    failed(
      json(await getKeystore('admin', { common_name: 'nothing.example', PASSWORD: 'x' })),
      /does not exist/,
    );
    expect(await audits('Certificate Private Key Exported')).toEqual(exportedBefore);

    // Paul's own keystore: he adds and exports it; the export audited under his name.
    const own = o.cert('pauls', { key: o.key('pauls', 'ec:P-256'), subject: '/CN=pauls.example' });
    const p12 = path.join(o.dir, 'pauls.p12');
    tool('openssl', [
      ...['pkcs12', '-export', '-in', own, '-inkey', path.join(o.dir, 'pauls.key')],
      ...['-passout', 'pass:pauls pw', '-out', p12],
    ]);
    ok(
      await addKeystore(paul, { fileType: 'KEYSTORE', PASSWORD: 'pauls pw' }, readFileSync(p12)),
      'AddCertificate',
    );
    const mine = await getKeystore(paul, { common_name: 'pauls.example', KEYSTORE_TYPE: 'jks' });
    expect(mine.status, mine.text).toBe(200);
    tool('keytool', ['-list', '-keystore', write('pauls.jks', mine.body), '-storepass', 'pauls pw']);
    expect((await audits('Certificate Private Key Exported')).at(-1)!.operator_name).toBe('paul');
  });

  it('shares (ADR 040): a view grantee may not export the key, a full grantee may', async () => {
    const share = async (permission: string) =>
      json(
        await rawRequest(server.baseUrl, {
          method: 'POST',
          path: `${PKI}/shareCertificateToUser?INPUT_DATA=${encodeURIComponent(
            JSON.stringify(details({ common_name: 'jks.example', userId: paul.id, permission })),
          )}`,
          headers: { AUTHTOKEN: server.token },
        }),
      );
    ok(await share('view'), 'ShareCertificate');
    const before = await audits('Certificate Private Key Exported');
    failed(
      json(await getKeystore(paul, { common_name: 'jks.example', PASSWORD: 'pw' })),
      /needs full access/,
    );
    expect(await audits('Certificate Private Key Exported')).toEqual(before);
    ok(await share('full'), 'ShareCertificate');
    const http = await getKeystore(paul, {
      common_name: 'jks.example',
      PASSWORD: 'paul pw',
      KEYSTORE_TYPE: 'JKS',
    });
    expect(http.status, http.text).toBe(200);
    const listing = tool('keytool', [
      '-list',
      '-v',
      '-keystore',
      write('shared.jks', http.body),
      '-storepass',
      'paul pw',
    ]);
    expect(listing).toContain('Owner: CN=jks.example');
    expect((await audits('Certificate Private Key Exported')).at(-1)!.operator_name).toBe('paul');
  });

  it('carries only issuers the caller may see (ADR 040): an unshared issuer stays out (of 36 and 35) until shared', async () => {
    // Paul's leaf, signed by the admin's root: the add links it to the root's row, which Paul cannot see.
    const leaf = o.cert('pauls-issued', {
      key: o.key('pauls-issued', 'rsa:2048'),
      subject: '/CN=pauls-issued.example',
      issuer: { cert: f.root, key: f.rootKey },
    });
    const p12 = path.join(o.dir, 'pauls-issued.p12');
    tool('openssl', [
      ...['pkcs12', '-export', '-in', leaf, '-inkey', path.join(o.dir, 'pauls-issued.key')],
      ...['-certfile', f.cas, '-passout', 'pass:pi pw', '-out', p12],
    ]);
    ok(
      await addKeystore(paul, { fileType: 'KEYSTORE', PASSWORD: 'pi pw' }, readFileSync(p12)),
      'AddCertificate',
    );
    const chainOf = async () => {
      const http = await getKeystore(paul, { common_name: 'pauls-issued.example' });
      expect(http.status, http.text).toBe(200);
      const file = write('pauls-issued-export.p12', http.body);
      const listed = tool('openssl', ['pkcs12', '-in', file, '-passin', 'pass:pi pw', '-nokeys']);
      return listed.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!.map(fingerprint);
    };
    // getCertificateDetails (35) names the issuer's id only to whom may see the issuer.
    const intermediateOf = async () => {
      const raw = json(
        await rawRequest(server.baseUrl, {
          path: `${PKI}/getCertificateDetails?INPUT_DATA=${encodeURIComponent(
            JSON.stringify(details({ common_name: 'pauls-issued.example' })),
          )}`,
          headers: { AUTHTOKEN: paul.token },
        }),
      );
      const [id] = Object.keys(raw).filter((k) => k !== 'name' && k !== 'result');
      return raw[id!].intermediate;
    };
    const [root] = await sql("select id from certificates where common_name = 'Keystore Root'");
    expect(await chainOf()).toEqual([fingerprint(o.file(leaf))]);
    expect(await intermediateOf()).toEqual({});

    ok(
      json(
        await rawRequest(server.baseUrl, {
          method: 'POST',
          path: `${PKI}/shareCertificateToUser?INPUT_DATA=${encodeURIComponent(
            JSON.stringify(details({ common_name: 'Keystore Root', userId: paul.id, permission: 'view' })),
          )}`,
          headers: { AUTHTOKEN: server.token },
        }),
      ),
      'ShareCertificate',
    );
    expect(await chainOf()).toEqual([leaf, f.root].map((p) => fingerprint(o.file(p))));
    expect(await intermediateOf()).toEqual({ CertificateId: String(root!.id) });
  });

  it('exports a certificate the internal CA issued (45), under its key password, as JKS', async () => {
    const created = json(
      await rawRequest(server.baseUrl, {
        method: 'POST',
        path: `${PKI}/createCertificate?INPUT_DATA=${encodeURIComponent(
          JSON.stringify(details({ CNAME: 'issued.example', ALG: 'EC', LEN: '256', PASSWORD: 'issued pw' })),
        )}`,
        headers: { AUTHTOKEN: server.token },
      }),
    );
    expect(created.result?.status, JSON.stringify(created)).toBe('Success');
    const http = await getKeystore('admin', { common_name: 'issued.example', KEYSTORE_TYPE: 'JKS' });
    expect(http.status, http.text).toBe(200);
    const listing = tool('keytool', [
      '-list',
      '-v',
      '-keystore',
      write('issued.jks', http.body),
      '-storepass',
      'issued pw',
    ]);
    expect(listing).toContain('Entry type: PrivateKeyEntry');
    expect(listing).toContain('Owner: CN=issued.example');
  });

  it('bulwark certs add --keystore: the keystore password on stdin; a wrong one refused', async () => {
    const cert = o.cert('cli', { key: o.key('cli', 'rsa:2048'), subject: '/CN=cli-keystore.example' });
    const p12 = path.join(o.dir, 'cli.p12');
    tool('openssl', [
      ...['pkcs12', '-export', '-in', cert, '-inkey', path.join(o.dir, 'cli.key')],
      ...['-passout', 'pass:cli store', '-out', p12],
    ]);
    const before = await snapshot();
    const wrong = bulwark(['add', '--keystore', p12, '--owner', 'paul', '--passphrase-stdin'], 'nope\n');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('The keystore password is wrong');
    const noPassword = bulwark(['add', '--keystore', p12, '--owner', 'paul']);
    expect(noPassword.code).not.toBe(0);
    expect(noPassword.stderr).toContain('--passphrase-stdin');
    expect(await snapshot()).toEqual(before);
    const added = bulwark(
      ['add', '--keystore', p12, '--owner', 'paul', '--passphrase-stdin', '--json'],
      'cli store\n',
    );
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)[0]).toMatchObject({
      commonName: 'cli-keystore.example',
      privateKey: true,
    });
    expect(ok(await passphraseOf('cli-keystore.example'), 'GetCertificatePassphrase').result.message).toBe(
      'Private key passphrase of certificate cli-keystore.example is cli store',
    );
  });

  it('bulwark certs export: the operator writes PKCS#12 or JKS (0600, never overwriting), audited as the operator', async () => {
    const jksOut = path.join(o.dir, 'cli-export.jks');
    const exported = bulwark(
      [
        'export',
        '--common-name',
        'p12.example',
        '--type',
        'JKS',
        '--out',
        jksOut,
        '--password-stdin',
        '--json',
      ],
      'cli export pw\n',
    );
    expect(exported.code, exported.stderr).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ file: jksOut, format: 'JKS' });
    expect(statSync(jksOut).mode & 0o777).toBe(0o600);
    const listing = tool('keytool', ['-list', '-v', '-keystore', jksOut, '-storepass', 'cli export pw']);
    expect(listing).toContain('Entry type: PrivateKeyEntry');
    expect(listing).toContain('Certificate chain length: 2');
    const again = bulwark(['export', '--common-name', 'p12.example', '--out', jksOut]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('never overwritten');
    // Without --password-stdin: the stored passphrase (the keystore password it came with).
    const p12Out = path.join(o.dir, 'cli-export.p12');
    expect(bulwark(['export', '--common-name', 'p12.example', '--out', p12Out]).code).toBe(0);
    const key = tool('openssl', [
      'pkcs12',
      '-in',
      p12Out,
      '-passin',
      'pass:store pass 1',
      '-nocerts',
      '-nodes',
    ]);
    expect(spki(key.slice(key.indexOf('-----BEGIN')))).toBe(spki(o.file(f.leafKey).toString()));
    const noKey = bulwark(['export', '--common-name', 'Keystore Root', '--out', path.join(o.dir, 'x.p12')]);
    expect(noKey.code).not.toBe(0);
    expect(noKey.stderr).toContain('has no private key stored');
    const audited = await sql(
      'select operator_name, reason from audit_records where operation = $1 and reason = $2',
      ['Certificate Private Key Exported', 'local operator (CLI)'],
    );
    expect(audited).toHaveLength(2);
    expect(audited[0]!.operator_name).toBe(userInfo().username);
  });

  it('getCertificateKeyStore declares no A2A operation', () => {
    const routes = registeredRoutes().filter((r) => r.url === `${PKI}/getCertificateKeyStore`);
    expect(routes.map((r) => r.method).sort()).toEqual(['GET', 'POST']);
    for (const route of routes) expect(route.a2a).toBe('');
  });
});
