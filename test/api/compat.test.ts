import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { parsePmp, rawRequest, type PmpAnswer, type RawRequest } from '../helpers/client.js';
import { expectFailed, expectSuccess, PMP_CONTENT_TYPE } from '../helpers/expect-pmp.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';
import { missingService } from '../helpers/services.js';

/**
 * The request shapes real PMP / PAM360 clients send (compat.md), byte for byte: the token in
 * all its places, INPUT_DATA in all its encodings, the answers' exact framing, the endpoints
 * clients use beyond the document, and the document's own curl commands run with curl.
 */

const execFileAsync = promisify(execFile);

const V1 = '/restapi/json/v1';
const UNKNOWN_TOKEN = 'API key received is not associated to any user. Authentication failed.';
/** A syntactically plausible token that was never issued. */
const FOREIGN_TOKEN = '0A1B2C3D-4E5F-6789-ABCD-EF0123456789';

/**
 * Every character that has broken a PMP client somewhere: form delimiters, percent escapes
 * (one of them a valid one, %41, that must NOT become "A"), both quotes, spaces, a backslash
 * and non-ASCII up to an emoji outside the BMP.
 */
const NASTY = `+ & % = ' " \\ é 日本語 😀 %41 a+b=c&d%2B`;

type Input = { operation: Record<string, unknown> };

function details(fields: Record<string, unknown>): Input {
  return { operation: { Details: fields } };
}

// ---- encoders that reproduce what clients put on the wire ------------------------------------

/** Python's urllib.parse.quote_plus (what requests uses for form bodies): spaces as "+". */
function quotePlus(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9_.~-]/.test(c)) out += c;
    else if (byte === 0x20) out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Python's json.dumps with its defaults: ", " and ": " separators, non-ASCII as \uXXXX escapes. */
function pyJsonDumps(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(
      /[\u0080-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  }
  if (Array.isArray(value)) return `[${value.map(pyJsonDumps).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${pyJsonDumps(k)}: ${pyJsonDumps(v)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(value);
}

/** Python's repr() of a dict: single quotes, True/False/None, \' when both quotes occur. */
function pyRepr(value: unknown): string {
  if (typeof value === 'string') {
    const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
    let out = '';
    for (const ch of value) {
      if (ch === '\\') out += '\\\\';
      else if (ch === quote) out += `\\${ch}`;
      else if (ch === '\n') out += '\\n';
      else if (ch === '\t') out += '\\t';
      else out += ch;
    }
    return `${quote}${out}${quote}`;
  }
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`)
    .join(', ')}}`;
}

/**
 * Windows PowerShell's ConvertTo-Json: four-space indentation, CRLF, two spaces after the colon,
 * and ' < > & escaped as \uXXXX.
 */
function powershellJson(value: unknown): string {
  return JSON.stringify(value, null, 4)
    .replace(/\n/g, '\r\n')
    .replace(/": /g, '":  ')
    .replace(/['<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

interface Part {
  readonly name: string;
  readonly value: string | Buffer;
  readonly fileName?: string;
  readonly contentType?: string;
}

/** A multipart/form-data body built by hand, so the test controls every byte. */
function multipart(parts: readonly Part[]): { contentType: string; body: Buffer } {
  const boundary = `----BulwarkBoundary${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.fileName !== undefined) head += `; filename="${part.fileName}"`;
    head += '\r\n';
    if (part.contentType !== undefined) head += `Content-Type: ${part.contentType}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`, 'utf8'));
    chunks.push(typeof part.value === 'string' ? Buffer.from(part.value, 'utf8') : part.value);
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: Buffer.concat(chunks) };
}

/** All 256 byte values, then a few KB of random data: any re-encoding of the file shows. */
function binaryFile(): Buffer {
  const all = Buffer.alloc(256);
  for (let i = 0; i < 256; i++) all[i] = i;
  return Buffer.concat([all, randomBytes(5000), all.reverse()]);
}

function withQuery(p: string, query: string): string {
  return `${p}${p.includes('?') ? '&' : '?'}${query}`;
}

// ---- INPUT_DATA shapes -----------------------------------------------------------------------

interface Shape {
  readonly label: string;
  build(method: string, target: string, input: Input, token: string): RawRequest;
}

const SHAPES: readonly Shape[] = [
  {
    label: 'query string',
    build: (method, target, input, token) => ({
      method,
      path: withQuery(target, `INPUT_DATA=${encodeURIComponent(JSON.stringify(input))}`),
      headers: { AUTHTOKEN: token },
    }),
  },
  {
    label: 'urlencoded body (Python requests)',
    build: (method, target, input, token) => ({
      method,
      path: target,
      headers: { AUTHTOKEN: token, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `INPUT_DATA=${quotePlus(pyJsonDumps(input))}`,
    }),
  },
  {
    label: 'urlencoded body labelled text/json',
    build: (method, target, input, token) => ({
      method,
      path: target,
      headers: { AUTHTOKEN: token, 'Content-Type': 'text/json' },
      body: `INPUT_DATA=${quotePlus(pyJsonDumps(input))}`,
    }),
  },
  {
    label: 'curl --data-urlencode body labelled text/json',
    build: (method, target, input, token) => ({
      method,
      path: target,
      headers: { AUTHTOKEN: token, 'Content-Type': 'text/json' },
      body: `INPUT_DATA=${encodeURIComponent(JSON.stringify(input))}`,
    }),
  },
  {
    label: 'raw body labelled text/json',
    build: (method, target, input, token) => ({
      method,
      path: target,
      headers: { AUTHTOKEN: token, 'Content-Type': 'text/json' },
      body: `INPUT_DATA=${JSON.stringify(input)}`,
    }),
  },
  {
    label: 'raw body labelled application/json',
    build: (method, target, input, token) => ({
      method,
      path: target,
      headers: { AUTHTOKEN: token, 'Content-Type': 'application/json' },
      body: `INPUT_DATA=${JSON.stringify(input)}`,
    }),
  },
  {
    label: 'raw body without Content-Type',
    build: (method, target, input, token) => ({
      method,
      path: target,
      headers: { AUTHTOKEN: token },
      body: `INPUT_DATA=${JSON.stringify(input)}`,
    }),
  },
  {
    label: 'Python repr in a urlencoded body',
    build: (method, target, input, token) => ({
      method,
      path: target,
      headers: { AUTHTOKEN: token, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `INPUT_DATA=${quotePlus(pyRepr(input))}`,
    }),
  },
  {
    label: 'Python repr in a raw text/json body',
    build: (method, target, input, token) => ({
      method,
      path: target,
      headers: { AUTHTOKEN: token, 'Content-Type': 'text/json' },
      body: `INPUT_DATA=${pyRepr(input)}`,
    }),
  },
  {
    label: 'bare JSON document as application/json (requests json=)',
    build: (method, target, input, token) => ({
      method,
      path: target,
      headers: { AUTHTOKEN: token, 'Content-Type': 'application/json' },
      body: JSON.stringify(input),
    }),
  },
  {
    label: 'PowerShell ConvertTo-Json, raw and multi-line',
    build: (method, target, input, token) => ({
      method,
      path: target,
      headers: { AUTHTOKEN: token, 'Content-Type': 'text/json; charset=utf-8' },
      body: `INPUT_DATA=${powershellJson(input)}`,
    }),
  },
  {
    label: 'multipart/form-data field',
    build: (method, target, input, token) => {
      const { contentType, body } = multipart([{ name: 'INPUT_DATA', value: JSON.stringify(input) }]);
      return { method, path: target, headers: { AUTHTOKEN: token, 'Content-Type': contentType }, body };
    },
  },
];

// ---- curl ------------------------------------------------------------------------------------

function curlProblem(): string | undefined {
  try {
    execFileSync('curl', ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch (err) {
    return `the curl binary cannot be run (${(err as Error).message})`;
  }
}

const CURL_PROBLEM = curlProblem();

/** Skips (with the reason) when curl is missing, or fails when BULWARK_REQUIRE_SERVICES=1. */
function requireCurl(ctx: TestContext): void {
  if (CURL_PROBLEM === undefined) return;
  const failure = missingService('curl', CURL_PROBLEM);
  if (failure) throw failure;
  ctx.skip(`curl is not available: ${CURL_PROBLEM}`);
}

async function curl(args: string[]): Promise<Buffer> {
  const { stdout } = await execFileAsync('curl', ['-s', '-S', ...args], {
    encoding: 'buffer',
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

describe.each(dialects())('PMP client compatibility on %s', (dialect) => {
  let server: RunningServer;
  let token: string;
  let workDir: string;

  beforeAll(async () => {
    server = await startServer(dialect);
    token = server.token;
    workDir = mkdtempSync(path.join(tmpdir(), 'bulwark-compat-'));
  });
  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
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

  async function createResource(fields: Record<string, unknown>): Promise<{ rid: string; aid: string }> {
    const answer = expectSuccess(await call('POST', `${V1}/resources`, details(fields)));
    return { rid: answer.details.RESOURCEID, aid: answer.details.ACCOUNTID };
  }

  const passwordPath = (ids: { rid: string; aid: string }) =>
    `${V1}/resources/${ids.rid}/accounts/${ids.aid}/password`;

  async function passwordOf(ids: { rid: string; aid: string }): Promise<string> {
    return expectSuccess(await call('GET', passwordPath(ids))).details.PASSWORD;
  }

  /** Resource audit records, newest first. */
  async function resourceAudit(): Promise<any[]> {
    const answer = expectSuccess(
      await call('GET', `${V1}/audit?AUDITTYPE=Resource&STARTINDEX=1&LIMIT=1000&DURATION=ALL`),
    );
    return answer.details ?? [];
  }

  async function lastRetrieval(resourceName: string, accountName: string): Promise<any> {
    const record = (await resourceAudit()).find(
      (r) =>
        r.OPERATIONTYPE === 'Password Retrieved' &&
        r.RESOURCENAME === resourceName &&
        r.ACCOUNTNAME === accountName,
    );
    expect(record, `no 'Password Retrieved' audit record for ${resourceName}/${accountName}`).toBeDefined();
    return record;
  }

  // ---- the token ---------------------------------------------------------------------------

  describe('the API token', () => {
    const transports: [string, (t: string) => RawRequest][] = [
      ['header AUTHTOKEN', (t) => ({ path: `${V1}/resources`, headers: { AUTHTOKEN: t } })],
      ['query ?AUTHTOKEN=', (t) => ({ path: `${V1}/resources?AUTHTOKEN=${t}` })],
      [
        'header APP_AUTHTOKEN with APP_TYPE: 17',
        (t) => ({ path: `${V1}/resources`, headers: { APP_AUTHTOKEN: t, APP_TYPE: '17' } }),
      ],
      [
        'query ?APP_AUTHTOKEN=..&APP_NAME=Ansible',
        (t) => ({ path: `${V1}/resources?APP_AUTHTOKEN=${t}&APP_NAME=Ansible` }),
      ],
      ['header authtoken', (t) => ({ path: `${V1}/resources`, headers: { authtoken: t } })],
      ['header AuthToken', (t) => ({ path: `${V1}/resources`, headers: { AuthToken: t } })],
      ['header aUTHtOKEN', (t) => ({ path: `${V1}/resources`, headers: { aUTHtOKEN: t } })],
      ['header app_authtoken', (t) => ({ path: `${V1}/resources`, headers: { app_authtoken: t } })],
      ['query ?authtoken= (lower case)', (t) => ({ path: `${V1}/resources?authtoken=${t}` })],
    ];

    it.each(transports)('is accepted as %s', async (_label, build) => {
      const answer = expectSuccess(await send(build(token)));
      expect(answer.name).toBe('GET RESOURCES');
    });

    it.each(transports)('unknown, as %s, fails as Authentication', async (_label, build) => {
      const answer = expectFailed(await send(build(FOREIGN_TOKEN)), UNKNOWN_TOKEN);
      expect(answer.name).toBe('Authentication');
      expect(answer.raw.operation).not.toHaveProperty('Details');
      expect(answer.http.text).not.toContain('"Details"');
    });

    it('is required: no token at all fails as Authentication, without Details', async () => {
      const answer = expectFailed(await send({ path: `${V1}/resources` }));
      expect(answer.name).toBe('Authentication');
      expect(answer.message).toMatch(/Authentication failed/);
      expect(answer.raw.operation).not.toHaveProperty('Details');
    });

    it('is checked before INPUT_DATA is acted on: a bad token cannot create anything', async () => {
      const answer = expectFailed(
        await send({
          method: 'POST',
          path: `${V1}/resources`,
          headers: { AUTHTOKEN: FOREIGN_TOKEN, 'Content-Type': 'text/json' },
          body: `INPUT_DATA=${JSON.stringify(
            details({
              RESOURCENAME: 'never created',
              ACCOUNTNAME: 'root',
              RESOURCETYPE: 'Linux',
              PASSWORD: 'x',
            }),
          )}`,
        }),
        UNKNOWN_TOKEN,
      );
      expect(answer.name).toBe('Authentication');
      expectFailed(
        await call('GET', `${V1}/resources/resourcename/${encodeURIComponent('never created')}`),
        /does not exist/,
      );
    });
  });

  // ---- INPUT_DATA shapes ---------------------------------------------------------------------

  describe('INPUT_DATA', () => {
    it.each(SHAPES.map((s, i) => [s.label, s, i] as const))(
      'as %s creates a resource and retrieves its password intact',
      async (_label, shape, index) => {
        const name = `shape ${index} ${shape.label.replace(/[^A-Za-z0-9]+/g, ' ').trim()}`;
        const password = `${index}:${NASTY}`;
        const notes = `notes ${index} ${NASTY}`;
        const created = expectSuccess(
          await send(
            shape.build(
              'POST',
              `${V1}/resources`,
              details({
                RESOURCENAME: name,
                ACCOUNTNAME: 'root',
                RESOURCETYPE: 'Linux',
                PASSWORD: password,
                NOTES: notes,
                RESOURCEDESCRIPTION: `described ${NASTY}`,
                RECORD_RDP_SESSIONS: true,
              }),
              token,
            ),
          ),
        );
        expect(created.name).toBe('CREATE RESOURCE');
        expect(created.message).toBe(`Resource ${name} has been added successfully`);
        const ids = { rid: created.details.RESOURCEID, aid: created.details.ACCOUNTID };

        const reason = `reason ${index} ${NASTY}`;
        const got = expectSuccess(
          await send(
            shape.build('GET', passwordPath(ids), details({ REASON: reason, TICKETID: `T-${index}` }), token),
          ),
        );
        expect(got.name).toBe('GET PASSWORD');
        expect(got.details.PASSWORD).toBe(password);

        const account = expectSuccess(await call('GET', `${V1}/resources/${ids.rid}/accounts/${ids.aid}`));
        expect(account.details.NOTES).toBe(notes);
        expect(account.details.RECORD_RDP_SESSIONS).toBe('true');
        const resource = expectSuccess(await call('GET', `${V1}/resources/${ids.rid}/accounts`));
        expect(resource.details['RESOURCE DESCRIPTION']).toBe(`described ${NASTY}`);

        const audit = await lastRetrieval(name, 'root');
        expect(audit.REASON).toBe(reason);
        expect(audit.TICKETID).toBe(`T-${index}`);
      },
    );

    it.each([
      ['urlencoded, labelled text/json (curl -X GET --data-urlencode)', 'encoded'],
      ['raw, labelled text/json', 'raw'],
      ['raw, without Content-Type', 'raw-untyped'],
    ])('in a GET body (%s) carries REASON and TICKETID into the audit record', async (_label, kind) => {
      const name = `get body ${kind}`;
      const ids = await createResource({
        RESOURCENAME: name,
        ACCOUNTNAME: 'oracle',
        RESOURCETYPE: 'Linux',
        PASSWORD: `pw ${NASTY}`,
      });
      const input = details({ REASON: `Need the password to Login ${kind} ${NASTY}`, TICKETID: '7' });
      const body =
        kind === 'encoded'
          ? `INPUT_DATA=${encodeURIComponent(JSON.stringify(input))}`
          : `INPUT_DATA=${JSON.stringify(input)}`;
      const headers: Record<string, string> =
        kind === 'raw-untyped' ? { AUTHTOKEN: token } : { AUTHTOKEN: token, 'Content-Type': 'text/json' };
      const got = expectSuccess(await send({ method: 'GET', path: passwordPath(ids), headers, body }));
      expect(got.details.PASSWORD).toBe(`pw ${NASTY}`);
      const record = await lastRetrieval(name, 'oracle');
      expect(record.REASON).toBe(`Need the password to Login ${kind} ${NASTY}`);
      expect(record.TICKETID).toBe('7');
    });

    it.each([
      ['file', 'standalonesample.bin'],
      ['File', 'Lizenz é 日本.bin'],
    ])(
      'as a multipart/form-data field beside a "%s" part creates a File Store resource whose file downloads byte for byte',
      async (partName, fileName) => {
        const content = binaryFile();
        const password = `file store ${NASTY}`;
        const input = details({
          RESOURCENAME: `File Store via ${partName} (${fileName.length})`,
          ACCOUNTNAME: 'Administrator',
          RESOURCETYPE: 'File Store',
          PASSWORD: password,
          NOTES: 'Testing API',
          RESOURCEURL: 'http://windowsserver/adminconsole',
        });
        const filePart: Part = {
          name: partName,
          value: content,
          fileName,
          contentType: 'application/octet-stream',
        };
        const inputPart: Part = { name: 'INPUT_DATA', value: JSON.stringify(input) };
        // curl -F sends the parts in command-line order; the document puts the file first.
        const form = multipart(partName === 'file' ? [filePart, inputPart] : [inputPart, filePart]);
        const created = expectSuccess(
          await send({
            method: 'POST',
            path: `${V1}/resources`,
            headers: { AUTHTOKEN: token, 'Content-Type': form.contentType },
            body: form.body,
          }),
        );
        expect(created.message).toBe(
          `Resource File Store via ${partName} (${fileName.length}) has been added successfully`,
        );
        const ids = { rid: created.details.RESOURCEID, aid: created.details.ACCOUNTID };

        const download = await rawRequest(server.baseUrl, {
          path: `${V1}/resources/${ids.rid}/accounts/${ids.aid}/downloadfile`,
          headers: { AUTHTOKEN: token },
        });
        expect(download.status).toBe(200);
        expect(download.body.length).toBe(content.length);
        expect(download.body.equals(content)).toBe(true);
        const disposition = String(download.headers['content-disposition']);
        expect(disposition).toMatch(/^attachment;/);
        if (/^[\x20-\x7e]+$/.test(fileName)) expect(disposition).toContain(`filename="${fileName}"`);
        expect(disposition).toContain(`filename*=UTF-8''${encodeURIComponent(fileName)}`);

        expect(await passwordOf(ids)).toBe(password);
      },
    );

    it('for a File Store resource without a file is refused', async () => {
      const answer = expectFailed(
        await call(
          'POST',
          `${V1}/resources`,
          details({
            RESOURCENAME: 'File Store without file',
            ACCOUNTNAME: 'a',
            RESOURCETYPE: 'File Store',
            PASSWORD: 'x',
          }),
        ),
      );
      expect(answer.name).toBe('CREATE RESOURCE');
      expect(answer.message).toMatch(/file/i);
    });

    it.each([
      ['operation', 'details'],
      ['operation', 'Details'],
      ['operation', 'DETAILS'],
      ['OPERATION', 'DETAILS'],
    ])('with keys in other letter case (%s.%s) is read', async (outer, inner) => {
      const wrap = (fields: Record<string, unknown>) => ({ [outer]: { [inner]: fields } }) as Input;
      // Names are unique regardless of case, so the name spells the case out.
      const name = `keys ${outer === 'OPERATION' ? 'upper' : 'lower'} ${inner.replace(/[A-Z]/g, (c) => `^${c.toLowerCase()}`)}`;
      // Field names in lower case too when Details is lower case (some hand-written scripts).
      const lower = inner === 'details';
      const fieldName = (n: string) => (lower ? n.toLowerCase() : n);
      const created = expectSuccess(
        await call(
          'POST',
          `${V1}/resources`,
          wrap({
            [fieldName('RESOURCENAME')]: name,
            [fieldName('ACCOUNTNAME')]: 'admin',
            [fieldName('RESOURCETYPE')]: 'Windows',
            [fieldName('PASSWORD')]: `case ${NASTY}`,
            [fieldName('LOCATION')]: 'Level 10',
          }),
        ),
      );
      const ids = { rid: created.details.RESOURCEID, aid: created.details.ACCOUNTID };
      const resource = expectSuccess(await call('GET', `${V1}/resources/${ids.rid}/accounts`));
      expect(resource.details).toMatchObject({ 'RESOURCE NAME': name, LOCATION: 'Level 10' });
      const got = expectSuccess(
        await call('GET', passwordPath(ids), wrap({ [fieldName('REASON')]: 'case' })),
      );
      expect(got.details.PASSWORD).toBe(`case ${NASTY}`);
    });

    it('takes numbers where strings are expected and strings where numbers are expected', async () => {
      const created = expectSuccess(
        await call(
          'POST',
          `${V1}/resources`,
          details({
            RESOURCENAME: 'numbers as strings',
            ACCOUNTNAME: 'sa',
            RESOURCETYPE: 'MS SQL server',
            PASSWORD: 12345678,
            RESOURCECUSTOMFIELD: [
              { CUSTOMLABEL: 'License No', CUSTOMVALUE: 78336298, CUSTOMTYPE: 'Numeric' },
            ],
          }),
        ),
      );
      const rid: string = created.details.RESOURCEID;
      const aid: string = created.details.ACCOUNTID;
      expect(typeof rid).toBe('string');
      expect(await passwordOf({ rid, aid })).toBe('12345678');
      const resource = expectSuccess(await call('GET', `${V1}/resources/${rid}/accounts`));
      expect(resource.details['CUSTOM FIELD'][0].CUSTOMFIELDVALUE).toBe('78336298');

      // IDs as JSON numbers and as strings in INPUT_DATA, TICKETID as a number.
      const both = expectSuccess(
        await send({
          path: `${V1}/resources/getResourceAccountDetails?INPUT_DATA=${encodeURIComponent(
            JSON.stringify(details({ RESOURCEID: Number(rid), ACCOUNTID: aid, REASON: 'ids', TICKETID: 42 })),
          )}`,
          headers: { AUTHTOKEN: token },
        }),
      );
      expect(JSON.parse(both.details.ACCOUNTDETAILS).PASSWORD).toBe('12345678');
      const record = await lastRetrieval('numbers as strings', 'sa');
      expect(record.TICKETID).toBe('42');

      // Paging values as JSON numbers in INPUT_DATA.
      const audit = expectSuccess(
        await call('GET', `${V1}/audit`, details({ AUDITTYPE: 'Resource', STARTINDEX: 1, LIMIT: 2 })),
      );
      expect(audit.details).toHaveLength(2);
      expect(typeof audit.totalRows).toBe('number');
    });

    it('that cannot be parsed still gets the JSON envelope, HTTP 200, status Failed', async () => {
      const answer = expectFailed(
        await send({
          method: 'POST',
          path: `${V1}/resources`,
          headers: { AUTHTOKEN: token, 'Content-Type': 'text/json' },
          body: 'INPUT_DATA=%7B%22operation%22%3A%7B%22Details%22%3A%7B%22RESOURCENAME',
        }),
      );
      expect(answer.name).toBe('CREATE RESOURCE');
      expect(answer.message).toMatch(/INPUT_DATA/);
    });
  });

  // ---- the answers ---------------------------------------------------------------------------

  describe('answers', () => {
    let ids: { rid: string; aid: string };

    beforeAll(async () => {
      ids = await createResource({
        RESOURCENAME: 'answer shapes',
        ACCOUNTNAME: 'system',
        RESOURCETYPE: 'Oracle DB server',
        PASSWORD: 'Answer#1',
        RECORD_RDP_SESSIONS: true,
      });
    });

    it('are compact JSON labelled application/json;charset=UTF-8 with a numeric totalRows', async () => {
      const answer = expectSuccess(await call('GET', `${V1}/resources`));
      expect(answer.http.headers['content-type']).toBe('application/json;charset=UTF-8');
      expect(answer.http.text).toContain('"status":"Success"');
      expect(answer.http.text).toContain('{"operation":{"name":"GET RESOURCES","result":{');
      expect(answer.http.text).not.toMatch(/":\s/);
      expect(answer.http.text).toMatch(/"totalRows":\d+/);
      expect(typeof answer.totalRows).toBe('number');
      expect(answer.totalRows).toBe(answer.details.length);
      expect(JSON.stringify(JSON.parse(answer.http.text))).toBe(answer.http.text);
    });

    it('carry IDs as strings, PASSWDID equal to ACCOUNT ID, booleans as "true"/"false", absent values as N/A', async () => {
      const list = expectSuccess(await call('GET', `${V1}/resources`));
      for (const r of list.details) {
        expect(typeof r['RESOURCE ID']).toBe('string');
        expect(r['RESOURCE ID']).toMatch(/^\d+$/);
        expect(typeof r.NOOFACCOUNTS).toBe('string');
      }
      const mine = list.details.find((r: any) => r['RESOURCE NAME'] === 'answer shapes');
      expect(mine).toMatchObject({
        'RESOURCE ID': ids.rid,
        'RESOURCE DESCRIPTION': 'N/A',
        'DNS NAME': 'N/A',
      });

      const resource = expectSuccess(await call('GET', `${V1}/resources/${ids.rid}/accounts`));
      expect(resource.details).toMatchObject({
        'RESOURCE ID': ids.rid,
        DEPARTMENT: 'N/A',
        LOCATION: 'N/A',
        'RESOURCE URL': 'N/A',
        'DNS NAME': 'N/A',
      });
      const entry = resource.details['ACCOUNT LIST'][0];
      expect(entry['ACCOUNT ID']).toBe(ids.aid);
      expect(entry.PASSWDID).toBe(entry['ACCOUNT ID']);
      expect(entry.ISFAVPASS).toBe('false');
      expect(entry['PASSWORD STATUS']).toBe('*****');

      const account = expectSuccess(await call('GET', `${V1}/resources/${ids.rid}/accounts/${ids.aid}`));
      expect(account.details.PASSWDID).toBe(ids.aid);
      expect(account.details['ACCOUNT ID']).toBe(ids.aid);
      expect(account.details.DESCRIPTION).toBe('N/A');
      expect(account.details.NOTES).toBe('N/A');
      expect(account.details.RECORD_RDP_SESSIONS).toBe('true');
      expect(account.details.RECORD_CLI_SESSIONS).toBe('false');
      for (const [key, value] of Object.entries(account.details)) {
        if (key === 'CUSTOM FIELD') continue;
        expect(typeof value, `${key} is not a string`).toBe('string');
      }
    });

    it('for an empty list have no Details key at all, only "totalRows":0', async () => {
      const answer = expectSuccess(
        await send({
          path: `${V1}/resources?INPUT_DATA=${encodeURIComponent(
            JSON.stringify(
              details({
                SEARCHCOLUMN: 'RESOURCENAME',
                SEARCHVALUE: 'matches-nothing-zq',
                SEARCHTYPE: 'RESOURCE',
              }),
            ),
          )}`,
          headers: { AUTHTOKEN: token },
        }),
      );
      expect(answer.totalRows).toBe(0);
      expect(answer.raw.operation).not.toHaveProperty('Details');
      expect(answer.http.text).not.toContain('"Details"');
      expect(answer.http.text).toContain('"totalRows":0');
    });

    it('for logical errors are HTTP 200, "status":"Failed" and say what is wrong', async () => {
      const answer = expectFailed(
        await call('GET', `${V1}/resources/99999999/accounts`),
        'Resource with ID 99999999 does not exist or is not accessible to you',
      );
      expect(answer.name).toBe('GET RESOURCE ACCOUNTLIST');
      expect(answer.http.text).toContain('"status":"Failed"');
    });

    it('for a request line the HTTP parser refuses (raw UTF-8 in the query, as curl sends it) are still the JSON envelope', async () => {
      // curl percent-encodes non-ASCII in the path but sends it raw in the query string:
      // curl "https://…/getResourceIdAccountId?RESOURCENAME=Serveur é&ACCOUNTNAME=root"
      const raw = Buffer.from('Serveur%20é', 'utf8').toString('latin1');
      const response = await rawRequest(server.baseUrl, {
        path: `${V1}/resources/getResourceIdAccountId?RESOURCENAME=${raw}&ACCOUNTNAME=root`,
        headers: { AUTHTOKEN: token },
      });
      let status: unknown;
      try {
        status = JSON.parse(response.text).operation.result.status;
      } catch {
        status = `not the PMP envelope: ${response.text.slice(0, 120)}`;
      }
      expect({
        http: response.status,
        contentType: response.headers['content-type'],
        status,
      }).toEqual({ http: 200, contentType: PMP_CONTENT_TYPE, status: 'Failed' });
    });

    it('for unknown paths and wrong methods are the JSON envelope with status Failed', async () => {
      const unknown = expectFailed(await call('GET', `${V1}/no/such/endpoint`), /no API endpoint/);
      expect(unknown.raw.operation.result.status).toBe('Failed');
      expectFailed(await call('POST', `${V1}/resources/1/accounts/1/password`), /POST is not allowed/);
      expectFailed(
        await send({
          method: 'POST',
          path: `${V1}/resources`,
          headers: { AUTHTOKEN: token, 'Content-Type': 'multipart/form-data; boundary=xyz' },
          body: 'not multipart at all',
        }),
        /multipart/,
      );
    });
  });

  // ---- endpoints beyond the document ---------------------------------------------------------

  describe('endpoints clients use beyond the document', () => {
    let web: { rid: string; aid: string };
    const webName = 'Web Server Prod';
    const webAccount = 'svc deploy';
    const webPassword = `ansible ${NASTY}`;

    beforeAll(async () => {
      web = await createResource({
        RESOURCENAME: webName,
        ACCOUNTNAME: webAccount,
        RESOURCETYPE: 'Linux',
        PASSWORD: webPassword,
        DNSNAME: 'web-1.example.test',
      });
      await createResource({
        RESOURCENAME: 'intranet-WEB',
        ACCOUNTNAME: 'root',
        RESOURCETYPE: 'Linux',
        PASSWORD: 'x',
      });
      await createResource({
        RESOURCENAME: 'db-primary',
        ACCOUNTNAME: 'root',
        RESOURCETYPE: 'Linux',
        PASSWORD: 'x',
      });
    });

    it.each([
      ['%20', (s: string) => s.replaceAll(' ', '%20')],
      ['+', (s: string) => s.replaceAll(' ', '+')],
    ])(
      'GET resources/resourcename/{r}/accounts/accountname/{a} answers RESOURCEID and ACCOUNTID (spaces as %s)',
      async (_label, encode) => {
        const answer = expectSuccess(
          await call(
            'GET',
            `${V1}/resources/resourcename/${encode(webName)}/accounts/accountname/${encode(webAccount)}`,
          ),
        );
        expect(answer.details).toEqual({ RESOURCEID: web.rid, ACCOUNTID: web.aid });
      },
    );

    it.each([
      ['%20', (s: string) => s.replaceAll(' ', '%20')],
      ['+', (s: string) => s.replaceAll(' ', '+')],
    ])('getResourceIdAccountId finds names whose spaces arrive as %s', async (_label, encode) => {
      const answer = expectSuccess(
        await call(
          'GET',
          `${V1}/resources/getResourceIdAccountId?RESOURCENAME=${encode(webName)}&ACCOUNTNAME=${encode(webAccount)}`,
        ),
      );
      expect(answer.name).toBe('GET_RESOURCEACCOUNTID');
      expect(answer.details).toEqual({ RESOURCEID: web.rid, ACCOUNTID: web.aid });
    });

    it.each([
      ['resourcename/{r}/accounts/accountname/{a}', 'path'],
      ['getResourceIdAccountId', 'query'],
    ])(
      '%s finds names holding a literal + when spaces arrive as + (Python quote_plus)',
      async (_label, form) => {
        const ids = await createResource({
          RESOURCENAME: `C++ ${form} farm`,
          ACCOUNTNAME: 'svc+ci user',
          RESOURCETYPE: 'Linux',
          PASSWORD: 'x',
        });
        // urllib.parse.quote_plus: "+" becomes %2B, a space becomes "+".
        const r = quotePlus(`C++ ${form} farm`);
        const a = quotePlus('svc+ci user');
        expect(r).toBe(`C%2B%2B+${form}+farm`);
        const target =
          form === 'path'
            ? `${V1}/resources/resourcename/${r}/accounts/accountname/${a}`
            : `${V1}/resources/getResourceIdAccountId?RESOURCENAME=${r}&ACCOUNTNAME=${a}`;
        const answer = expectSuccess(await call('GET', target));
        expect(answer.details).toEqual({ RESOURCEID: ids.rid, ACCOUNTID: ids.aid });
        if (form === 'path') {
          const byName = expectSuccess(await call('GET', `${V1}/resources/resourcename/${r}`));
          expect(byName.details).toEqual({ RESOURCEID: ids.rid });
        }
      },
    );

    it('getResourceAccountDetails (Ansible, APP_AUTHTOKEN in the query) answers resource details and a JSON string holding the password', async () => {
      const answer = expectSuccess(
        await send({
          path: `${V1}/resources/getResourceAccountDetails?RESOURCEID=${web.rid}&ACCOUNTID=${web.aid}&APP_AUTHTOKEN=${token}&APP_NAME=Ansible`,
        }),
      );
      expect(typeof answer.details.RESOURCEDETAILS).toBe('object');
      expect(answer.details.RESOURCEDETAILS).toMatchObject({
        'RESOURCE ID': web.rid,
        'RESOURCE NAME': webName,
        'DNS NAME': 'web-1.example.test',
      });
      expect(typeof answer.details.ACCOUNTDETAILS).toBe('string');
      const account = JSON.parse(answer.details.ACCOUNTDETAILS);
      expect(account.PASSWORD).toBe(webPassword);
      expect(account['ACCOUNT NAME']).toBe(webAccount);
      // Reading the password this way is a retrieval like any other.
      expect((await lastRetrieval(webName, webAccount)).OPERATEDBY).toBe('admin');
    });

    it('getResourceAccountDetails with an unknown token fails as Authentication', async () => {
      const answer = expectFailed(
        await send({
          path: `${V1}/resources/getResourceAccountDetails?RESOURCEID=${web.rid}&ACCOUNTID=${web.aid}&APP_AUTHTOKEN=${FOREIGN_TOKEN}&APP_NAME=Ansible`,
        }),
        UNKNOWN_TOKEN,
      );
      expect(answer.name).toBe('Authentication');
    });

    const searchJson = JSON.stringify(
      details({ SEARCHCOLUMN: 'RESOURCENAME', SEARCHVALUE: 'web', SEARCHTYPE: 'RESOURCE' }),
    );
    it.each([
      ['raw JSON in the query', `INPUT_DATA=${searchJson}`],
      ['percent-encoded JSON in the query', `INPUT_DATA=${encodeURIComponent(searchJson)}`],
      // What fetch / new URL() make of a literal JSON query: quotes encoded, braces left alone.
      ['JSON as a WHATWG URL serialises it', new URL(`https://x/?INPUT_DATA=${searchJson}`).search.slice(1)],
    ])('resource search by SEARCHCOLUMN/SEARCHVALUE works with %s', async (_label, query) => {
      const answer = expectSuccess(
        await send({ path: `${V1}/resources?${query}`, headers: { AUTHTOKEN: token } }),
      );
      const names = answer.details.map((r: any) => r['RESOURCE NAME']).sort();
      expect(names).toEqual(['Web Server Prod', 'intranet-WEB'].sort());
      expect(answer.totalRows).toBe(2);
    });

    it('GET resources/resourcetypes answers a non-empty Details (health check)', async () => {
      const answer = expectSuccess(await call('GET', `${V1}/resources/resourcetypes`));
      expect(answer.name).toBe('GET RESOURCE TYPES');
      expect(answer.details.RESOURCETYPES.length).toBeGreaterThan(0);
      expect(answer.totalRows).toBe(answer.details.RESOURCETYPES.length);
    });

    it('GET resources/resourcetypes with RESOURCETYPE_CONTAINING ["brocade"] answers exactly the three Brocade types', async () => {
      // The document's own sample input, trailing comma included.
      const input = '{ "operation":{ "Details":{ "RESOURCETYPE_CONTAINING":["brocade"], } } }';
      const answer = expectSuccess(
        await send({
          path: `${V1}/resources/resourcetypes?INPUT_DATA=${encodeURIComponent(input)}`,
          headers: { AUTHTOKEN: token, orgName: 'MSPOrg' },
        }),
      );
      const names = answer.details.RESOURCETYPES.map((t: any) => t.RESOURCETYPE);
      expect(names).toEqual(['Brocade', 'Brocade SAN Switch', 'Brocade VDX']);
      expect(answer.totalRows).toBe(3);
    });
  });

  // ---- curl, exactly as the document shows it ------------------------------------------------

  describe('the curl commands of the API document', () => {
    const curlPassword = `Test@123 ${NASTY}`;
    let created: { rid: string; aid: string } | undefined;

    it('curl -k -H "AUTHTOKEN:…" …/resources lists resources', async (ctx) => {
      requireCurl(ctx);
      const out = await curl(['-k', '-H', `AUTHTOKEN:${token}`, `${server.baseUrl}${V1}/resources`]);
      const text = out.toString('utf8');
      expect(text).toContain('"status":"Success"');
      expect(JSON.parse(text).operation.name).toBe('GET RESOURCES');
    });

    it('curl -X POST -H "content-Type: text/json" --data-urlencode "INPUT_DATA={…}" creates a resource', async (ctx) => {
      requireCurl(ctx);
      const input = JSON.stringify(
        details({
          RESOURCENAME: 'Windows Server',
          ACCOUNTNAME: 'Administrator',
          RESOURCETYPE: 'Windows',
          PASSWORD: curlPassword,
          RESOURCEPASSWORDPOLICY: 'Strong',
          ACCOUNTPASSWORDPOLICY: 'Strong',
          RESOURCECUSTOMFIELD: [{ CUSTOMLABEL: 'Secure Resource', CUSTOMVALUE: 'YES' }],
          ACCOUNTCUSTOMFIELD: [{ CUSTOMLABEL: 'Secure Account', CUSTOMVALUE: 'YES' }],
        }),
      );
      const out = await curl([
        '-X',
        'POST',
        '-k',
        '-H',
        `AUTHTOKEN:${token}`,
        '-H',
        'content-Type: text/json',
        `${server.baseUrl}${V1}/resources`,
        '--data-urlencode',
        `INPUT_DATA=${input}`,
      ]);
      const answer = JSON.parse(out.toString('utf8'));
      expect(answer.operation.result).toMatchObject({
        status: 'Success',
        message: 'Resource Windows Server has been added successfully',
      });
      created = { rid: answer.operation.Details.RESOURCEID, aid: answer.operation.Details.ACCOUNTID };
      expect(await passwordOf(created)).toBe(curlPassword);
    });

    it('curl "…/getResourceIdAccountId?RESOURCENAME=…&ACCOUNTNAME=…" finds the IDs', async (ctx) => {
      requireCurl(ctx);
      expect(created, 'the curl-created resource is missing').toBeDefined();
      const out = await curl([
        '-k',
        '-H',
        `AUTHTOKEN:${token}`,
        `${server.baseUrl}${V1}/resources/getResourceIdAccountId?RESOURCENAME=Windows+Server&ACCOUNTNAME=Administrator`,
      ]);
      const answer = JSON.parse(out.toString('utf8'));
      expect(answer.operation.Details).toEqual({ RESOURCEID: created!.rid, ACCOUNTID: created!.aid });
    });

    it('curl -X GET -H "Content-Type: text/json" …/password --data-urlencode \'INPUT_DATA={…REASON…}\' retrieves the password and audits the reason', async (ctx) => {
      requireCurl(ctx);
      expect(created, 'the curl-created resource is missing').toBeDefined();
      const out = await curl([
        '-X',
        'GET',
        '-k',
        '-H',
        'Content-Type: text/json',
        '-H',
        `AUTHTOKEN:${token}`,
        `${server.baseUrl}${passwordPath(created!)}`,
        '--data-urlencode',
        'INPUT_DATA={"operation":{"Details":{"REASON":"Need the password to Login Windows Server"}}}',
      ]);
      const answer = JSON.parse(out.toString('utf8'));
      expect(answer.operation.result.message).toBe('Password fetched successfully');
      expect(answer.operation.Details.PASSWORD).toBe(curlPassword);
      const record = await lastRetrieval('Windows Server', 'Administrator');
      expect(record.REASON).toBe('Need the password to Login Windows Server');
    });

    it('curl -X PUT …/password --data-urlencode INPUT_DATA={…NEWPASSWORD…} changes the password', async (ctx) => {
      requireCurl(ctx);
      expect(created, 'the curl-created resource is missing').toBeDefined();
      const out = await curl([
        '-X',
        'PUT',
        '-k',
        '-H',
        `AUTHTOKEN:${token}`,
        `${server.baseUrl}${passwordPath(created!)}`,
        '--data-urlencode',
        'INPUT_DATA={"operation":{"Details":{"NEWPASSWORD":"Tqz13579$ +&%=","RESETTYPE":"LOCAL","REASON":"test","TICKETID":"7"}}}',
      ]);
      const answer = JSON.parse(out.toString('utf8'));
      expect(answer.operation.name).toBe('CHANGE PASSWORD');
      expect(answer.operation.result.message).toBe('Password changed successfully');
      expect(await passwordOf(created!)).toBe('Tqz13579$ +&%=');
    });

    it("curl -H \"Content-Type: multipart/form-data\" -F 'file=@…' -F 'INPUT_DATA=…' creates a File Store resource; curl -i …/downloadfile returns the file", async (ctx) => {
      requireCurl(ctx);
      const content = binaryFile();
      const filePath = path.join(workDir, 'standalonesample.txt');
      writeFileSync(filePath, content);
      const out = await curl([
        '-X',
        'POST',
        '-k',
        '-H',
        `AUTHTOKEN:${token}`,
        '-H',
        'Content-Type: multipart/form-data',
        '-F',
        `file=@${filePath}`,
        '-F',
        'INPUT_DATA={"operation":{"Details":{"RESOURCENAME":"Curl File Store","ACCOUNTNAME":"Administrator","RESOURCETYPE":"File Store","PASSWORD":"Test123#@!","NOTES":"Testing API","RESOURCEURL":"http://windowsserver/adminconsole"}}}',
        `${server.baseUrl}${V1}/resources`,
      ]);
      const answer = JSON.parse(out.toString('utf8'));
      expect(answer.operation.result).toMatchObject({
        status: 'Success',
        message: 'Resource Curl File Store has been added successfully',
      });
      const ids = { rid: answer.operation.Details.RESOURCEID, aid: answer.operation.Details.ACCOUNTID };

      const response = await curl([
        '-i',
        '-k',
        '-H',
        `AUTHTOKEN:${token}`,
        `${server.baseUrl}${V1}/resources/${ids.rid}/accounts/${ids.aid}/downloadfile`,
      ]);
      const split = response.indexOf('\r\n\r\n');
      expect(split).toBeGreaterThan(0);
      const head = response.subarray(0, split).toString('latin1');
      const body = response.subarray(split + 4);
      expect(head).toMatch(/^HTTP\/[\d.]+ 200/);
      expect(head).toMatch(/content-disposition: attachment;[^\r\n]*filename="standalonesample\.txt"/i);
      expect(body.length).toBe(content.length);
      expect(body.equals(content)).toBe(true);
    });

    it('curl -H "Transfer-Encoding: chunked" -F with a 2 MB file (Expect: 100-continue) uploads it intact', async (ctx) => {
      requireCurl(ctx);
      const content = Buffer.concat([binaryFile(), randomBytes(2 * 1024 * 1024)]);
      const filePath = path.join(workDir, 'big license.bin');
      writeFileSync(filePath, content);
      const out = await curl([
        '-k',
        '-H',
        `AUTHTOKEN:${token}`,
        '-H',
        'Transfer-Encoding: chunked',
        '-F',
        `INPUT_DATA=${JSON.stringify(
          details({
            RESOURCENAME: 'Chunked License Store',
            ACCOUNTNAME: 'license',
            RESOURCETYPE: 'License Store',
            PASSWORD: 'chunked',
          }),
        )}`,
        '-F',
        `File=@${filePath}`,
        `${server.baseUrl}${V1}/resources`,
      ]);
      const answer = JSON.parse(out.toString('utf8'));
      expect(answer.operation.result.status, answer.operation.result.message).toBe('Success');
      const ids = { rid: answer.operation.Details.RESOURCEID, aid: answer.operation.Details.ACCOUNTID };
      const download = await rawRequest(server.baseUrl, {
        path: `${V1}/resources/${ids.rid}/accounts/${ids.aid}/downloadfile`,
        headers: { AUTHTOKEN: token },
      });
      expect(download.status).toBe(200);
      expect(download.body.equals(content)).toBe(true);
      expect(String(download.headers['content-disposition'])).toContain('filename="big license.bin"');
    });
  });
});
