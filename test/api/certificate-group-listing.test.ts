/**
 * Listing certificate groups (native GET /restapi/json/v1/certificates/groups and
 * `bulwark certs groups`, ADR 040) over the real HTTPS API and the built CLI on both dialects:
 * the groups the caller owns or that reach them through a share (directly or through a user
 * group), every group for super administrators and the local operator; each with how the caller
 * reaches it and the members they can see (a group share bounded to nothing shows none).
 * Certificates made by the real openssl.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiUser, type Actor } from '../helpers/actors.js';
import { ok, pkiCaller } from '../helpers/certificate-pki.js';
import { details, pmpClient } from '../helpers/client.js';
import { opensslCerts, type OpensslCerts } from '../helpers/openssl-certs.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';
import { registerA2aApplication } from '../helpers/a2a-app.js';

const V1 = '/restapi/json/v1';

describe.each(dialects())('certificate group listing on %s', (dialect) => {
  let server: RunningServer;
  let o: OpensslCerts;
  let olivia: Actor;
  let paul: Actor;
  let vera: Actor;
  let gina: Actor;
  const id: Record<string, string> = {};
  const pki = pkiCaller(() => server);
  const admin = () => pmpClient(server.baseUrl, server.token);

  /** The groups as `who` lists them: name → the row. */
  async function groups(who: Actor | 'admin'): Promise<Record<string, any>> {
    const call = who === 'admin' ? admin() : who.call;
    const answer = await call(`${V1}/certificates/groups`);
    expect(answer.status, answer.http.text).toBe('Success');
    const rows = (answer.details ?? []) as any[];
    expect(answer.totalRows).toBe(rows.length);
    return Object.fromEntries(rows.map((r) => [r.GROUPNAME as string, r]));
  }
  const members = (row: any) => (row.MEMBERS as any[]).map((m) => m.COMMONNAME as string);

  beforeAll(async () => {
    o = opensslCerts();
    server = await startServer(dialect);
    olivia = await createApiUser(server, 'olivia', 'Password Administrator');
    paul = await createApiUser(server, 'paul', 'Password User');
    vera = await createApiUser(server, 'vera', 'Password User');
    gina = await createApiUser(server, 'gina', 'Password User');
    await admin()(`${V1}/userGroup`, { method: 'POST', input: details({ USERGROUPNAME: 'WebOps' }) });
    await admin()(`${V1}/user/addUserToUserGroup`, {
      method: 'POST',
      query: { USERNAME: 'gina', USERGROUPNAME: 'WebOps' },
    });
    const add = async (who: Actor | 'admin', cn: string) => {
      const key = o.key(cn, 'ec:P-256');
      const pem = o.file(o.cert(cn, { key, subject: `/CN=${cn}` })).toString();
      const answer = ok(await pki(who, 'POST', 'addCertificate', { certificate: pem }), 'AddCertificate');
      id[cn] = String(answer.details[0].CertID);
    };
    await add(olivia, 'a.example');
    await add(olivia, 'b.example');
    await add('admin', 'admins.example');
    await add(paul, 'pauls.example');
    const group = async (who: Actor | 'admin', name: string, certs: string[]) =>
      ok(
        await pki(who, 'POST', 'createCertificateGroup', {
          group_name: name,
          group_description: `${name} certificates`,
          ssl_details: certs.map((c) => id[c]).join(','),
        }),
        'createCertificateGroup',
      );
    await group(olivia, 'Web', ['a.example', 'b.example']);
    await group(paul, 'Pauls', ['pauls.example']);
    await group('admin', 'Admins', ['admins.example']);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
    o?.cleanup();
  });

  it('lists the groups a user owns; super administrators every group, with member counts and members', async () => {
    const all = await groups('admin');
    expect(Object.keys(all)).toEqual(['Admins', 'Pauls', 'Web']);
    expect(all.Web).toMatchObject({
      GROUPID: expect.stringMatching(/^\d+$/),
      DESCRIPTION: 'Web certificates',
      OWNER: 'olivia',
      ACCESS: 'all',
      MEMBERCOUNT: 2,
    });
    expect(members(all.Web)).toEqual(['a.example', 'b.example']);
    expect(all.Web.MEMBERS[0]).toMatchObject({
      CERTIFICATEID: id['a.example'],
      SERIALNUMBER: expect.any(String),
      EXPIRYDATE: expect.any(String),
    });
    const mine = await groups(olivia);
    expect(Object.keys(mine)).toEqual(['Web']);
    expect(mine.Web).toMatchObject({ ACCESS: 'owner', MEMBERCOUNT: 2 });
    expect(Object.keys(await groups(paul))).toEqual(['Pauls']);
    expect(await groups(vera)).toEqual({});
  });

  it('a group shared to a user or through a user group is listed with the share, members bounded by ADR 040', async () => {
    ok(
      await pki(olivia, 'POST', 'shareCertificateGroupToUserGroup', {
        certificate_group_name: 'Web',
        userGroupName: 'WebOps',
        permission: 'full',
      }),
      'ShareCertificate',
    );
    const ginas = await groups(gina);
    expect(Object.keys(ginas)).toEqual(['Web']);
    expect(ginas.Web).toMatchObject({ ACCESS: 'full', MEMBERCOUNT: 2, OWNER: 'olivia' });

    ok(
      await pki('admin', 'POST', 'shareCertificateGroupToUser', {
        certificate_group_name: 'Admins',
        userId: paul.id,
      }),
      'ShareCertificate',
    );
    const pauls = await groups(paul);
    expect(Object.keys(pauls)).toEqual(['Admins', 'Pauls']);
    expect(pauls.Admins).toMatchObject({ ACCESS: 'view', MEMBERCOUNT: 1 });
    expect(pauls.Pauls).toMatchObject({ ACCESS: 'owner' });

    // paul puts olivia's a.example (shared to him full) in a group shared to vera: she sees it
    // while paul's own share lasts; revoked, the group stays listed with no member she can see.
    ok(
      await pki(olivia, 'POST', 'shareCertificateToUser', {
        common_name: 'a.example',
        userId: paul.id,
        permission: 'full',
      }),
      'ShareCertificate',
    );
    ok(
      await pki(paul, 'POST', 'createCertificateGroup', {
        group_name: 'Borrowed',
        ssl_details: id['a.example'],
      }),
      'createCertificateGroup',
    );
    ok(
      await pki(paul, 'POST', 'shareCertificateGroupToUser', {
        certificate_group_name: 'Borrowed',
        userId: vera.id,
        permission: 'modify',
      }),
      'ShareCertificate',
    );
    let veras = await groups(vera);
    expect(veras.Borrowed).toMatchObject({ ACCESS: 'modify', MEMBERCOUNT: 1, OWNER: 'paul' });
    expect(members(veras.Borrowed)).toEqual(['a.example']);
    ok(
      await pki(olivia, 'POST', 'revokeCertificateFromUser', { common_name: 'a.example', userId: paul.id }),
      'RevokeCertificate',
    );
    veras = await groups(vera);
    expect(veras.Borrowed).toMatchObject({ MEMBERCOUNT: 0, MEMBERS: [] });
    expect((await groups('admin')).Borrowed).toMatchObject({ MEMBERCOUNT: 1 });
  });

  it('bulwark certs groups lists every group as the local operator', async () => {
    const json = await server.instance.cli(
      'certs',
      'groups',
      '--json',
      '--data-dir',
      server.instance.dataDir,
    );
    expect(json.code, json.stderr).toBe(0);
    const rows = JSON.parse(json.stdout) as { name: string; owner: string; access: string; members: any[] }[];
    expect(rows.map((r) => r.name)).toEqual(['Admins', 'Borrowed', 'Pauls', 'Web']);
    expect(rows.find((r) => r.name === 'Web')).toMatchObject({
      owner: 'olivia',
      access: 'all',
      members: [
        expect.objectContaining({ commonName: 'a.example', id: Number(id['a.example']) }),
        expect.objectContaining({ commonName: 'b.example' }),
      ],
    });
    const text = await server.instance.cli('certs', 'groups', '--data-dir', server.instance.dataDir);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('Web\tolivia\t2 member(s)\ta.example,b.example');
  });

  it('applications (A2A) are refused the listing', async () => {
    const app = `GroupListApp${dialect}`;
    const clientCert = await registerA2aApplication(server.instance, app, o.dir, 'RETRIEVE');
    const answer = await pmpClient(server.baseUrl, '')(`${V1}/certificates/groups`, {
      token: null,
      clientCert,
    });
    expect(answer.status, answer.http.text).toBe('Failed');
    expect(answer.message).toMatch(new RegExp(`^The application ${app} is not allowed to`));
  });
});
