/**
 * Issue 11, holes 1 and 4 (and the input half of hole 3), reproduced exactly over a real port on
 * both dialects, and what keeps them closed (ADR 016):
 * - a multipart body that ends early, with and without a token, answers a PMP Failed and the
 *   process stays alive and answering (it used to exit on an unhandled FileStream 'error');
 * - the body is read only after authentication: a token in the body is not a token, an
 *   unauthenticated request with a body is answered and its connection closed;
 * - INPUT_DATA with a lone surrogate is refused (40007) before it reaches a record;
 * - caller strings that are names of Object.prototype, and objects where lists of ids belong,
 *   get a clear Failed, never HTTP 500.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiUser, type Actor } from '../helpers/actors.js';
import { details, parsePmp, pmpClient, rawRequest, type PmpAnswer } from '../helpers/client.js';
import { expectFailed, expectSuccess } from '../helpers/expect-pmp.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';

const V1 = '/restapi/json/v1';
/** The body of the report: a file part that never ends. */
const TRUNCATED_MULTIPART = '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nAAAA';
const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];

describe.each(dialects())('input holes of issue 11 on %s', (dialect) => {
  let server: RunningServer;
  let admin: ReturnType<typeof pmpClient>;
  let user: Actor;
  let resourceId: string;
  let accountId: string;
  let groupId: string;

  beforeAll(async () => {
    server = await startServer(dialect);
    admin = pmpClient(server.baseUrl, server.token);
    user = await createApiUser(server, 'holes-user', 'Password User');
    const created = expectSuccess(
      await admin(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: 'holes-host',
          RESOURCETYPE: 'Linux',
          ACCOUNTNAME: 'root',
          PASSWORD: 'x',
        }),
      }),
    );
    resourceId = String(created.details.RESOURCEID);
    accountId = String(created.details.ACCOUNTID);
    const group = expectSuccess(
      await admin(`${V1}/resourcegroup`, {
        method: 'POST',
        input: details({ GROUPNAME: 'holes-static', GROUPTYPE: 'STATIC' }),
      }),
    );
    groupId = String(group.details.RESOURCEGROUPID);
  });

  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
  });

  const alive = async () => {
    expect(server.process.exitCode).toBeNull();
    expect(server.process.signalCode).toBeNull();
    expectSuccess(await admin(`${V1}/resources/resourcetypes`), 'GET RESOURCE TYPES');
  };

  const multipartPost = (headers: Record<string, string>, body = TRUNCATED_MULTIPART) =>
    rawRequest(server.baseUrl, {
      method: 'POST',
      path: `${V1}/resources`,
      headers: { 'Content-Type': 'multipart/form-data; boundary=XyZ', ...headers },
      body,
    });

  describe('hole 1: a multipart body that ends early', () => {
    it('without a token: authentication is answered, the body is not parsed, the server lives', async () => {
      const http = await multipartPost({});
      const answer = expectFailed(parsePmp(http), /No API key was sent/, 'Authentication');
      expect(answer.statusCode).toBe(40100);
      expect(http.headers.connection).toBe('close');
      // The crash came about a second after the answer.
      await sleep(1500);
      await alive();
    });

    it('with a token: a Failed 40007 naming the problem, and the server lives', async () => {
      const answer = expectFailed(
        parsePmp(await multipartPost({ AUTHTOKEN: server.token })),
        /multipart\/form-data body cannot be read: Unexpected end of form/,
        'CREATE RESOURCE',
      );
      expect(answer.statusCode).toBe(40007);
      await sleep(1500);
      await alive();
    });

    it('ending inside a field, a part header or the first boundary: 40007 each time', async () => {
      const bodies = [
        '--XyZ\r\nContent-Disposition: form-data; name="INPUT_DATA"\r\n\r\n{"operation":{}}',
        '--XyZ\r\nContent-Disposition: form-da',
        '--Xy',
        `${TRUNCATED_MULTIPART}\r\n--XyZ`,
      ];
      for (const body of bodies) {
        const answer = expectFailed(parsePmp(await multipartPost({ AUTHTOKEN: server.token }, body)));
        expect(answer.statusCode, body).toBe(40007);
      }
      await alive();
      expect(server.output()).not.toMatch(/Unexpected end of form|internal error/);
    });
  });

  describe('the body is read only after authentication', () => {
    it('a token in a urlencoded body is not a token (headers and query only, compat.md)', async () => {
      const http = await rawRequest(server.baseUrl, {
        method: 'POST',
        path: `${V1}/resources`,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `AUTHTOKEN=${server.token}&INPUT_DATA=${encodeURIComponent(JSON.stringify(details({ RESOURCENAME: 'body-token' })))}`,
      });
      expectFailed(parsePmp(http), /No API key was sent/, 'Authentication');
      expect(http.headers.connection).toBe('close');
    });

    it('a wrong token with a large body: answered, connection closed, nothing created', async () => {
      const body = `INPUT_DATA=${encodeURIComponent(JSON.stringify(details({ RESOURCENAME: 'never' })))}&PAD=${'x'.repeat(2_000_000)}`;
      const http = await rawRequest(server.baseUrl, {
        method: 'POST',
        path: `${V1}/resources`,
        headers: { AUTHTOKEN: 'ABCDEF01-2345-6789-ABCD-EF0123456789', 'Content-Type': 'text/json' },
        body,
        chunked: true,
      });
      expectFailed(parsePmp(http), /Authentication failed/, 'Authentication');
      expect(http.headers.connection).toBe('close');
      const names = ((await admin(`${V1}/resources`)).details ?? []).map((r: any) => r['RESOURCE NAME']);
      expect(names).not.toContain('never');
    });

    it('the query token still works with a body, and the body is then read', async () => {
      const answer = await rawRequest(server.baseUrl, {
        method: 'GET',
        path: `${V1}/resources/${resourceId}/accounts/${accountId}/password?AUTHTOKEN=${server.token}`,
        headers: { 'Content-Type': 'text/json' },
        body: `INPUT_DATA=${encodeURIComponent(JSON.stringify(details({ REASON: 'body after auth' })))}`,
      });
      const pmp = expectSuccess(parsePmp(answer), 'GET PASSWORD');
      expect(pmp.details.PASSWORD).toBe('x');
    });
  });

  describe('hole 3 (input half): text that is not valid Unicode is refused', () => {
    it.each([
      ['REASON of GET PASSWORD', () => passwordWith('{"operation":{"Details":{"REASON":"\\ud800"}}}')],
      ['a low surrogate alone', () => passwordWith('{"operation":{"Details":{"REASON":"x\\udc00y"}}}')],
      ['a key', () => passwordWith('{"operation":{"Details":{"\\ud800":"x"}}}')],
    ])('%s: Failed 40007', async (_what, send) => {
      const answer = expectFailed(await send(), /not valid Unicode/, 'GET PASSWORD');
      expect(answer.statusCode).toBe(40007);
    });

    it('RESOURCEDESCRIPTION of CREATE RESOURCE: Failed 40007, nothing created', async () => {
      const http = await rawRequest(server.baseUrl, {
        method: 'POST',
        path: `${V1}/resources`,
        headers: { AUTHTOKEN: server.token, 'Content-Type': 'application/json' },
        body: '{"operation":{"Details":{"RESOURCENAME":"lone-surrogate","RESOURCETYPE":"Linux","ACCOUNTNAME":"a","PASSWORD":"x","RESOURCEDESCRIPTION":"\\ud800"}}}',
      });
      const answer = expectFailed(
        parsePmp(http),
        /RESOURCEDESCRIPTION is not valid Unicode/,
        'CREATE RESOURCE',
      );
      expect(answer.statusCode).toBe(40007);
      expectFailed(await admin(`${V1}/resources/resourcename/lone-surrogate`));
    });

    it('a body that is not UTF-8: Failed 40007', async () => {
      const http = await rawRequest(server.baseUrl, {
        method: 'POST',
        path: `${V1}/resources`,
        headers: { AUTHTOKEN: server.token, 'Content-Type': 'text/json' },
        body: Buffer.concat([
          Buffer.from('INPUT_DATA={"operation":{"Details":{"RESOURCENAME":"'),
          Buffer.from([0xc3, 0x28]),
          Buffer.from('"}}}'),
        ]),
      });
      expect(expectFailed(parsePmp(http)).statusCode).toBe(40007);
    });

    it('a surrogate pair is text like any other', async () => {
      const answer = await passwordWith('{"operation":{"Details":{"REASON":"\\ud83d\\ude00 emoji"}}}');
      expectSuccess(answer, 'GET PASSWORD');
    });

    const passwordWith = async (json: string): Promise<PmpAnswer> =>
      parsePmp(
        await rawRequest(server.baseUrl, {
          method: 'GET',
          path: `${V1}/resources/${resourceId}/accounts/${accountId}/password`,
          headers: { AUTHTOKEN: server.token, 'Content-Type': 'application/json' },
          body: json,
        }),
      );
  });

  describe('hole 4: badly typed input gets a clear Failed, never HTTP 500', () => {
    it.each(PROTOTYPE_NAMES)('ACCESSTYPE %s on a resource share', async (name) => {
      const answer = expectFailed(
        await admin(`${V1}/resources/${resourceId}/share`, {
          method: 'PUT',
          input: details({ ACCESSTYPE: name, USERID: user.id }),
        }),
        /ACCESSTYPE must be one of view, modify, fullaccess, revoke/,
      );
      expect(answer.statusCode).toBe(40001);
    });

    it.each(PROTOTYPE_NAMES)(
      'ACCESSTYPE %s on an account share and accessType on a group share',
      async (name) => {
        expectFailed(
          await admin(`${V1}/resources/${resourceId}/accounts/${accountId}/share`, {
            method: 'PUT',
            input: details({ ACCESSTYPE: name, USERID: user.id }),
          }),
          /ACCESSTYPE must be one of/,
        );
        expectFailed(
          await admin(`${V1}/resourcegroup/share`, {
            method: 'PUT',
            input: details({ resourceGroupIds: [groupId], userIds: [user.id], accessType: name }),
          }),
          /accessType must be one of/,
        );
      },
    );

    it.each(PROTOTYPE_NAMES)('%s as a criterion, an operator and a search column', async (name) => {
      expectFailed(
        await admin(`${V1}/resourcegroup`, {
          method: 'POST',
          input: details({
            GROUPNAME: `dyn-${name}`,
            GROUPTYPE: 'DYNAMIC',
            NoOfCriteria: 1,
            condition_1: name,
            operator_1: 'EQUALS',
            valuefield_1: 'x',
          }),
        }),
        /unknown condition/,
      );
      expectFailed(
        await admin(`${V1}/resourcegroup`, {
          method: 'POST',
          input: details({
            GROUPNAME: `dyn-op-${name}`,
            GROUPTYPE: 'DYNAMIC',
            NoOfCriteria: 1,
            condition_1: 'RESOURCENAME',
            operator_1: name,
            valuefield_1: 'x',
          }),
        }),
        /unknown operator/,
      );
      expectFailed(
        await admin(`${V1}/resources`, {
          input: details({ SEARCHCOLUMN: name, SEARCHVALUE: 'x', SEARCHTYPE: 'RESOURCE' }),
        }),
        /SEARCHCOLUMN must be one of/,
      );
    });

    it('{"userGroupIds":{}} on DELETE /userGroup', async () => {
      const answer = expectFailed(
        await admin(`${V1}/userGroup`, { method: 'DELETE', input: details({ userGroupIds: {} }) }),
        /userGroupIds must be a list of user group IDs/,
        'DELETE_USERGROUP',
      );
      expect(answer.statusCode).toBe(40005);
    });

    it('{"USERIDS":{"a":"b"}} on the approvers endpoint and on removeUserFromUserGroup', async () => {
      const approvers = expectFailed(
        await admin(`${V1}/accounts/${accountId}/approvers`, {
          method: 'PUT',
          input: details({ USERIDS: { a: 'b' } }),
        }),
        /USERIDS must be a list of user IDs/,
        'SET_ACCOUNT_APPROVERS',
      );
      expect(approvers.statusCode).toBe(40005);
      expectFailed(
        await admin(`${V1}/user/removeUserFromUserGroup`, {
          method: 'POST',
          input: details({ USERIDS: { a: 'b' }, USERGROUPIDS: [1] }),
        }),
        /USERIDS must be a list of user IDs/,
      );
      expectFailed(
        await admin(`${V1}/accounts/${accountId}/approvers`, {
          method: 'PUT',
          input: details({ USERIDS: [{ a: 'b' }] }),
        }),
        /not an object/,
      );
    });

    it('an account named __proto__ is an entry of the ADD ACCOUNTS answer like any other', async () => {
      const answer = expectSuccess(
        await admin(`${V1}/resources/${resourceId}/accounts`, {
          method: 'POST',
          input: details({ ACCOUNTLIST: [{ ACCOUNTNAME: '__proto__', PASSWORD: 'x' }] }),
        }),
        'ADD ACCOUNTS',
      );
      expect(Object.keys(answer.details[0] as object)).toEqual(['__proto__']);
      expect(answer.http.text).toContain('"__proto__":{"STATUS":"Account added successfully"');
    });

    it('the same change sent eight times at once: Success or a conflict, never HTTP 500 (found by the fuzz)', async () => {
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          i % 2 === 0
            ? admin(`${V1}/accounts/${accountId}/approvers`, {
                method: 'PUT',
                input: details({ USERIDS: [user.id] }),
              })
            : admin(`${V1}/resourcegroup/${groupId}/associateResources`, {
                method: 'POST',
                input: details({ RESOURCEIDS: [resourceId] }),
              }),
        ),
      );
      for (const answer of answers) {
        expect(answer.http.status, answer.message).toBe(200);
        if (answer.status !== 'Success') expect(answer.statusCode, answer.message).toBeLessThan(50000);
      }
    });

    it('logged no internal error', () => {
      expect(server.output()).not.toMatch(/internal error/);
    });
  });
});
