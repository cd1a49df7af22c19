/**
 * Certificate groups (73-75), sharing them (67, 68, 71, 72) and the SSL agent install key (76)
 * over the real HTTPS API on both dialects (issue 14, ADR 040): a group's share covers its
 * members present and future, and confers on each at most what its sharer and whoever added it
 * hold, live; only the owner or a super administrator edits, deletes or shares a group; bad
 * input answered Failed with nothing changed; every change audited; the install key shown once,
 * stored as its SHA-256, replaced when regenerated, administrators only; applications refused
 * every route of ADR 040; `bulwark certs share|shares|install-key` over the built CLI.
 * Certificates made by the real openssl.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredRoutes } from '../../src/tools/docs.js';
import { createApiUser, type Actor } from '../helpers/actors.js';
import { failed, ok, pkiCaller } from '../helpers/certificate-pki.js';
import { details, pmpClient } from '../helpers/client.js';
import { opensslCerts, type OpensslCerts } from '../helpers/openssl-certs.js';
import { CLI, dialects, startServer, type RunningServer } from '../helpers/server.js';
import { sqlOn } from '../helpers/sql.js';
import { registerA2aApplication } from '../helpers/a2a-app.js';

const PKI = '/api/pki/restapi';
const V1 = '/restapi/json/v1';

/** Every route of ADR 040, as registered. */
const ROUTES = [
  ['POST', 'shareCertificateToUser'],
  ['POST', 'shareCertificateToUserGroup'],
  ['POST', 'shareCertificateGroupToUser'],
  ['POST', 'shareCertificateGroupToUserGroup'],
  ['POST', 'revokeCertificateFromUser'],
  ['POST', 'revokeCertificateFromUserGroup'],
  ['POST', 'revokeCertificateGroupFromUser'],
  ['POST', 'revokeCertificateGroupFromUserGroup'],
  ['POST', 'createCertificateGroup'],
  ['DELETE', 'deleteCertificateGroup'],
  ['POST', 'editCertificateGroup'],
  ['POST', 'generateInstallKey'],
] as const;

describe.each(dialects())('certificate groups and install key on %s', (dialect) => {
  let server: RunningServer;
  let o: OpensslCerts;
  let olivia: Actor;
  let paul: Actor;
  let vera: Actor;
  let gina: Actor;
  const id: Record<string, string> = {};
  const sql = (text: string, params: unknown[] = []) => sqlOn(server.instance, text, params);
  const pki = pkiCaller(() => server);

  const names = async (who: Actor | 'admin') =>
    (ok(await pki(who, 'GET', 'getAllSSLCertificates'), 'GetAllSSLCertificates').SSLCertificates as any[])
      .map((c) => c['Common Name'] as string)
      .sort();
  const groupRows = () => sql('select name, description, mail, owner_id from certificate_groups order by id');
  const memberRows = () =>
    sql(
      'select group_id, certificate_id, added_by from certificate_group_members order by group_id, certificate_id',
    );
  const audits = async (operation: string) =>
    (
      await sql('select resource_name, reason from audit_records where operation = $1 order by seq', [
        operation,
      ])
    ).map((r) => `${String(r.resource_name)} | ${String(r.reason)}`);

  beforeAll(async () => {
    o = opensslCerts();
    server = await startServer(dialect);
    olivia = await createApiUser(server, 'olivia', 'Password Administrator');
    paul = await createApiUser(server, 'paul', 'Password User');
    vera = await createApiUser(server, 'vera', 'Password User');
    gina = await createApiUser(server, 'gina', 'Password User');
    const admin = pmpClient(server.baseUrl, server.token);
    await admin(`${V1}/userGroup`, { method: 'POST', input: details({ USERGROUPNAME: 'WebOps' }) });
    await admin(`${V1}/user/addUserToUserGroup`, {
      method: 'POST',
      query: { USERNAME: 'gina', USERGROUPNAME: 'WebOps' },
    });
    const add = async (who: Actor | 'admin', cn: string, passphrase?: string) => {
      const key = o.key(cn, 'ec:P-256', passphrase);
      const pem = o.file(o.cert(cn, { key, subject: `/CN=${cn}` })).toString();
      const answer = ok(
        await pki(who, 'POST', 'addCertificate', {
          certificate: pem,
          ...(passphrase ? { privateKey: o.file(key).toString(), passphrase } : {}),
        }),
        'AddCertificate',
      );
      id[cn] = String(answer.details[0].CertID);
    };
    await add(olivia, 'a.example', 'pass of a');
    await add(olivia, 'b.example');
    await add(olivia, 'c.example');
    await add('admin', 'admins.example');
    await add(paul, 'pauls.example');
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
    o?.cleanup();
  });

  it('creates a group with certificates by id (ssl_details); bad input Failed, nothing created', async () => {
    const created = ok(
      await pki(olivia, 'POST', 'createCertificateGroup', {
        group_name: 'Web',
        group_description: 'Web servers',
        group_mail: 'web@example.com',
        ssl_details: `${id['a.example']},${id['b.example']}`,
      }),
      'createCertificateGroup',
    );
    expect(created.result.message).toBe('Certificate group added successfully.');
    expect(created.details).toMatchObject({
      groupName: 'Web',
      certificateIds: [id['a.example'], id['b.example']],
    });
    const before = [await groupRows(), await memberRows()];
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ group_name: 'web' }, /already exists/],
      [
        { group_name: 'X', ssl_details: `${id['admins.example']}` },
        new RegExp(`ID ${id['admins.example']} does not exist`),
      ],
      [{ group_name: 'X', ssl_details: '999999,998' }, /IDs 999999, 998 do not exist/],
      [{ group_name: 'X', ssl_details: 'a,b' }, /not a valid certificate ID/],
      [{ group_name: 'X', group_mail: 'not mail' }, /group_mail must be an email address/],
      [{ group_description: 'no name' }, /group_name/],
    ];
    for (const [input, message] of cases)
      failed(await pki(olivia, 'POST', 'createCertificateGroup', input), message);
    expect([await groupRows(), await memberRows()]).toEqual(before);
    expect(await audits('Certificate Group Created')).toEqual([
      `Certificate group Web | certificates: ${[id['a.example'], id['b.example']].sort((x, y) => Number(x) - Number(y)).join(', ')}`,
    ]);
  });

  it('a shared group shows its members to a user group, present and future; edits change what they see', async () => {
    expect(await names(gina)).toEqual([]);
    const shared = ok(
      await pki(olivia, 'POST', 'shareCertificateGroupToUserGroup', {
        certificate_group_name: 'Web',
        userGroupName: 'WebOps',
      }),
      'ShareCertificate',
    );
    expect(shared.result.message).toBe('Certificate shared successfully.');
    expect(await names(gina)).toEqual(['a.example', 'b.example']);
    // View by default: no passphrase, no delete.
    failed(
      await pki(gina, 'GET', 'getCertificatePassphrase', { common_name: 'a.example' }),
      /needs full access/,
    );
    failed(await pki(gina, 'DELETE', 'deleteCertificate', { common_name: 'b.example' }), /needs full access/);

    const edited = ok(
      await pki(olivia, 'POST', 'editCertificateGroup', {
        group_name: 'Web',
        group_description: 'Web and mail',
        ssl_details: `${id['a.example']},${id['c.example']}`,
      }),
      'editCertificateGroup',
    );
    expect(edited.result.message).toBe('The certificate group is updated successfully.');
    expect(await names(gina)).toEqual(['a.example', 'c.example']);
    // Renaming by group_id: group_name is then the new name.
    const groupId = edited.details.groupId as string;
    ok(
      await pki(olivia, 'POST', 'editCertificateGroup', { group_id: groupId, group_name: 'Frontends' }),
      'editCertificateGroup',
    );
    expect((await groupRows()).map((g) => [g.name, g.description])).toEqual([['Frontends', 'Web and mail']]);
    expect(await audits('Certificate Group Modified')).toEqual([
      `Certificate group Web | description; certificates added: ${id['c.example']}; certificates removed: ${id['b.example']}`,
      'Certificate group Frontends | renamed from Web',
    ]);
  });

  it('ceiling: a group share confers no more than its sharer holds, live; revoking the sharer takes it away', async () => {
    // paul holds view on a.example (a direct share) and puts it in his own group shared full to vera.
    ok(
      await pki(olivia, 'POST', 'shareCertificateToUser', { common_name: 'a.example', userId: paul.id }),
      'ShareCertificate',
    );
    ok(
      await pki(paul, 'POST', 'createCertificateGroup', {
        group_name: 'Pauls',
        ssl_details: `${id['a.example']},${id['pauls.example']}`,
      }),
      'createCertificateGroup',
    );
    ok(
      await pki(paul, 'POST', 'shareCertificateGroupToUser', {
        certificate_group_name: 'Pauls',
        userId: vera.id,
        permission: 'full',
      }),
      'ShareCertificate',
    );
    expect(await names(vera)).toEqual(['a.example', 'pauls.example']);
    // Full on paul's own certificate, view (paul's) on olivia's.
    failed(
      await pki(vera, 'GET', 'getCertificatePassphrase', { common_name: 'a.example' }),
      /needs full access/,
    );
    failed(
      await pki(vera, 'POST', 'shareCertificateToUser', { common_name: 'a.example', userId: gina.id }),
      /needs full access, you hold view access/,
    );
    // Full through the group share does not share onward: a direct share would outlive it.
    failed(
      await pki(vera, 'POST', 'shareCertificateToUser', { common_name: 'pauls.example', userId: gina.id }),
      /needs full access, you hold full access only through a certificate group share/,
    );
    ok(
      await pki(olivia, 'POST', 'revokeCertificateFromUser', { common_name: 'a.example', userId: paul.id }),
      'RevokeCertificate',
    );
    expect(await names(paul)).toEqual(['pauls.example']);
    expect(await names(vera)).toEqual(['pauls.example']);
    failed(
      await pki(vera, 'GET', 'getCertificatePassphrase', { common_name: 'a.example' }),
      /does not exist/,
    );
  });

  it('only the owner or a super administrator edits, deletes or shares a group; revoke; bad input', async () => {
    const before = [
      await groupRows(),
      await memberRows(),
      await sql('select * from certificate_group_shares'),
    ];
    failed(
      await pki(gina, 'POST', 'editCertificateGroup', { group_name: 'Frontends', group_mail: 'x@y.z' }),
      /Only the owner/,
    );
    failed(
      await pki(gina, 'DELETE', 'deleteCertificateGroup', { group_name: 'Frontends' }),
      /Only the owner/,
    );
    failed(
      await pki(gina, 'POST', 'shareCertificateGroupToUser', {
        certificate_group_name: 'Frontends',
        userId: vera.id,
      }),
      /Only the owner/,
    );
    failed(
      await pki(vera, 'DELETE', 'deleteCertificateGroup', { group_name: 'Frontends' }),
      /does not exist/,
    );
    failed(
      await pki(olivia, 'DELETE', 'deleteCertificateGroup', { group_name: 'Nope' }),
      /Certificate group Nope does not exist/,
    );
    failed(
      await pki(olivia, 'POST', 'editCertificateGroup', { group_name: 'Frontends' }),
      /Nothing to change/,
    );
    failed(
      await pki(olivia, 'POST', 'editCertificateGroup', { group_name: 'Frontends', new_group_name: 'pauls' }),
      /already exists/,
    );
    failed(
      await pki(olivia, 'POST', 'shareCertificateGroupToUser', {
        certificate_group_name: 'Frontends',
        userId: '424242',
      }),
      /User with ID 424242 does not exist/,
    );
    failed(
      await pki(olivia, 'POST', 'revokeCertificateGroupFromUser', {
        certificate_group_name: 'Frontends',
        userId: vera.id,
      }),
      /is not shared to user vera/,
    );
    failed(
      await pki(olivia, 'POST', 'shareCertificateGroupToUserGroup', { certificate_group_name: 'Frontends' }),
      /userGroupId/,
    );
    expect([
      await groupRows(),
      await memberRows(),
      await sql('select * from certificate_group_shares'),
    ]).toEqual(before);

    ok(
      await pki(olivia, 'POST', 'revokeCertificateGroupFromUserGroup', {
        certificate_group_name: 'Frontends',
        userGroupName: 'WebOps',
      }),
      'RevokeCertificate',
    );
    expect(await names(gina)).toEqual([]);
    ok(
      await pki('admin', 'POST', 'shareCertificateGroupToUser', {
        certificate_group_name: 'Frontends',
        userId: gina.id,
        permission: 'full',
      }),
      'ShareCertificate',
    );
    const released = ok(
      await pki(gina, 'GET', 'getCertificatePassphrase', { common_name: 'a.example' }),
      'GetCertificatePassphrase',
    );
    expect(released.result.message).toContain('pass of a');
    // Revoked from the user: the group's certificates and their passphrases go with it.
    ok(
      await pki(olivia, 'POST', 'revokeCertificateGroupFromUser', {
        certificate_group_name: 'Frontends',
        userId: gina.id,
      }),
      'RevokeCertificate',
    );
    expect(await names(gina)).toEqual([]);
    failed(
      await pki(gina, 'GET', 'getCertificatePassphrase', { common_name: 'a.example' }),
      /does not exist/,
    );
    const deleted = ok(
      await pki(olivia, 'DELETE', 'deleteCertificateGroup', { group_name: 'Frontends' }),
      'deleteCertificateGroup',
    );
    expect(deleted.result.message).toBe('The certificate group is deleted successfully.');
    expect(await names(gina)).toEqual([]);
    expect(await names(olivia)).toEqual(['a.example', 'b.example', 'c.example']);
    expect(await sql('select count(*) as n from certificate_group_shares')).toEqual([
      { n: expect.anything() },
    ]);
    expect((await audits('Certificate Group Shared')).length).toBe(3);
    expect(await audits('Certificate Group Share Revoked')).toEqual([
      'Certificate group Frontends | revoked from user group WebOps',
      'Certificate group Frontends | revoked from user gina',
    ]);
    expect((await audits('Certificate Group Deleted'))[0]).toMatch(
      /^Certificate group Frontends \| certificates: /,
    );
  });

  it('generateInstallKey: shown once, stored as its SHA-256, replaced when regenerated, administrators only', async () => {
    const first = ok(await pki('admin', 'POST', 'generateInstallKey'), 'GetAgentInstallKey');
    expect(first.result.message).toBe('Agent install key fetched successfully');
    expect(first.totalRows).toBe(1);
    expect(first.AgentInstallKey).toMatch(/^[0-9a-f]{32}$/);
    const second = ok(await pki('admin', 'POST', 'generateInstallKey'), 'GetAgentInstallKey');
    expect(second.AgentInstallKey).not.toBe(first.AgentInstallKey);
    const rows = await sql('select key_hash, current_slot from certificate_install_keys order by id');
    expect(rows.map((r) => [r.key_hash, r.current_slot === null ? null : Number(r.current_slot)])).toEqual([
      [createHash('sha256').update(first.AgentInstallKey.toUpperCase()).digest('hex'), null],
      [createHash('sha256').update(second.AgentInstallKey.toUpperCase()).digest('hex'), 1],
    ]);
    for (const who of [olivia, paul]) {
      failed(
        await pki(who, 'POST', 'generateInstallKey'),
        /Only administrators may generate the SSL agent install key/,
      );
    }
    expect(await sql('select count(*) as n from certificate_install_keys')).toEqual([
      { n: expect.anything() },
    ]);
    expect((await sql('select id from certificate_install_keys')).length).toBe(2);
    const trail = JSON.stringify(await sql('select * from audit_records'));
    expect(trail).not.toContain(first.AgentInstallKey);
    expect(trail).not.toContain(second.AgentInstallKey);
    expect(await audits('SSL Agent Install Key Generated')).toHaveLength(2);
  });

  it('bulwark certs share|shares|install-key: the operator shares and revokes, lists shares, makes the key', async () => {
    const bulwark = (...args: string[]) => {
      const run = spawnSync(
        process.execPath,
        [CLI, 'certs', ...args, '--data-dir', server.instance.dataDir],
        {
          env: server.instance.env,
          encoding: 'utf8',
        },
      );
      return { code: run.status, stdout: run.stdout, stderr: run.stderr };
    };
    const shared = bulwark(
      'share',
      '--common-name',
      'b.example',
      '--user',
      'vera',
      '--permission',
      'full',
      '--json',
    );
    expect(shared.code, shared.stderr).toBe(0);
    expect(JSON.parse(shared.stdout)).toEqual({
      certificate: 'b.example',
      grantee: 'user vera',
      permission: 'full',
    });
    expect(await names(vera)).toContain('b.example');
    const toGroup = bulwark('share', '--common-name', 'b.example', '--user-group', 'WebOps');
    expect(toGroup.code, toGroup.stderr).toBe(0);
    expect(toGroup.stdout).toContain('Certificate b.example shared to user group WebOps with view access');
    const listed = bulwark('shares', '--common-name', 'b.example', '--json');
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).map((r: any) => [r.kind, r.grantee, r.permission])).toEqual([
      ['user', 'vera', 'full'],
      ['group', 'WebOps', 'view'],
    ]);
    expect(bulwark('share', '--common-name', 'b.example', '--user', 'vera', '--revoke').code).toBe(0);
    expect(await names(vera)).not.toContain('b.example');
    const again = bulwark('share', '--common-name', 'b.example', '--user', 'vera', '--revoke');
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/is not shared to user vera/);
    const nobody = bulwark('share', '--common-name', 'b.example', '--user', 'nobody');
    expect(nobody.stderr).toMatch(/User nobody does not exist/);
    expect(
      bulwark('share', '--common-name', 'b.example', '--user', 'vera', '--permission', 'owner').code,
    ).not.toBe(0);

    const made = bulwark('install-key', '--json');
    expect(made.code, made.stderr).toBe(0);
    const key = JSON.parse(made.stdout).agentInstallKey as string;
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    const current = await sql('select key_hash from certificate_install_keys where current_slot = 1');
    expect(current.map((r) => r.key_hash)).toEqual([
      createHash('sha256').update(key.toUpperCase()).digest('hex'),
    ]);
    const trail = await sql(
      "select operation, reason from audit_records where operation in ('Certificate Shared', 'Certificate Share Revoked', 'SSL Agent Install Key Generated') order by seq",
    );
    expect(trail.slice(-4).map((r) => `${String(r.operation)} | ${String(r.reason)}`)).toEqual([
      'Certificate Shared | user vera: full',
      'Certificate Shared | user group WebOps: view',
      'Certificate Share Revoked | revoked from user vera',
      'SSL Agent Install Key Generated | SSL agent install key generated; the previous key no longer works',
    ]);
    expect(JSON.stringify(await sql('select * from audit_records'))).not.toContain(key);
  });

  it('applications (A2A) are refused every route of ADR 040, which declares no A2A operation', async () => {
    const routes = registeredRoutes().filter((r) =>
      ROUTES.some(([method, endpoint]) => r.method === method && r.url === `${PKI}/${endpoint}`),
    );
    expect(routes).toHaveLength(ROUTES.length);
    for (const route of routes) expect(route.a2a, route.url).toBe('');

    const app = `GroupsApp${dialect}`;
    const clientCert = await registerA2aApplication(server.instance, app, o.dir);
    const state = async () => [
      await sql('select * from certificate_shares order by id'),
      await sql('select * from certificate_group_shares order by id'),
      await groupRows(),
      await sql('select key_hash from certificate_install_keys order by id'),
    ];
    const before = await state();
    const asApp = pmpClient(server.baseUrl, '');
    for (const [method, endpoint] of ROUTES) {
      const answer = await asApp(`${PKI}/${endpoint}`, {
        method,
        token: null,
        clientCert,
        input: details({
          common_name: 'b.example',
          userId: gina.id,
          userGroupName: 'WebOps',
          certificate_group_name: 'Pauls',
          group_name: 'Pauls',
          group_description: 'app',
          ssl_details: id['b.example'],
        }),
      });
      const raw = JSON.parse(answer.http.text);
      expect(raw.result?.status, `${method} ${endpoint}: ${answer.http.text}`).toBe('Failed');
      expect(raw.result.message).toMatch(new RegExp(`The application ${app} is not allowed`));
    }
    expect(await state()).toEqual(before);
  });
});
