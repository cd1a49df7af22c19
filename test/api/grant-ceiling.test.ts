import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiUser, type Actor } from '../helpers/actors.js';
import { details, pmpClient } from '../helpers/client.js';
import { expectFailed as failed, expectSuccess as ok } from '../helpers/expect-pmp.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';

/**
 * Grant ceilings (issue 11, hole 2; ADR 019): a resource-group share never gives anyone more
 * than its sharer holds on a resource at the moment of the request, for static, dynamic and
 * nested groups, for resources created after the share, and along chains of re-shares.
 *
 * Cast: adam (Administrator) owns the `adm-*` resources; pam (Password Administrator) cannot see
 * them unless adam shares one to her; rita, sam and tess are Password Users who receive group
 * shares; vic is whom they try to share on to.
 */
describe.each(dialects())('resource-group grant ceilings on %s', (dialect) => {
  let server: RunningServer;
  let admin: ReturnType<typeof pmpClient>;
  const V1 = '/restapi/json/v1';
  const actors: Record<string, Actor> = {};
  const actor = (name: string) => actors[name]!;

  type Res = { resourceId: string; accountId: string };

  async function createResource(who: Actor, name: string, extra: Record<string, unknown> = {}): Promise<Res> {
    const answer = ok(
      await who.call(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: name,
          RESOURCETYPE: 'Linux',
          ACCOUNTNAME: 'root',
          PASSWORD: `Secret-of-${name}`,
          ...extra,
        }),
      }),
    );
    return { resourceId: String(answer.details.RESOURCEID), accountId: String(answer.details.ACCOUNTID) };
  }

  const createGroup = async (who: Actor, fields: Record<string, unknown>) =>
    String(
      ok(await who.call(`${V1}/resourcegroup`, { method: 'POST', input: details(fields) })).details
        .RESOURCEGROUPID,
    );

  const dynamicGroup = (who: Actor, name: string, prefix: string, extra: Record<string, unknown> = {}) =>
    createGroup(who, {
      GROUPNAME: name,
      GROUPTYPE: 'DYNAMIC',
      andor: 'and',
      NoOfCriteria: 1,
      condition_1: 'RESOURCENAME',
      operator_1: 'STARTS WITH',
      valuefield_1: prefix,
      ...extra,
    });

  const shareGroup = (who: Actor, groupId: string, to: Record<string, unknown>, accessType: string) =>
    who.call(`${V1}/resourcegroup/share`, {
      method: 'PUT',
      input: details({ resourceGroupIds: [groupId], ...to, accessType }),
    });

  const shareResource = (who: Actor, r: Res, userId: string, access: string) =>
    who.call(`${V1}/resources/${r.resourceId}/share`, {
      method: 'PUT',
      input: details({ ACCESSTYPE: access, USERID: userId }),
    });

  const password = (who: Actor, r: Res) =>
    who.call(`${V1}/resources/${r.resourceId}/accounts/${r.accountId}/password`);
  const changePassword = (who: Actor, r: Res) =>
    who.call(`${V1}/resources/${r.resourceId}/accounts/${r.accountId}/password`, {
      method: 'PUT',
      input: details({ NEWPASSWORD: 'Changed-by-a-grantee-1!', RESETTYPE: 'LOCAL', REASON: 'ceiling test' }),
    });
  const listed = async (who: Actor): Promise<string[]> =>
    ((await who.call(`${V1}/resources`)).details ?? []).map((r: any) => String(r['RESOURCE NAME'])).sort();

  /** What `who` may do with `r`: none, view (read), modify (change) or full (share on). */
  async function levelOn(who: Actor, r: Res, name: string): Promise<string> {
    const read = await password(who, r);
    if (read.status !== 'Success') {
      // Nothing readable: the resource is not listed either, and cannot be changed or shared.
      expect(await listed(who)).not.toContain(name);
      failed(await changePassword(who, r));
      failed(await shareResource(who, r, actor('vic').id, 'view'));
      return 'none';
    }
    expect(await listed(who)).toContain(name);
    if ((await changePassword(who, r)).status !== 'Success') {
      failed(await shareResource(who, r, actor('vic').id, 'view'));
      return 'view';
    }
    const shared = await shareResource(who, r, actor('vic').id, 'view');
    if (shared.status !== 'Success') return 'modify';
    ok(await shareResource(who, r, actor('vic').id, 'revoke'));
    return 'full';
  }

  beforeAll(async () => {
    server = await startServer(dialect);
    admin = pmpClient(server.baseUrl, server.token);
    const roles: Record<string, string> = {
      adam: 'Administrator',
      pam: 'Password Administrator',
      rita: 'Password User',
      sam: 'Password User',
      tess: 'Password User',
      vic: 'Password User',
    };
    for (const [name, role] of Object.entries(roles)) actors[name] = await createApiUser(server, name, role);
  });
  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
  });

  it('the reproduction: a dynamic group matching a resource its sharer cannot see grants nothing on it', async () => {
    const secret = await createResource(actor('adam'), 'adm-vault');
    const own = await createResource(actor('pam'), 'adm-pams-own');
    failed(await password(actor('pam'), secret));

    const group = await dynamicGroup(actor('pam'), 'Everything adm', 'adm-');
    ok(await shareGroup(actor('pam'), group, { userIds: [actor('rita').id] }, 'fullaccess'));
    ok(await admin(`${V1}/userGroup`, { method: 'POST', input: details({ USERGROUPNAME: 'Ceiling team' }) }));
    const team = String(
      ok(await admin(`${V1}/user/getUserGroupId`, { query: { USERGROUPNAME: 'Ceiling team' } })).details
        .USERGROUPID,
    );
    ok(
      await admin(`${V1}/user/addUserToUserGroup`, {
        method: 'POST',
        query: { USERNAME: 'tess', USERGROUPNAME: 'Ceiling team' },
      }),
    );
    ok(await shareGroup(actor('pam'), group, { userGroupIds: [team] }, 'view'));

    // Before: rita read adm-vault's password, changed it and shared it on. Now nothing of it.
    expect(await levelOn(actor('rita'), secret, 'adm-vault')).toBe('none');
    expect(await levelOn(actor('tess'), secret, 'adm-vault')).toBe('none');
    // The group still works for what pam holds.
    expect(await levelOn(actor('rita'), own, 'adm-pams-own')).toBe('full');
    expect(await levelOn(actor('tess'), own, 'adm-pams-own')).toBe('view');
    // And the administrator's password is unchanged and his alone.
    expect(ok(await password(actor('adam'), secret)).details.PASSWORD).toBe('Secret-of-adm-vault');

    // A resource created after the share: matched by the criteria, reached only if pam holds it.
    const later = await createResource(actor('adam'), 'adm-created-later');
    const laterOwn = await createResource(actor('pam'), 'adm-pams-later');
    expect(await levelOn(actor('rita'), later, 'adm-created-later')).toBe('none');
    expect(await levelOn(actor('rita'), laterOwn, 'adm-pams-later')).toBe('full');
  });

  it('a static group holding a resource its sharer cannot see grants nothing on it', async () => {
    const group = await createGroup(actor('pam'), { GROUPNAME: 'Pam static', GROUPTYPE: 'STATIC' });
    ok(await shareGroup(actor('pam'), group, { userIds: [actor('rita').id] }, 'fullaccess'));
    ok(await shareGroup(actor('pam'), group, { userIds: [actor('adam').id] }, 'fullaccess'));
    // adam, who may manage the group and holds his resource, puts it in.
    const secret = await createResource(actor('adam'), 'adm-static');
    ok(
      await actor('adam').call(`${V1}/resourcegroup/${group}/associateResources`, {
        method: 'POST',
        input: details({ RESOURCEIDS: [secret.resourceId] }),
      }),
    );
    expect(await levelOn(actor('pam'), secret, 'adm-static')).toBe('none');
    expect(await levelOn(actor('rita'), secret, 'adm-static')).toBe('none');
    // Shared by adam, who holds it, the same group grants it.
    ok(await shareGroup(actor('adam'), group, { userIds: [actor('sam').id] }, 'view'));
    expect(ok(await password(actor('sam'), secret)).details.PASSWORD).toBe('Secret-of-adm-static');
    ok(await shareGroup(actor('adam'), group, { userIds: [actor('sam').id] }, 'revoke'));
  });

  it('a nested group: a share of the parent reaches a subgroup only within the sharer’s access', async () => {
    const parent = await createGroup(actor('pam'), { GROUPNAME: 'Pam parent', GROUPTYPE: 'STATIC' });
    await dynamicGroup(actor('pam'), 'Pam child', 'nst-', { PARENTGROUPID: parent });
    const secret = await createResource(actor('adam'), 'nst-admin');
    const own = await createResource(actor('pam'), 'nst-pam');
    ok(await shareGroup(actor('pam'), parent, { userIds: [actor('rita').id] }, 'modify'));
    expect(await levelOn(actor('rita'), secret, 'nst-admin')).toBe('none');
    expect(await levelOn(actor('rita'), own, 'nst-pam')).toBe('modify');
  });

  it('a share above the sharer’s level confers the sharer’s level; losing access takes it from the recipient', async () => {
    const shared = await createResource(actor('adam'), 'lvl-shared');
    ok(await shareResource(actor('adam'), shared, actor('pam').id, 'view'));
    const group = await dynamicGroup(actor('pam'), 'Pam levels', 'lvl-');
    ok(await shareGroup(actor('pam'), group, { userIds: [actor('rita').id] }, 'fullaccess'));
    // pam has view: rita reads, but may neither change nor share.
    expect(await levelOn(actor('rita'), shared, 'lvl-shared')).toBe('view');
    // adam raises pam to modify: rita follows, live.
    ok(await shareResource(actor('adam'), shared, actor('pam').id, 'modify'));
    expect(await levelOn(actor('rita'), shared, 'lvl-shared')).toBe('modify');
    // adam revokes pam: rita loses it at once.
    ok(await shareResource(actor('adam'), shared, actor('pam').id, 'revoke'));
    expect(await levelOn(actor('rita'), shared, 'lvl-shared')).toBe('none');
  });

  it('chained re-shares cannot escalate: each link is bounded by the one before', async () => {
    const chained = await createResource(actor('adam'), 'chn-box');
    ok(await shareResource(actor('adam'), chained, actor('pam').id, 'fullaccess'));
    const group = await dynamicGroup(actor('pam'), 'Pam chain', 'chn-');
    ok(await shareGroup(actor('pam'), group, { userIds: [actor('rita').id] }, 'fullaccess'));
    // rita, full on the group, shares it on to sam.
    ok(await shareGroup(actor('rita'), group, { userIds: [actor('sam').id] }, 'fullaccess'));
    expect(await levelOn(actor('sam'), chained, 'chn-box')).toBe('full');
    // pam drops to view: rita and sam (through rita) drop with her.
    ok(await shareResource(actor('adam'), chained, actor('pam').id, 'view'));
    expect(await levelOn(actor('rita'), chained, 'chn-box')).toBe('view');
    expect(await levelOn(actor('sam'), chained, 'chn-box')).toBe('view');
    // rita cannot lift sam above herself by sharing the group again with fullaccess.
    ok(await shareGroup(actor('rita'), group, { userIds: [actor('sam').id] }, 'fullaccess'));
    expect(await levelOn(actor('sam'), chained, 'chn-box')).toBe('view');
    // Sharing the group back to rita, who shared it to sam, would cut both off: refused.
    failed(
      await shareGroup(actor('sam'), group, { userIds: [actor('rita').id] }, 'view'),
      /shared resource group Pam chain to you; sharing it back/,
    );
    expect(await levelOn(actor('rita'), chained, 'chn-box')).toBe('view');
    // pam loses it: the whole chain does.
    ok(await shareResource(actor('adam'), chained, actor('pam').id, 'revoke'));
    expect(await levelOn(actor('rita'), chained, 'chn-box')).toBe('none');
    expect(await levelOn(actor('sam'), chained, 'chn-box')).toBe('none');
  });

  it('NoHelpDeskRetrieval cannot be shed by sharing on, directly or through a group', async () => {
    const own = await createResource(actor('pam'), 'hd-box');
    const group = await createGroup(actor('pam'), {
      GROUPNAME: 'Pam help desk',
      GROUPTYPE: 'STATIC',
      NoHelpDeskRetrieval: 'true',
    });
    ok(
      await actor('pam').call(`${V1}/resourcegroup/${group}/associateResources`, {
        method: 'POST',
        input: details({ RESOURCEIDS: [own.resourceId] }),
      }),
    );
    ok(await shareGroup(actor('pam'), group, { userIds: [actor('rita').id] }, 'fullaccess'));
    failed(await password(actor('rita'), own));
    // A direct share by rita would release what she may not retrieve: refused, nothing granted.
    failed(await shareResource(actor('rita'), own, actor('vic').id, 'view'), /NoHelpDeskRetrieval/);
    failed(
      await actor('rita').call(`${V1}/resources/${own.resourceId}/accounts/${own.accountId}/share`, {
        method: 'PUT',
        input: details({ ACCESSTYPE: 'view', USERID: actor('vic').id }),
      }),
      /NoHelpDeskRetrieval/,
    );
    failed(await password(actor('vic'), own));
    // Sharing the group on carries the restriction along the chain.
    ok(await shareGroup(actor('rita'), group, { userIds: [actor('vic').id] }, 'view'));
    expect(await listed(actor('vic'))).toContain('hd-box');
    failed(await password(actor('vic'), own));
    ok(await shareGroup(actor('rita'), group, { userIds: [actor('vic').id] }, 'revoke'));
    // Nor by editing the group: only its owner lifts the restriction.
    failed(
      await actor('rita').call(`${V1}/resourcegroup/${group}`, {
        method: 'PUT',
        input: details({ NoHelpDeskRetrieval: 'false' }),
      }),
      /NoHelpDeskRetrieval/,
    );
    failed(await password(actor('rita'), own));
  });

  it('a fullaccess grantee cannot widen a dynamic group past what its owner shared', async () => {
    const narrow = await createResource(actor('adam'), 'wid-narrow-box');
    const wide = await createResource(actor('adam'), 'wid-wide-box');
    const group = await dynamicGroup(actor('adam'), 'Narrow by owner', 'wid-narrow-');
    ok(await shareGroup(actor('adam'), group, { userIds: [actor('rita').id] }, 'fullaccess'));
    ok(await password(actor('rita'), narrow));
    failed(await password(actor('rita'), wide));
    const widen = (who: Actor) =>
      who.call(`${V1}/resourcegroup/${group}`, {
        method: 'PUT',
        input: details({
          andor: 'and',
          NoOfCriteria: 1,
          condition_1: 'RESOURCENAME',
          operator_1: 'STARTS WITH',
          valuefield_1: 'wid-',
        }),
      });
    failed(
      await widen(actor('rita')),
      /Only the owner of resource group Narrow by owner may change its criteria/,
    );
    failed(await password(actor('rita'), wide));
    // The owner may: the group then reaches what the owner holds.
    ok(await widen(actor('adam')));
    ok(await password(actor('rita'), wide));
  });

  it('an administrator registers an application only for a user holding nothing it does not hold', async () => {
    const register = (who: ReturnType<typeof pmpClient>, name: string, inheritUser: string) =>
      who(`${V1}/applications`, {
        method: 'POST',
        input: details({
          APPLICATIONNAME: name,
          HOSTNAME: '127.0.0.1',
          RESOURCETYPE: 'Linux',
          OPERATIONS: 'RETRIEVE',
          INHERITUSER: inheritUser,
        }),
      });
    const adam = actor('adam').call;
    // pam reaches passwords adam cannot see (her own adm-pams-own): adam may not wear her powers.
    failed(
      await register(adam, 'As pam', 'pam'),
      /^You may not register an application that inherits pam: it reaches passwords you do not hold; only a super administrator may$/,
    );
    // A user reaching only what adam holds, at no higher level, is fine; so is adam himself.
    const una = await createApiUser(server, 'una', 'Password User');
    ok(await register(adam, 'As una (nothing)', 'una'));
    const mine = await createResource(actor('adam'), 'app-adam-box');
    ok(await shareResource(actor('adam'), mine, una.id, 'fullaccess'));
    ok(await register(adam, 'As una (shared by adam)', 'una'));
    ok(await register(adam, 'As adam', 'adam'));
    // una reaches a password adam cannot: refused, and nothing was registered.
    const hers = await createResource(una, 'app-una-box');
    failed(await register(adam, 'As una (her own)', 'una'), /reaches passwords you do not hold/);
    // A level above adam's is refused too: adam views what olga owns and shares, una modifies it.
    const olga = await createApiUser(server, 'olga', 'Password Administrator');
    const olgas = await createResource(olga, 'app-olga-box');
    ok(await una.call(`${V1}/resources/${hers.resourceId}`, { method: 'DELETE' }));
    ok(await shareResource(olga, olgas, actor('adam').id, 'view'));
    ok(await shareResource(olga, olgas, una.id, 'modify'));
    failed(await register(adam, 'As una (modify)', 'una'), /reaches passwords you do not hold/);
    ok(await shareResource(olga, olgas, una.id, 'view'));
    ok(await register(adam, 'As una (view)', 'una'));
    // adam sees olga's help-desk box only through a NoHelpDeskRetrieval group; una retrieves it.
    const desk = await createResource(olga, 'app-olga-desk');
    const deskGroup = await createGroup(olga, {
      GROUPNAME: 'Olga help desk',
      GROUPTYPE: 'STATIC',
      NoHelpDeskRetrieval: 'true',
    });
    ok(
      await olga.call(`${V1}/resourcegroup/${deskGroup}/associateResources`, {
        method: 'POST',
        input: details({ RESOURCEIDS: [desk.resourceId] }),
      }),
    );
    ok(await shareGroup(olga, deskGroup, { userIds: [actor('adam').id] }, 'view'));
    ok(await shareResource(olga, desk, una.id, 'view'));
    failed(await register(adam, 'As una (help desk)', 'una'), /reaches passwords you do not hold/);
    // The super administrator holds everything.
    ok(await register(admin, 'As pam (by the super administrator)', 'pam'));
    const names = (ok(await admin(`${V1}/applications`)).details as any[]).map((a) => a.APPLICATIONNAME);
    expect(names).not.toContain('As pam');
    expect(names).not.toContain('As una (her own)');
    expect(names).not.toContain('As una (modify)');
    expect(names).not.toContain('As una (help desk)');
  });
});
