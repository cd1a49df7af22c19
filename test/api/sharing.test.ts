import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiUser, type Actor } from '../helpers/actors.js';
import { details, parsePmp, pmpClient, rawRequest, type PmpAnswer } from '../helpers/client.js';
import { expectFailed as failed, expectSuccess as ok } from '../helpers/expect-pmp.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';

/**
 * User groups, sharing, and authorization on every object: who may do what to a resource and
 * its accounts, asked of each kind of caller over a real HTTPS port.
 */
describe.each(dialects())('user groups and sharing on %s', (dialect) => {
  let server: RunningServer;
  let admin: ReturnType<typeof pmpClient>;
  const V1 = '/restapi/json/v1';

  const actors: Record<string, Actor> = {};

  let resourceId: string;
  let accountId: string;
  let secondAccountId: string;
  let groupId: string;
  let fileResourceId: string;
  let fileAccountId: string;
  const LICENCE = Buffer.from('LICENCE-KEY\u0000\u00ff binary bytes\n');
  const PASSWORD = 'Olivia-Root-9!x';

  beforeAll(async () => {
    server = await startServer(dialect);
    admin = pmpClient(server.baseUrl, server.token);
    const roles: Record<string, string> = { olivia: 'Password Administrator', adam: 'Administrator' };
    for (const name of ['vera', 'mona', 'fred', 'gina', 'uma', 'gus']) roles[name] = 'Password User';
    for (const [name, role] of Object.entries(roles)) actors[name] = await createApiUser(server, name, role);

    const created = ok(
      await actors.olivia!.call(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: 'payments-db',
          RESOURCETYPE: 'PostgreSQL',
          ACCOUNTNAME: 'postgres',
          PASSWORD,
        }),
      }),
    );
    resourceId = created.details.RESOURCEID;
    accountId = created.details.ACCOUNTID;
    const added = ok(
      await actors.olivia!.call(`${V1}/resources/${resourceId}/accounts`, {
        method: 'POST',
        input: details({ ACCOUNTLIST: [{ ACCOUNTNAME: 'reporting', PASSWORD: 'Reporting-Pass-1!' }] }),
      }),
    );
    secondAccountId = added.details[0].reporting.ACCOUNTID;

    const group = ok(
      await admin(`${V1}/userGroup`, {
        method: 'POST',
        input: details({ USERGROUPNAME: 'DBA', DESCRIPTION: 'Databases' }),
      }),
    );
    groupId = group.details.USERGROUPID;
    ok(
      await admin(`${V1}/user/addUserToUserGroup`, {
        method: 'POST',
        query: { USERNAME: 'gina', USERGROUPNAME: 'DBA' },
      }),
    );

    const boundary = 'sharing-test-boundary';
    const upload = await rawRequest(server.baseUrl, {
      method: 'POST',
      path: `${V1}/resources`,
      headers: {
        AUTHTOKEN: actors.olivia!.token,
        'Content-Type': `multipart/form-data; boundary=${boundary}`,
      },
      body: Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="INPUT_DATA"\r\n\r\n` +
            JSON.stringify(
              details({
                RESOURCENAME: 'licences',
                RESOURCETYPE: 'License Store',
                ACCOUNTNAME: 'product-x',
                PASSWORD: 'n/a',
              }),
            ) +
            `\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="licence.key"\r\n` +
            'Content-Type: application/octet-stream\r\n\r\n',
        ),
        LICENCE,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]),
    });
    const licences = ok(parsePmp(upload));
    fileResourceId = licences.details.RESOURCEID;
    fileAccountId = licences.details.ACCOUNTID;

    const share = (who: Actor, access: string, input: Record<string, string>) =>
      who.call(`${V1}/resources/${resourceId}/share`, {
        method: 'PUT',
        input: details({ ACCESSTYPE: access, ...input }),
      });
    const olivia = actors.olivia!;
    expect(ok(await share(olivia, 'view', { USERID: actors.vera!.id })).message).toBe(
      'Read Only permission granted to user successfully.',
    );
    expect(ok(await share(olivia, 'modify', { USERID: actors.mona!.id })).message).toBe(
      'Read and Modify permission granted to user successfully.',
    );
    expect(ok(await share(olivia, 'fullaccess', { USERID: actors.fred!.id })).message).toBe(
      'Full Access permission granted to user successfully.',
    );
    expect(ok(await share(olivia, 'view', { USERGROUPID: groupId })).message).toBe(
      'Read Only permission granted to user group(s) successfully.',
    );
    for (const [input, access] of [
      [{ USERID: actors.vera!.id }, 'view'],
      [{ USERID: actors.mona!.id }, 'modify'],
      [{ USERID: actors.fred!.id }, 'fullaccess'],
      [{ USERGROUPID: groupId }, 'view'],
    ] as const) {
      ok(
        await olivia.call(`${V1}/resources/${fileResourceId}/share`, {
          method: 'PUT',
          input: details({ ACCESSTYPE: access, ...input }),
        }),
      );
    }
  });
  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
  });

  type Outcome = 'allowed' | 'refused' | 'hidden';
  const ROLES = [
    'owner',
    'superAdmin',
    'adminNotOwner',
    'view',
    'modify',
    'full',
    'group',
    'unshared',
  ] as const;
  type Role = (typeof ROLES)[number];
  const callerOf = (role: Role) =>
    ({
      owner: actors.olivia!.call,
      superAdmin: admin,
      adminNotOwner: actors.adam!.call,
      view: actors.vera!.call,
      modify: actors.mona!.call,
      full: actors.fred!.call,
      group: actors.gina!.call,
      unshared: actors.uma!.call,
    })[role];

  const tokenOf = (role: Role) =>
    role === 'superAdmin'
      ? server.token
      : actors[
          {
            owner: 'olivia',
            adminNotOwner: 'adam',
            view: 'vera',
            modify: 'mona',
            full: 'fred',
            group: 'gina',
            unshared: 'uma',
          }[role]
        ]!.token;

  // What each kind of caller gets, by what the endpoint needs (hidden = the same answer as a missing object).
  const READS: Record<Role, Outcome> = {
    owner: 'allowed',
    superAdmin: 'allowed',
    adminNotOwner: 'hidden',
    view: 'allowed',
    modify: 'allowed',
    full: 'allowed',
    group: 'allowed',
    unshared: 'hidden',
  };
  const CHANGES_PASSWORD: Record<Role, Outcome> = { ...READS, view: 'refused', group: 'refused' };
  const NEEDS_FULL_ACCESS: Record<Role, Outcome> = { ...CHANGES_PASSWORD, modify: 'refused' };

  /** Each endpoint, how to call it, and what each kind of caller gets (hidden = same as a missing object). */
  const table: {
    name: string;
    call: (as: ReturnType<typeof pmpClient>, role: Role) => Promise<PmpAnswer>;
    expect: Record<Role, Outcome>;
    byName?: boolean;
    /** Answers the file itself on success, not an envelope. */
    file?: boolean;
  }[] = [
    {
      name: 'GET resource accounts (2)',
      call: (as) => as(`${V1}/resources/${resourceId}/accounts`),
      expect: READS,
    },
    {
      name: 'GET account details (3)',
      call: (as) => as(`${V1}/resources/${resourceId}/accounts/${accountId}`),
      expect: READS,
    },
    {
      name: 'GET password (4)',
      call: (as) => as(`${V1}/resources/${resourceId}/accounts/${accountId}/password`),
      expect: READS,
    },
    {
      name: 'GET by names',
      byName: true,
      call: (as) => as(`${V1}/resources/resourcename/payments-db/accounts/accountname/postgres`),
      expect: READS,
    },
    {
      name: 'PUT password (change)',
      call: (as) =>
        as(`${V1}/resources/${resourceId}/accounts/${accountId}/password`, {
          method: 'PUT',
          input: details({ NEWPASSWORD: PASSWORD, RESETTYPE: 'LOCAL', REASON: 'authorization matrix' }),
        }),
      expect: CHANGES_PASSWORD,
    },
    {
      name: 'PUT resource (edit)',
      call: (as) =>
        as(`${V1}/resources/${resourceId}`, {
          method: 'PUT',
          input: details({ RESOURCEDESCRIPTION: 'payments' }),
        }),
      expect: NEEDS_FULL_ACCESS,
    },
    {
      name: 'PUT account (edit)',
      call: (as) =>
        as(`${V1}/resources/${resourceId}/accounts/${accountId}`, {
          method: 'PUT',
          input: details({ NOTES: 'primary' }),
        }),
      expect: NEEDS_FULL_ACCESS,
    },
    {
      name: 'PUT resource share (re-share, same grant again)',
      call: (as) =>
        as(`${V1}/resources/${resourceId}/share`, {
          method: 'PUT',
          input: details({ ACCESSTYPE: 'view', USERID: actors.vera!.id }),
        }),
      expect: NEEDS_FULL_ACCESS,
    },
    {
      name: 'GET resource by name (8)',
      byName: true,
      call: (as) => as(`${V1}/resources/resourcename/payments-db`),
      expect: READS,
    },
    {
      name: 'GET getResourceIdAccountId (7)',
      byName: true,
      call: (as) =>
        as(`${V1}/resources/getResourceIdAccountId`, {
          query: { RESOURCENAME: 'payments-db', ACCOUNTNAME: 'postgres' },
        }),
      expect: READS,
    },
    {
      name: 'GET getResourceAccountDetails',
      call: (as) =>
        as(`${V1}/resources/getResourceAccountDetails`, {
          query: { RESOURCEID: resourceId, ACCOUNTID: accountId },
        }),
      expect: READS,
    },
    {
      name: 'GET password history (native)',
      call: (as) => as(`${V1}/resources/${resourceId}/accounts/${accountId}/passwordhistory`),
      expect: NEEDS_FULL_ACCESS,
    },
    {
      name: 'POST accounts (21)',
      call: (as) =>
        as(`${V1}/resources/${resourceId}/accounts`, {
          method: 'POST',
          input: details({
            ACCOUNTLIST: [{ ACCOUNTNAME: `extra-${++extraAccounts}`, PASSWORD: 'Extra-Pass-3!' }],
          }),
        }),
      expect: NEEDS_FULL_ACCESS,
    },
    {
      name: 'GET downloadfile (20)',
      call: async (_as, role) => {
        const http = await rawRequest(server.baseUrl, {
          path: `${V1}/resources/${fileResourceId}/accounts/${fileAccountId}/downloadfile`,
          headers: { AUTHTOKEN: tokenOf(role) },
        });
        // The file itself on success; an envelope otherwise.
        return String(http.headers['content-type']).startsWith('application/json')
          ? parsePmp(http)
          : ({ http, status: 'Success' } as PmpAnswer);
      },
      expect: READS,
      file: true,
    },
    {
      name: 'PUT account share (57)',
      call: (as) =>
        as(`${V1}/resources/${resourceId}/accounts/${accountId}/share`, {
          method: 'PUT',
          input: details({ ACCESSTYPE: 'view', USERID: actors.vera!.id }),
        }),
      expect: NEEDS_FULL_ACCESS,
    },
  ];
  let extraAccounts = 0;

  it.each(table)('authorizes $name for every kind of caller', async (row) => {
    const missingResource = await admin(`${V1}/resources/999999/accounts`);
    for (const role of ROLES) {
      const answer = await row.call(callerOf(role), role);
      const outcome = row.expect[role];
      const context = `${row.name} as ${role}: ${answer.message}`;
      if (outcome === 'allowed') {
        if (row.file) expect(Buffer.from(answer.http.body).equals(LICENCE), context).toBe(true);
        else expect(answer.status, context).toBe('Success');
      } else {
        expect(answer.status, context).toBe('Failed');
        if (outcome === 'hidden') {
          // The same answer as for an object that does not exist: nothing about it leaks.
          expect(answer.message, context).toMatch(/does not exist or is not accessible to you/);
          // Lookups by name echo the name the caller sent; nothing else about the object comes back.
          if (!row.byName) expect(answer.http.text, context).not.toContain('payments-db');
          expect(answer.http.text, context).not.toContain(PASSWORD);
          expect(answer.statusCode, context).toBe(missingResource.statusCode);
        } else {
          expect(answer.message, context).toMatch(/not allowed/);
          expect(answer.http.text, context).not.toContain(PASSWORD);
        }
      }
    }
  });

  it('authorizes deleting an account and a resource for every kind of caller', async () => {
    const expected = NEEDS_FULL_ACCESS;
    for (const role of ROLES) {
      // A throwaway account of the shared resource, and a throwaway resource shared like the first.
      const added = ok(
        await actors.olivia!.call(`${V1}/resources/${resourceId}/accounts`, {
          method: 'POST',
          input: details({ ACCOUNTLIST: [{ ACCOUNTNAME: `doomed-${role}`, PASSWORD: 'Doomed-Pass-4!' }] }),
        }),
      );
      const doomedAccount = added.details[0][`doomed-${role}`].ACCOUNTID;
      const deleteAccount = await callerOf(role)(`${V1}/resources/${resourceId}/accounts/${doomedAccount}`, {
        method: 'DELETE',
      });
      expect(deleteAccount.status, `delete account as ${role}: ${deleteAccount.message}`).toBe(
        expected[role] === 'allowed' ? 'Success' : 'Failed',
      );

      const resource = ok(
        await actors.olivia!.call(`${V1}/resources`, {
          method: 'POST',
          input: details({
            RESOURCENAME: `doomed-${role}`,
            RESOURCETYPE: 'Linux',
            ACCOUNTNAME: 'root',
            PASSWORD: 'Doomed-Pass-5!',
          }),
        }),
      );
      const doomed = resource.details.RESOURCEID;
      for (const [who, access] of [
        ['vera', 'view'],
        ['mona', 'modify'],
        ['fred', 'fullaccess'],
      ] as const) {
        ok(
          await actors.olivia!.call(`${V1}/resources/${doomed}/share`, {
            method: 'PUT',
            input: details({ ACCESSTYPE: access, USERID: actors[who]!.id }),
          }),
        );
      }
      ok(
        await actors.olivia!.call(`${V1}/resources/${doomed}/share`, {
          method: 'PUT',
          input: details({ ACCESSTYPE: 'view', USERGROUPID: groupId }),
        }),
      );
      const deleteResource = await callerOf(role)(`${V1}/resources/${doomed}`, { method: 'DELETE' });
      const outcome = expected[role];
      expect(deleteResource.status, `delete resource as ${role}: ${deleteResource.message}`).toBe(
        outcome === 'allowed' ? 'Success' : 'Failed',
      );
      if (outcome === 'hidden') expect(deleteResource.message).toMatch(/does not exist or is not accessible/);
      if (outcome === 'refused') expect(deleteResource.message).toMatch(/not allowed/);
      // Whatever was refused is still there.
      const after = await actors.olivia!.call(`${V1}/resources/${doomed}/accounts`);
      expect(after.status).toBe(outcome === 'allowed' ? 'Failed' : 'Success');
      if (outcome !== 'allowed')
        ok(await actors.olivia!.call(`${V1}/resources/${doomed}`, { method: 'DELETE' }));
    }
  });

  it('assigns another owner on creation, also by DOMAIN\\user name', async () => {
    const created = ok(
      await admin(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: 'vera-box',
          RESOURCETYPE: 'Linux',
          ACCOUNTNAME: 'root',
          PASSWORD: 'Vera-Box-Pass-6!',
          OWNERNAME: 'CORP\\vera',
        }),
      }),
    );
    const seen = ok(await actors.vera!.call(`${V1}/resources/${created.details.RESOURCEID}/accounts`));
    expect(seen.details['RESOURCE OWNER']).toBe('vera');
    failed(
      await admin(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: 'nobody-box',
          RESOURCETYPE: 'Linux',
          ACCOUNTNAME: 'root',
          PASSWORD: 'Nobody-Pass-7!',
          OWNERNAME: 'CORP\\nobody',
        }),
      }),
      /no user named/,
    );
    ok(await admin(`${V1}/resources/${created.details.RESOURCEID}`, { method: 'DELETE' }));
  });

  it('lists exactly what each caller owns or has been shared', async () => {
    const owned = ok(await actors.olivia!.call(`${V1}/resources/${resourceId}/accounts`));
    for (const name of ['olivia', 'vera', 'mona', 'fred', 'gina']) {
      const list = ok(await actors[name]!.call(`${V1}/resources`));
      expect(
        list.details.map((r: any) => r['RESOURCE NAME']),
        name,
      ).toEqual(['licences', 'payments-db']);
      expect(list.details[1].NOOFACCOUNTS).toBe(String(owned.totalRows));
    }
    for (const name of ['adam', 'uma']) {
      const list = ok(await actors[name]!.call(`${V1}/resources`));
      expect(list.totalRows, name).toBe(0);
      expect(list.http.text).not.toContain('"Details"');
    }
    // The super admin sees everything.
    const all = ok(await admin(`${V1}/resources`));
    expect(all.details.map((r: any) => r['RESOURCE NAME'])).toContain('payments-db');
  });

  it('a resource share covers accounts added later; a group share covers members added later', async () => {
    const added = ok(
      await actors.olivia!.call(`${V1}/resources/${resourceId}/accounts`, {
        method: 'POST',
        input: details({ ACCOUNTLIST: [{ ACCOUNTNAME: 'replica', PASSWORD: 'Replica-Pass-2!' }] }),
      }),
    );
    const replicaId = added.details[0].replica.ACCOUNTID;
    const fromVera = ok(
      await actors.vera!.call(`${V1}/resources/${resourceId}/accounts/${replicaId}/password`),
    );
    expect(fromVera.details.PASSWORD).toBe('Replica-Pass-2!');

    failed(
      await actors.gus!.call(`${V1}/resources/${resourceId}/accounts/${accountId}/password`),
      /not accessible/,
    );
    ok(
      await admin(`${V1}/user/addUserToUserGroup`, {
        method: 'POST',
        query: { USERNAME: 'gus', USERGROUPNAME: 'DBA' },
      }),
    );
    const fromGus = ok(
      await actors.gus!.call(`${V1}/resources/${resourceId}/accounts/${accountId}/password`),
    );
    expect(fromGus.details.PASSWORD).toBe(PASSWORD);
  });

  it('an account share shows the resource with that account only', async () => {
    ok(
      await actors.olivia!.call(`${V1}/resources/${resourceId}/accounts/${secondAccountId}/share`, {
        method: 'PUT',
        input: details({ ACCESSTYPE: 'view', USERID: actors.uma!.id }),
      }),
    );
    const list = ok(await actors.uma!.call(`${V1}/resources`));
    expect(list.details).toHaveLength(1);
    expect(list.details[0].NOOFACCOUNTS).toBe('1');
    const accounts = ok(await actors.uma!.call(`${V1}/resources/${resourceId}/accounts`));
    expect(accounts.details['ACCOUNT LIST'].map((a: any) => a['ACCOUNT NAME'])).toEqual(['reporting']);
    expect(
      ok(await actors.uma!.call(`${V1}/resources/${resourceId}/accounts/${secondAccountId}/password`)).details
        .PASSWORD,
    ).toBe('Reporting-Pass-1!');
    // The other account of the resource stays out of reach, and the resource cannot be edited.
    failed(
      await actors.uma!.call(`${V1}/resources/${resourceId}/accounts/${accountId}/password`),
      /Account with ID .* not accessible/,
    );
    failed(
      await actors.uma!.call(`${V1}/resources/${resourceId}`, {
        method: 'PUT',
        input: details({ RESOURCEDESCRIPTION: 'x' }),
      }),
      /not allowed/,
    );
    // Revoking through the sample's short path.
    ok(
      await actors.olivia!.call(`${V1}/accounts/${secondAccountId}/share`, {
        method: 'PUT',
        input: details({ ACCESSTYPE: 'revoke', USERID: actors.uma!.id }),
      }),
    );
    expect(ok(await actors.uma!.call(`${V1}/resources`)).totalRows).toBe(0);
  });

  it('revoking a share takes the access away at once', async () => {
    const revoked = ok(
      await actors.olivia!.call(`${V1}/resources/${resourceId}/share`, {
        method: 'PUT',
        input: details({ ACCESSTYPE: 'revoke', USERID: actors.mona!.id }),
      }),
    );
    expect(revoked.message).toBe('Permission revoked from user successfully.');
    failed(
      await actors.mona!.call(`${V1}/resources/${resourceId}/accounts/${accountId}/password`),
      /not accessible/,
    );
  });

  it('refuses bad shares and changes nothing', async () => {
    const share = (input: Record<string, unknown>, as = actors.olivia!.call) =>
      as(`${V1}/resources/${resourceId}/share`, { method: 'PUT', input: details(input) });
    failed(await share({ ACCESSTYPE: 'view', USERID: actors.olivia!.id }), /yourself/);
    failed(await share({ ACCESSTYPE: 'view', USERID: '987654' }), /User with ID 987654 does not exist/);
    failed(await share({ ACCESSTYPE: 'view', USERID: "abc' OR 1=1--" }), /not a valid user ID/);
    const gone = await createApiUser(server, 'gone', 'Password User');
    ok(await admin(`${V1}/user/${gone.id}`, { method: 'DELETE' }));
    failed(
      await share({ ACCESSTYPE: 'view', USERID: gone.id }),
      new RegExp(`User with ID ${gone.id} does not exist`),
    );
    failed(await share({ ACCESSTYPE: 'admin', USERID: actors.uma!.id }), /ACCESSTYPE must be one of/);
    failed(await share({ USERID: actors.uma!.id }), /ACCESSTYPE is mandatory/);
    failed(await share({ ACCESSTYPE: 'view' }), /USERID or USERGROUPID is mandatory/);
    failed(
      await share({ ACCESSTYPE: 'view', USERID: actors.uma!.id, USERGROUPID: groupId }),
      /either USERID or USERGROUPID/,
    );
    failed(
      await share({ ACCESSTYPE: 'view', USERGROUPID: '424242' }),
      /User group with ID 424242 does not exist/,
    );
    failed(await share({ ACCESSTYPE: 'revoke', USERID: actors.uma!.id }), /has no share/);
    // A view grantee may not re-share.
    failed(await share({ ACCESSTYPE: 'view', USERID: actors.uma!.id }, actors.vera!.call), /not allowed/);
    expect(ok(await actors.uma!.call(`${V1}/resources`)).totalRows).toBe(0);
  });

  it('manages user groups with the documented answers', async () => {
    failed(
      await admin(`${V1}/userGroup`, { method: 'POST', input: details({ USERGROUPNAME: 'dba' }) }),
      /already exists/,
    );
    failed(
      await admin(`${V1}/userGroup`, { method: 'POST', input: details({}) }),
      /USERGROUPNAME is mandatory/,
    );
    failed(
      await actors.vera!.call(`${V1}/userGroup`, {
        method: 'POST',
        input: details({ USERGROUPNAME: 'Mine' }),
      }),
      /Only administrators/,
    );
    const id = ok(await actors.vera!.call(`${V1}/user/getUserGroupId`, { query: { USERGROUPNAME: 'DBA' } }));
    expect(id.name).toBe('GET_USERGROUPID');
    expect(id.details.USERGROUPID).toBe(groupId);
    failed(await admin(`${V1}/user/getUserGroupId`, { query: { USERGROUPNAME: 'nope' } }), /does not exist/);
    failed(
      await admin(`${V1}/user/addUserToUserGroup`, {
        method: 'POST',
        query: { USERNAME: 'gina', USERGROUPNAME: 'DBA' },
      }),
      /already a member/,
    );
    failed(
      await admin(`${V1}/user/addUserToUserGroup`, {
        method: 'POST',
        query: { USERNAME: 'nobody', USERGROUPNAME: 'DBA' },
      }),
      /User nobody does not exist/,
    );

    const removed = await admin(`${V1}/user/removeUserFromUserGroup`, {
      method: 'POST',
      input: details({ USERIDS: [actors.gina!.id, actors.vera!.id], USERGROUPIDS: [groupId] }),
    });
    ok(removed);
    expect(removed.name).toBe('REMOVE USER FROM USER_GROUP');
    expect(removed.details.RESULT).toEqual([
      {
        USERID: actors.gina!.id,
        message: 'User Removed Successfully',
        USERGROUPID: groupId,
        status: 'Success',
      },
      {
        USERID: actors.vera!.id,
        message: 'User does not exist in the User Group',
        USERGROUPID: groupId,
        status: 'Failed',
      },
    ]);
    // gina reached the resource only through the group.
    failed(
      await actors.gina!.call(`${V1}/resources/${resourceId}/accounts/${accountId}/password`),
      /not accessible/,
    );

    const deleted = ok(
      await admin(`${V1}/userGroup`, {
        method: 'DELETE',
        input: { operation: { details: { userGroupIds: [424242, Number(groupId)] } } },
      }),
    );
    expect(deleted.name).toBe('DELETE_USERGROUP');
    expect(deleted.details['424242']).toMatchObject({ status: 'Failed', message: 'Invalid User group Id.' });
    expect(deleted.details[groupId]).toMatchObject({ status: 'Success', statusCode: 20000 });
    // Deleting the group takes its share with it: gus loses access, his account stays.
    failed(
      await actors.gus!.call(`${V1}/resources/${resourceId}/accounts/${accountId}/password`),
      /not accessible/,
    );
    failed(
      await admin(`${V1}/userGroup`, { method: 'DELETE', input: details({ userGroupIds: [groupId] }) }),
      /No user group was deleted/,
    );
  });

  it('records share and group changes as User audit records', async () => {
    const audit = ok(await admin(`${V1}/audit`, { query: { AUDITTYPE: 'User', LIMIT: '200' } }));
    const operations = audit.details.map((r: any) => r.OPERATIONTYPE);
    for (const op of [
      'Share Granted',
      'Share Revoked',
      'User Group Created',
      'User Added To User Group',
      'User Removed From User Group',
      'User Group Deleted',
    ]) {
      expect(operations, op).toContain(op);
    }
    const grant = audit.details.find(
      (r: any) =>
        r.OPERATIONTYPE === 'Share Granted' &&
        r.USERNAME === 'vera' &&
        r.RESOURCENAME === 'payments-db' &&
        r.OPERATEDBY === 'olivia' &&
        r.ACCOUNTNAME === 'N/A',
    );
    expect(grant).toMatchObject({ ACCOUNTNAME: 'N/A', REASON: 'Access view to user vera' });
  });
});
