/**
 * Imports (docs/import.md) over real components: `bulwark import` as a child process on the data
 * directory, the token endpoint (multipart and INPUT_DATA) and the console endpoint of a real
 * `bulwark serve`, on SQLite and PostgreSQL, under the product's default password policy. Every
 * imported password is read back through the PMP API and compared with the file's; the audit
 * trail holds the creations; bad files, dry runs and callers who may not import change nothing.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiUser } from '../helpers/actors.js';
import { details, pmpClient, rawRequest, parsePmp, type PmpAnswer } from '../helpers/client.js';
import { signIn } from '../helpers/console-client.js';
import { expectFailed, expectSuccess } from '../helpers/expect-pmp.js';
import { multipart } from '../helpers/multipart.js';
import {
  createInstance,
  dialects,
  REPO_ROOT,
  serve,
  type Instance,
  type RunningServer,
} from '../helpers/server.js';

const V1 = '/restapi/json/v1';
const FIXTURES = path.join(REPO_ROOT, 'test/fixtures/import');
const fixture = (name: string) => path.join(FIXTURES, name);
const text = (name: string) => readFileSync(fixture(name), 'utf8');

interface RowReport {
  row: number;
  resource: string;
  account: string;
  status: 'imported' | 'skipped';
  reason?: string;
}

/** What each fixture holds, as the import must report it. */
const EXPECTED = {
  csv: {
    imported: [
      ['web-01', 'root', 'Zq8,"Lm4#xV'],
      ['web-01', 'deploy', 'Hw5!tKp9Rz'],
      ['db-01', 'postgres', 'Vb3$nQx8Lw'],
      ['crm', 'support', 'Sd4@hJw8Nc'],
    ],
    skipped: [
      [6, /^duplicate: account Postgres already exists on resource db-01$/],
      [7, /^The password does not satisfy the password policy Strong/],
      [8, /RESOURCETYPE "Toaster" is not a known resource type/],
      [9, /^missing field: resource_name$/],
    ],
  },
  pmp: {
    imported: [
      ['win-dc-01', 'Administrator', 'Wd5%kTq8Ls'],
      ['win-dc-01', 'svc-backup', 'Bk9^rNv3Xm'],
      ['sql-01', 'sa', 'Sq2*wLp7Hd'],
      ['rtr-edge', 'enable', 'Ce6(tGz4Vy'],
    ],
    skipped: [
      [6, /^duplicate: account enable already exists on resource rtr-edge$/],
      [7, /^missing field: User Account$/],
    ],
  },
  keepass: {
    imported: [
      ['mail.example.org', 'oncall@example.org', 'Mx4&tR8<qW'],
      ['fw-01', 'admin', 'Fw7"pK]x2<Jd'],
      ['core-sw-1', 'netops', 'Sw3@nB6tRy'],
    ],
    skipped: [[-1, /^missing field: UserName$/]],
  },
  bitwarden: {
    imported: [
      ['jump-host', 'bastion', 'Jk4%wPz7Nc\\"é'],
      ['GitLab', 'ci-bot', 'Rb6^yHn3Vq'],
    ],
    skipped: [
      [2, /^bad type: a secure note item/],
      [4, /^bad type: a card item/],
      [5, /^missing field: login.username$/],
      [6, /^duplicate: account CI-Bot already exists on resource GitLab$/],
    ],
  },
} as const;

type Format = keyof typeof EXPECTED;

function checkReport(format: Format, report: { imported: number; skipped: number; rows: RowReport[] }) {
  const expected = EXPECTED[format];
  const imported = report.rows.filter((r) => r.status === 'imported').map((r) => [r.resource, r.account]);
  expect(imported).toEqual(expected.imported.map(([resource, account]) => [resource, account]));
  const skipped = report.rows.filter((r) => r.status === 'skipped');
  expect(skipped).toHaveLength(expected.skipped.length);
  expected.skipped.forEach(([row, reason], i) => {
    if (row !== -1) expect(skipped[i]!.row).toBe(row);
    expect(skipped[i]!.reason).toMatch(reason);
  });
  expect(report.imported).toBe(expected.imported.length);
  expect(report.skipped).toBe(expected.skipped.length);
  // The report names rows, never their passwords.
  for (const [, , password] of expected.imported) expect(JSON.stringify(report)).not.toContain(password);
}

describe.each(dialects())('imports on %s', (dialect) => {
  let instance: Instance;
  let server: RunningServer;
  let call: ReturnType<typeof pmpClient>;
  const work = () => path.dirname(instance.dataDir);

  const importCli = (format: string, file: string, ...more: string[]) =>
    instance.cli('import', '--data-dir', instance.dataDir, '--format', format, file, ...more);

  async function resourceNames(): Promise<string[]> {
    const list = expectSuccess(await call(`${V1}/resources`));
    return (list.details ?? []).map((r: any) => r['RESOURCE NAME'] as string).sort();
  }

  async function passwordOf(resource: string, account: string): Promise<string> {
    const ids = expectSuccess(
      await call(`${V1}/resources/getResourceIdAccountId`, {
        query: { RESOURCENAME: resource, ACCOUNTNAME: account },
      }),
    ).details;
    const answer = expectSuccess(
      await call(`${V1}/resources/${ids.RESOURCEID}/accounts/${ids.ACCOUNTID}/password`, {
        query: { REASON: 'import check' },
      }),
    );
    return answer.details.PASSWORD as string;
  }

  async function groupsOf(resource: string, account: string): Promise<string[]> {
    const ids = expectSuccess(
      await call(`${V1}/resources/getResourceIdAccountId`, {
        query: { RESOURCENAME: resource, ACCOUNTNAME: account },
      }),
    ).details;
    const answer = expectSuccess(await call(`${V1}/resources/${ids.RESOURCEID}/associatedGroups`));
    return (answer.details['ASSOCIATED GROUPS'] as any[]).map((g) => g['GROUP NAME'] as string);
  }

  async function expectPasswords(format: Format) {
    for (const [resource, account, password] of EXPECTED[format].imported) {
      expect(await passwordOf(resource, account), `${resource}/${account}`).toBe(password);
    }
  }

  const importFile = (token: string, format: string, content: string, dryRun?: boolean) => {
    const body = multipart([
      { name: 'FORMAT', value: format },
      ...(dryRun === undefined ? [] : [{ name: 'DRYRUN', value: String(dryRun) }]),
      { name: 'file', value: content, fileName: `export.${format}` },
    ]);
    return rawRequest(server.baseUrl, {
      method: 'POST',
      path: `${V1}/import`,
      headers: { AUTHTOKEN: token, 'content-type': body.contentType },
      body: body.body,
    }).then(parsePmp);
  };

  /** The token endpoint's report in the console's shape, for checkReport. */
  const rowsOf = (answer: PmpAnswer) => ({
    imported: answer.details.IMPORTED as number,
    skipped: answer.details.SKIPPED as number,
    rows: (answer.details.ROWS as any[]).map((r) => ({
      row: r.ROW,
      resource: r.RESOURCENAME,
      account: r.ACCOUNTNAME,
      status: r.STATUS,
      reason: r.REASON,
    })),
  });

  beforeAll(async () => {
    instance = await createInstance(dialect, {}, { realDefaultPolicy: true });
  });
  afterAll(async () => {
    await server?.stop();
    instance?.remove();
  });

  it('CLI: a file that does not parse is refused whole, in one line, and writes nothing', async () => {
    const broken = path.join(work(), 'broken.xml');
    writeFileSync(
      broken,
      text('keepass.xml').replace('</Group>\n\t\t<DeletedObjects />', '<DeletedObjects />'),
    );
    const result = await importCli('keepass', broken);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(
      /^bulwark: XML line \d+: a closing tag that does not match its opening tag$/,
    );
    const csv = path.join(work(), 'broken.csv');
    writeFileSync(csv, text('bulwark.csv').replace('"Console via iLO', 'Con"sole'));
    const second = await importCli('csv', csv);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/CSV line 2: a quote inside an unquoted field/);
    expect(second.stderr).not.toContain('Zq8');
  });

  it('CLI: --dry-run reports every row and writes nothing', async () => {
    const result = await importCli('csv', fixture('bulwark.csv'), '--dry-run', '--json');
    expect(result.code, result.stderr).toBe(2);
    const report = JSON.parse(result.stdout);
    expect(report.dryRun).toBe(true);
    checkReport('csv', report);
    const human = await importCli('csv', fixture('bulwark.csv'), '--dry-run');
    expect(human.stdout).toMatch(/^Dry run \(nothing written\) of 8 row\(s\)/);
    expect(human.stdout).toContain('row 2: web-01/root: would be imported (new resource)');
    expect(human.stdout).toContain('row 8: printer-7/admin: skipped: RESOURCETYPE "Toaster"');
  });

  it('CLI: imports Bulwark CSV and PMP CSV as the super administrator, per-row results and progress', async () => {
    const csv = await importCli('csv', fixture('bulwark.csv'), '--json');
    expect(csv.code, csv.stderr).toBe(2);
    checkReport('csv', JSON.parse(csv.stdout));
    // Progress on stderr: one line per row when it is not a terminal.
    expect(csv.stderr).toMatch(/\[ ?\d\/8\] row 2 web-01\/root: imported/);
    expect(csv.stderr).not.toContain('Zq8');
    const pmp = await importCli('pmp', fixture('pmp-resources.csv'));
    expect(pmp.code, pmp.stderr).toBe(2);
    expect(pmp.stdout).toContain('row 2: win-dc-01/Administrator: imported (new resource)');
    expect(pmp.stdout).toContain('row 3: win-dc-01/svc-backup: imported\n');
    expect(pmp.stdout).toMatch(/imported: 4\n {2}skipped: 2\n {2}resources created: 3/);
    // The same file again: every row is now a duplicate, nothing changes.
    const again = await importCli('pmp', fixture('pmp-resources.csv'), '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ imported: 0, skipped: 6 });
    const nobody = await importCli('pmp', fixture('pmp-resources.csv'), '--as', 'nobody');
    expect(nobody.stderr.trim()).toBe('bulwark: there is no unlocked user named nobody');
  });

  it('serves what the CLI imported: each password equal to the file, owned by admin, with its group and audit records', async () => {
    server = await serve(instance);
    call = pmpClient(server.baseUrl, server.token);
    expect(await resourceNames()).toEqual(['crm', 'db-01', 'rtr-edge', 'sql-01', 'web-01', 'win-dc-01']);
    await expectPasswords('csv');
    await expectPasswords('pmp');
    const ids = expectSuccess(
      await call(`${V1}/resources/getResourceIdAccountId`, {
        query: { RESOURCENAME: 'web-01', ACCOUNTNAME: 'root' },
      }),
    ).details;
    const resource = expectSuccess(await call(`${V1}/resources/${ids.RESOURCEID}/accounts`)).details;
    expect(resource).toMatchObject({
      'RESOURCE TYPE': 'Linux',
      'DNS NAME': 'web-01.example.net',
      'RESOURCE DESCRIPTION': 'Front web server, rack 4',
      DEPARTMENT: 'Operations',
      LOCATION: 'Paris DC',
      'RESOURCE OWNER': 'admin',
    });
    const account = expectSuccess(
      await call(`${V1}/resources/${ids.RESOURCEID}/accounts/${ids.ACCOUNTID}`),
    ).details;
    expect(account.NOTES).toBe('Console via iLO\r\nask ops first');
    expect(await groupsOf('web-01', 'root')).toEqual(['Imported Linux']);

    const audit = expectSuccess(
      await call(`${V1}/audit`, { query: { AUDITTYPE: 'Resource', LIMIT: '500' } }),
    );
    const records = audit.details as any[];
    const added = (op: string, resource: string, account?: string) =>
      records.filter(
        (r) =>
          r.OPERATIONTYPE === op &&
          r.RESOURCENAME === resource &&
          (account === undefined || r.ACCOUNTNAME === account) &&
          r.OPERATEDBY === 'admin' &&
          r.CLIENT === 'CLI',
      );
    for (const name of ['web-01', 'db-01', 'crm', 'win-dc-01', 'sql-01', 'rtr-edge'])
      expect(added('Resource Added', name), name).toHaveLength(1);
    for (const [resource, account] of [...EXPECTED.csv.imported, ...EXPECTED.pmp.imported])
      expect(added('Account Added', resource, account), `${resource}/${account}`).toHaveLength(1);
    // Nothing of the refused resources, the dry runs or the broken files.
    expect(records.some((r) => ['printer-7', 'mail.example.org'].includes(r.RESOURCENAME))).toBe(false);
    expect(records.filter((r) => r.OPERATIONTYPE === 'Resource Added')).toHaveLength(6);
  });

  it('token endpoint: KeePass XML as multipart, after a dry run (INPUT_DATA) that writes nothing', async () => {
    const dry = expectSuccess(
      await call(`${V1}/import`, {
        method: 'POST',
        input: details({ FORMAT: 'keepass', CONTENT: text('keepass.xml'), DRYRUN: true }),
      }),
      'IMPORT RESOURCES',
    );
    expect(dry.message).toBe('3 of 4 row(s) would be imported, 1 skipped');
    checkReport('keepass', rowsOf(dry));
    expect(await resourceNames()).not.toContain('fw-01');

    const answer = expectSuccess(
      await importFile(server.token, 'keepass', text('keepass.xml')),
      'IMPORT RESOURCES',
    );
    expect(answer.details).toMatchObject({ FORMAT: 'keepass', DRYRUN: false, TOTAL: 4, RESOURCESCREATED: 3 });
    checkReport('keepass', rowsOf(answer));
    await expectPasswords('keepass');
    expect(await groupsOf('fw-01', 'admin')).toEqual(['Network']);
    expect(await groupsOf('core-sw-1', 'netops')).toEqual(['Network/Switches']);
    expect(await groupsOf('mail.example.org', 'oncall@example.org')).toEqual([]);
    const audit = expectSuccess(
      await call(`${V1}/audit`, { query: { AUDITTYPE: 'Resource', LIMIT: '500' } }),
    );
    const fw = (audit.details as any[]).filter(
      (r) =>
        r.RESOURCENAME === 'fw-01' && r.CLIENT === 'REST API' && r.OPERATIONTYPE !== 'Password Retrieved',
    );
    expect(fw.map((r) => r.OPERATIONTYPE).sort()).toEqual(['Account Added', 'Resource Added']);
  });

  it('token endpoint: bad input gets a clear Failed answer and changes nothing', async () => {
    const before = await resourceNames();
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { FORMAT: 'keepass', CONTENT: '<KeePassFile><Root><Group>' },
        /^XML line 1: element Group is never closed$/,
      ],
      [
        { FORMAT: 'csv', CONTENT: 'resource_name,account_name,password\r\n"x,y,z' },
        /^CSV line 2: a quoted field is never closed$/,
      ],
      [{ FORMAT: 'bitwarden', CONTENT: '{"encrypted":true,"items":[]}' }, /encrypted/],
      [{ FORMAT: 'lastpass', CONTENT: 'x' }, /^format: format must be one of csv, keepass, bitwarden, pmp$/],
      [{ FORMAT: 'csv' }, /^content: content must be the text of the file$/],
      [{ FORMAT: 'csv', CONTENT: 'a', DRYRUN: 'maybe' }, /DRYRUN must be "true" or "false"/],
    ];
    for (const [input, message] of cases) {
      expectFailed(
        await call(`${V1}/import`, { method: 'POST', input: details(input) }),
        message,
        'IMPORT RESOURCES',
      );
    }
    expectFailed(
      await importFile(
        server.token,
        'pmp',
        text('pmp-resources.csv').replace('"win-dc-01","win', '"win-dc-01,"win'),
      ),
      /^CSV line 2: text after the closing quote of a field$/,
    );
    expect(await resourceNames()).toEqual(before);
  });

  it('only administrators and password administrators import; a password administrator cannot add to resources it may not change', async () => {
    const user = await createApiUser(server, 'importing-user', 'Password User');
    const refused = await importFile(user.token, 'csv', text('bulwark.csv'));
    expectFailed(
      refused,
      /^Only administrators, privileged administrators and password administrators may import resources$/,
    );
    const auditor = await createApiUser(server, 'importing-auditor', 'Password Auditor');
    expectFailed(await importFile(auditor.token, 'pmp', text('pmp-resources.csv')), /may import resources/);

    const padmin = await createApiUser(server, 'importing-padmin', 'Password Administrator');
    const content = [
      'resource_name,resource_type,account_name,password',
      'web-01,Linux,intruder,Iq4#rTz8Wm',
      'padmin-host,Linux,ops,Pa6!sKx3Vn',
    ].join('\r\n');
    const answer = expectSuccess(await importFile(padmin.token, 'csv', content));
    expect(rowsOf(answer).rows).toEqual([
      {
        row: 2,
        resource: 'web-01',
        account: 'intruder',
        status: 'skipped',
        reason: 'resource web-01 already exists and you do not have full access to it',
      },
      { row: 3, resource: 'padmin-host', account: 'ops', status: 'imported', reason: undefined },
    ]);
    // What it imported is its own: it reads the password; the admin's resource is unchanged.
    const mine = expectSuccess(
      await padmin.call(`${V1}/resources/getResourceIdAccountId`, {
        query: { RESOURCENAME: 'padmin-host', ACCOUNTNAME: 'ops' },
      }),
    ).details;
    const resource = expectSuccess(await padmin.call(`${V1}/resources/${mine.RESOURCEID}/accounts`)).details;
    expect(resource['RESOURCE OWNER']).toBe('importing-padmin');
    expectFailed(
      await call(`${V1}/resources/getResourceIdAccountId`, {
        query: { RESOURCENAME: 'web-01', ACCOUNTNAME: 'intruder' },
      }),
    );
  });

  it('console endpoint: Bitwarden JSON for a signed-in administrator; bad bodies refused with a field', async () => {
    const { client } = await signIn(
      server.baseUrl,
      instance.credentials.username,
      instance.credentials.password,
    );
    const bad = await client.post('/api/v1/import', { format: 'bitwarden', content: 42 });
    expect(bad.status).toBe(400);
    expect(bad.json.error.field).toBe('content');
    const unknown = await client.post('/api/v1/import', { format: 'csv', content: 'x', extra: 1 });
    expect(unknown.status).toBe(400);
    const broken = await client.post('/api/v1/import', { format: 'bitwarden', content: '{"items": [' });
    expect(broken.status).toBe(400);
    expect(broken.json.error.message).toBe('Bitwarden JSON: the file is not JSON');

    const dry = await client.post('/api/v1/import', {
      format: 'bitwarden',
      content: text('bitwarden.json'),
      dryRun: true,
    });
    expect(dry.status, JSON.stringify(dry.json)).toBe(200);
    checkReport('bitwarden', dry.json);
    expect(await resourceNames()).not.toContain('jump-host');

    const answer = await client.post('/api/v1/import', {
      format: 'bitwarden',
      content: text('bitwarden.json'),
    });
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    expect(answer.json).toMatchObject({ format: 'bitwarden', dryRun: false, total: 6, resourcesCreated: 2 });
    checkReport('bitwarden', answer.json);
    await expectPasswords('bitwarden');
    const audit = expectSuccess(
      await call(`${V1}/audit`, { query: { AUDITTYPE: 'Resource', LIMIT: '500' } }),
    );
    const jump = (audit.details as any[]).filter((r) => r.RESOURCENAME === 'jump-host');
    expect(jump.map((r) => [r.OPERATIONTYPE, r.CLIENT]).sort()).toEqual([
      ['Account Added', 'Web Client'],
      ['Password Retrieved', 'REST API'],
      ['Resource Added', 'Web Client'],
    ]);
  });

  it('no imported password reached the server log or the CLI output', async () => {
    const all = [
      ...EXPECTED.csv.imported,
      ...EXPECTED.pmp.imported,
      ...EXPECTED.keepass.imported,
      ...EXPECTED.bitwarden.imported,
    ];
    for (const [, , password] of all) expect(server.output()).not.toContain(password);
    const human = await importCli('pmp', fixture('pmp-resources.csv'), '--dry-run');
    for (const [, , password] of EXPECTED.pmp.imported)
      expect(human.stdout + human.stderr).not.toContain(password);
  });

  it('the audit chain verifies after the imports', async () => {
    const verify = await instance.cli('audit', 'verify', '--data-dir', instance.dataDir);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });
});
