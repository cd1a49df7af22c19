/**
 * Account retrieval controls (ISREASONREQUIRED, IS_TICKETID_REQD, IS_TICKETID_REQD_MANDATORY,
 * ACCESS_CONTROL) over a real port, on both dialects.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiUser } from '../helpers/actors.js';
import { details, parsePmp, pmpClient, rawRequest } from '../helpers/client.js';
import { expectFailed as failed, expectSuccess as ok } from '../helpers/expect-pmp.js';
import { multipart } from '../helpers/multipart.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';
import { totp, type TotpParameters } from '../../src/platform/crypto/totp.js';

/** RFC 6238's SHA1 seed, and the same in base32 as clients send it. */
const SEED = Buffer.from('12345678901234567890', 'ascii');
const SEED_BASE32 = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

/** The codes valid around now (the request may cross a step boundary). */
function codesAround(parameters: TotpParameters, key = SEED): string[] {
  const now = Date.now() / 1000;
  return [-1, 0, 1].map((step) => totp(key, now + step * parameters.period, parameters));
}

const V1 = '/restapi/json/v1';
const CONTROLS = [
  'ISREASONREQUIRED',
  'IS_TICKETID_REQD',
  'IS_TICKETID_REQD_MANDATORY',
  'ACCESS_CONTROL',
] as const;

/** The organisation's ticketing system, on loopback: GET /tickets/{id}?user={user}. */
function ticketServer() {
  return http.createServer((req, res) => {
    const id = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.split('/').pop() ?? '');
    const json = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    };
    if (id === 'CHG-1') return json(200, '{"status":"open","assignee":"admin"}');
    if (id === 'CHG-2') return json(200, '{"status":"closed","assignee":"admin"}');
    if (id === 'CHG-3') return json(200, '{"status":"open","assignee":"somebody-else"}');
    if (id === 'GARBAGE') return json(200, 'this is not json');
    if (id === 'BROKEN') return json(500, '{"error":"boom"}');
    if (id === 'SLOW') {
      setTimeout(() => json(200, '{"status":"open","assignee":"admin"}'), 3000).unref();
      return;
    }
    json(404, '{"error":"unknown ticket"}');
  });
}

describe.each(dialects())('account flags on %s', (dialect) => {
  let server: RunningServer;
  let call: ReturnType<typeof pmpClient>;
  const tickets = ticketServer();

  beforeAll(async () => {
    await new Promise<void>((resolve) => tickets.listen(0, '127.0.0.1', resolve));
    const port = (tickets.address() as AddressInfo).port;
    server = await startServer(dialect, {
      BULWARK_TICKET_SYSTEM: 'http',
      BULWARK_TICKET_URL: `http://127.0.0.1:${port}/tickets/{ticketId}?user={user}`,
      BULWARK_TICKET_TIMEOUT_MS: '500',
      BULWARK_TICKET_ASSIGNEE_PATH: '$.assignee',
    });
    call = pmpClient(server.baseUrl, server.token);
  });
  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
    tickets.closeAllConnections();
    await new Promise((resolve) => tickets.close(resolve));
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

  const password = (rid: string, aid: string, fields?: Record<string, unknown>) =>
    call(`${V1}/resources/${rid}/accounts/${aid}/password`, fields ? { input: details(fields) } : {});

  it('a required reason: refused without one (saying so), released with one, the refusal audited', async () => {
    const { rid, aid } = await create('reason-required', {
      PASSWORD: 'R3ason-Secret',
      ISREASONREQUIRED: 'true',
    });
    const refused = failed(await password(rid, aid));
    expect(refused.name).toBe('GET PASSWORD');
    expect(refused.message).toBe(
      'A reason is required to retrieve the password of account root: give REASON',
    );
    expect(refused.statusCode).toBe(40006);
    expect(refused.http.text).not.toContain('R3ason-Secret');
    failed(await password(rid, aid, { REASON: '   ' }));

    const released = ok(await password(rid, aid, { REASON: 'patching' }));
    expect(released.details.PASSWORD).toBe('R3ason-Secret');
    // the query string carries it as well (GET clients)
    ok(await call(`${V1}/resources/${rid}/accounts/${aid}/password`, { query: { REASON: 'patching' } }));

    const trail = ok(await call(`${V1}/audit?AUDITTYPE=Resource&STARTINDEX=1&LIMIT=1000&DURATION=ALL`));
    expect(trail.http.text).toContain('Retrieval Refused');
    expect(trail.http.text).not.toContain('R3ason-Secret');
  });

  it('getResourceAccountDetails without a required reason answers PASSWORD_REASON, never PASSWORD', async () => {
    const { rid, aid } = await create('reason-ansible', {
      PASSWORD: 'Ans1ble-Secret',
      ISREASONREQUIRED: 'true',
    });
    const path = `${V1}/resources/getResourceAccountDetails`;
    const refused = failed(
      await call(path, { query: { RESOURCEID: rid, ACCOUNTID: aid }, transport: 'app-query' }),
    );
    expect(refused.name).toBe('GET RESOURCE ACCOUNT DETAILS');
    const account = JSON.parse(refused.details.ACCOUNTDETAILS);
    expect(account.PASSWORD_REASON).toContain('A reason is required');
    expect(account.PASSWORD).toBeUndefined();
    expect(refused.http.text).not.toContain('Ans1ble-Secret');

    const released = ok(
      await call(path, {
        query: { RESOURCEID: rid, ACCOUNTID: aid, REASON: 'deploy' },
        transport: 'app-query',
      }),
    );
    expect(JSON.parse(released.details.ACCOUNTDETAILS).PASSWORD).toBe('Ans1ble-Secret');
  });

  it('downloadfile honours the same controls', async () => {
    const form = multipart([
      {
        name: 'INPUT_DATA',
        value: JSON.stringify(
          details({
            RESOURCENAME: 'reason-file',
            RESOURCETYPE: 'File Store',
            ACCOUNTNAME: 'key',
            PASSWORD: 'n/a',
            ISREASONREQUIRED: 'true',
          }),
        ),
      },
      { name: 'file', value: 'FILE-CONTENT-42', fileName: 'licence.key' },
    ]);
    const created = ok(
      parsePmp(
        await rawRequest(server.baseUrl, {
          method: 'POST',
          path: `${V1}/resources`,
          headers: { AUTHTOKEN: server.token, 'Content-Type': form.contentType },
          body: form.body,
        }),
      ),
    );
    const url = `${V1}/resources/${created.details.RESOURCEID}/accounts/${created.details.ACCOUNTID}/downloadfile`;
    const refused = failed(await call(url));
    expect(refused.message).toBe('A reason is required to retrieve the file of account key: give REASON');
    expect(refused.http.text).not.toContain('FILE-CONTENT-42');
    const file = await rawRequest(server.baseUrl, {
      path: `${url}?REASON=audit`,
      headers: { AUTHTOKEN: server.token },
    });
    expect(file.text).toBe('FILE-CONTENT-42');
  });

  it('a mandatory ticket id: refused without one; validated by the ticket system', async () => {
    const { rid, aid } = await create('ticket-mandatory', {
      PASSWORD: 'T1cket-Secret',
      IS_TICKETID_REQD_MANDATORY: 'true',
    });
    const missing = failed(await password(rid, aid, { REASON: 'x' }));
    expect(missing.message).toBe(
      'A ticket ID is required to retrieve the password of account root: give TICKETID',
    );

    expect(ok(await password(rid, aid, { TICKETID: 'CHG-1' })).details.PASSWORD).toBe('T1cket-Secret');

    const closed = failed(await password(rid, aid, { TICKETID: 'CHG-2' }));
    expect(closed.message).toContain('Ticket ID CHG-2 is not open (status "closed")');
    expect(closed.statusCode).toBe(40310);
    expect(failed(await password(rid, aid, { TICKETID: 'CHG-3' })).message).toContain(
      'Ticket ID CHG-3 is not assigned to admin',
    );
    expect(failed(await password(rid, aid, { TICKETID: 'NO-SUCH' })).statusCode).toBe(40310);
    for (const [ticket, why] of [
      ['GARBAGE', 'its answer is not JSON'],
      ['BROKEN', 'it answered HTTP 500'],
      ['SLOW', 'no answer within 500 ms'],
    ] as const) {
      const started = Date.now();
      const answer = failed(await password(rid, aid, { TICKETID: ticket }));
      expect(answer.message).toContain(why);
      expect(answer.statusCode).toBe(50300);
      expect(answer.http.text).not.toContain('T1cket-Secret');
      expect(Date.now() - started).toBeLessThan(2500);
    }
  });

  it('IS_TICKETID_REQD alone: a ticket id is optional, but one given must be valid', async () => {
    const { rid, aid } = await create('ticket-optional', {
      PASSWORD: 'Opt-Secret',
      IS_TICKETID_REQD: 'true',
    });
    expect(ok(await password(rid, aid)).details.PASSWORD).toBe('Opt-Secret');
    expect(ok(await password(rid, aid, { TICKETID: 'CHG-1' })).details.PASSWORD).toBe('Opt-Secret');
    failed(await password(rid, aid, { TICKETID: 'CHG-2' }));
  });

  it('accounts without controls never ask the ticket system', async () => {
    const { rid, aid } = await create('ticket-none', { PASSWORD: 'Free-Secret' });
    expect(ok(await password(rid, aid, { TICKETID: 'CHG-2' })).details.PASSWORD).toBe('Free-Secret');
  });

  // ---- TOTP (21, 22, 91) ------------------------------------------------------------------

  const fetchTotp = (aid: string, query?: Record<string, string>, client = call) =>
    client(`${V1}/accounts/${aid}/totp`, query ? { query } : {});

  it('91 answers the current RFC 6238 code of the secret given at creation; defaults SHA1/6/30', async () => {
    const { aid } = await create('totp-create', { TOTP_SECRET: SEED_BASE32 });
    const answer = ok(await fetchTotp(aid));
    expect(answer.name).toBe('FETCH_CURRENT_TOTP');
    expect(answer.message).toBe('TOTP has been successfully fetched.');
    expect(answer.statusCode).toBe(20000);
    expect(codesAround({ algorithm: 'SHA1', digits: 6, period: 30 })).toContain(answer.details.TOTP);
    expect(answer.http.text).not.toContain(SEED_BASE32);

    const trail = ok(await call(`${V1}/audit?AUDITTYPE=Resource&STARTINDEX=1&LIMIT=1000&DURATION=ALL`));
    expect(trail.http.text).toContain('TOTP Retrieved');
    expect(trail.http.text).not.toContain(answer.details.TOTP);
  });

  it('21 and 22 configure, change and remove it', async () => {
    const { rid } = await create('totp-edit');
    const added = ok(
      await call(`${V1}/resources/${rid}/accounts`, {
        method: 'POST',
        input: details({
          ACCOUNTLIST: [
            {
              ACCOUNTNAME: 'web',
              PASSWORD: 'p',
              TOTP_SECRET: 'gezd gnbv gy3t qojq gezd gnbv gy3t qojq',
              TOTP_ALGORITHM: 'SHA256',
              TOTP_DIGITS: '8',
              TOTP_VALIDITY: '60',
            },
          ],
        }),
      }),
    );
    const aid = added.details[0].web.ACCOUNTID as string;
    expect(codesAround({ algorithm: 'SHA256', digits: 8, period: 60 })).toContain(
      ok(await fetchTotp(aid)).details.TOTP,
    );

    // parameters alone keep the secret
    ok(
      await call(`${V1}/resources/${rid}/accounts/${aid}`, {
        method: 'PUT',
        input: details({ TOTP_ALGORITHM: 'SHA512', TOTP_DIGITS: 7 }),
      }),
    );
    expect(codesAround({ algorithm: 'SHA512', digits: 7, period: 60 })).toContain(
      ok(await fetchTotp(aid)).details.TOTP,
    );

    // a new secret resets the parameters to the defaults where not given
    const other = Buffer.from('another-secret-key!!', 'ascii');
    ok(
      await call(`${V1}/resources/${rid}/accounts/${aid}`, {
        method: 'PUT',
        input: details({ ACCOUNTNAME: 'web', TOTP_SECRET: 'MFXG65DIMVZC243FMNZGK5BNNNSXSIJB' }),
      }),
    );
    expect(codesAround({ algorithm: 'SHA1', digits: 6, period: 30 }, other)).toContain(
      ok(await fetchTotp(aid)).details.TOTP,
    );

    // an empty secret removes it
    ok(
      await call(`${V1}/resources/${rid}/accounts/${aid}`, {
        method: 'PUT',
        input: details({ TOTP_SECRET: '' }),
      }),
    );
    expect(failed(await fetchTotp(aid)).message).toBe('No TOTP is configured for account web');
  });

  it('bad TOTP input is a clear Failed and changes nothing', async () => {
    const { rid, aid } = await create('totp-bad', { TOTP_SECRET: SEED_BASE32, TOTP_DIGITS: '8' });
    const edit = (fields: Record<string, unknown>) =>
      call(`${V1}/resources/${rid}/accounts/${aid}`, {
        method: 'PUT',
        input: details({ NOTES: 'changed', ...fields }),
      });
    const cases: [Record<string, unknown>, string][] = [
      [{ TOTP_SECRET: 'not base32!' }, 'TOTP_SECRET is not a base32 secret'],
      [{ TOTP_SECRET: '01890189' }, 'TOTP_SECRET is not a base32 secret'],
      [{ TOTP_ALGORITHM: 'MD5' }, 'TOTP_ALGORITHM must be SHA1, SHA256 or SHA512; got "MD5"'],
      [{ TOTP_DIGITS: '9' }, 'TOTP_DIGITS must be 6, 7 or 8'],
      [{ TOTP_DIGITS: '5' }, 'TOTP_DIGITS must be 6, 7 or 8'],
      [{ TOTP_DIGITS: 'six' }, 'TOTP_DIGITS must be 6, 7 or 8'],
      [{ TOTP_VALIDITY: '0' }, 'TOTP_VALIDITY must be a number of seconds from 1 to 86400'],
      [{ TOTP_VALIDITY: '-30' }, 'TOTP_VALIDITY must be a number of seconds from 1 to 86400'],
    ];
    for (const [fields, message] of cases) {
      const answer = failed(await edit(fields));
      expect(answer.message, JSON.stringify(fields)).toContain(message);
      expect(answer.http.text).not.toContain('not base32!');
    }
    expect((await accountDetails(rid, aid)).NOTES).toBe('N/A');
    expect(codesAround({ algorithm: 'SHA1', digits: 8, period: 30 })).toContain(
      ok(await fetchTotp(aid)).details.TOTP,
    );

    // parameters for an account without a TOTP; a TOTP on creation with a bad secret
    const plain = await create('totp-none');
    expect(
      failed(
        await call(`${V1}/resources/${plain.rid}/accounts/${plain.aid}`, {
          method: 'PUT',
          input: details({ TOTP_DIGITS: '8' }),
        }),
      ).message,
    ).toContain('Account root has no TOTP: give TOTP_SECRET');
    const badCreate = failed(
      await call(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: 'totp-bad-create',
          RESOURCETYPE: 'Linux',
          ACCOUNTNAME: 'root',
          PASSWORD: 'x',
          TOTP_SECRET: '1111',
        }),
      }),
    );
    expect(badCreate.message).toContain('TOTP_SECRET is not a base32 secret');
    const list = ok(await call(`${V1}/resources`));
    expect(list.details.map((r: any) => r['RESOURCE NAME'])).not.toContain('totp-bad-create');
  });

  it('91 needs view access, honours the account controls, and the secret is sealed at rest', async () => {
    const { rid, aid } = await create('totp-guarded', { TOTP_SECRET: SEED_BASE32, ISREASONREQUIRED: 'true' });
    expect(failed(await fetchTotp(aid)).message).toBe(
      'A reason is required to retrieve the TOTP of account root: give REASON',
    );
    ok(await fetchTotp(aid, { REASON: 'login' }));
    expect(failed(await fetchTotp('99999999')).statusCode).toBe(40400);
    expect(failed(await fetchTotp('abc')).statusCode).toBe(40005);

    const reader = await createApiUser(server, 'totp-reader', 'Password User');
    expect(failed(await fetchTotp(aid, { REASON: 'x' }, reader.call)).statusCode).toBe(40400);
    ok(
      await call(`${V1}/resources/${rid}/accounts/${aid}/share`, {
        method: 'PUT',
        input: details({ ACCESSTYPE: 'view', USERID: reader.id }),
      }),
    );
    ok(await fetchTotp(aid, { REASON: 'x' }, reader.call));

    if (dialect === 'sqlite') {
      const { readdirSync, readFileSync } = await import('node:fs');
      const path = await import('node:path');
      for (const file of readdirSync(server.instance.dataDir)) {
        if (!file.startsWith('bulwark.db')) continue;
        const bytes = readFileSync(path.join(server.instance.dataDir, file));
        expect(bytes.includes(SEED), file).toBe(false);
        expect(bytes.includes(Buffer.from(SEED_BASE32)), file).toBe(false);
      }
    }
  });
});
