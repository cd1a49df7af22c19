/**
 * Issue 11, hole 5: the password history is a release of secrets like GET PASSWORD and passes
 * the same gate (ADR 018): NoHelpDeskRetrieval, the reason and ticket requirements, and password
 * access control (checkout). Over a real port, on both dialects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiUser, type Actor } from '../helpers/actors.js';
import { details, pmpClient } from '../helpers/client.js';
import { expectFailed as failed, expectSuccess as ok } from '../helpers/expect-pmp.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';

const V1 = '/restapi/json/v1';

describe.each(dialects())('the release gate on the password history on %s', (dialect) => {
  let server: RunningServer;
  let admin: ReturnType<typeof pmpClient>;
  let helen: Actor;
  let frank: Actor;

  beforeAll(async () => {
    server = await startServer(dialect, { BULWARK_TICKET_SYSTEM: 'any' });
    admin = pmpClient(server.baseUrl, server.token);
    helen = await createApiUser(server, 'helen', 'Password User');
    frank = await createApiUser(server, 'frank', 'Password User');
  });
  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
  });

  /** A resource of the admin with an account whose password was changed twice (two in history). */
  async function accountWithHistory(name: string, controls: Record<string, string> = {}) {
    const created = ok(
      await admin(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: name,
          RESOURCETYPE: 'Linux',
          ACCOUNTNAME: 'root',
          PASSWORD: 'First-1!',
        }),
      }),
    );
    const rid = String(created.details.RESOURCEID);
    const aid = String(created.details.ACCOUNTID);
    const account = `${V1}/resources/${rid}/accounts/${aid}`;
    for (const next of ['Second-2!', 'Third-3!']) {
      ok(
        await admin(`${account}/password`, {
          method: 'PUT',
          input: details({ NEWPASSWORD: next, RESETTYPE: 'LOCAL', REASON: 'rotation' }),
        }),
      );
    }
    if (Object.keys(controls).length > 0) {
      ok(await admin(account, { method: 'PUT', input: details(controls) }));
    }
    return { rid, aid, account };
  }

  const why = (fields: Record<string, string>) => ({ input: details(fields) });

  it('full access only through a NoHelpDeskRetrieval group releases neither the password nor its history', async () => {
    const { rid, account } = await accountWithHistory('helpdesk-history');
    const group = ok(
      await admin(`${V1}/resourcegroup`, {
        method: 'POST',
        input: details({ GROUPNAME: 'History helpdesk', NoHelpDeskRetrieval: 'true' }),
      }),
    ).details.RESOURCEGROUPID;
    ok(
      await admin(`${V1}/resourcegroup/${group}/associateResources`, {
        method: 'POST',
        input: details({ RESOURCEIDS: [rid] }),
      }),
    );
    ok(
      await admin(`${V1}/resourcegroup/share`, {
        method: 'PUT',
        input: details({ resourceGroupIds: [group], userIds: [helen.id], accessType: 'fullaccess' }),
      }),
    );
    // Helen sees the account and holds full access, but no secret of it leaves.
    ok(await helen.call(`${V1}/resources/${rid}/accounts`));
    failed(await helen.call(`${account}/password`), /help desk retrieval/);
    const history = failed(await helen.call(`${account}/passwordhistory`), /help desk retrieval/);
    expect(JSON.stringify(history)).not.toMatch(/First-1!|Second-2!/);
    // The owner still reads the history, newest first.
    const own = ok(await admin(`${account}/passwordhistory`));
    expect(own.details.map((h: Record<string, string>) => h.PASSWORD)).toEqual(['Second-2!', 'First-1!']);
  });

  it('a reason required for the password is required for its history', async () => {
    const { account } = await accountWithHistory('reason-history', { ISREASONREQUIRED: 'true' });
    failed(await admin(`${account}/password`), /reason is required/i);
    const refused = failed(await admin(`${account}/passwordhistory`), /reason is required/i);
    expect(JSON.stringify(refused)).not.toMatch(/First-1!|Second-2!/);
    const given = ok(await admin(`${account}/passwordhistory`, why({ REASON: 'audit of rotations' })));
    expect(given.details).toHaveLength(2);
  });

  it('a mandatory ticket id for the password is mandatory for its history', async () => {
    const { account } = await accountWithHistory('ticket-history', { IS_TICKETID_REQD_MANDATORY: 'true' });
    failed(await admin(`${account}/password`), /ticket ID is required/i);
    const refused = failed(await admin(`${account}/passwordhistory`), /ticket ID is required/i);
    expect(JSON.stringify(refused)).not.toMatch(/First-1!|Second-2!/);
    const given = ok(await admin(`${account}/passwordhistory`, why({ TICKETID: 'CHG-7' })));
    expect(given.details).toHaveLength(2);
  });

  it('password access control: a full-access grantee without a checkout gets no history', async () => {
    const { rid, aid, account } = await accountWithHistory('checkout-history', { ACCESS_CONTROL: 'true' });
    ok(
      await admin(`${V1}/resources/${rid}/accounts/${aid}/share`, {
        method: 'PUT',
        input: details({ ACCESSTYPE: 'fullaccess', USERID: frank.id }),
      }),
    );
    failed(await frank.call(`${account}/password`), /password access control/);
    const refused = failed(await frank.call(`${account}/passwordhistory`), /password access control/);
    expect(JSON.stringify(refused)).not.toMatch(/First-1!|Second-2!/);
    // The owner is never asked for a checkout.
    expect(ok(await admin(`${account}/passwordhistory`)).details).toHaveLength(2);
  });

  it('getResourceAccountDetails: the reason that releases the password releases the Password-type fields too', async () => {
    const { rid, aid, account } = await accountWithHistory('reason-fields', { ISREASONREQUIRED: 'true' });
    ok(
      await admin(account, {
        method: 'PUT',
        input: details({
          ACCOUNTCUSTOMFIELD: [
            { CUSTOMLABEL: 'Backup PIN', CUSTOMVALUE: 'Backup-31!', CUSTOMTYPE: 'Password' },
          ],
        }),
      }),
    );
    // Endpoint 3 carries no reason: masked.
    expect(JSON.stringify(ok(await admin(account)))).not.toMatch(/Backup-31!/);
    const got = ok(
      await admin(
        `${V1}/resources/getResourceAccountDetails`,
        why({ RESOURCEID: rid, ACCOUNTID: aid, REASON: 'audit' }),
      ),
    );
    expect(String(got.details.ACCOUNTDETAILS)).toMatch(/Third-3!/);
    expect(String(got.details.ACCOUNTDETAILS)).toMatch(/Backup-31!/);
  });

  it('Password-type additional fields: masked for a NoHelpDeskRetrieval-only user, shown to the owner', async () => {
    const created = ok(
      await admin(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: 'helpdesk-fields',
          RESOURCETYPE: 'Linux',
          ACCOUNTNAME: 'root',
          PASSWORD: 'Root-pw-1!',
          RESOURCECUSTOMFIELD: [
            { CUSTOMLABEL: 'Console PIN', CUSTOMVALUE: 'Pin-4711!', CUSTOMTYPE: 'Password' },
          ],
          ACCOUNTCUSTOMFIELD: [
            { CUSTOMLABEL: 'Secondary Password', CUSTOMVALUE: 'Second-ary-9!', CUSTOMTYPE: 'Password' },
            { CUSTOMLABEL: 'Site', CUSTOMVALUE: 'Berlin' },
          ],
        }),
      }),
    );
    const rid = String(created.details.RESOURCEID);
    const account = `${V1}/resources/${rid}/accounts/${String(created.details.ACCOUNTID)}`;
    const nina = await createApiUser(server, 'nina', 'Password User');
    const group = ok(
      await admin(`${V1}/resourcegroup`, {
        method: 'POST',
        input: details({ GROUPNAME: 'Fields helpdesk', NoHelpDeskRetrieval: 'true' }),
      }),
    ).details.RESOURCEGROUPID;
    ok(
      await admin(`${V1}/resourcegroup/${group}/associateResources`, {
        method: 'POST',
        input: details({ RESOURCEIDS: [rid] }),
      }),
    );
    ok(
      await admin(`${V1}/resourcegroup/share`, {
        method: 'PUT',
        input: details({ resourceGroupIds: [group], userIds: [nina.id], accessType: 'fullaccess' }),
      }),
    );
    type Field = { CUSTOMFIELDLABEL: string; CUSTOMFIELDVALUE: string };
    const values = (fields: Field[] | undefined) =>
      Object.fromEntries((fields ?? []).map((f) => [f.CUSTOMFIELDLABEL, f.CUSTOMFIELDVALUE]));

    // Nina sees the account (endpoint 3) and the resource (endpoint 2), no secret field of them.
    failed(await nina.call(`${account}/password`), /help desk retrieval/);
    const seen = ok(await nina.call(account));
    expect(values(seen.details['CUSTOM FIELD'])).toEqual({ 'Secondary Password': '*****', Site: 'Berlin' });
    expect(JSON.stringify(seen)).not.toMatch(/Second-ary-9!|Pin-4711!/);
    const resource = ok(await nina.call(`${V1}/resources/${rid}/accounts`));
    expect(values(resource.details['CUSTOM FIELD'])).toEqual({ 'Console PIN': '*****' });
    expect(JSON.stringify(resource)).not.toMatch(/Pin-4711!/);

    // The owner reads them; each release is audited (the resource's field once per view of the
    // resource, not again for a view of the account, which does not show it), Nina's views are not.
    const own = ok(await admin(account));
    expect(values(own.details['CUSTOM FIELD'])).toEqual({
      'Secondary Password': 'Second-ary-9!',
      Site: 'Berlin',
    });
    const ownResource = ok(await admin(`${V1}/resources/${rid}/accounts`));
    expect(values(ownResource.details['CUSTOM FIELD'])).toEqual({ 'Console PIN': 'Pin-4711!' });
    const audit = ok(await admin(`${V1}/audit?AUDITTYPE=Resource&STARTINDEX=1&LIMIT=1000&DURATION=ALL`))
      .details as { OPERATIONTYPE: string; RESOURCENAME: string; USERNAME?: string; REASON?: string }[];
    const fieldReleases = audit.filter(
      (r) => r.OPERATIONTYPE === 'Password Custom Field Retrieved' && r.RESOURCENAME === 'helpdesk-fields',
    );
    expect(fieldReleases.map((r) => r.REASON).sort()).toEqual([
      'Fields: Console PIN',
      'Fields: Secondary Password',
    ]);
    expect(JSON.stringify(fieldReleases)).not.toMatch(/nina/);
  });
});
