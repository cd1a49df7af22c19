/**
 * Sharing certificates (65, 66, 69, 70) over the real HTTPS API on both dialects (issue 14, ADR
 * 040): what a grantee then sees in 32-35 and 37 and may do with 39, per permission; the
 * escalation cases (a view grantee cannot share onward, a revoked user loses the certificate and
 * its passphrase); user-group grantees; bad input answered Failed with nothing changed; every
 * share and revoke audited. Certificates made by the real openssl.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiUser, type Actor } from '../helpers/actors.js';
import { failed, ok, pkiCaller, pypmpCertificateDetails } from '../helpers/certificate-pki.js';
import { details, pmpClient, rawRequest } from '../helpers/client.js';
import { opensslCerts, type OpensslCerts } from '../helpers/openssl-certs.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';
import { sqlOn } from '../helpers/sql.js';

const PKI = '/api/pki/restapi';
const V1 = '/restapi/json/v1';

describe.each(dialects())('certificate sharing on %s', (dialect) => {
  let server: RunningServer;
  let o: OpensslCerts;
  let olivia: Actor;
  let paul: Actor;
  let vera: Actor;
  let gina: Actor;
  let opsGroupId: string;
  const pem: Record<string, string> = {};
  const sql = (text: string, params: unknown[] = []) => sqlOn(server.instance, text, params);
  const pki = pkiCaller(() => server);

  const names = async (who: Actor | 'admin') =>
    (ok(await pki(who, 'GET', 'getAllSSLCertificates'), 'GetAllSSLCertificates').SSLCertificates as any[])
      .map((c) => c['Common Name'] as string)
      .sort();
  const expiring = async (who: Actor | 'admin') =>
    (
      ok(
        await pki(who, 'GET', 'getAllSSLCertsExpiryDate', { days: 36500 }),
        'GetAllSSLCertificatesExpiryDate',
      ).SSLCertificates as any[]
    )
      .map((c) => c['Common Name'] as string)
      .sort();
  const passphrase = (who: Actor | 'admin', cn: string) =>
    pki(who, 'GET', 'getCertificatePassphrase', { common_name: cn });
  const shareRows = async () =>
    sql('select certificate_id, user_id, group_id, permission from certificate_shares order by id');
  const audits = async (operation: string) =>
    (
      await sql('select resource_name, reason from audit_records where operation = $1 order by seq', [
        operation,
      ])
    ).map((r) => `${String(r.resource_name).replace(/ \(serial [0-9A-F]+\)/, '')} | ${String(r.reason)}`);

  async function add(who: Actor | 'admin', name: string, key?: { file: string; passphrase: string }) {
    return ok(
      await pki(who, 'POST', 'addCertificate', {
        certificate: pem[name],
        ...(key ? { privateKey: o.file(key.file).toString(), passphrase: key.passphrase } : {}),
      }),
      'AddCertificate',
    ).details[0];
  }

  beforeAll(async () => {
    o = opensslCerts();
    const sharedKey = o.key('shared', 'rsa:2048', 'olivia secret');
    pem.shared = o
      .file(o.cert('shared', { key: sharedKey, subject: '/O=Acme/CN=shared.example' }))
      .toString();
    for (const cn of ['other', 'admins']) {
      pem[cn] = o.file(o.cert(cn, { key: o.key(cn, 'ec:P-256'), subject: `/CN=${cn}.example` })).toString();
    }
    server = await startServer(dialect);
    olivia = await createApiUser(server, 'olivia', 'Password Administrator');
    paul = await createApiUser(server, 'paul', 'Password User');
    vera = await createApiUser(server, 'vera', 'Password User');
    gina = await createApiUser(server, 'gina', 'Password User');
    const admin = pmpClient(server.baseUrl, server.token);
    const group = await admin(`${V1}/userGroup`, {
      method: 'POST',
      input: details({ USERGROUPNAME: 'CertOps' }),
    });
    opsGroupId = String(group.details?.USERGROUPID);
    await admin(`${V1}/user/addUserToUserGroup`, {
      method: 'POST',
      query: { USERNAME: 'gina', USERGROUPNAME: 'CertOps' },
    });
    await add(olivia, 'shared', { file: sharedKey, passphrase: 'olivia secret' });
    await add(olivia, 'other');
    await add('admin', 'admins');
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
    o?.cleanup();
  });

  it('unshared, a certificate is invisible to others: list, expiry list, details, file, passphrase', async () => {
    expect(await names(paul)).toEqual([]);
    expect(await names(olivia)).toEqual(['other.example', 'shared.example']);
    failed(
      await pki(paul, 'GET', 'getCertificateDetails', { common_name: 'shared.example' }),
      /does not exist/,
    );
    failed(await pki(paul, 'GET', 'getCertificate', { common_name: 'shared.example' }), /does not exist/);
    failed(await passphrase(paul, 'shared.example'), /does not exist/);
  });

  it('shares to a user (view by default): seen in 32-35, but no passphrase and no delete', async () => {
    const answer = ok(
      await pki(olivia, 'POST', 'shareCertificateToUser', { common_name: 'shared.example', userId: paul.id }),
      'ShareCertificate',
    );
    expect(answer.result.message).toBe('Certificate shared successfully.');
    expect(answer.details).toMatchObject({ sharedTo: 'user paul', permission: 'view' });
    expect(await names(paul)).toEqual(['shared.example']);
    expect(await expiring(paul)).toEqual(['shared.example']);
    const det = ok(
      await pki(paul, 'GET', 'getCertificateDetails', { common_name: 'shared.example' }),
      'GetCertificateDetails',
    );
    expect((pypmpCertificateDetails(det) as any).issuedto.org).toBe('Acme');
    const file = await rawRequest(server.baseUrl, {
      method: 'GET',
      path: `${PKI}/getCertificate?INPUT_DATA=${encodeURIComponent(JSON.stringify(details({ common_name: 'shared.example' })))}`,
      headers: { AUTHTOKEN: paul.token },
    });
    expect(file.text.replace(/\s/g, '')).toBe(pem.shared!.replace(/\s/g, ''));
    failed(await passphrase(paul, 'shared.example'), /needs full access/);
    failed(
      await pki(paul, 'GET', 'getCertificateKeyStore', { common_name: 'shared.example' }),
      /needs full access/,
    );
    failed(
      await pki(paul, 'DELETE', 'deleteCertificate', { common_name: 'shared.example' }),
      /needs full access/,
    );
    expect(await names(olivia)).toContain('shared.example');
    expect(await audits('Certificate Shared')).toEqual(['Certificate shared.example | user paul: view']);
  });

  it('escalation: a view grantee cannot share onward, at any level; nothing changes', async () => {
    const before = await shareRows();
    for (const permission of ['full', 'modify', 'view', undefined]) {
      failed(
        await pki(paul, 'POST', 'shareCertificateToUser', {
          common_name: 'shared.example',
          userId: vera.id,
          ...(permission ? { permission } : {}),
        }),
        /needs full access, you hold view access/,
      );
    }
    failed(
      await pki(paul, 'POST', 'revokeCertificateFromUser', {
        common_name: 'shared.example',
        userId: paul.id,
      }),
      /needs full access/,
    );
    expect(await shareRows()).toEqual(before);
    expect(await names(vera)).toEqual([]);
  });

  it('full access releases the passphrase and allows sharing onward; revoking takes both away', async () => {
    ok(
      await pki(olivia, 'POST', 'shareCertificateToUser', {
        common_name: 'shared.example',
        userId: paul.id,
        permission: 'full',
      }),
      'ShareCertificate',
    );
    expect((await shareRows()).filter((r) => String(r.user_id) === paul.id)).toHaveLength(1);
    const released = ok(await passphrase(paul, 'shared.example'), 'GetCertificatePassphrase');
    expect(released.result.message).toContain('olivia secret');
    // The keystore (36) with the private key, protected by the stored passphrase: openssl opens it.
    const keystore = await rawRequest(server.baseUrl, {
      method: 'GET',
      path: `${PKI}/getCertificateKeyStore?INPUT_DATA=${encodeURIComponent(JSON.stringify(details({ common_name: 'shared.example' })))}`,
      headers: { AUTHTOKEN: paul.token },
    });
    expect(keystore.status).toBe(200);
    const p12 = path.join(o.dir, `shared-${dialect}.p12`);
    writeFileSync(p12, keystore.body);
    const opened = spawnSync('openssl', ['pkcs12', '-in', p12, '-passin', 'pass:olivia secret', '-nodes'], {
      encoding: 'utf8',
    });
    expect(opened.status, opened.stderr).toBe(0);
    expect(opened.stdout).toContain('PRIVATE KEY');
    ok(
      await pki(paul, 'POST', 'shareCertificateToUser', { common_name: 'shared.example', userId: vera.id }),
      'ShareCertificate',
    );
    expect(await names(vera)).toEqual(['shared.example']);

    const revoked = ok(
      await pki(olivia, 'POST', 'revokeCertificateFromUser', {
        common_name: 'shared.example',
        userId: paul.id,
      }),
      'RevokeCertificate',
    );
    expect(revoked.result.message).toBe('Access to certificate revoked successfully.');
    expect(await names(paul)).toEqual([]);
    expect(await expiring(paul)).toEqual([]);
    failed(await passphrase(paul, 'shared.example'), /does not exist/);
    failed(
      await pki(paul, 'GET', 'getCertificateKeyStore', { common_name: 'shared.example' }),
      /does not exist/,
    );
    failed(
      await pki(paul, 'GET', 'getCertificateDetails', { common_name: 'shared.example' }),
      /does not exist/,
    );
    // What paul shared while he held full access stays (as resource shares do, ADR 008).
    expect(await names(vera)).toEqual(['shared.example']);
    expect(await audits('Certificate Share Revoked')).toEqual([
      'Certificate shared.example | revoked from user paul',
    ]);
    expect(JSON.stringify(await sql('select * from audit_records'))).not.toContain('olivia secret');
  });

  it('shares to a user group: its members see the certificate, present and future; revoke', async () => {
    ok(
      await pki(olivia, 'POST', 'shareCertificateToUserGroup', {
        common_name: 'other.example',
        userGroupId: opsGroupId,
        permission: 'modify',
      }),
      'ShareCertificate',
    );
    expect(await names(gina)).toEqual(['other.example']);
    failed(
      await pki(gina, 'DELETE', 'deleteCertificate', { common_name: 'other.example' }),
      /needs full access/,
    );
    await pmpClient(server.baseUrl, server.token)(`${V1}/user/addUserToUserGroup`, {
      method: 'POST',
      query: { USERNAME: 'vera', USERGROUPNAME: 'CertOps' },
    });
    expect(await names(vera)).toEqual(['other.example', 'shared.example']);
    ok(
      await pki(olivia, 'POST', 'revokeCertificateFromUserGroup', {
        common_name: 'other.example',
        userGroupName: 'CertOps',
      }),
      'RevokeCertificate',
    );
    expect(await names(gina)).toEqual([]);
    expect(await names(vera)).toEqual(['shared.example']);
  });

  it('a full grantee may delete; bad input answers Failed saying why, nothing changed', async () => {
    const before = await shareRows();
    const cases: [string, Record<string, unknown>, RegExp][] = [
      [
        'shareCertificateToUser',
        { common_name: 'shared.example', userId: '999999' },
        /User with ID 999999 does not exist/,
      ],
      [
        'shareCertificateToUser',
        { common_name: 'shared.example', userName: 'nobody' },
        /User nobody does not exist/,
      ],
      ['shareCertificateToUser', { common_name: 'shared.example' }, /userId/],
      [
        'shareCertificateToUser',
        { common_name: 'shared.example', userId: 'x1' },
        /userId must be a numeric ID/,
      ],
      [
        'shareCertificateToUser',
        { common_name: 'nope.example', userId: paul.id },
        /Certificate nope\.example does not exist/,
      ],
      ['shareCertificateToUser', { common_name: 'admins.example', userId: paul.id }, /does not exist/],
      ['shareCertificateToUser', { common_name: 'shared.example', userId: olivia.id }, /yourself/],
      [
        'shareCertificateToUser',
        { common_name: 'shared.example', userId: paul.id, permission: 'owner' },
        /permission must be/,
      ],
      [
        'shareCertificateToUserGroup',
        { common_name: 'shared.example', userGroupId: '999999' },
        /User group with ID 999999 does not exist/,
      ],
      [
        'revokeCertificateFromUser',
        { common_name: 'shared.example', userId: paul.id },
        /is not shared to user paul/,
      ],
      [
        'revokeCertificateFromUserGroup',
        { common_name: 'shared.example', userGroupId: opsGroupId },
        /is not shared to user group CertOps/,
      ],
    ];
    for (const [endpoint, input, message] of cases)
      failed(await pki(olivia, 'POST', endpoint, input), message);
    failed(
      await pki('admin', 'POST', 'shareCertificateToUser', {
        common_name: 'shared.example',
        userId: olivia.id,
      }),
      /owns certificate shared\.example/,
    );
    expect(await shareRows()).toEqual(before);

    ok(
      await pki(olivia, 'POST', 'shareCertificateToUser', {
        common_name: 'other.example',
        userId: paul.id,
        permission: 'fullaccess',
      }),
      'ShareCertificate',
    );
    ok(await pki(paul, 'DELETE', 'deleteCertificate', { common_name: 'other.example' }), 'DeleteCertificate');
    expect(await names(olivia)).toEqual(['shared.example']);
    // The deleted certificate's shares went with it.
    expect((await shareRows()).map((r) => String(r.user_id))).toEqual([vera.id]);
  });
});
