import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiUser, type Actor } from '../helpers/actors.js';
import { details, pmpClient, type PmpAnswer } from '../helpers/client.js';
import { expectFailed as failed, expectSuccess as ok } from '../helpers/expect-pmp.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';

/**
 * Resource groups (endpoints 54, 60, 61, 79–83, 85): static, dynamic (criteria evaluated live),
 * nested, shared; and what a group share grants, asked of each kind of caller over a real port.
 */
describe.each(dialects())('resource groups on %s', (dialect) => {
  let server: RunningServer;
  let admin: ReturnType<typeof pmpClient>;
  const V1 = '/restapi/json/v1';

  /** The dynamic group "Sales boxes": anything of sales, or named with a literal "%_" prefix. */
  const SALES_BOXES_CRITERIA = {
    andor: 'or',
    NoOfCriteria: 2,
    condition_1: 'DEPARTMENT',
    operator_1: 'EQUALS',
    valuefield_1: 'sales',
    condition_2: 'RESOURCENAME',
    operator_2: 'STARTS WITH',
    valuefield_2: '%_',
  };

  const actors: Record<string, Actor> = {};
  const actor = (name: string) => actors[name]!;

  async function createResource(who: Actor, fields: Record<string, unknown>) {
    const answer = ok(
      await who.call(`${V1}/resources`, {
        method: 'POST',
        input: details({ RESOURCETYPE: 'Linux', ACCOUNTNAME: 'root', PASSWORD: 'Secret-1!x', ...fields }),
      }),
    );
    return { resourceId: String(answer.details.RESOURCEID), accountId: String(answer.details.ACCOUNTID) };
  }

  async function createGroup(who: Actor, fields: Record<string, unknown>) {
    const answer = await who.call(`${V1}/resourcegroup`, { method: 'POST', input: details(fields) });
    return answer;
  }

  const listed = async (who: Actor) =>
    ((await who.call(`${V1}/resources`)).details ?? []).map((r: any) => r['RESOURCE NAME']).sort();

  const groupsOf = async (who: Actor | undefined, resourceId: string) =>
    (await (who ? who.call : admin)(`${V1}/resources/${resourceId}/associatedGroups`)).details?.[
      'ASSOCIATED GROUPS'
    ];

  const shareGroups = (who: Actor, input: Record<string, unknown>) =>
    who.call(`${V1}/resourcegroup/share`, { method: 'PUT', input: details(input) });

  let web1: { resourceId: string; accountId: string };
  let db1: { resourceId: string; accountId: string };
  let staticGroup: string;
  let dynamicGroup: string;

  beforeAll(async () => {
    server = await startServer(dialect);
    admin = pmpClient(server.baseUrl, server.token);
    const roles: Record<string, string> = { olivia: 'Password Administrator' };
    for (const name of ['paul', 'vera', 'gina', 'hank']) roles[name] = 'Password User';
    for (const [name, role] of Object.entries(roles)) actors[name] = await createApiUser(server, name, role);

    web1 = await createResource(actor('olivia'), {
      RESOURCENAME: 'web-01',
      DNSNAME: 'web-01.example.test',
      DEPARTMENT: 'Sales',
      RESOURCEGROUPNAME: 'Web Servers',
    });
    db1 = await createResource(actor('olivia'), { RESOURCENAME: 'db-01', RESOURCETYPE: 'PostgreSQL' });
    staticGroup = String(
      ok(
        await actor('olivia').call(`${V1}/resourcegroup/getResourceGroupId`, {
          query: { RESOURCEGROUPNAME: 'web servers' },
        }),
      ).details.RESOURCEGROUPID,
    );
    const dyn = ok(
      await createGroup(actor('olivia'), {
        GROUPNAME: 'Sales boxes',
        DESCRIPTION: 'anything of sales, or named %_literal',
        GROUPTYPE: 'DYNAMIC',
        ...SALES_BOXES_CRITERIA,
      }),
    );
    expect(dyn.message).toBe('Group Sales boxes has been added successfully.');
    dynamicGroup = String(dyn.details.RESOURCEGROUPID);

    ok(await admin(`${V1}/userGroup`, { method: 'POST', input: details({ USERGROUPNAME: 'Helpdesk' }) }));
    ok(
      await admin(`${V1}/user/addUserToUserGroup`, {
        method: 'POST',
        query: { USERNAME: 'gina', USERGROUPNAME: 'Helpdesk' },
      }),
    );
  });
  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
  });

  it('RESOURCEGROUPNAME adds the new resource to a static group, creating it', async () => {
    expect(await groupsOf(actor('olivia'), web1.resourceId)).toEqual([
      { 'GROUP ID': Number(staticGroup), 'GROUP NAME': 'Web Servers' },
      { 'GROUP ID': Number(dynamicGroup), 'GROUP NAME': 'Sales boxes' },
    ]);
    // A second resource joins the existing group.
    const web2 = await createResource(actor('olivia'), {
      RESOURCENAME: 'web-02',
      RESOURCEGROUPNAME: 'WEB SERVERS',
    });
    expect(await groupsOf(actor('olivia'), web2.resourceId)).toEqual([
      { 'GROUP ID': Number(staticGroup), 'GROUP NAME': 'Web Servers' },
    ]);
    // A password user may not create a group that way; nothing is created.
    failed(
      await actor('paul').call(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: 'paul-box',
          RESOURCETYPE: 'Linux',
          ACCOUNTNAME: 'a',
          PASSWORD: 'x',
          RESOURCEGROUPNAME: 'Pauls',
        }),
      }),
      /may not create groups/,
    );
    expect(await listed(actor('paul'))).toEqual([]);
  });

  it('79/80 associate and dissociate with per-id results; unknown ids fail and change nothing', async () => {
    const associate = (ids: unknown[]) =>
      actor('olivia').call(`${V1}/resourcegroup/${staticGroup}/associateResources`, {
        method: 'POST',
        input: details({ RESOURCEIDS: ids }),
      });
    const answer = ok(await associate([Number(db1.resourceId), 999999]));
    expect(answer.name).toBe('ASSOCIATE RESOURCES');
    expect(answer.details[db1.resourceId].status).toBe('Success');
    expect(answer.details['999999'].status).toBe('Failed');
    const none = failed(await associate([999998]));
    expect(none.details['999998'].status).toBe('Failed');
    // Someone else's resource: not visible to paul, so not associable by him either.
    failed(
      await actor('paul').call(`${V1}/resourcegroup/${staticGroup}/associateResources`, {
        method: 'POST',
        input: details({ RESOURCEIDS: [db1.resourceId] }),
      }),
      /does not exist or is not accessible/,
    );
    const removed = ok(
      await actor('olivia').call(`${V1}/resourcegroup/${staticGroup}/disassociateResources`, {
        method: 'POST',
        input: details({ RESOURCEIDS: [db1.resourceId] }),
      }),
    );
    expect(removed.message).toBe('Resource removed from group successfully.');
    expect(await groupsOf(actor('olivia'), db1.resourceId)).toEqual([]);
    // Dynamic groups take no chosen members.
    failed(
      await actor('olivia').call(`${V1}/resourcegroup/${dynamicGroup}/associateResources`, {
        method: 'POST',
        input: details({ RESOURCEIDS: [db1.resourceId] }),
      }),
      /dynamic/,
    );
  });

  it('bad criteria, unknown parents and cycles are refused and change nothing', async () => {
    const before = (await actor('olivia').call(`${V1}/resourcegroup`)).totalRows;
    failed(
      await createGroup(actor('olivia'), {
        GROUPNAME: 'bad1',
        GROUPTYPE: 'DYNAMIC',
        NoOfCriteria: 1,
        condition_1: 'PASSWORD',
        operator_1: 'CONTAINS',
        valuefield_1: 'a',
      }),
      /unknown condition/,
    );
    failed(
      await createGroup(actor('olivia'), {
        GROUPNAME: 'bad2',
        GROUPTYPE: 'DYNAMIC',
        NoOfCriteria: 1,
        condition_1: 'RESOURCENAME',
        operator_1: 'MATCHES',
        valuefield_1: 'a',
      }),
      /unknown operator/,
    );
    failed(
      await createGroup(actor('olivia'), { GROUPNAME: 'bad3', GROUPTYPE: 'DYNAMIC', NoOfCriteria: 0 }),
      /NoOfCriteria/,
    );
    failed(
      await createGroup(actor('olivia'), { GROUPNAME: 'bad4', PARENTGROUPID: 999999 }),
      /does not exist/,
    );
    failed(await createGroup(actor('paul'), { GROUPNAME: 'bad5' }), /Only administrators/);
    failed(await createGroup(actor('olivia'), { GROUPNAME: 'Web Servers' }), /already exists/);
    expect((await actor('olivia').call(`${V1}/resourcegroup`)).totalRows).toBe(before);

    const parent = ok(await createGroup(actor('olivia'), { GROUPNAME: 'Parent', GROUPTYPE: 'STATIC' }))
      .details.RESOURCEGROUPID;
    const child = ok(await createGroup(actor('olivia'), { GROUPNAME: 'Child', PARENTGROUPID: parent }))
      .details.RESOURCEGROUPID;
    const grandChild = ok(
      await createGroup(actor('olivia'), { GROUPNAME: 'Grandchild', PARENTGROUPID: child }),
    ).details.RESOURCEGROUPID;
    for (const target of [parent, grandChild]) {
      failed(
        await actor('olivia').call(`${V1}/resourcegroup/${parent}`, {
          method: 'PUT',
          input: details({ PARENTGROUPID: target }),
        }),
        /cycle/,
      );
    }
    const groups = (await actor('olivia').call(`${V1}/resourcegroup`)).details as any[];
    expect(groups.find((g) => g.resourceGroupName === 'Parent').subGroupOf).toBe('');
    expect(groups.find((g) => g.resourceGroupName === 'Grandchild').subGroupOf).toBe(String(child));
  });

  it('a shared dynamic group reaches resources created after the share; revoking removes them', async () => {
    const refused = failed(
      await shareGroups(actor('paul'), {
        resourceGroupIds: [dynamicGroup],
        userIds: [actor('vera').id],
        accessType: 'view',
      }),
      /does not exist or is not accessible/,
    );
    // Failures answer under the same key as successes of this PAM360 endpoint.
    expect(refused.raw.operation.operationName).toBe('SHARE_RESOURCEGROUP(S)');
    expect(refused.raw.operation.name).toBeUndefined();
    const invalid = failed(await shareGroups(actor('olivia'), { resourceGroupIds: [dynamicGroup] }));
    expect(invalid.raw.operation.operationName).toBe('SHARE_RESOURCEGROUP(S)');
    failed(
      await shareGroups(actor('olivia'), {
        resourceGroupIds: [dynamicGroup, 999999],
        userIds: [actor('vera').id],
        accessType: 'view',
      }),
    );
    expect(await listed(actor('vera'))).toEqual([]);

    const answer = ok(
      await shareGroups(actor('olivia'), {
        resourceGroupIds: [dynamicGroup],
        userIds: [actor('vera').id],
        accessType: 'view',
      }),
    );
    expect(answer.raw.operation.operationName).toBe('SHARE_RESOURCEGROUP(S)');
    expect(answer.statusCode).toBe(20001);
    expect(await listed(actor('vera'))).toEqual(['web-01']);

    const later = await createResource(actor('olivia'), { RESOURCENAME: 'crm-01', DEPARTMENT: 'SALES' });
    const literal = await createResource(actor('olivia'), { RESOURCENAME: '%_weird' });
    await createResource(actor('olivia'), { RESOURCENAME: 'xx_weird' });
    expect(await listed(actor('vera'))).toEqual(['%_weird', 'crm-01', 'web-01']);
    const password = await actor('vera').call(
      `${V1}/resources/${later.resourceId}/accounts/${later.accountId}/password`,
    );
    expect(ok(password).details.PASSWORD).toBe('Secret-1!x');
    // view does not allow changing the password
    failed(
      await actor('vera').call(`${V1}/resources/${later.resourceId}/accounts/${later.accountId}/password`, {
        method: 'PUT',
        input: details({ NEWPASSWORD: 'Other-2!x', RESETTYPE: 'LOCAL' }),
      }),
    );
    expect((await groupsOf(actor('vera'), literal.resourceId)).map((g: any) => g['GROUP NAME'])).toEqual([
      'Sales boxes',
    ]);

    const listing = (await actor('vera').call(`${V1}/resourcegroup`)).details as any[];
    expect(listing).toEqual([
      expect.objectContaining({
        resourceGroupName: 'Sales boxes',
        accessType: 'view',
        isOwner: 'false',
        resourceGroupType: 'dynamic',
        resourceGroupId: dynamicGroup,
      }),
    ]);

    ok(
      await shareGroups(actor('olivia'), {
        resourceGroupIds: [dynamicGroup],
        userIds: [actor('vera').id],
        accessType: 'revoke',
      }),
    );
    expect(await listed(actor('vera'))).toEqual([]);
  });

  it('the native edit replaces the criteria of a dynamic group; membership follows at once', async () => {
    const edit = (group: string, input: Record<string, unknown>) =>
      actor('olivia').call(`${V1}/resourcegroup/${group}`, { method: 'PUT', input: details(input) });
    const inSalesBoxes = async (resourceId: string) =>
      ((await groupsOf(actor('olivia'), resourceId)) as any[]).some((g) => g['GROUP NAME'] === 'Sales boxes');
    expect(await inSalesBoxes(web1.resourceId)).toBe(true);
    expect(await inSalesBoxes(db1.resourceId)).toBe(false);

    ok(
      await edit(dynamicGroup, {
        andor: 'and',
        NoOfCriteria: 1,
        condition_1: 'RESOURCETYPE',
        operator_1: 'EQUALS',
        valuefield_1: 'postgresql',
      }),
    );
    expect(await inSalesBoxes(web1.resourceId)).toBe(false);
    expect(await inSalesBoxes(db1.resourceId)).toBe(true);

    // Refused, and the criteria stay as they are.
    failed(await edit(dynamicGroup, { NoOfCriteria: 0 }), /NoOfCriteria must be a number from 1/);
    failed(
      await edit(dynamicGroup, {
        NoOfCriteria: 1,
        condition_1: 'RESOURCENAME',
        operator_1: 'LIKE',
        valuefield_1: 'x',
      }),
      /unknown operator "LIKE"/,
    );
    failed(await edit(dynamicGroup, { NoOfCriteria: 1, condition_1: 'RESOURCENAME' }), /operator_1/);
    failed(
      await edit(staticGroup, {
        NoOfCriteria: 1,
        condition_1: 'RESOURCENAME',
        operator_1: 'EQUALS',
        valuefield_1: 'x',
      }),
      /static; criteria apply to dynamic groups only/,
    );
    failed(
      await actor('paul').call(`${V1}/resourcegroup/${dynamicGroup}`, {
        method: 'PUT',
        input: details({
          NoOfCriteria: 1,
          condition_1: 'RESOURCENAME',
          operator_1: 'CONTAINS',
          valuefield_1: '',
        }),
      }),
    );
    expect(await inSalesBoxes(db1.resourceId)).toBe(true);
    expect(await inSalesBoxes(web1.resourceId)).toBe(false);

    // Back to the criteria the group was created with.
    ok(await edit(dynamicGroup, SALES_BOXES_CRITERIA));
    expect(await inSalesBoxes(web1.resourceId)).toBe(true);
    expect(await inSalesBoxes(db1.resourceId)).toBe(false);
  });

  it('authorization matrix: what a group share grants to each caller', async () => {
    const parent = ok(await createGroup(actor('olivia'), { GROUPNAME: 'Matrix parent' })).details
      .RESOURCEGROUPID;
    const child = ok(await createGroup(actor('olivia'), { GROUPNAME: 'Matrix child', PARENTGROUPID: parent }))
      .details.RESOURCEGROUPID;
    const target = await createResource(actor('olivia'), {
      RESOURCENAME: 'matrix-01',
      RESOURCEGROUPNAME: 'Matrix child',
    });
    const helpdesk = ok(
      await createGroup(actor('olivia'), { GROUPNAME: 'No helpdesk', NoHelpDeskRetrieval: 'true' }),
    ).details.RESOURCEGROUPID;
    ok(
      await actor('olivia').call(`${V1}/resourcegroup/${helpdesk}/associateResources`, {
        method: 'POST',
        input: details({ RESOURCEIDS: [target.resourceId] }),
      }),
    );
    // Parent shared to paul (modify) covers the child's members; to the Helpdesk user group (view).
    ok(
      await shareGroups(actor('olivia'), {
        resourceGroupIds: [parent],
        userIds: [actor('paul').id],
        accessType: 'modify',
      }),
    );
    const helpdeskUsers = (await admin(`${V1}/user/getUserGroupId`, { query: { USERGROUPNAME: 'Helpdesk' } }))
      .details.USERGROUPID;
    ok(
      await shareGroups(actor('olivia'), {
        resourceGroupIds: [helpdesk],
        userGroupIds: [helpdeskUsers],
        accessType: 'view',
      }),
    );

    const passwordPath = `${V1}/resources/${target.resourceId}/accounts/${target.accountId}/password`;
    type Outcome = 'allowed' | 'refused' | 'hidden';
    const rows: [string, Outcome, Outcome, Outcome][] = [
      // caller, see resource, get password, change password
      ['olivia', 'allowed', 'allowed', 'allowed'],
      ['paul', 'allowed', 'allowed', 'allowed'],
      ['gina', 'allowed', 'refused', 'refused'],
      ['hank', 'hidden', 'hidden', 'hidden'],
    ];
    const outcome = (a: PmpAnswer): Outcome =>
      a.status === 'Success'
        ? 'allowed'
        : /does not exist|not accessible/.test(a.message)
          ? 'hidden'
          : 'refused';
    for (const [name, see, get, change] of rows) {
      const who = actor(name);
      expect([name, outcome(await who.call(`${V1}/resources/${target.resourceId}/accounts`))]).toEqual([
        name,
        see,
      ]);
      expect([name, outcome(await who.call(passwordPath))]).toEqual([name, get]);
      expect([
        name,
        outcome(
          await who.call(passwordPath, {
            method: 'PUT',
            input: details({ NEWPASSWORD: `Changed-${name}-9!`, RESETTYPE: 'LOCAL' }),
          }),
        ),
      ]).toEqual([name, change]);
    }
    // The help-desk restriction covers every secret of the account, not only its password.
    failed(await actor('gina').call(`${V1}/accounts/${target.accountId}/totp`), /help desk retrieval/);
    failed(
      await actor('gina').call(
        `${V1}/resources/${target.resourceId}/accounts/${target.accountId}/downloadfile`,
      ),
      /help desk retrieval/,
    );
    // paul may not share the group on (modify is not full access); nothing changes for hank.
    failed(
      await shareGroups(actor('paul'), {
        resourceGroupIds: [parent],
        userIds: [actor('hank').id],
        accessType: 'view',
      }),
      /not allowed/,
    );
    expect(await listed(actor('hank'))).toEqual([]);
    // 82: deleting the group keeps its members.
    failed(
      await actor('paul').call(`${V1}/resourcegroup`, {
        method: 'DELETE',
        query: { RESOURCEGROUPID: String(child) },
      }),
    );
    ok(
      await actor('olivia').call(`${V1}/resourcegroup`, {
        method: 'DELETE',
        query: { RESOURCEGROUPID: String(child) },
      }),
    );
    expect(await listed(actor('olivia'))).toContain('matrix-01');
    expect(await listed(actor('paul'))).not.toContain('matrix-01');
  });

  it('criteria on login names and additional fields, negated operators, evaluated live', async () => {
    const criteria = ok(
      await createGroup(actor('olivia'), {
        GROUPNAME: 'Oracle in Berlin',
        GROUPTYPE: 'DYNAMIC',
        andor: 'and',
        NoOfCriteria: 3,
        condition_1: 'LOGINNAME',
        operator_1: 'ENDS WITH',
        valuefield_1: '_ora',
        condition_2: 'CUSTOMFIELD:Site',
        operator_2: 'EQUALS',
        valuefield_2: 'BERLIN',
        condition_3: 'DESCRIPTION',
        operator_3: 'NOT CONTAINS',
        valuefield_3: 'retired',
      }),
    ).details.RESOURCEGROUPID;
    const site = (value: string) => [{ CUSTOMLABEL: 'Site', CUSTOMVALUE: value }];
    const yes = await createResource(actor('olivia'), {
      RESOURCENAME: 'ora-berlin',
      ACCOUNTNAME: 'sys_ora',
      RESOURCECUSTOMFIELD: site('Berlin'),
    });
    const retired = await createResource(actor('olivia'), {
      RESOURCENAME: 'ora-old',
      ACCOUNTNAME: 'sys_ora',
      RESOURCEDESCRIPTION: 'Retired box',
      RESOURCECUSTOMFIELD: site('berlin'),
    });
    const elsewhere = await createResource(actor('olivia'), {
      RESOURCENAME: 'ora-paris',
      ACCOUNTNAME: 'sys_ora',
      RESOURCECUSTOMFIELD: site('Paris'),
    });
    const names = async (id: string) =>
      ((await groupsOf(actor('olivia'), id)) ?? []).map((g: any) => g['GROUP ID']);
    expect(await names(yes.resourceId)).toContain(Number(criteria));
    expect(await names(retired.resourceId)).not.toContain(Number(criteria));
    expect(await names(elsewhere.resourceId)).not.toContain(Number(criteria));
    // An edit makes the resource a member at once.
    ok(
      await actor('olivia').call(`${V1}/resources/${retired.resourceId}`, {
        method: 'PUT',
        input: details({ RESOURCEDESCRIPTION: 'in service' }),
      }),
    );
    expect(await names(retired.resourceId)).toContain(Number(criteria));
  });

  it('the group policy applies to members without their own', async () => {
    ok(await createGroup(actor('olivia'), { GROUPNAME: 'Strict', POLICY: 'Strong' }));
    failed(
      await actor('olivia').call(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: 'strict-01',
          RESOURCETYPE: 'Linux',
          ACCOUNTNAME: 'root',
          PASSWORD: 'x',
          RESOURCEGROUPNAME: 'Strict',
        }),
      }),
      /password policy Strong/,
    );
    expect(await listed(actor('olivia'))).not.toContain('strict-01');
    // Its own policy wins over the group's.
    await createResource(actor('olivia'), {
      RESOURCENAME: 'strict-02',
      PASSWORD: 'x',
      RESOURCEGROUPNAME: 'Strict',
      RESOURCEPASSWORDPOLICY: 'Test Fixtures',
    });
    failed(
      await createGroup(actor('olivia'), { GROUPNAME: 'No such policy', POLICY: 'Nope' }),
      /no password policy/,
    );
  });

  it('ACCOUNT_RESOURCE_GROUP_IDS adds chosen accounts to a static group; a share reaches only them', async () => {
    const group = ok(await createGroup(actor('olivia'), { GROUPNAME: 'Chosen accounts' })).details
      .RESOURCEGROUPID;
    const box = await createResource(actor('olivia'), { RESOURCENAME: 'acct-box' });
    const added = ok(
      await actor('olivia').call(`${V1}/resources/${box.resourceId}/accounts`, {
        method: 'POST',
        input: details({
          ACCOUNTLIST: [
            { ACCOUNTNAME: 'svc', PASSWORD: 'Svc-Pass-1!', ACCOUNT_RESOURCE_GROUP_IDS: [String(group)] },
          ],
        }),
      }),
    );
    expect(added.details[0].svc.STATUS).toMatch(/added successfully/);
    const bad = await actor('olivia').call(`${V1}/resources/${box.resourceId}/accounts`, {
      method: 'POST',
      input: details({
        ACCOUNTLIST: [
          { ACCOUNTNAME: 'svc2', PASSWORD: 'Svc-Pass-1!', ACCOUNT_RESOURCE_GROUP_IDS: ['999999'] },
        ],
      }),
    });
    expect(JSON.stringify(bad.details)).toMatch(/does not exist/);
    ok(
      await shareGroups(actor('olivia'), {
        resourceGroupIds: [group],
        userIds: [actor('hank').id],
        accessType: 'view',
      }),
    );
    const accounts = ok(await actor('hank').call(`${V1}/resources/${box.resourceId}/accounts`));
    expect(accounts.details['ACCOUNT LIST'].map((a: any) => a['ACCOUNT NAME'])).toEqual(['svc']);
  });
});
