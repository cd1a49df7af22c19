import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiUser, type Actor } from '../helpers/actors.js';
import { details, pmpClient } from '../helpers/client.js';
import { expectFailed as failed, expectSuccess as ok } from '../helpers/expect-pmp.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';

/**
 * Password access control (endpoints 10–15) with real API users over a real port: request,
 * approval, exclusive check-out, check-in, automatic check-in at expiry.
 */
const V1 = '/restapi/json/v1';
/** Satisfies the built-in Strong policy (no dictionary word, no sequence). */
const ENABLE_PASSWORD = 'Qv7#mZ2!rK9x';

/** A server with an access-controlled account owned by olivia and shared (view) to the others. */
async function setUp(server: RunningServer) {
  const admin = pmpClient(server.baseUrl, server.token);
  const users: Record<string, Actor> = {};
  for (const [name, role] of [
    ['olivia', 'Password Administrator'],
    ['rita', 'Password User'],
    ['ray', 'Password User'],
    ['adam', 'Administrator'],
  ] as const) {
    // The full name is what a request shows as REQUESTED BY FULLNAME.
    users[name] = await createApiUser(server, name, role, { fields: { FULLNAME: `${name} Example` } });
  }
  const resource = ok(
    await users.olivia!.call(`${V1}/resources`, {
      method: 'POST',
      input: details({
        RESOURCENAME: 'core-router',
        RESOURCETYPE: 'Cisco IOS',
        ACCOUNTNAME: 'enable',
        PASSWORD: ENABLE_PASSWORD,
        ACCESS_CONTROL: 'true',
      }),
    }),
  );
  for (const name of ['rita', 'ray', 'adam']) {
    ok(
      await users.olivia!.call(`${V1}/resources/${resource.details.RESOURCEID}/share`, {
        method: 'PUT',
        input: details({ ACCESSTYPE: 'view', USERID: users[name]!.id }),
      }),
    );
  }
  const resourceId = String(resource.details.RESOURCEID);
  const accountId = String(resource.details.ACCOUNTID);
  const passwordPath = `${V1}/resources/${resourceId}/accounts/${accountId}/password`;
  return { admin, users, resourceId, accountId, passwordPath };
}

describe.each(dialects())('password access control on %s', (dialect) => {
  let server: RunningServer;
  let env: Awaited<ReturnType<typeof setUp>>;

  beforeAll(async () => {
    server = await startServer(dialect);
    env = await setUp(server);
  });
  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
  });

  const as = (name: string) => env.users[name]!.call;
  const id = (name: string) => env.users[name]!.id;

  it('walks a request from raised to checked in, with check-out exclusive', async () => {
    const { accountId, passwordPath } = env;
    failed(await as('rita')(passwordPath), /under password access control/);
    expect(ok(await as('olivia')(passwordPath)).details.PASSWORD).toBe(ENABLE_PASSWORD);

    const raised = ok(
      await as('rita')(`${V1}/accounts/${accountId}/requestpassword`, {
        method: 'POST',
        input: details({ REASON: 'router upgrade', TICKETID: 'CHG-7' }),
      }),
    );
    expect(raised.name).toBe('REQUEST_PASSWORD');
    expect(raised.message).toBe('Request to view password have been raised successfully');
    expect(raised.details.STATUS).toBe('WAITING FOR APPROVAL');
    failed(
      await as('rita')(`${V1}/accounts/${accountId}/requestpassword`, { method: 'POST' }),
      /already have a request/,
    );

    // Approvers see it; the requester does not approve anything.
    const list = ok(await as('adam')(`${V1}/accounts/passwordaccessrequests`));
    expect(list.name).toBe('GET_PASSWORDREQUEST');
    expect(list.details).toMatchObject({
      'REQUESTER USERID': id('rita'),
      'REQUESTED BY': 'rita',
      'REQUESTED BY FULLNAME': 'rita Example',
    });
    expect(list.details.PASSWORDREQUESTLIST[0]).toMatchObject({
      'ACCOUNT ID': accountId,
      'ACCOUNT NAME': 'enable',
      'RESOURCE NAME': 'core-router',
      REASON: 'router upgrade',
      STATUS: 'Waiting for approval',
    });
    expect(ok(await as('rita')(`${V1}/accounts/passwordaccessrequests`)).totalRows).toBe(0);
    failed(
      await as('ray')(`${V1}/accounts/${accountId}/requester/${id('rita')}/approve`, { method: 'POST' }),
      /Only administrators, the owner and the named approvers/,
    );
    failed(await as('rita')(`${V1}/accounts/${accountId}/checkout`, { method: 'POST' }), /not approved yet/);

    const approved = ok(
      await as('adam')(`${V1}/accounts/${accountId}/requester/${id('rita')}/approve`, { method: 'POST' }),
    );
    expect(approved.name).toBe('ADMIN_REQUEST_APPROVE');
    expect(approved.message).toBe('Password Approved successfully');
    failed(
      await as('adam')(`${V1}/accounts/${accountId}/requester/${id('rita')}/approve`, { method: 'POST' }),
      /already approved/,
    );
    failed(await as('rita')(passwordPath), /under password access control/);

    const out = ok(
      await as('rita')(`${V1}/accounts/${accountId}/checkout`, {
        method: 'POST',
        input: details({ REASON: 'now' }),
      }),
    );
    expect(out.name).toBe('REQUEST_CHECKOUT');
    expect(out.details.STATUS).toBe('***** [checkIn]');
    expect(ok(await as('rita')(passwordPath)).details.PASSWORD).toBe(ENABLE_PASSWORD);
    const accounts = ok(await as('olivia')(`${V1}/resources/${env.resourceId}/accounts`));
    expect(accounts.details['ACCOUNT LIST'][0]['PASSWORD STATUS']).toBe('[In Use]');

    // Exclusive: ray, approved by the owner, waits for rita's check-in.
    ok(
      await as('ray')(`${V1}/accounts/${accountId}/requestpassword`, {
        method: 'POST',
        input: details({ REASON: 'audit' }),
      }),
    );
    ok(await as('olivia')(`${V1}/accounts/${accountId}/requester/${id('ray')}/approve`, { method: 'POST' }));
    failed(
      await as('ray')(`${V1}/accounts/${accountId}/checkout`, { method: 'POST' }),
      /in use by another user/,
    );
    failed(await as('ray')(passwordPath), /under password access control/);

    const checkedIn = ok(
      await as('rita')(`${V1}/accounts/${accountId}/requester/${id('rita')}/checkin`, { method: 'POST' }),
    );
    expect(checkedIn.name).toBe('ADMIN_REQUEST_CHECKIN');
    expect(checkedIn.message).toBe('Password have been checked in successfully');
    failed(await as('rita')(passwordPath), /under password access control/);
    failed(
      await as('rita')(`${V1}/accounts/${accountId}/requester/${id('rita')}/checkin`, { method: 'POST' }),
      /not checked out/,
    );
    const after = ok(await as('olivia')(`${V1}/resources/${env.resourceId}/accounts`));
    expect(after.details['ACCOUNT LIST'][0]['PASSWORD STATUS']).toBe('*****');

    ok(await as('ray')(`${V1}/accounts/${accountId}/checkout`, { method: 'POST' }));
    expect(ok(await as('ray')(passwordPath)).details.PASSWORD).toBe(ENABLE_PASSWORD);
    // An approver checks it in on ray's behalf.
    ok(await as('adam')(`${V1}/accounts/${accountId}/requester/${id('ray')}/checkin`, { method: 'POST' }));
    failed(await as('ray')(passwordPath), /under password access control/);
  });

  it('rejects, refuses self-approval, and changes nothing on bad requests', async () => {
    const { accountId } = env;
    ok(
      await as('rita')(`${V1}/accounts/${accountId}/requestpassword`, {
        method: 'POST',
        input: details({ REASON: 'again' }),
      }),
    );
    const rejected = ok(
      await as('adam')(`${V1}/accounts/${accountId}/requester/${id('rita')}/reject`, { method: 'POST' }),
    );
    expect(rejected.name).toBe('ADMIN_REQUEST_REJECT');
    expect(rejected.message).toBe('Password Rejected successfully');
    failed(
      await as('rita')(`${V1}/accounts/${accountId}/checkout`, { method: 'POST' }),
      /no approved request/,
    );
    // The account's TOTP is released under the same rule as its password.
    failed(await as('rita')(`${V1}/accounts/${accountId}/totp`), /under password access control/);

    ok(
      await as('adam')(`${V1}/accounts/${accountId}/requestpassword`, {
        method: 'POST',
        input: details({ REASON: 'mine' }),
      }),
    );
    failed(
      await as('adam')(`${V1}/accounts/${accountId}/requester/${id('adam')}/approve`, { method: 'POST' }),
      /cannot approve or reject your own/,
    );
    failed(
      await as('adam')(`${V1}/accounts/${accountId}/requester/${id('ray')}/approve`, { method: 'POST' }),
      /has no open request/,
    );
    failed(
      await as('olivia')(`${V1}/accounts/${accountId}/requestpassword`, { method: 'POST' }),
      /You own account/,
    );
    failed(
      await as('rita')(`${V1}/accounts/abc'--/requestpassword`, { method: 'POST' }),
      /not a valid account ID/,
    );
    failed(await as('rita')(`${V1}/accounts/999999/requestpassword`, { method: 'POST' }), /does not exist/);
    failed(
      await as('rita')(`${V1}/accounts/${accountId}/requester/${id('adam')}/approve`, { method: 'POST' }),
      /Only administrators, the owner and the named approvers/,
    );
    // An account without access control needs no request.
    const plain = ok(
      await as('olivia')(`${V1}/resources/${env.resourceId}/accounts`, {
        method: 'POST',
        input: details({ ACCOUNTLIST: [{ ACCOUNTNAME: 'guest', PASSWORD: 'Guest-Pass-9!' }] }),
      }),
    );
    const guestId = plain.details[0].guest.ACCOUNTID;
    failed(await as('rita')(`${V1}/accounts/${guestId}/requestpassword`, { method: 'POST' }), /not enabled/);
    // Still waiting: adam's own request, and nothing else moved.
    const list = ok(await as('olivia')(`${V1}/accounts/passwordaccessrequests`));
    expect(list.details['REQUESTED BY']).toBe('adam');
    expect(list.totalRows).toBe(1);
  });

  it('a race for the checkout has exactly one winner', async () => {
    const { accountId } = env;
    // adam's request from the previous test is still waiting; ray raises one too.
    ok(
      await as('ray')(`${V1}/accounts/${accountId}/requestpassword`, {
        method: 'POST',
        input: details({ REASON: 'race' }),
      }),
    );
    for (const name of ['adam', 'ray']) {
      ok(await as('olivia')(`${V1}/accounts/${accountId}/requester/${id(name)}/approve`, { method: 'POST' }));
    }
    const answers = await Promise.all(
      ['adam', 'ray', 'adam', 'ray'].map((name) =>
        as(name)(`${V1}/accounts/${accountId}/checkout`, { method: 'POST' }),
      ),
    );
    expect(answers.filter((a) => a.status === 'Success')).toHaveLength(1);
    for (const a of answers.filter((x) => x.status !== 'Success')) {
      expect(a.message).toMatch(/in use by another user|checked out account .* already/);
    }
    const winner = answers[answers.findIndex((a) => a.status === 'Success')]!;
    const holder = answers.indexOf(winner) % 2 === 0 ? 'adam' : 'ray';
    ok(await as(holder)(`${V1}/accounts/${accountId}/requester/${id(holder)}/checkin`, { method: 'POST' }));
  });

  it("named approvers decide on the account's requests", async () => {
    const { accountId } = env;
    const approvers = `${V1}/accounts/${accountId}/approvers`;
    failed(
      await as('rita')(approvers, { method: 'PUT', input: details({ USERIDS: [id('rita')] }) }),
      /Only administrators and the owner of account enable may name its approvers/,
    );
    failed(
      await as('olivia')(approvers, { method: 'PUT', input: details({ USERIDS: [999999] }) }),
      /User with ID 999999 does not exist/,
    );
    failed(await as('olivia')(approvers, { method: 'PUT', input: details({}) }), /USERIDS is mandatory/);
    expect(ok(await as('olivia')(approvers)).totalRows).toBe(0);

    ok(await as('olivia')(approvers, { method: 'PUT', input: details({ USERIDS: [id('ray')] }) }));
    expect(ok(await as('rita')(approvers)).details).toEqual([{ USERID: id('ray'), USERNAME: 'ray' }]);
    ok(
      await as('rita')(`${V1}/accounts/${accountId}/requestpassword`, {
        method: 'POST',
        input: details({ REASON: 'named' }),
      }),
    );
    const waiting = ok(await as('ray')(`${V1}/accounts/passwordaccessrequests`));
    expect(JSON.stringify(waiting.details)).toContain('"REQUESTED BY":"rita"');
    ok(await as('ray')(`${V1}/accounts/${accountId}/requester/${id('rita')}/approve`, { method: 'POST' }));
    ok(await as('rita')(`${V1}/accounts/${accountId}/checkout`, { method: 'POST' }));
    ok(await as('ray')(`${V1}/accounts/${accountId}/requester/${id('rita')}/checkin`, { method: 'POST' }));

    // Cleared: ray decides no more.
    ok(await as('olivia')(approvers, { method: 'PUT', input: details({ USERIDS: [] }) }));
    ok(
      await as('rita')(`${V1}/accounts/${accountId}/requestpassword`, {
        method: 'POST',
        input: details({ REASON: 'again' }),
      }),
    );
    failed(
      await as('ray')(`${V1}/accounts/${accountId}/requester/${id('rita')}/approve`, { method: 'POST' }),
      /Only administrators, the owner and the named approvers/,
    );
    ok(await as('olivia')(`${V1}/accounts/${accountId}/requester/${id('rita')}/reject`, { method: 'POST' }));
  });

  it('audits every step', async () => {
    const audit = ok(await env.admin(`${V1}/audit`, { query: { AUDITTYPE: 'Resource', LIMIT: '500' } }));
    const operations = audit.details.map((r: any) => r.OPERATIONTYPE);
    for (const op of [
      'Password Requested',
      'Password Request Approved',
      'Password Request Rejected',
      'Password Checked Out',
      'Password Checked In',
      'Password Approvers Named',
    ]) {
      expect(operations, op).toContain(op);
    }
    // Refusals of the access-control gate are audited too.
    expect(
      audit.details.find((r: any) => r.OPERATIONTYPE === 'Retrieval Refused' && r.OPERATEDBY === 'rita'),
    ).toMatchObject({ ACCOUNTNAME: 'enable', RESOURCENAME: 'core-router' });
    const requested = audit.details.find(
      (r: any) => r.OPERATIONTYPE === 'Password Requested' && r.OPERATEDBY === 'rita',
    );
    expect(requested).toMatchObject({ ACCOUNTNAME: 'enable', RESOURCENAME: 'core-router' });
  });

  it('an administrator decides only on accounts it can see (issue 11)', async () => {
    // ada is an Administrator nobody shared the account to; adam is one it was shared to.
    const ada = await createApiUser(server, 'ada', 'Administrator');
    const created = ok(
      await as('olivia')(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: 'edge-router',
          RESOURCETYPE: 'Cisco IOS',
          ACCOUNTNAME: 'enable',
          PASSWORD: ENABLE_PASSWORD,
          ACCESS_CONTROL: 'true',
        }),
      }),
    );
    const accountId = String(created.details.ACCOUNTID);
    for (const name of ['rita', 'adam']) {
      ok(
        await as('olivia')(`${V1}/resources/${created.details.RESOURCEID}/share`, {
          method: 'PUT',
          input: details({ ACCESSTYPE: 'view', USERID: id(name) }),
        }),
      );
    }
    ok(
      await as('rita')(`${V1}/accounts/${accountId}/requestpassword`, {
        method: 'POST',
        input: details({ REASON: 'visibility' }),
      }),
    );
    const decide = (who: Actor, verb: string) =>
      who.call(`${V1}/accounts/${accountId}/requester/${id('rita')}/${verb}`, { method: 'POST' });

    // ada neither lists the request nor approves, rejects or checks in for an account it cannot see.
    const listed = ok(await ada.call(`${V1}/accounts/passwordaccessrequests`));
    expect(JSON.stringify(listed.details ?? {})).not.toContain('edge-router');
    for (const verb of ['approve', 'reject', 'checkin']) {
      failed(await decide(ada, verb), /does not exist or is not accessible/);
    }
    failed(await ada.call(`${V1}/accounts/${accountId}/approvers`), /does not exist or is not accessible/);
    failed(
      await ada.call(`${V1}/accounts/${accountId}/approvers`, {
        method: 'PUT',
        input: details({ USERIDS: [id('ray')] }),
      }),
      /does not exist or is not accessible/,
    );
    // Nothing changed: the request still waits, and adam, who sees the account, decides it.
    expect(JSON.stringify(ok(await as('adam')(`${V1}/accounts/passwordaccessrequests`)).details)).toContain(
      'edge-router',
    );
    ok(await decide(env.users.adam!, 'approve'));
    // Decided once: a second decision is refused.
    failed(await decide(env.users.adam!, 'approve'), /already approved/);
  });

  it('badly typed approvers answer Failed, never 500', async () => {
    const approvers = `${V1}/accounts/${env.accountId}/approvers`;
    for (const USERIDS of [{ a: 'b' }, [{ a: 'b' }], 'x', [true], [[1]]]) {
      const answer = await as('olivia')(approvers, { method: 'PUT', input: details({ USERIDS }) });
      expect(answer.http.status, JSON.stringify(USERIDS)).not.toBe(500);
      failed(answer);
    }
    // Nothing was named.
    expect(ok(await as('olivia')(approvers)).totalRows).toBe(0);
  });
});

describe.each(dialects())('checkout expiry on %s', (dialect) => {
  let server: RunningServer;

  beforeAll(async () => {
    // 0.02 minutes: a checkout lasts 1.2 s.
    server = await startServer(dialect, { BULWARK_CHECKOUT_MINUTES: '0.02' });
  });
  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
  });

  it('checks the password in automatically when the checkout expires', async () => {
    const { users, accountId, passwordPath, admin } = await setUp(server);
    ok(
      await users.rita!.call(`${V1}/accounts/${accountId}/requestpassword`, {
        method: 'POST',
        input: details({ REASON: 'short' }),
      }),
    );
    ok(
      await users.adam!.call(`${V1}/accounts/${accountId}/requester/${users.rita!.id}/approve`, {
        method: 'POST',
      }),
    );
    ok(await users.rita!.call(`${V1}/accounts/${accountId}/checkout`, { method: 'POST' }));
    ok(await users.rita!.call(passwordPath));
    await new Promise((resolve) => setTimeout(resolve, 3000));
    failed(await users.rita!.call(passwordPath), /under password access control/);
    const audit = ok(await admin(`${V1}/audit`, { query: { AUDITTYPE: 'Resource', LIMIT: '100' } }));
    expect(audit.details.map((r: any) => r.OPERATIONTYPE)).toContain('Password Checked In Automatically');
    // The account is free again: ray may go through the workflow.
    ok(
      await users.ray!.call(`${V1}/accounts/${accountId}/requestpassword`, {
        method: 'POST',
        input: details({ REASON: 'next' }),
      }),
    );
    ok(
      await users.olivia!.call(`${V1}/accounts/${accountId}/requester/${users.ray!.id}/approve`, {
        method: 'POST',
      }),
    );
    ok(await users.ray!.call(`${V1}/accounts/${accountId}/checkout`, { method: 'POST' }));
  });
});

describe.each(dialects())('reset on check-in on %s', (dialect) => {
  let server: RunningServer;

  beforeAll(async () => {
    // The real default policy (Strong) for the account, so the fresh password is checked against it.
    server = await startServer(dialect, { BULWARK_RESET_ON_CHECKIN: 'true' }, { realDefaultPolicy: true });
  });
  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
  });

  it('changes the password to a fresh policy-conforming one when it is checked in', async () => {
    const { users, accountId, resourceId, passwordPath } = await setUp(server);
    ok(
      await users.rita!.call(`${V1}/accounts/${accountId}/requestpassword`, {
        method: 'POST',
        input: details({ REASON: 'reset' }),
      }),
    );
    ok(
      await users.adam!.call(`${V1}/accounts/${accountId}/requester/${users.rita!.id}/approve`, {
        method: 'POST',
      }),
    );
    ok(await users.rita!.call(`${V1}/accounts/${accountId}/checkout`, { method: 'POST' }));
    const seen = ok(await users.rita!.call(passwordPath)).details.PASSWORD as string;
    expect(seen).toBe(ENABLE_PASSWORD);
    ok(
      await users.rita!.call(`${V1}/accounts/${accountId}/requester/${users.rita!.id}/checkin`, {
        method: 'POST',
      }),
    );

    const fresh = ok(await users.olivia!.call(passwordPath)).details.PASSWORD as string;
    expect(fresh).not.toBe(seen);
    const details3 = ok(
      await users.olivia!.call(`${V1}/resources/${resourceId}/accounts/${accountId}`),
    ).details;
    const valid = await users.olivia!.call(`${V1}/passwords/validate`, {
      method: 'POST',
      input: { operation: { details: { password: fresh, passwordPolicy: details3['PASSWORD POLICY'] } } },
    });
    expect(valid.status, valid.message).toBe('Success');
    // The old password went to the history; the change is audited.
    const history = ok(
      await users.olivia!.call(`${V1}/resources/${resourceId}/accounts/${accountId}/passwordhistory`),
    );
    expect(JSON.stringify(history.details)).toContain(ENABLE_PASSWORD);
    const audit = ok(
      await pmpClient(server.baseUrl, server.token)(`${V1}/audit`, { query: { LIMIT: '50' } }),
    );
    const change = audit.details.find(
      (r: any) => r.OPERATIONTYPE === 'Password Changed' && r.REASON === 'Reset on check-in',
    );
    expect(change).toMatchObject({ OPERATEDBY: 'rita', ACCOUNTNAME: 'enable' });
  });
});
