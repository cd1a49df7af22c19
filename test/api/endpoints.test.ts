import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePmp, rawRequest, type PmpAnswer, type RawRequest } from '../helpers/client.js';
import { expectFailed, expectSuccess } from '../helpers/expect-pmp.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';

/**
 * Endpoints 1–9, 18–22, 55 and 78 of the API document: behaviour, answer shapes and the exact
 * operation names and messages clients match on.
 */

const V1 = '/restapi/json/v1';
/** "Sep 10, 2013 3:33 PM" */
const PMP_DATE = /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{1,2}, \d{4} \d{1,2}:\d{2} (AM|PM)$/;
/** "2019-01-03 14:51:06.666" */
const AUDIT_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/;
const ID = /^\d+$/;

const FLAGS = [
  'RECORD_RDP_SESSIONS',
  'RECORD_CLI_SESSIONS',
  'DISABLE_PASSWORD_RESETS',
  'CONFIGURE_PASSWORD_RESET',
  'IIS_WEB_CONFIG_RESET',
  'IIS_APP_POOL_RESTART',
  'IIS_APP_POOL_RESET',
  'SERVICES_RESTART',
  'SERVICES_RESET',
  'SCHEDULED_TASK_RESET',
] as const;

/** The zone the server renders times in: it inherits this process's environment. */
const SERVER_ZONE = process.env.BULWARK_TIMEZONE || Intl.DateTimeFormat().resolvedOptions().timeZone;

/** Today's date in the server's zone, as audit records ("2026-11-23") and details ("Nov 23, 2026") show it. */
function today(): { audit: string; pmp: string } {
  const now = new Date();
  return {
    audit: new Intl.DateTimeFormat('en-CA', {
      timeZone: SERVER_ZONE,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    }).format(now),
    pmp: new Intl.DateTimeFormat('en-US', {
      timeZone: SERVER_ZONE,
      year: 'numeric',
      month: 'short',
      day: 'numeric',
    }).format(now),
  };
}

type Input = { operation: { Details: Record<string, unknown> } };
type Ids = { rid: string; aid: string };

function details(fields: Record<string, unknown>): Input {
  return { operation: { Details: fields } };
}

function multipart(parts: readonly { name: string; value: string | Buffer; fileName?: string }[]): {
  contentType: string;
  body: Buffer;
} {
  const boundary = `----BulwarkBoundary${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.fileName !== undefined)
      head += `; filename="${part.fileName}"\r\nContent-Type: application/octet-stream`;
    chunks.push(Buffer.from(`${head}\r\n\r\n`, 'utf8'));
    chunks.push(typeof part.value === 'string' ? Buffer.from(part.value, 'utf8') : part.value);
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat(chunks) };
}

describe.each(dialects())('PMP endpoints on %s', (dialect) => {
  let server: RunningServer;
  let token: string;
  /** Two static resource groups standing in for the document's ACCOUNT_RESOURCE_GROUP_IDS 3002, 3003. */
  let sampleGroups: string[];

  beforeAll(async () => {
    server = await startServer(dialect);
    token = server.token;
    sampleGroups = [];
    for (const name of ['Group 3002', 'Group 3003']) {
      const created = await call(
        'POST',
        `${V1}/resourcegroup`,
        details({ GROUPNAME: name, GROUPTYPE: 'STATIC' }),
      );
      expect(created.status, created.message).toBe('Success');
      sampleGroups.push(String(created.details.RESOURCEGROUPID));
    }
  });
  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
  });

  const send = async (request: RawRequest): Promise<PmpAnswer> =>
    parsePmp(await rawRequest(server.baseUrl, request));

  /** The documented shape: AUTHTOKEN header, INPUT_DATA url-encoded in a text/json body. */
  const call = (method: string, target: string, input?: Input): Promise<PmpAnswer> =>
    send({
      method,
      path: target,
      headers: input === undefined ? { AUTHTOKEN: token } : { AUTHTOKEN: token, 'Content-Type': 'text/json' },
      ...(input === undefined ? {} : { body: `INPUT_DATA=${encodeURIComponent(JSON.stringify(input))}` }),
    });

  async function create(fields: Record<string, unknown>): Promise<Ids> {
    const answer = expectSuccess(await call('POST', `${V1}/resources`, details(fields)), 'CREATE RESOURCE');
    return { rid: answer.details.RESOURCEID, aid: answer.details.ACCOUNTID };
  }

  async function addAccounts(
    rid: string,
    accounts: Record<string, unknown>[],
  ): Promise<Record<string, string>> {
    const answer = expectSuccess(
      await call('POST', `${V1}/resources/${rid}/accounts`, details({ ACCOUNTLIST: accounts })),
      'ADD ACCOUNTS',
    );
    const ids: Record<string, string> = {};
    for (const [name, outcome] of Object.entries(answer.details[0] as Record<string, any>))
      ids[name] = outcome.ACCOUNTID;
    return ids;
  }

  const accountPath = (ids: Ids) => `${V1}/resources/${ids.rid}/accounts/${ids.aid}`;

  async function resourceDetails(rid: string): Promise<any> {
    return expectSuccess(await call('GET', `${V1}/resources/${rid}/accounts`), 'GET RESOURCE ACCOUNTLIST')
      .details;
  }

  async function accountDetails(ids: Ids): Promise<any> {
    return expectSuccess(await call('GET', accountPath(ids)), 'GET RESOURCE ACCOUNT DETAILS').details;
  }

  async function passwordOf(ids: Ids, input?: Input): Promise<string> {
    return expectSuccess(await call('GET', `${accountPath(ids)}/password`, input), 'GET PASSWORD').details
      .PASSWORD;
  }

  async function listResources(): Promise<any[]> {
    return expectSuccess(await call('GET', `${V1}/resources`), 'GET RESOURCES').details ?? [];
  }

  async function audit(query: string): Promise<PmpAnswer> {
    return expectSuccess(await call('GET', `${V1}/audit?${query}`), 'GET_AUDIT');
  }

  async function resourceAudit(): Promise<any[]> {
    return (await audit('AUDITTYPE=Resource&STARTINDEX=1&LIMIT=1000&DURATION=ALL')).details ?? [];
  }

  // ---- 1 ---------------------------------------------------------------------------------

  describe('1 GET RESOURCES', () => {
    it('on an empty vault answers totalRows 0 and no Details', async () => {
      const answer = expectSuccess(await call('GET', `${V1}/resources`), 'GET RESOURCES');
      expect(answer.message).toBe('Resources fetched successfully');
      expect(answer.totalRows).toBe(0);
      expect(answer.raw.operation).not.toHaveProperty('Details');
    });

    it('lists every resource with its type, description and number of accounts; totalRows counts them', async () => {
      const before = (await listResources()).length;
      const alpha = await create({
        RESOURCENAME: 'list alpha',
        ACCOUNTNAME: 'root',
        RESOURCETYPE: 'Linux',
        PASSWORD: 'a1',
        RESOURCEDESCRIPTION: 'Alpha host',
        DNSNAME: 'alpha.example.test',
      });
      await addAccounts(alpha.rid, [
        { ACCOUNTNAME: 'oracle', PASSWORD: 'a2' },
        { ACCOUNTNAME: 'backup', PASSWORD: 'a3' },
      ]);
      const beta = await create({
        RESOURCENAME: 'list beta',
        ACCOUNTNAME: 'sa',
        RESOURCETYPE: 'MS SQL server',
        PASSWORD: 'b1',
      });

      const answer = expectSuccess(await call('GET', `${V1}/resources`), 'GET RESOURCES');
      expect(answer.message).toBe('Resources fetched successfully');
      expect(answer.totalRows).toBe(before + 2);
      expect(answer.totalRows).toBe(answer.details.length);
      const byName = new Map(answer.details.map((r: any) => [r['RESOURCE NAME'], r]));
      expect(byName.get('list alpha')).toEqual({
        'RESOURCE DESCRIPTION': 'Alpha host',
        'RESOURCE NAME': 'list alpha',
        'RESOURCE ID': alpha.rid,
        'RESOURCE TYPE': 'Linux',
        'DNS NAME': 'alpha.example.test',
        NOOFACCOUNTS: '3',
      });
      expect(byName.get('list beta')).toMatchObject({
        'RESOURCE DESCRIPTION': 'N/A',
        'RESOURCE ID': beta.rid,
        'RESOURCE TYPE': 'MS SQL server',
        NOOFACCOUNTS: '1',
      });
    });

    it('searches by other columns, and takes % and _ in SEARCHVALUE literally', async () => {
      await create({
        RESOURCENAME: 'search 50% off',
        ACCOUNTNAME: 'root',
        RESOURCETYPE: 'Linux',
        PASSWORD: 'x',
        DNSNAME: 'discount.example.test',
      });
      await create({
        RESOURCENAME: 'search 500 off',
        ACCOUNTNAME: 'root',
        RESOURCETYPE: 'Linux',
        PASSWORD: 'x',
      });
      const search = async (column: string, value: string) =>
        expectSuccess(
          await call(
            'GET',
            `${V1}/resources?INPUT_DATA=${encodeURIComponent(
              JSON.stringify(details({ SEARCHCOLUMN: column, SEARCHVALUE: value, SEARCHTYPE: 'RESOURCE' })),
            )}`,
          ),
          'GET RESOURCES',
        );
      const percent = await search('RESOURCENAME', '50%');
      expect(percent.details.map((r: any) => r['RESOURCE NAME'])).toEqual(['search 50% off']);
      const underscore = await search('RESOURCENAME', 'search 50_');
      expect(underscore.totalRows).toBe(0);
      expect(underscore.raw.operation).not.toHaveProperty('Details');
      const dns = await search('DNSNAME', 'DISCOUNT');
      expect(dns.details.map((r: any) => r['RESOURCE NAME'])).toEqual(['search 50% off']);
    });
  });

  // ---- 2 ---------------------------------------------------------------------------------

  describe('2 GET RESOURCE ACCOUNTLIST', () => {
    let ids: Ids;
    let systemId: string;

    beforeAll(async () => {
      ids = await create({
        RESOURCENAME: 'MSSQL server',
        ACCOUNTNAME: 'sysdba',
        RESOURCETYPE: 'MS SQL server',
        PASSWORD: 'Sysdba#1',
        RESOURCEDESCRIPTION: 'WebLogic Data source password',
        DNSNAME: 'sqlserver-1',
        DEPARTMENT: 'SQL Server DBA',
        LOCATION: 'Level 10',
        RESOURCEURL: 'http://sqlserver-1/',
        RESOURCEPASSWORDPOLICY: 'Strong',
        RESOURCECUSTOMFIELD: [
          { CUSTOMLABEL: 'Secure Resource', CUSTOMVALUE: 'YES' },
          { CUSTOMLABEL: 'License No', CUSTOMVALUE: '78336298', CUSTOMTYPE: 'Numeric' },
          { CUSTOMLABEL: 'Installed Date', CUSTOMVALUE: 'Sep 10, 2013', CUSTOMTYPE: 'Date' },
          { CUSTOMLABEL: 'Resource Password', CUSTOMVALUE: 'Tese123$*%%', CUSTOMTYPE: 'Password' },
          { CUSTOMLABEL: 'Rack', CUSTOMVALUE: 'B7', CUSTOMTYPE: 'Character' },
          { CUSTOMLABEL: 'Warranty End', CUSTOMVALUE: '2027-01-31', CUSTOMTYPE: 'Date' },
          { CUSTOMLABEL: 'Asset Tag', CUSTOMVALUE: '4711', CUSTOMTYPE: 'Numeric' },
          { CUSTOMLABEL: 'Console Password', CUSTOMVALUE: 'p@ss w0rd', CUSTOMTYPE: 'Password' },
        ],
      });
      systemId = (await addAccounts(ids.rid, [{ ACCOUNTNAME: 'system', PASSWORD: 'Sys7em#1q' }])).system!;
    });

    it('answers every resource field, the additional fields and the account list', async () => {
      const answer = expectSuccess(
        await call('GET', `${V1}/resources/${ids.rid}/accounts`),
        'GET RESOURCE ACCOUNTLIST',
      );
      expect(answer.message).toBe('Resource details with account list fetched successfully');
      expect(answer.totalRows).toBe(2);
      const { 'ACCOUNT LIST': accounts, 'CUSTOM FIELD': custom, ...resource } = answer.details;
      expect(resource).toEqual({
        'RESOURCE ID': ids.rid,
        'RESOURCE NAME': 'MSSQL server',
        'RESOURCE DESCRIPTION': 'WebLogic Data source password',
        'RESOURCE TYPE': 'MS SQL server',
        'DNS NAME': 'sqlserver-1',
        'PASSWORD POLICY': 'Strong',
        DEPARTMENT: 'SQL Server DBA',
        LOCATION: 'Level 10',
        'RESOURCE URL': 'http://sqlserver-1/',
        'RESOURCE OWNER': 'admin',
      });
      expect(
        [...accounts].sort((a: any, b: any) => a['ACCOUNT NAME'].localeCompare(b['ACCOUNT NAME'])),
      ).toEqual([
        {
          ISFAVPASS: 'false',
          'ACCOUNT NAME': 'sysdba',
          PASSWDID: ids.aid,
          'PASSWORD STATUS': '*****',
          'EXPIRY STATUS': 'Valid',
          'ACCOUNT ID': ids.aid,
          ISREASONREQUIRED: 'false',
          IS_TICKETID_REQD: 'false',
          IS_TICKETID_REQD_MANDATORY: 'false',
          ACCESS_CONTROL: 'false',
        },
        {
          ISFAVPASS: 'false',
          'ACCOUNT NAME': 'system',
          PASSWDID: systemId,
          'PASSWORD STATUS': '*****',
          'EXPIRY STATUS': 'Valid',
          'ACCOUNT ID': systemId,
          ISREASONREQUIRED: 'false',
          IS_TICKETID_REQD: 'false',
          IS_TICKETID_REQD_MANDATORY: 'false',
          ACCESS_CONTROL: 'false',
        },
      ]);
      expect(custom).toEqual([
        field('YES', 'Character', 'Secure Resource', 'COLUMN_CHAR1'),
        field('78336298', 'Numeric', 'License No', 'COLUMN_LONG1'),
        field('Sep 10, 2013', 'Date', 'Installed Date', 'COLUMN_DATE1'),
        field('Tese123$*%%', 'Password', 'Resource Password', 'COLUMN_SCHAR1'),
        field('B7', 'Character', 'Rack', 'COLUMN_CHAR2'),
        field('2027-01-31', 'Date', 'Warranty End', 'COLUMN_DATE2'),
        field('4711', 'Numeric', 'Asset Tag', 'COLUMN_LONG2'),
        field('p@ss w0rd', 'Password', 'Console Password', 'COLUMN_SCHAR2'),
      ]);
    });

    it('audits the showing of Password-type additional fields', async () => {
      await resourceDetails(ids.rid);
      const record = (await resourceAudit()).find(
        (r) => r.OPERATIONTYPE === 'Password Custom Field Retrieved' && r.RESOURCENAME === 'MSSQL server',
      );
      expect(record).toBeDefined();
      expect(record.REASON).toContain('Resource Password');
    });

    it('refuses unknown and malformed resource IDs', async () => {
      expectFailed(
        await call('GET', `${V1}/resources/99999999/accounts`),
        'Resource with ID 99999999 does not exist or is not accessible to you',
        'GET RESOURCE ACCOUNTLIST',
      );
      expectFailed(
        await call('GET', `${V1}/resources/abc/accounts`),
        '"abc" is not a valid resource ID',
        'GET RESOURCE ACCOUNTLIST',
      );
      expectFailed(
        await call('GET', `${V1}/resources/0/accounts`),
        '"0" is not a valid resource ID',
        'GET RESOURCE ACCOUNTLIST',
      );
    });
  });

  // ---- 3 ---------------------------------------------------------------------------------

  describe('3 GET RESOURCE ACCOUNT DETAILS', () => {
    let ids: Ids;

    beforeAll(async () => {
      ids = await create({
        RESOURCENAME: 'details host',
        ACCOUNTNAME: 'root',
        RESOURCETYPE: 'Linux',
        PASSWORD: 'R00t!x',
        ACCOUNTDESCRIPTION: 'Primary root account',
        NOTES: 'Rotate monthly; call ext. 4711',
        ACCOUNTPASSWORDPOLICY: 'Medium',
        ACCOUNTCUSTOMFIELD: [
          { CUSTOMLABEL: 'Account LIC Number', CUSTOMVALUE: '56455567', CUSTOMTYPE: 'Numeric' },
          { CUSTOMLABEL: 'Acc creation date', CUSTOMVALUE: 'Sep 10, 2013', CUSTOMTYPE: 'Date' },
          { CUSTOMLABEL: 'Secondary Password', CUSTOMVALUE: 'Test12345', CUSTOMTYPE: 'Password' },
          { CUSTOMLABEL: 'Secure Account', CUSTOMVALUE: 'YES' },
        ],
      });
    });

    it('answers the account with NOTES, DESCRIPTION, policy, flags and additional fields, never the password', async () => {
      const answer = expectSuccess(await call('GET', accountPath(ids)), 'GET RESOURCE ACCOUNT DETAILS');
      expect(answer.message).toBe('Account details fetched successfully');
      const d = answer.details;
      expect(d).toMatchObject({
        'ACCOUNT ID': ids.aid,
        'ACCOUNT NAME': 'root',
        'RESOURCE ID': ids.rid,
        DESCRIPTION: 'Primary root account',
        NOTES: 'Rotate monthly; call ext. 4711',
        'LAST ACCESSED TIME': 'N/A',
        'PASSWORD STATUS': '*****',
        PASSWDID: ids.aid,
        'PASSWORD POLICY': 'Medium',
        'ACCOUNT OWNER': 'admin',
      });
      expect(d['LAST MODIFIED TIME']).toMatch(PMP_DATE);
      for (const flag of FLAGS) expect(d[flag]).toBe('false');
      expect(d).not.toHaveProperty('PASSWORD');
      expect(answer.http.text).not.toContain('R00t!x');
      expect(d['CUSTOM FIELD']).toEqual([
        field('56455567', 'Numeric', 'Account LIC Number', 'COLUMN_LONG1'),
        field('Sep 10, 2013', 'Date', 'Acc creation date', 'COLUMN_DATE1'),
        field('Test12345', 'Password', 'Secondary Password', 'COLUMN_SCHAR1'),
        field('YES', 'Character', 'Secure Account', 'COLUMN_CHAR1'),
      ]);
    });

    it('takes DESCRIPTION for accounts added to a resource', async () => {
      const added = await addAccounts(ids.rid, [
        { ACCOUNTNAME: 'oracle', PASSWORD: 'x', DESCRIPTION: 'DB owner', NOTES: 'n' },
      ]);
      const d = await accountDetails({ rid: ids.rid, aid: added.oracle! });
      expect(d).toMatchObject({ 'ACCOUNT NAME': 'oracle', DESCRIPTION: 'DB owner', NOTES: 'n' });
      expect(d).not.toHaveProperty('CUSTOM FIELD');
    });

    it('shows LAST ACCESSED TIME as a date once the password was retrieved (viewing details is no retrieval)', async () => {
      expect((await accountDetails(ids))['LAST ACCESSED TIME']).toBe('N/A');
      const day = today();
      expect(await passwordOf(ids)).toBe('R00t!x');
      const last = (await accountDetails(ids))['LAST ACCESSED TIME'];
      expect(last).toMatch(PMP_DATE);
      expect([day.pmp, today().pmp].some((d) => last.startsWith(`${d} `))).toBe(true);
    });

    it('refuses an account that is not part of the resource', async () => {
      const other = await create({
        RESOURCENAME: 'details other',
        ACCOUNTNAME: 'root',
        RESOURCETYPE: 'Linux',
        PASSWORD: 'x',
      });
      expectFailed(
        await call('GET', `${V1}/resources/${ids.rid}/accounts/${other.aid}`),
        `Account with ID ${other.aid} does not exist in this resource or is not accessible to you`,
        'GET RESOURCE ACCOUNT DETAILS',
      );
      expectFailed(
        await call('GET', `${V1}/resources/${ids.rid}/accounts/x1`),
        '"x1" is not a valid account ID',
        'GET RESOURCE ACCOUNT DETAILS',
      );
    });
  });

  // ---- 4 ---------------------------------------------------------------------------------

  describe('4 GET PASSWORD', () => {
    let ids: Ids;

    beforeAll(async () => {
      ids = await create({
        RESOURCENAME: 'password host',
        ACCOUNTNAME: 'root',
        RESOURCETYPE: 'Linux',
        PASSWORD: 'fqxdB7ded@4',
      });
    });

    it('answers the password with the documented message', async () => {
      const answer = expectSuccess(await call('GET', `${accountPath(ids)}/password`), 'GET PASSWORD');
      expect(answer.message).toBe('Password fetched successfully');
      expect(answer.details).toEqual({ PASSWORD: 'fqxdB7ded@4' });
    });

    it('records REASON and TICKETID of the retrieval', async () => {
      await passwordOf(ids, details({ REASON: 'Need the password to Login Windows Server', TICKETID: '7' }));
      const record = (await resourceAudit()).find(
        (r) => r.OPERATIONTYPE === 'Password Retrieved' && r.RESOURCENAME === 'password host',
      );
      expect(record).toMatchObject({
        ACCOUNTNAME: 'root',
        REASON: 'Need the password to Login Windows Server',
        TICKETID: '7',
      });
    });

    it('says which of resource or account is unknown', async () => {
      expectFailed(
        await call('GET', `${V1}/resources/${ids.rid}/accounts/99999999/password`),
        'Account with ID 99999999 does not exist in this resource or is not accessible to you',
        'GET PASSWORD',
      );
      expectFailed(
        await call('GET', `${V1}/resources/99999999/accounts/${ids.aid}/password`),
        'Resource with ID 99999999 does not exist or is not accessible to you',
        'GET PASSWORD',
      );
      expectFailed(
        await call('GET', `${V1}/resources/${ids.rid}/accounts/abc/password`),
        '"abc" is not a valid account ID',
        'GET PASSWORD',
      );
    });
  });

  // ---- 5 ---------------------------------------------------------------------------------

  describe('5 CHANGE PASSWORD', () => {
    let ids: Ids;

    beforeAll(async () => {
      ids = await create({
        RESOURCENAME: 'rotation host',
        ACCOUNTNAME: 'root',
        RESOURCETYPE: 'Linux',
        PASSWORD: 'first',
      });
    });

    it('changes the password twice; the current password is the last one; both changes are audited', async () => {
      const change = async (password: string, reason: string, ticket: string) =>
        expectSuccess(
          await call(
            'PUT',
            `${accountPath(ids)}/password`,
            details({ NEWPASSWORD: password, RESETTYPE: 'LOCAL', REASON: reason, TICKETID: ticket }),
          ),
          'CHANGE PASSWORD',
        );
      const first = await change('Test@12345$', 'Password Expired', '7');
      expect(first.message).toBe('Password changed successfully');
      expect(first.raw.operation).not.toHaveProperty('Details');
      expect(await passwordOf(ids)).toBe('Test@12345$');
      await change('Second+&%=é 😀', 'Quarterly rotation', '8');
      expect(await passwordOf(ids)).toBe('Second+&%=é 😀');

      const changes = (await resourceAudit()).filter(
        (r) => r.OPERATIONTYPE === 'Password Changed' && r.RESOURCENAME === 'rotation host',
      );
      expect(changes).toHaveLength(2);
      expect(changes[0]).toMatchObject({
        ACCOUNTNAME: 'root',
        REASON: 'Quarterly rotation',
        TICKETID: '8',
        OPERATEDBY: 'admin',
      });
      expect(changes[1]).toMatchObject({ REASON: 'Password Expired', TICKETID: '7' });
    });

    it('defaults RESETTYPE to LOCAL', async () => {
      expectSuccess(
        await call('PUT', `${accountPath(ids)}/password`, details({ NEWPASSWORD: 'third' })),
        'CHANGE PASSWORD',
      );
      expect(await passwordOf(ids)).toBe('third');
    });

    it('refuses a missing NEWPASSWORD, an unknown RESETTYPE and REMOTE, leaving the password as it was', async () => {
      expectFailed(
        await call('PUT', `${accountPath(ids)}/password`, details({ RESETTYPE: 'LOCAL' })),
        'NEWPASSWORD is mandatory and was not given',
        'CHANGE PASSWORD',
      );
      expectFailed(
        await call(
          'PUT',
          `${accountPath(ids)}/password`,
          details({ NEWPASSWORD: 'x', RESETTYPE: 'SIDEWAYS' }),
        ),
        'RESETTYPE must be one of LOCAL, REMOTE; got "SIDEWAYS"',
        'CHANGE PASSWORD',
      );
      expectFailed(
        await call('PUT', `${accountPath(ids)}/password`, details({ NEWPASSWORD: 'x', RESETTYPE: 'REMOTE' })),
        /^Remote password reset is not configured for resource rotation host/,
        'CHANGE PASSWORD',
      );
      expect(await passwordOf(ids)).toBe('third');
    });
  });

  // ---- 6 ---------------------------------------------------------------------------------

  describe('6 CREATE RESOURCE', () => {
    const all = {
      RESOURCENAME: 'Windows Server',
      ACCOUNTNAME: 'Administrator',
      RESOURCETYPE: 'Windows',
      PASSWORD: 'Test123#@!',
      NOTES: 'Testing API',
      RESOURCEURL: 'http://windowsserver/adminconsole',
      RESOURCEPASSWORDPOLICY: 'Strong',
      ACCOUNTPASSWORDPOLICY: 'Medium',
      DNSNAME: 'win-1.example.test',
      RESOURCEDESCRIPTION: 'Windows build host',
      DEPARTMENT: 'IT',
      LOCATION: '4th floor',
      ACCOUNTDESCRIPTION: 'local administrator',
      OWNERNAME: 'admin',
      RESOURCECUSTOMFIELD: [{ CUSTOMLABEL: 'Secure Resource', CUSTOMVALUE: 'YES' }],
      ACCOUNTCUSTOMFIELD: [{ CUSTOMLABEL: 'Secure Account', CUSTOMVALUE: 'YES' }],
    };

    it('stores every field and answers the documented message with RESOURCEID and ACCOUNTID', async () => {
      const answer = expectSuccess(await call('POST', `${V1}/resources`, details(all)), 'CREATE RESOURCE');
      expect(answer.message).toBe('Resource Windows Server has been added successfully');
      expect(answer.details).toEqual({
        RESOURCEID: expect.stringMatching(ID),
        ACCOUNTID: expect.stringMatching(ID),
      });
      const ids: Ids = { rid: answer.details.RESOURCEID, aid: answer.details.ACCOUNTID };

      const resource = await resourceDetails(ids.rid);
      expect(resource).toMatchObject({
        'RESOURCE ID': ids.rid,
        'RESOURCE NAME': 'Windows Server',
        'RESOURCE DESCRIPTION': 'Windows build host',
        'RESOURCE TYPE': 'Windows',
        'DNS NAME': 'win-1.example.test',
        'PASSWORD POLICY': 'Strong',
        DEPARTMENT: 'IT',
        LOCATION: '4th floor',
        'RESOURCE URL': 'http://windowsserver/adminconsole',
        'RESOURCE OWNER': 'admin',
        'CUSTOM FIELD': [field('YES', 'Character', 'Secure Resource', 'COLUMN_CHAR1')],
      });
      expect(resource['ACCOUNT LIST']).toHaveLength(1);
      expect(resource['ACCOUNT LIST'][0]).toMatchObject({
        'ACCOUNT NAME': 'Administrator',
        'ACCOUNT ID': ids.aid,
      });

      const account = await accountDetails(ids);
      expect(account).toMatchObject({
        'ACCOUNT NAME': 'Administrator',
        DESCRIPTION: 'local administrator',
        NOTES: 'Testing API',
        'PASSWORD POLICY': 'Medium',
        'ACCOUNT OWNER': 'admin',
        'CUSTOM FIELD': [field('YES', 'Character', 'Secure Account', 'COLUMN_CHAR1')],
      });
      expect(await passwordOf(ids)).toBe('Test123#@!');

      const records = (await resourceAudit()).filter((r) => r.RESOURCENAME === 'Windows Server');
      expect(records.map((r) => r.OPERATIONTYPE)).toEqual(
        expect.arrayContaining(['Resource Added', 'Account Added']),
      );
    });

    it('refuses a second resource of the same name, in any letter case', async () => {
      expectFailed(
        await call('POST', `${V1}/resources`, details({ ...all, OWNERNAME: undefined })),
        'Resource Windows Server already exists',
        'CREATE RESOURCE',
      );
      expectFailed(
        await call(
          'POST',
          `${V1}/resources`,
          details({ ...all, RESOURCENAME: 'WINDOWS SERVER', OWNERNAME: undefined }),
        ),
        /already exists/,
        'CREATE RESOURCE',
      );
    });

    it('refuses an OWNERNAME that names no user, creating nothing', async () => {
      expectFailed(
        await call(
          'POST',
          `${V1}/resources`,
          details({ ...all, RESOURCENAME: 'Owned by nobody', OWNERNAME: 'nobody' }),
        ),
        'OWNERNAME: there is no user named nobody',
        'CREATE RESOURCE',
      );
      expectFailed(
        await call('GET', `${V1}/resources/resourcename/Owned%20by%20nobody`),
        /does not exist/,
        'GET_RESOURCEID',
      );
    });

    it.each(['RESOURCENAME', 'ACCOUNTNAME', 'RESOURCETYPE', 'PASSWORD'])(
      'refuses a request without %s',
      async (missing) => {
        const fields: Record<string, unknown> = { ...all, RESOURCENAME: `missing ${missing}` };
        delete fields[missing];
        expectFailed(
          await call('POST', `${V1}/resources`, details(fields)),
          `${missing} is mandatory and was not given`,
          'CREATE RESOURCE',
        );
      },
    );

    it('refuses an unknown resource type and an unknown password policy', async () => {
      expectFailed(
        await call(
          'POST',
          `${V1}/resources`,
          details({ ...all, RESOURCENAME: 'toaster', RESOURCETYPE: 'Toaster' }),
        ),
        /^RESOURCETYPE "Toaster" is not a known resource type/,
        'CREATE RESOURCE',
      );
      expectFailed(
        await call(
          'POST',
          `${V1}/resources`,
          details({ ...all, RESOURCENAME: 'odd policy', RESOURCEPASSWORDPOLICY: 'Nope' }),
        ),
        'RESOURCEPASSWORDPOLICY: there is no password policy named "Nope"',
        'CREATE RESOURCE',
      );
      const names = (await listResources()).map((r) => r['RESOURCE NAME']);
      expect(names).not.toContain('toaster');
      expect(names).not.toContain('odd policy');
    });
  });

  // ---- 7 and 8 ---------------------------------------------------------------------------

  describe('7 GET_RESOURCEACCOUNTID and 8 GET_RESOURCEID', () => {
    let ids: Ids;

    beforeAll(async () => {
      ids = await create({
        RESOURCENAME: 'MSSQLServer',
        ACCOUNTNAME: 'system',
        RESOURCETYPE: 'MS SQL server',
        PASSWORD: 'x',
      });
    });

    it('7 answers both IDs for a resource name and an account name', async () => {
      const answer = expectSuccess(
        await call(
          'GET',
          `${V1}/resources/getResourceIdAccountId?RESOURCENAME=MSSQLServer&ACCOUNTNAME=system`,
        ),
        'GET_RESOURCEACCOUNTID',
      );
      expect(answer.message).toBe(
        'Resource ID and account ID fetched successfully for the given resource name and account name.',
      );
      expect(answer.details).toEqual({ RESOURCEID: ids.rid, ACCOUNTID: ids.aid });
    });

    it('7 also reads the names from INPUT_DATA', async () => {
      const answer = expectSuccess(
        await call(
          'GET',
          `${V1}/resources/getResourceIdAccountId`,
          details({ RESOURCENAME: 'MSSQLServer', ACCOUNTNAME: 'system' }),
        ),
        'GET_RESOURCEACCOUNTID',
      );
      expect(answer.details).toEqual({ RESOURCEID: ids.rid, ACCOUNTID: ids.aid });
    });

    it('7 says what is unknown or missing', async () => {
      expectFailed(
        await call(
          'GET',
          `${V1}/resources/getResourceIdAccountId?RESOURCENAME=NoSuchServer&ACCOUNTNAME=system`,
        ),
        'Resource NoSuchServer does not exist or is not accessible to you',
        'GET_RESOURCEACCOUNTID',
      );
      expectFailed(
        await call(
          'GET',
          `${V1}/resources/getResourceIdAccountId?RESOURCENAME=MSSQLServer&ACCOUNTNAME=ghost`,
        ),
        'Account ghost does not exist in resource MSSQLServer or is not accessible to you',
        'GET_RESOURCEACCOUNTID',
      );
      expectFailed(
        await call('GET', `${V1}/resources/getResourceIdAccountId?RESOURCENAME=MSSQLServer`),
        'ACCOUNTNAME is mandatory and was not given',
        'GET_RESOURCEACCOUNTID',
      );
    });

    it('8 answers the resource ID for a resource name', async () => {
      const answer = expectSuccess(
        await call('GET', `${V1}/resources/resourcename/MSSQLServer`),
        'GET_RESOURCEID',
      );
      expect(answer.message).toBe('Resource ID fetched successfully for the given resource name.');
      expect(answer.details).toEqual({ RESOURCEID: ids.rid });
      expectFailed(
        await call('GET', `${V1}/resources/resourcename/NoSuchServer`),
        'Resource NoSuchServer does not exist or is not accessible to you',
        'GET_RESOURCEID',
      );
    });

    it('7 and 8 find names up to the 255-character limit, in the query and in the path', async () => {
      const resourceName = `long ${'r'.repeat(250)}`;
      const accountName = `long ${'a'.repeat(250)}`;
      expect(resourceName).toHaveLength(255);
      const long = await create({
        RESOURCENAME: resourceName,
        ACCOUNTNAME: accountName,
        RESOURCETYPE: 'Linux',
        PASSWORD: 'x',
      });
      const r = encodeURIComponent(resourceName);
      const a = encodeURIComponent(accountName);
      expect(
        expectSuccess(
          await call('GET', `${V1}/resources/getResourceIdAccountId?RESOURCENAME=${r}&ACCOUNTNAME=${a}`),
          'GET_RESOURCEACCOUNTID',
        ).details,
      ).toEqual({ RESOURCEID: long.rid, ACCOUNTID: long.aid });
      expect(
        expectSuccess(await call('GET', `${V1}/resources/resourcename/${r}`), 'GET_RESOURCEID').details,
      ).toEqual({ RESOURCEID: long.rid });
      expect(
        expectSuccess(
          await call('GET', `${V1}/resources/resourcename/${r}/accounts/accountname/${a}`),
          'GET_RESOURCEACCOUNTID',
        ).details,
      ).toEqual({ RESOURCEID: long.rid, ACCOUNTID: long.aid });
    });

    it('refuses a resource name over 255 characters', async () => {
      expectFailed(
        await call(
          'POST',
          `${V1}/resources`,
          details({
            RESOURCENAME: 'x'.repeat(256),
            ACCOUNTNAME: 'root',
            RESOURCETYPE: 'Linux',
            PASSWORD: 'x',
          }),
        ),
        'RESOURCENAME is longer than the maximum of 255 characters',
        'CREATE RESOURCE',
      );
    });
  });

  // ---- 9 ---------------------------------------------------------------------------------

  describe('9 DELETE RESOURCE', () => {
    it('deletes the resource and its accounts, and audits it', async () => {
      const ids = await create({
        RESOURCENAME: 'doomed host',
        ACCOUNTNAME: 'root',
        RESOURCETYPE: 'Linux',
        PASSWORD: 'x',
        RESOURCECUSTOMFIELD: [{ CUSTOMLABEL: 'Rack', CUSTOMVALUE: 'B7' }],
        ACCOUNTCUSTOMFIELD: [{ CUSTOMLABEL: 'Badge', CUSTOMVALUE: '1', CUSTOMTYPE: 'Numeric' }],
      });
      const second = (await addAccounts(ids.rid, [{ ACCOUNTNAME: 'oracle', PASSWORD: 'y' }])).oracle!;
      expect(await passwordOf(ids)).toBe('x');

      const answer = expectSuccess(await call('DELETE', `${V1}/resources/${ids.rid}`), 'DELETE RESOURCE');
      expect(answer.message).toBe('Resources deleted successfully.');

      const gone = `Resource with ID ${ids.rid} does not exist or is not accessible to you`;
      expect((await listResources()).map((r) => r['RESOURCE NAME'])).not.toContain('doomed host');
      expectFailed(
        await call('GET', `${V1}/resources/${ids.rid}/accounts`),
        gone,
        'GET RESOURCE ACCOUNTLIST',
      );
      for (const aid of [ids.aid, second]) {
        expectFailed(
          await call('GET', accountPath({ rid: ids.rid, aid })),
          gone,
          'GET RESOURCE ACCOUNT DETAILS',
        );
        expectFailed(
          await call('GET', `${accountPath({ rid: ids.rid, aid })}/password`),
          gone,
          'GET PASSWORD',
        );
      }
      expectFailed(
        await call('GET', `${V1}/resources/getResourceIdAccountId?RESOURCENAME=doomed+host&ACCOUNTNAME=root`),
        'Resource doomed host does not exist or is not accessible to you',
        'GET_RESOURCEACCOUNTID',
      );
      expectFailed(await call('DELETE', `${V1}/resources/${ids.rid}`), gone, 'DELETE RESOURCE');

      const record = (await resourceAudit()).find(
        (r) => r.OPERATIONTYPE === 'Resource Deleted' && r.RESOURCENAME === 'doomed host',
      );
      expect(record).toMatchObject({ OPERATEDBY: 'admin', IPADDRESS: '127.0.0.1' });

      // The name is free again, and the new resource starts empty.
      const again = await create({
        RESOURCENAME: 'doomed host',
        ACCOUNTNAME: 'root',
        RESOURCETYPE: 'Linux',
        PASSWORD: 'z',
      });
      const fresh = await resourceDetails(again.rid);
      expect(fresh['ACCOUNT LIST']).toHaveLength(1);
      expect(fresh).not.toHaveProperty('CUSTOM FIELD');
      const freshAccount = await accountDetails(again);
      expect(freshAccount).not.toHaveProperty('CUSTOM FIELD');
      expect(freshAccount['LAST ACCESSED TIME']).toBe('N/A');
    });
  });

  // ---- 18 --------------------------------------------------------------------------------

  describe('18 EDIT RESOURCE', () => {
    let ids: Ids;

    beforeAll(async () => {
      ids = await create({
        RESOURCENAME: 'edit me',
        ACCOUNTNAME: 'root',
        RESOURCETYPE: 'Linux',
        PASSWORD: 'unchanged',
        DNSNAME: 'edit-me.example.test',
        RESOURCEDESCRIPTION: 'before',
        DEPARTMENT: 'Ops',
        LOCATION: 'Level 1',
        RESOURCEURL: 'http://before/',
        RESOURCECUSTOMFIELD: [
          { CUSTOMLABEL: 'Secure Resource', CUSTOMVALUE: 'YES' },
          { CUSTOMLABEL: 'License No', CUSTOMVALUE: '1', CUSTOMTYPE: 'Numeric' },
          { CUSTOMLABEL: 'Rack', CUSTOMVALUE: 'B7' },
        ],
      });
      await create({
        RESOURCENAME: 'edit neighbour',
        ACCOUNTNAME: 'root',
        RESOURCETYPE: 'Linux',
        PASSWORD: 'x',
      });
    });

    it('edits every field, renames, and updates additional fields by label keeping the others', async () => {
      const answer = expectSuccess(
        await call(
          'PUT',
          `${V1}/resources/${ids.rid}`,
          details({
            RESOURCENAME: 'Test',
            LOCATION: '4th floor',
            RESOURCEURL: 'http://test',
            RESOURCEPASSWORDPOLICY: 'Medium',
            DEPARTMENT: 'Test',
            RESOURCEDESCRIPTION: 'Created for quality assurance',
            RESOURCETYPE: 'Windows',
            DNSNAME: 'test.example.test',
            RESOURCECUSTOMFIELD: [
              { CUSTOMLABEL: 'Secure Resource', CUSTOMVALUE: 'NO' },
              { CUSTOMLABEL: 'Owner Team', CUSTOMVALUE: 'QA' },
            ],
          }),
        ),
        'EDIT RESOURCE',
      );
      expect(answer.message).toBe('Resource Test modified successfully.');

      const d = await resourceDetails(ids.rid);
      expect(d).toMatchObject({
        'RESOURCE ID': ids.rid,
        'RESOURCE NAME': 'Test',
        'RESOURCE DESCRIPTION': 'Created for quality assurance',
        'RESOURCE TYPE': 'Windows',
        'DNS NAME': 'test.example.test',
        'PASSWORD POLICY': 'Medium',
        DEPARTMENT: 'Test',
        LOCATION: '4th floor',
        'RESOURCE URL': 'http://test',
      });
      expect(d['CUSTOM FIELD']).toEqual([
        field('NO', 'Character', 'Secure Resource', 'COLUMN_CHAR1'),
        field('1', 'Numeric', 'License No', 'COLUMN_LONG1'),
        field('B7', 'Character', 'Rack', 'COLUMN_CHAR2'),
        field('QA', 'Character', 'Owner Team', 'COLUMN_CHAR3'),
      ]);
      expect(d['ACCOUNT LIST'].map((a: any) => a['ACCOUNT ID'])).toEqual([ids.aid]);
      expect(await passwordOf(ids)).toBe('unchanged');

      expect(
        expectSuccess(await call('GET', `${V1}/resources/resourcename/Test`), 'GET_RESOURCEID').details
          .RESOURCEID,
      ).toBe(ids.rid);
      expectFailed(
        await call('GET', `${V1}/resources/resourcename/edit%20me`),
        'Resource edit me does not exist or is not accessible to you',
        'GET_RESOURCEID',
      );
      const record = (await resourceAudit()).find(
        (r) => r.OPERATIONTYPE === 'Resource Modified' && r.RESOURCENAME === 'Test',
      );
      expect(record).toBeDefined();
    });

    it('changes only the fields given; an empty value clears a field', async () => {
      expectSuccess(
        await call('PUT', `${V1}/resources/${ids.rid}`, details({ LOCATION: 'Basement', DEPARTMENT: '' })),
        'EDIT RESOURCE',
      );
      const d = await resourceDetails(ids.rid);
      expect(d).toMatchObject({
        'RESOURCE NAME': 'Test',
        LOCATION: 'Basement',
        DEPARTMENT: 'N/A',
        'RESOURCE URL': 'http://test',
        'RESOURCE DESCRIPTION': 'Created for quality assurance',
      });
      expect(d['CUSTOM FIELD']).toHaveLength(4);
    });

    it('refuses a rename onto another resource, a change to a file-store type and an empty edit', async () => {
      expectFailed(
        await call('PUT', `${V1}/resources/${ids.rid}`, details({ RESOURCENAME: 'edit neighbour' })),
        'Resource edit neighbour already exists',
        'EDIT RESOURCE',
      );
      expectFailed(
        await call('PUT', `${V1}/resources/${ids.rid}`, details({ RESOURCETYPE: 'File Store' })),
        /cannot be changed/,
        'EDIT RESOURCE',
      );
      expectFailed(
        await call('PUT', `${V1}/resources/${ids.rid}`, details({})),
        /^nothing to change/,
        'EDIT RESOURCE',
      );
      expectFailed(
        await call('PUT', `${V1}/resources/99999999`, details({ LOCATION: 'x' })),
        'Resource with ID 99999999 does not exist or is not accessible to you',
        'EDIT RESOURCE',
      );
      expect((await resourceDetails(ids.rid))['RESOURCE NAME']).toBe('Test');
    });
  });

  // ---- 19 --------------------------------------------------------------------------------

  describe('19 DELETE ACCOUNT', () => {
    it('deletes one account of a resource and audits it', async () => {
      const ids = await create({
        RESOURCENAME: 'account deletion',
        ACCOUNTNAME: 'root',
        RESOURCETYPE: 'Linux',
        PASSWORD: 'x',
      });
      const victim = (await addAccounts(ids.rid, [{ ACCOUNTNAME: 'Test123', PASSWORD: 'y' }])).Test123!;
      expect((await listResources()).find((r) => r['RESOURCE ID'] === ids.rid).NOOFACCOUNTS).toBe('2');

      // The document's URL ends in a slash.
      const answer = expectSuccess(
        await call('DELETE', `${V1}/resources/${ids.rid}/accounts/${victim}/`),
        'DELETE ACCOUNT',
      );
      expect(answer.message).toBe('Account Test123 deleted successfully.');

      expect((await listResources()).find((r) => r['RESOURCE ID'] === ids.rid).NOOFACCOUNTS).toBe('1');
      expect((await resourceDetails(ids.rid))['ACCOUNT LIST'].map((a: any) => a['ACCOUNT NAME'])).toEqual([
        'root',
      ]);
      const gone = `Account with ID ${victim} does not exist in this resource or is not accessible to you`;
      expectFailed(
        await call('GET', accountPath({ rid: ids.rid, aid: victim })),
        gone,
        'GET RESOURCE ACCOUNT DETAILS',
      );
      expectFailed(
        await call('GET', `${accountPath({ rid: ids.rid, aid: victim })}/password`),
        gone,
        'GET PASSWORD',
      );
      expectFailed(await call('DELETE', accountPath({ rid: ids.rid, aid: victim })), gone, 'DELETE ACCOUNT');
      expect(await passwordOf(ids)).toBe('x');

      const record = (await resourceAudit()).find(
        (r) => r.OPERATIONTYPE === 'Account Deleted' && r.RESOURCENAME === 'account deletion',
      );
      expect(record).toMatchObject({ ACCOUNTNAME: 'Test123', OPERATEDBY: 'admin' });
    });
  });

  // ---- 20 --------------------------------------------------------------------------------

  describe('20 DOWNLOAD FILE', () => {
    const content = Buffer.concat([Buffer.from('LICENSE-KEY 1234\r\n\0'), randomBytes(3000)]);
    let license: Ids;
    let linux: Ids;

    beforeAll(async () => {
      const form = multipart([
        {
          name: 'INPUT_DATA',
          value: JSON.stringify(
            details({
              RESOURCENAME: 'Active Directory',
              ACCOUNTNAME: 'Administrator',
              RESOURCETYPE: 'License Store',
              PASSWORD: 'Test123#@!',
              NOTES: 'Testing API',
              RESOURCEURL: 'http://windowsserver/adminconsole',
            }),
          ),
        },
        { name: 'file', value: content, fileName: 'ad-license.lic' },
      ]);
      const created = expectSuccess(
        await send({
          method: 'POST',
          path: `${V1}/resources`,
          headers: { AUTHTOKEN: token, 'Content-Type': form.contentType },
          body: form.body,
        }),
        'CREATE RESOURCE',
      );
      license = { rid: created.details.RESOURCEID, aid: created.details.ACCOUNTID };
      linux = await create({
        RESOURCENAME: 'no files here',
        ACCOUNTNAME: 'root',
        RESOURCETYPE: 'Linux',
        PASSWORD: 'x',
      });
    });

    it('returns the stored file of a License Store account, audits the download and marks the account accessed', async () => {
      expect((await accountDetails(license))['HAS FILE']).toBe('true');
      const response = await rawRequest(server.baseUrl, {
        method: 'GET',
        path: `${accountPath(license)}/downloadfile`,
        headers: { AUTHTOKEN: token, 'Content-Type': 'text/json' },
        body: `INPUT_DATA=${encodeURIComponent(
          JSON.stringify(details({ REASON: 'Need the key file to connect the remote host', TICKETID: '7' })),
        )}`,
      });
      expect(response.status).toBe(200);
      expect(response.body.equals(content)).toBe(true);
      expect(String(response.headers['content-disposition'])).toContain('filename="ad-license.lic"');
      expect(response.headers['content-type']).toBe('application/octet-stream');

      const record = (await resourceAudit()).find(
        (r) => r.OPERATIONTYPE === 'File Downloaded' && r.RESOURCENAME === 'Active Directory',
      );
      expect(record).toMatchObject({
        ACCOUNTNAME: 'Administrator',
        REASON: 'Need the key file to connect the remote host',
        TICKETID: '7',
      });
      expect((await accountDetails(license))['LAST ACCESSED TIME']).toMatch(PMP_DATE);
    });

    it('fails for an account that holds no file', async () => {
      expect((await accountDetails(linux))['HAS FILE']).toBe('false');
      expectFailed(
        await call('GET', `${accountPath(linux)}/downloadfile`),
        'No file is stored for account root of resource no files here',
        'DOWNLOAD FILE',
      );
      expectFailed(
        await call('GET', `${V1}/resources/${linux.rid}/accounts/99999999/downloadfile`),
        'Account with ID 99999999 does not exist in this resource or is not accessible to you',
        'DOWNLOAD FILE',
      );
    });
  });

  // ---- 21 --------------------------------------------------------------------------------

  describe('21 ADD ACCOUNTS', () => {
    let rid: string;

    beforeAll(async () => {
      rid = (
        await create({
          RESOURCENAME: 'BES host',
          ACCOUNTNAME: 'root',
          RESOURCETYPE: 'Windows',
          PASSWORD: 'x',
        })
      ).rid;
    });

    it('adds two accounts and answers a STATUS per account; flags given as true read back as "true"', async () => {
      const flagsOn = Object.fromEntries(FLAGS.map((f) => [f, true]));
      const answer = expectSuccess(
        await call(
          'POST',
          `${V1}/resources/${rid}/accounts`,
          details({
            ACCOUNTLIST: [
              {
                ACCOUNTNAME: 'bestest013',
                PASSWORD: 'Pa$$Word@124',
                ACCOUNTPASSWORDPOLICY: 'Strong',
                ...flagsOn,
                ACCOUNT_RESOURCE_GROUP_IDS: sampleGroups,
                NOTES: 'IT Security - BES PMP API Test',
              },
              {
                ACCOUNTNAME: 'bestest113',
                PASSWORD: 'Pa$$Word@123',
                ACCOUNTPASSWORDPOLICY: 'Low',
                RECORD_RDP_SESSIONS: 'true',
                TOTP_SECRET: 'NDVDSFIADKFASDFSJDSADJF',
                NOTES: 'IT Security - BES PAM API Test',
              },
            ],
          }),
        ),
        'ADD ACCOUNTS',
      );
      expect(answer.message).toBe('Account added successfully');
      expect(answer.details).toEqual([
        {
          bestest013: { STATUS: 'Account added successfully', ACCOUNTID: expect.stringMatching(ID) },
          bestest113: { STATUS: 'Account added successfully', ACCOUNTID: expect.stringMatching(ID) },
        },
      ]);
      expect(answer.http.text).toContain('"Details":[{"bestest013":{"STATUS":"Account added successfully"');

      const first: Ids = { rid, aid: answer.details[0].bestest013.ACCOUNTID };
      const second: Ids = { rid, aid: answer.details[0].bestest113.ACCOUNTID };
      const d1 = await accountDetails(first);
      expect(d1).toMatchObject({
        'ACCOUNT NAME': 'bestest013',
        NOTES: 'IT Security - BES PMP API Test',
        'PASSWORD POLICY': 'Strong',
      });
      for (const flag of FLAGS) expect(d1[flag], flag).toBe('true');
      const d2 = await accountDetails(second);
      expect(d2).toMatchObject({
        'ACCOUNT NAME': 'bestest113',
        'PASSWORD POLICY': 'Low',
        RECORD_RDP_SESSIONS: 'true',
      });
      for (const flag of FLAGS.filter((f) => f !== 'RECORD_RDP_SESSIONS'))
        expect(d2[flag], flag).toBe('false');
      expect(await passwordOf(first)).toBe('Pa$$Word@124');
      expect(await passwordOf(second)).toBe('Pa$$Word@123');
      expect((await resourceDetails(rid))['ACCOUNT LIST']).toHaveLength(3);
    });

    it('reports a duplicate per account ("Account is not added  as it already exists") and adds the rest', async () => {
      const answer = expectSuccess(
        await call(
          'POST',
          `${V1}/resources/${rid}/accounts`,
          details({
            ACCOUNTLIST: [
              { ACCOUNTNAME: 'bestest013', PASSWORD: 'again' },
              { ACCOUNTNAME: 'bestest047', PASSWORD: 'Pa$$Word@123' },
            ],
          }),
        ),
        'ADD ACCOUNTS',
      );
      expect(answer.details).toEqual([
        {
          bestest013: { STATUS: 'Account is not added  as it already exists' },
          bestest047: { STATUS: 'Account added successfully', ACCOUNTID: expect.stringMatching(ID) },
        },
      ]);
      const ids = expectSuccess(
        await call(
          'GET',
          `${V1}/resources/getResourceIdAccountId?RESOURCENAME=BES+host&ACCOUNTNAME=bestest013`,
        ),
        'GET_RESOURCEACCOUNTID',
      ).details;
      expect(await passwordOf({ rid: ids.RESOURCEID, aid: ids.ACCOUNTID })).toBe('Pa$$Word@124');
    });

    it('fails when no account could be added, still saying why for each', async () => {
      const answer = await call(
        'POST',
        `${V1}/resources/${rid}/accounts`,
        details({
          ACCOUNTLIST: [{ ACCOUNTNAME: 'bestest113', PASSWORD: 'again' }, { ACCOUNTNAME: 'no password' }],
        }),
      );
      expectFailed(answer, /./, 'ADD ACCOUNTS');
      expect(answer.details[0].bestest113).toEqual({ STATUS: 'Account is not added  as it already exists' });
      expect(answer.details[0]['no password'].STATUS).toMatch(/PASSWORD is mandatory/);
      expect((await resourceDetails(rid))['ACCOUNT LIST']).toHaveLength(4);
    });

    it('answers the outcome of the entry that was added when one request names an account twice', async () => {
      const answer = expectSuccess(
        await call(
          'POST',
          `${V1}/resources/${rid}/accounts`,
          details({
            ACCOUNTLIST: [
              { ACCOUNTNAME: 'twin', PASSWORD: 'first twin' },
              { ACCOUNTNAME: 'twin', PASSWORD: 'second twin' },
            ],
          }),
        ),
        'ADD ACCOUNTS',
      );
      const stored = expectSuccess(
        await call('GET', `${V1}/resources/getResourceIdAccountId?RESOURCENAME=BES+host&ACCOUNTNAME=twin`),
        'GET_RESOURCEACCOUNTID',
      ).details;
      expect(await passwordOf({ rid: stored.RESOURCEID, aid: stored.ACCOUNTID })).toBe('first twin');
      // The account named "twin" was added: saying it was not (and hiding its ID) misleads the client.
      expect(answer.details[0].twin).toEqual({
        STATUS: 'Account added successfully',
        ACCOUNTID: stored.ACCOUNTID,
      });
    });

    it('refuses a request without ACCOUNTLIST and an unknown resource', async () => {
      expectFailed(
        await call('POST', `${V1}/resources/${rid}/accounts`, details({})),
        'ACCOUNTLIST is mandatory and was not given',
        'ADD ACCOUNTS',
      );
      expectFailed(
        await call(
          'POST',
          `${V1}/resources/99999999/accounts`,
          details({ ACCOUNTLIST: [{ ACCOUNTNAME: 'a', PASSWORD: 'b' }] }),
        ),
        'Resource with ID 99999999 does not exist or is not accessible to you',
        'ADD ACCOUNTS',
      );
    });
  });

  // ---- 22 --------------------------------------------------------------------------------

  describe('22 EDIT ACCOUNT', () => {
    let ids: Ids;

    beforeAll(async () => {
      ids = await create({
        RESOURCENAME: 'account editing',
        ACCOUNTNAME: 'bestest013',
        RESOURCETYPE: 'Windows',
        PASSWORD: 'keep me',
        NOTES: 'before',
        ACCOUNTCUSTOMFIELD: [
          { CUSTOMLABEL: 'Secure Account', CUSTOMVALUE: 'YES' },
          { CUSTOMLABEL: 'Badge', CUSTOMVALUE: '12', CUSTOMTYPE: 'Numeric' },
        ],
      });
      await addAccounts(ids.rid, [{ ACCOUNTNAME: 'root2', PASSWORD: 'x' }]);
    });

    it('renames and edits notes, description, policy, flags and additional fields', async () => {
      const answer = expectSuccess(
        await call(
          'PUT',
          accountPath(ids),
          details({
            ACCOUNTNAME: 'Test account',
            ACCOUNTPASSWORDPOLICY: 'Low',
            NOTES: 'Created for quality assurance',
            DESCRIPTION: 'edited',
            RECORD_RDP_SESSIONS: true,
            RECORD_CLI_SESSIONS: true,
            DISABLE_PASSWORD_RESETS: true,
            ACCOUNT_RESOURCE_GROUP_IDS: sampleGroups,
            ACCOUNTCUSTOMFIELD: [
              { CUSTOMLABEL: 'Secure Account', CUSTOMVALUE: 'NO' },
              { CUSTOMLABEL: 'Expiry', CUSTOMVALUE: '2027-01-31', CUSTOMTYPE: 'Date' },
            ],
          }),
        ),
        'EDIT ACCOUNT',
      );
      expect(answer.message).toBe('Account Test account modified successfully');

      const d = await accountDetails(ids);
      expect(d).toMatchObject({
        'ACCOUNT NAME': 'Test account',
        'PASSWORD POLICY': 'Low',
        NOTES: 'Created for quality assurance',
        DESCRIPTION: 'edited',
        RECORD_RDP_SESSIONS: 'true',
        RECORD_CLI_SESSIONS: 'true',
        DISABLE_PASSWORD_RESETS: 'true',
        SERVICES_RESET: 'false',
      });
      expect(d['CUSTOM FIELD']).toEqual([
        field('NO', 'Character', 'Secure Account', 'COLUMN_CHAR1'),
        field('12', 'Numeric', 'Badge', 'COLUMN_LONG1'),
        field('2027-01-31', 'Date', 'Expiry', 'COLUMN_DATE1'),
      ]);
      expect(await passwordOf(ids)).toBe('keep me');
      expect(
        expectSuccess(
          await call(
            'GET',
            `${V1}/resources/getResourceIdAccountId?RESOURCENAME=account+editing&ACCOUNTNAME=Test+account`,
          ),
          'GET_RESOURCEACCOUNTID',
        ).details,
      ).toEqual({ RESOURCEID: ids.rid, ACCOUNTID: ids.aid });
      expectFailed(
        await call(
          'GET',
          `${V1}/resources/getResourceIdAccountId?RESOURCENAME=account+editing&ACCOUNTNAME=bestest013`,
        ),
        /does not exist/,
        'GET_RESOURCEACCOUNTID',
      );
      const record = (await resourceAudit()).find(
        (r) => r.OPERATIONTYPE === 'Account Modified' && r.RESOURCENAME === 'account editing',
      );
      expect(record).toMatchObject({ ACCOUNTNAME: 'Test account' });
    });

    it('turns a flag off again, leaving the others', async () => {
      expectSuccess(
        await call('PUT', accountPath(ids), details({ RECORD_RDP_SESSIONS: false })),
        'EDIT ACCOUNT',
      );
      const d = await accountDetails(ids);
      expect(d).toMatchObject({
        'ACCOUNT NAME': 'Test account',
        RECORD_RDP_SESSIONS: 'false',
        RECORD_CLI_SESSIONS: 'true',
        NOTES: 'Created for quality assurance',
      });
    });

    it('refuses a rename onto another account, an unknown policy and an empty edit', async () => {
      expectFailed(
        await call('PUT', accountPath(ids), details({ ACCOUNTNAME: 'root2' })),
        'Account root2 already exists in resource account editing',
        'EDIT ACCOUNT',
      );
      expectFailed(
        await call('PUT', accountPath(ids), details({ ACCOUNTPASSWORDPOLICY: 'Nope' })),
        'ACCOUNTPASSWORDPOLICY: there is no password policy named "Nope"',
        'EDIT ACCOUNT',
      );
      expectFailed(await call('PUT', accountPath(ids), details({})), /^nothing to change/, 'EDIT ACCOUNT');
      expect((await accountDetails(ids))['ACCOUNT NAME']).toBe('Test account');
    });
  });

  // ---- 55 --------------------------------------------------------------------------------

  describe('55 GET_AUDIT', () => {
    let ids: Ids;

    beforeAll(async () => {
      ids = await create({
        RESOURCENAME: 'audited host',
        ACCOUNTNAME: 'auditee',
        RESOURCETYPE: 'Linux',
        PASSWORD: 'x',
      });
      await passwordOf(ids, details({ REASON: 'Jenkins deploy', TICKETID: 'CHG-1' }));
      await passwordOf(ids);
    });

    it('answers the documented fields for resource records', async () => {
      const day = today();
      const answer = await audit('AUDITTYPE=Resource&STARTINDEX=1&LIMIT=10&DURATION=TODAY');
      expect(answer.message).toBe('Audits fetched successfully.');
      const [latest, withReason] = answer.details;
      expect(latest).toEqual({
        AUDITID: expect.stringMatching(ID),
        RESOURCENAME: 'audited host',
        ACCOUNTNAME: 'auditee',
        OPERATIONTYPE: 'Password Retrieved',
        OPERATEDBY: 'admin',
        IPADDRESS: '127.0.0.1',
        USERNAME: 'N/A',
        LASTACCESSEDTIME: expect.stringMatching(AUDIT_TIME),
        REASON: 'N/A',
        TICKETID: 'N/A',
        NAME: 'N/A',
        CLIENT: expect.stringMatching(/\S/),
      });
      expect([day.audit, today().audit]).toContain(latest.LASTACCESSEDTIME.slice(0, 10));
      expect(withReason).toMatchObject({
        RESOURCENAME: 'audited host',
        ACCOUNTNAME: 'auditee',
        OPERATIONTYPE: 'Password Retrieved',
        REASON: 'Jenkins deploy',
        TICKETID: 'CHG-1',
      });
      expect(Number(withReason.AUDITID)).toBeLessThan(Number(latest.AUDITID));
      expect(withReason.LASTACCESSEDTIME <= latest.LASTACCESSEDTIME).toBe(true);
    });

    it('separates AUDITTYPE Resource from AUDITTYPE User', async () => {
      const users = (await audit('AUDITTYPE=User&STARTINDEX=1&LIMIT=1000&DURATION=ALL')).details;
      const userOps = users.map((r: any) => r.OPERATIONTYPE);
      expect(userOps).toContain('User Added');
      expect(userOps).not.toContain('Password Retrieved');
      const added = users.find((r: any) => r.OPERATIONTYPE === 'User Added');
      expect(added).toMatchObject({ USERNAME: 'admin', RESOURCENAME: 'Not Applicable' });
      const resourceOps = (await resourceAudit()).map((r) => r.OPERATIONTYPE);
      expect(resourceOps).not.toContain('User Added');
      expect(resourceOps).toContain('Resource Added');
    });

    it('pages with STARTINDEX and LIMIT, newest first; totalRows is the total count', async () => {
      const full = await audit('AUDITTYPE=Resource&STARTINDEX=1&LIMIT=1000&DURATION=ALL');
      const all = full.details as any[];
      expect(all.length).toBeGreaterThan(6);
      expect(full.totalRows).toBe(all.length);
      const auditIds = all.map((r) => Number(r.AUDITID));
      expect(auditIds).toEqual([...auditIds].sort((a, b) => b - a));

      const page1 = await audit('AUDITTYPE=Resource&STARTINDEX=1&LIMIT=3&DURATION=ALL');
      expect(page1.totalRows).toBe(all.length);
      expect(page1.details).toEqual(all.slice(0, 3));
      const page2 = await audit('AUDITTYPE=Resource&STARTINDEX=4&LIMIT=3&DURATION=ALL');
      expect(page2.totalRows).toBe(all.length);
      expect(page2.details).toEqual(all.slice(3, 6));

      const beyond = await audit(`AUDITTYPE=Resource&STARTINDEX=${all.length + 1}&LIMIT=3&DURATION=ALL`);
      expect(beyond.totalRows).toBe(all.length);
      expect(beyond.raw.operation).not.toHaveProperty('Details');
    });

    it("DURATION TODAY includes today's records; YESTERDAY excludes them", async () => {
      const todays = await audit('AUDITTYPE=Resource&STARTINDEX=1&LIMIT=1000&DURATION=TODAY');
      expect(todays.details.some((r: any) => r.RESOURCENAME === 'audited host')).toBe(true);
      const all = await audit('AUDITTYPE=Resource&STARTINDEX=1&LIMIT=1000&DURATION=ALL');
      expect(todays.totalRows).toBe(all.totalRows);
      const week = await audit('AUDITTYPE=Resource&STARTINDEX=1&LIMIT=1000&DURATION=LAST_7_DAYS');
      expect(week.totalRows).toBe(all.totalRows);

      const yesterday = await audit('AUDITTYPE=Resource&STARTINDEX=1&LIMIT=2&DURATION=YESTERDAY');
      expect(yesterday.totalRows).toBe(0);
      expect(yesterday.raw.operation).not.toHaveProperty('Details');
      const userYesterday = await audit('AUDITTYPE=User&DURATION=YESTERDAY');
      expect(userYesterday.totalRows).toBe(0);
    });

    it('refuses unknown AUDITTYPE and DURATION and bad paging values', async () => {
      expectFailed(
        await call('GET', `${V1}/audit?AUDITTYPE=Everything`),
        'AUDITTYPE must be one of Resource, User; got "Everything"',
        'GET_AUDIT',
      );
      expectFailed(
        await call('GET', `${V1}/audit?DURATION=FOREVER`),
        /^DURATION must be one of/,
        'GET_AUDIT',
      );
      expectFailed(
        await call('GET', `${V1}/audit?STARTINDEX=0`),
        'STARTINDEX must be a positive whole number; got "0"',
        'GET_AUDIT',
      );
      expectFailed(
        await call('GET', `${V1}/audit?LIMIT=ten`),
        'LIMIT must be a positive whole number; got "ten"',
        'GET_AUDIT',
      );
    });
  });

  // ---- 78 --------------------------------------------------------------------------------

  describe('78 GET RESOURCE TYPES', () => {
    const brocade = (name: string, osId: string) => ({
      COMMAND_SET: [name],
      ISSYNCSUPPORTED: 'false',
      CUSTOMRESOURCETYPE: 'Windows',
      ISCERTIFICATE: 'false',
      CATEGORY: 'network',
      SYNCTYPE: 'CustomCli',
      ISDEFAULT_SUPPORTED_RESOURCETYPE: 'true',
      OSID: osId,
      RESOURCE_ATTRIBUTES: [
        'DNS Name / IP Address',
        'Group Name',
        'Resource Description',
        'Department',
        'Resource URL',
        'Location',
        'Password Policy',
        'Resource Name',
      ],
      ACCOUNT_ATTRIBUTES: [
        'Password Policy',
        'Private Key',
        'Notes',
        'User Account',
        'User Account Password',
      ],
      RESOURCETYPE: name,
      DEFAULTRESOURCETYPE: 'false',
    });

    it('lists all resource types in the documented shape', async () => {
      const answer = expectSuccess(await call('GET', `${V1}/resources/resourcetypes`), 'GET RESOURCE TYPES');
      expect(answer.message).toBe('Resource Types fetched successfully');
      const types = answer.details.RESOURCETYPES as any[];
      expect(answer.totalRows).toBe(types.length);
      const names = types.map((t) => t.RESOURCETYPE);
      expect(names).toEqual(
        expect.arrayContaining([
          'Windows',
          'Linux',
          'MS SQL server',
          'File Store',
          'License Store',
          'Key Store',
        ]),
      );
      for (const t of types) {
        expect(Array.isArray(t.COMMAND_SET)).toBe(true);
        expect(Array.isArray(t.RESOURCE_ATTRIBUTES)).toBe(true);
        expect(Array.isArray(t.ACCOUNT_ATTRIBUTES)).toBe(true);
        expect(t.OSID).toMatch(ID);
        for (const flag of [
          'ISSYNCSUPPORTED',
          'ISCERTIFICATE',
          'ISDEFAULT_SUPPORTED_RESOURCETYPE',
          'DEFAULTRESOURCETYPE',
        ])
          expect(['true', 'false']).toContain(t[flag]);
      }
    });

    it('filters with RESOURCETYPE_CONTAINING: ["brocade"] gives exactly the three entries of the document', async () => {
      const answer = expectSuccess(
        await call('GET', `${V1}/resources/resourcetypes`, details({ RESOURCETYPE_CONTAINING: ['brocade'] })),
        'GET RESOURCE TYPES',
      );
      expect(answer.details.RESOURCETYPES).toEqual([
        brocade('Brocade', '40'),
        brocade('Brocade SAN Switch', '42'),
        brocade('Brocade VDX', '41'),
      ]);
      expect(answer.totalRows).toBe(3);
    });

    it('filters with several substrings at once, case-insensitively', async () => {
      const answer = expectSuccess(
        await call(
          'GET',
          `${V1}/resources/resourcetypes`,
          details({ RESOURCETYPE_CONTAINING: ['VDX', 'store'] }),
        ),
        'GET RESOURCE TYPES',
      );
      expect(answer.details.RESOURCETYPES.map((t: any) => t.RESOURCETYPE)).toEqual([
        'Brocade VDX',
        'File Store',
        'Key Store',
        'License Store',
      ]);
    });
  });
});

function field(value: string, type: string, label: string, column: string) {
  return {
    CUSTOMFIELDVALUE: value,
    CUSTOMFIELDTYPE: type,
    CUSTOMFIELDLABEL: label,
    CUSTOMFIELDCOLUMNNAME: column,
  };
}
