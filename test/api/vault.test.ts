import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { details, pmpClient } from '../helpers/client.js';
import { expectSuccess } from '../helpers/expect-pmp.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';

describe.each(dialects())('vault over HTTPS on %s', (dialect) => {
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

  const createResource = (fields: Record<string, unknown>) =>
    call('/restapi/json/v1/resources', { method: 'POST', input: details(fields) });

  it('creates a resource with an account and returns both IDs', async () => {
    const answer = expectSuccess(
      await createResource({
        RESOURCENAME: 'CentOS Machine',
        ACCOUNTNAME: 'root',
        RESOURCETYPE: 'Linux',
        PASSWORD: 'Fq+x&d%B7=d\'e"d@4é',
        DNSNAME: 'centos-1.example.test',
        RESOURCEDESCRIPTION: 'CentOS build host',
        DEPARTMENT: 'Ops',
        LOCATION: 'Level 10',
        RESOURCEURL: 'https://centos-1/',
        NOTES: 'root account',
        RESOURCEPASSWORDPOLICY: 'Strong',
        RESOURCECUSTOMFIELD: [
          { CUSTOMLABEL: 'License No', CUSTOMVALUE: '78336298', CUSTOMTYPE: 'Numeric' },
          { CUSTOMLABEL: 'Resource Password', CUSTOMVALUE: 'Tese123$*%%', CUSTOMTYPE: 'Password' },
        ],
        ACCOUNTCUSTOMFIELD: [{ CUSTOMLABEL: 'Secure Account', CUSTOMVALUE: 'YES' }],
      }),
    );
    expect(answer.name).toBe('CREATE RESOURCE');
    expect(answer.message).toBe('Resource CentOS Machine has been added successfully');
    expect(answer.details.RESOURCEID).toMatch(/^\d+$/);
    expect(answer.details.ACCOUNTID).toMatch(/^\d+$/);
  });

  it('lists, details and retrieves the password byte for byte', async () => {
    const list = expectSuccess(await call('/restapi/json/v1/resources'));
    const resource = list.details.find((r: any) => r['RESOURCE NAME'] === 'CentOS Machine');
    expect(resource).toMatchObject({
      'RESOURCE TYPE': 'Linux',
      NOOFACCOUNTS: '1',
      'RESOURCE DESCRIPTION': 'CentOS build host',
    });
    expect(list.totalRows).toBe(list.details.length);

    const accounts = expectSuccess(
      await call(`/restapi/json/v1/resources/${resource['RESOURCE ID']}/accounts`),
    );
    expect(accounts.details).toMatchObject({
      'RESOURCE NAME': 'CentOS Machine',
      'DNS NAME': 'centos-1.example.test',
      DEPARTMENT: 'Ops',
      LOCATION: 'Level 10',
      'RESOURCE URL': 'https://centos-1/',
      'RESOURCE OWNER': 'admin',
      'PASSWORD POLICY': 'Strong',
    });
    expect(accounts.details['CUSTOM FIELD']).toEqual([
      {
        CUSTOMFIELDVALUE: '78336298',
        CUSTOMFIELDTYPE: 'Numeric',
        CUSTOMFIELDLABEL: 'License No',
        CUSTOMFIELDCOLUMNNAME: 'COLUMN_LONG1',
      },
      {
        CUSTOMFIELDVALUE: 'Tese123$*%%',
        CUSTOMFIELDTYPE: 'Password',
        CUSTOMFIELDLABEL: 'Resource Password',
        CUSTOMFIELDCOLUMNNAME: 'COLUMN_SCHAR1',
      },
    ]);
    const account = accounts.details['ACCOUNT LIST'][0];
    expect(account).toMatchObject({ 'ACCOUNT NAME': 'root', 'PASSWORD STATUS': '*****', ISFAVPASS: 'false' });
    expect(account.PASSWDID).toBe(account['ACCOUNT ID']);

    const path = `/restapi/json/v1/resources/${resource['RESOURCE ID']}/accounts/${account['ACCOUNT ID']}`;
    const detail = expectSuccess(await call(path));
    expect(detail.name).toBe('GET RESOURCE ACCOUNT DETAILS');
    expect(detail.details).toMatchObject({
      NOTES: 'root account',
      'PASSWORD STATUS': '*****',
      'LAST ACCESSED TIME': 'N/A',
    });

    const password = expectSuccess(await call(`${path}/password`));
    expect(password.message).toBe('Password fetched successfully');
    expect(password.details.PASSWORD).toBe('Fq+x&d%B7=d\'e"d@4é');

    const after = expectSuccess(await call(path));
    expect(after.details['LAST ACCESSED TIME']).not.toBe('N/A');
  });

  it('changes the password locally and keeps the old one in the history', async () => {
    const ids = expectSuccess(
      await call('/restapi/json/v1/resources/getResourceIdAccountId', {
        query: { RESOURCENAME: 'CentOS Machine', ACCOUNTNAME: 'root' },
      }),
    ).details;
    const path = `/restapi/json/v1/resources/${ids.RESOURCEID}/accounts/${ids.ACCOUNTID}/password`;
    const change = expectSuccess(
      await call(path, {
        method: 'PUT',
        input: details({
          NEWPASSWORD: 'N3w+P&ss=%20日本',
          RESETTYPE: 'LOCAL',
          REASON: 'Password Expired',
          TICKETID: '7',
        }),
      }),
    );
    expect(change.name).toBe('CHANGE PASSWORD');
    expect(change.message).toBe('Password changed successfully');
    expect((await call(path)).details.PASSWORD).toBe('N3w+P&ss=%20日本');

    const remote = await call(path, {
      method: 'PUT',
      input: details({ NEWPASSWORD: 'x', RESETTYPE: 'REMOTE' }),
    });
    expect(remote.status).toBe('Failed');
    expect(remote.message).toMatch(/remote password reset/i);
    expect((await call(path)).details.PASSWORD).toBe('N3w+P&ss=%20日本');
  });
});
