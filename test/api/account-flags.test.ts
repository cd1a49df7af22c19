/**
 * Account retrieval controls (ISREASONREQUIRED, IS_TICKETID_REQD, IS_TICKETID_REQD_MANDATORY,
 * ACCESS_CONTROL) over a real port, on both dialects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { details, pmpClient, type PmpAnswer } from '../helpers/client.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';

const V1 = '/restapi/json/v1';
const CONTROLS = [
  'ISREASONREQUIRED',
  'IS_TICKETID_REQD',
  'IS_TICKETID_REQD_MANDATORY',
  'ACCESS_CONTROL',
] as const;

function ok(answer: PmpAnswer): PmpAnswer {
  expect(answer.http.status).toBe(200);
  expect(answer.status, answer.message).toBe('Success');
  return answer;
}

function failed(answer: PmpAnswer): PmpAnswer {
  expect(answer.http.status).toBe(200);
  expect(answer.status, answer.message).toBe('Failed');
  return answer;
}

describe.each(dialects())('account flags on %s', (dialect) => {
  let server: RunningServer;
  let call: ReturnType<typeof pmpClient>;

  beforeAll(async () => {
    server = await startServer(dialect);
    call = pmpClient(server.baseUrl, server.token);
  });
  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
  });

  async function create(name: string, fields: Record<string, unknown> = {}) {
    const answer = ok(
      await call(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: name,
          RESOURCETYPE: 'Linux',
          ACCOUNTNAME: 'root',
          PASSWORD: 'S3cret!',
          ...fields,
        }),
      }),
    );
    return { rid: answer.details.RESOURCEID as string, aid: answer.details.ACCOUNTID as string };
  }

  async function listEntry(rid: string, aid: string) {
    const list = ok(await call(`${V1}/resources/${rid}/accounts`));
    return list.details['ACCOUNT LIST'].find((a: any) => a['ACCOUNT ID'] === aid);
  }

  async function accountDetails(rid: string, aid: string) {
    return ok(await call(`${V1}/resources/${rid}/accounts/${aid}`)).details;
  }

  it('a new account has every control off, in the list (2) and the details (3)', async () => {
    const { rid, aid } = await create('flags-default');
    const entry = await listEntry(rid, aid);
    const d = await accountDetails(rid, aid);
    for (const flag of CONTROLS) {
      expect(entry[flag], flag).toBe('false');
      expect(d[flag], flag).toBe('false');
    }
  });

  it('create resource (6) takes the controls of its first account', async () => {
    const { rid, aid } = await create('flags-create', {
      ISREASONREQUIRED: 'true',
      IS_TICKETID_REQD: 'true',
      IS_TICKETID_REQD_MANDATORY: 'false',
      ACCESS_CONTROL: true,
    });
    expect(await listEntry(rid, aid)).toMatchObject({
      ISREASONREQUIRED: 'true',
      IS_TICKETID_REQD: 'true',
      IS_TICKETID_REQD_MANDATORY: 'false',
      ACCESS_CONTROL: 'true',
    });
  });

  it('add accounts (21) and edit account (22) set and clear them', async () => {
    const { rid } = await create('flags-edit');
    const added = ok(
      await call(`${V1}/resources/${rid}/accounts`, {
        method: 'POST',
        input: details({
          ACCOUNTLIST: [{ ACCOUNTNAME: 'svc', PASSWORD: 'p', IS_TICKETID_REQD_MANDATORY: 'true' }],
        }),
      }),
    );
    const aid = added.details[0].svc.ACCOUNTID as string;
    expect(await listEntry(rid, aid)).toMatchObject({
      ISREASONREQUIRED: 'false',
      IS_TICKETID_REQD_MANDATORY: 'true',
    });

    ok(
      await call(`${V1}/resources/${rid}/accounts/${aid}`, {
        method: 'PUT',
        input: details({
          ISREASONREQUIRED: 'true',
          IS_TICKETID_REQD_MANDATORY: 'false',
          ACCESS_CONTROL: 'true',
        }),
      }),
    );
    expect(await accountDetails(rid, aid)).toMatchObject({
      ISREASONREQUIRED: 'true',
      IS_TICKETID_REQD: 'false',
      IS_TICKETID_REQD_MANDATORY: 'false',
      ACCESS_CONTROL: 'true',
      // other fields untouched
      'ACCOUNT NAME': 'svc',
    });
  });

  it('an invalid flag value is a clear Failed and changes nothing', async () => {
    const { rid, aid } = await create('flags-bad', { ISREASONREQUIRED: 'true' });
    const answer = failed(
      await call(`${V1}/resources/${rid}/accounts/${aid}`, {
        method: 'PUT',
        input: details({ ISREASONREQUIRED: 'false', ACCESS_CONTROL: 'maybe', NOTES: 'changed' }),
      }),
    );
    expect(answer.message).toContain('ACCESS_CONTROL must be "true" or "false"');
    const d = await accountDetails(rid, aid);
    expect(d).toMatchObject({ ISREASONREQUIRED: 'true', ACCESS_CONTROL: 'false', NOTES: 'N/A' });

    const refused = failed(
      await call(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: 'flags-bad-create',
          RESOURCETYPE: 'Linux',
          ACCOUNTNAME: 'root',
          PASSWORD: 'x',
          IS_TICKETID_REQD: 'sometimes',
        }),
      }),
    );
    expect(refused.message).toContain('IS_TICKETID_REQD must be "true" or "false"');
    const list = ok(await call(`${V1}/resources`));
    expect(list.details.map((r: any) => r['RESOURCE NAME'])).not.toContain('flags-bad-create');
  });
});
