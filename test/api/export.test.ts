/**
 * A user's export (docs/import.md, ADR 051) over real components: one `bulwark serve` on SQLite,
 * its token and console endpoints, and `bulwark export` / `bulwark import --format
 * bulwark-export` as child processes. Cast: owner (Password Administrator) owns the `exp-*`
 * resources; full holds a full-access share of exp-web (with an access-controlled account and
 * one that requires a reason); viewer a view share of one account of exp-db; helpdesk a share of
 * exp-hd through a resource group with NoHelpDeskRetrieval; outsider nothing. Each export must
 * hold exactly the accounts that user sees, and for each one exactly what GET PASSWORD answers
 * that user: the same password, or the same refusal as the row's reason.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openExport } from '../../src/modules/export/export.format.js';
import { parseBulwarkCsv } from '../../src/modules/import/parsers/bulwark-csv.js';
import { Secret } from '../../src/platform/crypto/secret.js';
import { createApiUser, type Actor } from '../helpers/actors.js';
import { details, pmpClient, type PmpAnswer } from '../helpers/client.js';
import { signIn } from '../helpers/console-client.js';
import { expectFailed, expectSuccess } from '../helpers/expect-pmp.js';
import { createInstance, startServer, type Instance, type RunningServer } from '../helpers/server.js';

const V1 = '/restapi/json/v1';
const PASSPHRASE = 'export passphrase 2027!';

/** The passwords the owner stores, with characters a CSV must quote. */
const PASSWORDS: Record<string, string> = {
  'exp-web/root': ' Zq8,"Lm4#xV ',
  'exp-web/deploy': 'Hw5!tKp9Rz\nsecond line',
  'exp-web/gated': 'Gt3$checkout-only',
  'exp-web/reasoned': 'Rs7%why-needed',
  'exp-db/postgres': 'Vb3$nQx8Lw',
  'exp-db/replica': 'Rp2&notShared',
  'exp-hd/helpdesk': 'Hd9*noRetrieval',
  'adm-only/x': 'Ad1^adminOnly',
};

interface Row {
  resource: string;
  account: string;
  password: string;
  notes: string;
  description: string;
}

/** The CSV inside an export, as rows (a withheld password reads as ''). */
async function contentOf(file: Buffer, passphrase = PASSPHRASE): Promise<Row[]> {
  const csv = (await openExport(file, new Secret(passphrase))).toString('utf8');
  const rows: Row[] = [];
  for (const r of parseBulwarkCsv(csv)) {
    if (r.ok) {
      rows.push({
        resource: r.record.resourceName,
        account: r.record.accountName,
        password: r.record.password.reveal(),
        notes: r.record.notes,
        description: r.record.accountDescription,
      });
    } else {
      expect(r.reason).toBe('missing field: password');
      rows.push({ resource: r.resource, account: r.account, password: '', notes: '', description: '' });
    }
  }
  return rows;
}

interface ReportRow {
  RESOURCENAME: string;
  ACCOUNTNAME: string;
  STATUS: 'exported' | 'withheld';
  REASON?: string;
}

describe('user exports on sqlite', () => {
  let server: RunningServer;
  let admin: ReturnType<typeof pmpClient>;
  const actors: Record<string, Actor> = {};
  const actor = (name: string) => actors[name]!;
  const ids: Record<string, { rid: string; aid: string }> = {};
  const work = () => path.dirname(server.instance.dataDir);
  const passphraseFile = () => path.join(work(), 'passphrase.txt');

  const exportOf = (who: { call: Actor['call'] }, fields: Record<string, unknown> = {}) =>
    who.call(`${V1}/export`, {
      method: 'POST',
      input: details({ PASSPHRASE, ...fields }),
    });

  async function auditRecords(type: 'Resource' | 'User'): Promise<any[]> {
    return expectSuccess(await admin(`${V1}/audit`, { query: { AUDITTYPE: type, LIMIT: '1000' } }))
      .details as any[];
  }

  /** What `who` sees through the retrieval endpoints: every account of every listed resource. */
  async function visible(who: Actor): Promise<string[]> {
    const list = expectSuccess(await who.call(`${V1}/resources`)).details ?? [];
    const names: string[] = [];
    for (const r of list as any[]) {
      const accounts = expectSuccess(await who.call(`${V1}/resources/${r['RESOURCE ID']}/accounts`)).details;
      for (const a of accounts['ACCOUNT LIST'] as any[])
        names.push(`${r['RESOURCE NAME']}/${a['ACCOUNT NAME']}`);
    }
    return names.sort();
  }

  /**
   * Checks an export against the retrieval endpoints, as `who` with `reason`: the accounts are
   * those `who` sees; each row exported holds the password GET PASSWORD releases, each withheld
   * row carries GET PASSWORD's refusal. Returns how many were exported.
   */
  async function expectSameAsRetrieval(who: Actor, answer: PmpAnswer, reason?: string): Promise<number> {
    const report = answer.details.ROWS as ReportRow[];
    const rows = await contentOf(Buffer.from(answer.details.CONTENT as string, 'base64'));
    const key = (r: { resource: string; account: string }) => `${r.resource}/${r.account}`;
    expect(rows.map(key).sort()).toEqual(await visible(who));
    expect(report.map((r) => `${r.RESOURCENAME}/${r.ACCOUNTNAME}`).sort()).toEqual(rows.map(key).sort());
    for (const row of rows) {
      const { rid, aid } = ids[key(row)]!;
      const retrieved = await who.call(`${V1}/resources/${rid}/accounts/${aid}/password`, {
        query: reason === undefined ? {} : { REASON: reason },
      });
      const reported = report.find((r) => r.RESOURCENAME === row.resource && r.ACCOUNTNAME === row.account)!;
      if (retrieved.status === 'Success') {
        expect(reported.STATUS, key(row)).toBe('exported');
        expect(row.password, key(row)).toBe(retrieved.details.PASSWORD);
        expect(row.password, key(row)).toBe(PASSWORDS[key(row)]);
      } else {
        expect(reported.STATUS, key(row)).toBe('withheld');
        expect(reported.REASON, key(row)).toBe(retrieved.message);
        expect(row.password, key(row)).toBe('');
      }
    }
    expect(answer.details.TOTAL).toBe(rows.length);
    return report.filter((r) => r.STATUS === 'exported').length;
  }

  async function createResource(who: Actor, resource: string, account: string, extra = {}) {
    const answer = expectSuccess(
      await who.call(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: resource,
          RESOURCETYPE: 'Linux',
          DNSNAME: `${resource}.example.net`,
          RESOURCEDESCRIPTION: `Resource ${resource}, exported`,
          ACCOUNTNAME: account,
          PASSWORD: PASSWORDS[`${resource}/${account}`],
          ...extra,
        }),
      }),
    );
    ids[`${resource}/${account}`] = {
      rid: String(answer.details.RESOURCEID),
      aid: String(answer.details.ACCOUNTID),
    };
    return String(answer.details.RESOURCEID);
  }

  async function addAccount(who: Actor, resource: string, account: string, extra = {}) {
    const rid = ids[Object.keys(ids).find((k) => k.startsWith(`${resource}/`))!]!.rid;
    const added = expectSuccess(
      await who.call(`${V1}/resources/${rid}/accounts`, {
        method: 'POST',
        input: details({
          ACCOUNTLIST: [{ ACCOUNTNAME: account, PASSWORD: PASSWORDS[`${resource}/${account}`], ...extra }],
        }),
      }),
    );
    ids[`${resource}/${account}`] = { rid, aid: String(added.details[0][account].ACCOUNTID) };
  }

  beforeAll(async () => {
    server = await startServer('sqlite');
    admin = pmpClient(server.baseUrl, server.token);
    const roles: Record<string, string> = {
      owner: 'Password Administrator',
      full: 'Password User',
      viewer: 'Password User',
      helpdesk: 'Password User',
      outsider: 'Password User',
    };
    for (const [name, role] of Object.entries(roles)) actors[name] = await createApiUser(server, name, role);
    const owner = actor('owner');
    const web = await createResource(owner, 'exp-web', 'root', {
      ACCOUNTDESCRIPTION: 'Break-glass, "root"',
      NOTES: 'Console via iLO\r\nask ops first',
    });
    await addAccount(owner, 'exp-web', 'deploy', { NOTES: 'Deployment user' });
    await addAccount(owner, 'exp-web', 'gated', { ACCESS_CONTROL: 'true' });
    await addAccount(owner, 'exp-web', 'reasoned', { ISREASONREQUIRED: 'true' });
    await createResource(owner, 'exp-db', 'postgres');
    await addAccount(owner, 'exp-db', 'replica');
    const hd = await createResource(owner, 'exp-hd', 'helpdesk');
    ids['adm-only/x'] = await (async () => {
      const answer = expectSuccess(
        await admin(`${V1}/resources`, {
          method: 'POST',
          input: details({
            RESOURCENAME: 'adm-only',
            RESOURCETYPE: 'Linux',
            ACCOUNTNAME: 'x',
            PASSWORD: PASSWORDS['adm-only/x'],
          }),
        }),
      );
      return { rid: String(answer.details.RESOURCEID), aid: String(answer.details.ACCOUNTID) };
    })();
    expectSuccess(
      await owner.call(`${V1}/resources/${web}/share`, {
        method: 'PUT',
        input: details({ ACCESSTYPE: 'fullaccess', USERID: actor('full').id }),
      }),
    );
    const { rid, aid } = ids['exp-db/postgres']!;
    expectSuccess(
      await owner.call(`${V1}/resources/${rid}/accounts/${aid}/share`, {
        method: 'PUT',
        input: details({ ACCESSTYPE: 'view', USERID: actor('viewer').id }),
      }),
    );
    const group = String(
      expectSuccess(
        await owner.call(`${V1}/resourcegroup`, {
          method: 'POST',
          input: details({ GROUPNAME: 'Export help desk', GROUPTYPE: 'STATIC', NoHelpDeskRetrieval: 'true' }),
        }),
      ).details.RESOURCEGROUPID,
    );
    expectSuccess(
      await owner.call(`${V1}/resourcegroup/${group}/associateResources`, {
        method: 'POST',
        input: details({ RESOURCEIDS: [hd] }),
      }),
    );
    expectSuccess(
      await owner.call(`${V1}/resourcegroup/share`, {
        method: 'PUT',
        input: details({
          resourceGroupIds: [group],
          userIds: [actor('helpdesk').id],
          accessType: 'fullaccess',
        }),
      }),
    );
    writeFileSync(passphraseFile(), `${PASSPHRASE}\n`);
  });
  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
  });

  it('each user exports exactly what the retrieval endpoints give them, audited per password and as a whole', async () => {
    const resourceBefore = (await auditRecords('Resource')).length;
    const expected: Record<string, { exported: number; total: number }> = {
      owner: { exported: 6, total: 7 },
      full: { exported: 2, total: 4 },
      viewer: { exported: 1, total: 1 },
      helpdesk: { exported: 0, total: 1 },
      outsider: { exported: 0, total: 0 },
    };
    const answers: Record<string, PmpAnswer> = {};
    for (const name of Object.keys(expected)) {
      answers[name] = expectSuccess(await exportOf(actor(name)), 'EXPORT PASSWORDS');
      expect(answers[name].details, name).toMatchObject({
        TOTAL: expected[name]!.total,
        EXPORTED: expected[name]!.exported,
        WITHHELD: expected[name]!.total - expected[name]!.exported,
      });
      expect(answers[name].details.FILENAME, name).toMatch(
        new RegExp(`^bulwark-export-${name}-[0-9-]+\\.bwexport$`),
      );
    }
    // One access record per password released, before any GET PASSWORD below adds its own.
    const all = await auditRecords('Resource');
    const resource = all.slice(0, all.length - resourceBefore);
    for (const name of Object.keys(expected)) {
      const released = resource.filter(
        (r) => r.OPERATEDBY === name && r.OPERATIONTYPE === 'Password Retrieved',
      );
      expect(released.length, name).toBe(expected[name]!.exported);
      for (const r of released) expect(r.CLIENT).toBe('REST API');
    }
    // The refusals the gate audits (a reason missing, a checkout needed) are audited here too.
    expect(
      resource.filter((r) => r.OPERATEDBY === 'full' && r.OPERATIONTYPE === 'Retrieval Refused').length,
    ).toBe(2);
    const users = await auditRecords('User');
    for (const name of Object.keys(expected)) {
      const whole = users.filter((r) => r.OPERATIONTYPE === 'Passwords Exported' && r.OPERATEDBY === name);
      expect(whole, name).toHaveLength(1);
      expect(whole[0].USERNAME).toBe(name);
      expect(whole[0].REASON).toMatch(
        new RegExp(
          `^${expected[name]!.total} account\\(s\\) of \\d+ resource\\(s\\); ${expected[name]!.exported} password\\(s\\) exported`,
        ),
      );
    }
    for (const record of [...resource, ...users]) {
      for (const password of Object.values(PASSWORDS)) expect(JSON.stringify(record)).not.toContain(password);
    }

    // Kept for the CLI's refusals below.
    writeFileSync(
      path.join(work(), 'viewer.bwexport'),
      Buffer.from(answers.viewer!.details.CONTENT as string, 'base64'),
    );

    // Now the same questions to the retrieval endpoints: the same answers, account by account.
    for (const name of Object.keys(expected)) {
      expect(await expectSameAsRetrieval(actor(name), answers[name]!), name).toBe(expected[name]!.exported);
    }
    const withheld = (name: string) =>
      Object.fromEntries(
        (answers[name]!.details.ROWS as ReportRow[])
          .filter((r) => r.STATUS === 'withheld')
          .map((r) => [`${r.RESOURCENAME}/${r.ACCOUNTNAME}`, r.REASON]),
      );
    expect(withheld('full')).toEqual({
      'exp-web/gated': expect.stringMatching(/under password access control/),
      'exp-web/reasoned': expect.stringMatching(/A reason is required/),
    });
    expect(withheld('helpdesk')).toEqual({ 'exp-hd/helpdesk': expect.stringMatching(/help desk retrieval/) });
    // The notes and descriptions travel with the accounts.
    const ownRows = await contentOf(Buffer.from(answers.owner!.details.CONTENT as string, 'base64'));
    expect(ownRows.find((r) => r.account === 'root')).toMatchObject({
      notes: 'Console via iLO\r\nask ops first',
      description: 'Break-glass, "root"',
    });
    expect(ownRows.map((r) => r.resource)).not.toContain('adm-only');
  });

  it('a REASON goes to every release, as it does to GET PASSWORD', async () => {
    const answer = expectSuccess(await exportOf(actor('full'), { REASON: 'quarterly escrow' }));
    expect(answer.details).toMatchObject({ TOTAL: 4, EXPORTED: 3, WITHHELD: 1 });
    expect(await expectSameAsRetrieval(actor('full'), answer, 'quarterly escrow')).toBe(3);
    const records = (await auditRecords('Resource')).filter(
      (r) =>
        r.OPERATEDBY === 'full' &&
        r.REASON === 'quarterly escrow' &&
        r.OPERATIONTYPE === 'Password Retrieved',
    );
    // The export's three releases, then GET PASSWORD's three.
    expect(records).toHaveLength(6);
  });

  it('bad input answers Failed in the envelope, never 5xx, and releases nothing', async () => {
    const before = (await auditRecords('Resource')).length;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{}, /^passphrase: passphrase is required$/],
      [{ PASSPHRASE: 'too short' }, /^passphrase: passphrase must be at least 12 characters$/],
      [{ PASSPHRASE: 'x'.repeat(1025) }, /^passphrase: passphrase is longer than 1024 characters$/],
      [{ PASSPHRASE, REASON: 'r'.repeat(1500) }, /^reason: reason is longer than 1024 characters$/],
      [{ PASSPHRASE, REASON: 'r'.repeat(2500) }, /REASON is longer than the maximum of 2000 characters/],
    ];
    for (const [input, message] of cases) {
      const answer = await actor('owner').call(`${V1}/export`, { method: 'POST', input: details(input) });
      expect(answer.http.status).toBe(200);
      expectFailed(answer, message, 'EXPORT PASSWORDS');
      expect(answer.http.text).not.toContain('too short');
    }
    const broken = await actor('owner').call(`${V1}/export`, { method: 'POST', input: '{"operation":' });
    expect(broken.http.status).toBe(200);
    expect(broken.status).toBe('Failed');
    expect(await auditRecords('Resource')).toHaveLength(before);
  });

  it('console: the signed-in user exports their own view; bad bodies refused naming the field', async () => {
    const { client } = await signIn(
      server.baseUrl,
      server.instance.credentials.username,
      server.instance.credentials.password,
    );
    const short = await client.post('/api/v1/export', { passphrase: 'short' });
    expect(short.status).toBe(400);
    expect(short.json.error.field).toBe('passphrase');
    expect(JSON.stringify(short.json)).not.toContain('"short"');
    // No way to name another user: the body has no such field.
    const other = await client.post('/api/v1/export', { passphrase: PASSPHRASE, user: 'owner' });
    expect(other.status).toBe(400);
    const answer = await client.post('/api/v1/export', { passphrase: PASSPHRASE, reason: 'console escrow' });
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    // The super administrator sees everything.
    expect(answer.json).toMatchObject({ total: 8, exported: 7, withheld: 1, resources: 4 });
    const rows = await contentOf(Buffer.from(answer.json.content, 'base64'));
    for (const row of rows.filter((r) => r.password !== '')) {
      expect(row.password).toBe(PASSWORDS[`${row.resource}/${row.account}`]);
    }
    const records = (await auditRecords('Resource')).filter(
      (r) => r.REASON === 'console escrow' && r.OPERATIONTYPE === 'Password Retrieved',
    );
    expect(records).toHaveLength(7);
    expect(records.every((r) => r.CLIENT === 'Web Client' && r.OPERATEDBY === 'admin')).toBe(true);
  });

  describe('CLI', () => {
    let target: Instance;
    const cli = (...args: string[]) => server.instance.cli(...args);
    const out = (name: string) => path.join(work(), name);

    beforeAll(async () => {
      target = await createInstance('sqlite');
    });
    afterAll(() => target?.remove());

    it('bulwark export acts as --user: same rows as the API, access records under that user with client CLI', async () => {
      const result = await cli(
        'export',
        '--data-dir',
        server.instance.dataDir,
        '--user',
        'full',
        '--out',
        out('full.bwexport'),
        '--passphrase-file',
        passphraseFile(),
        '--json',
      );
      expect(result.code, result.stderr).toBe(2);
      const report = JSON.parse(result.stdout);
      expect(report).toMatchObject({ total: 4, exported: 2, withheld: 2, resources: 1 });
      const rows = await contentOf(readFileSync(out('full.bwexport')));
      expect(
        rows
          .filter((r) => r.password !== '')
          .map((r) => r.password)
          .sort(),
      ).toEqual([PASSWORDS['exp-web/root'], PASSWORDS['exp-web/deploy']].sort());
      const cliRecords = (await auditRecords('Resource')).filter((r) => r.CLIENT === 'CLI');
      expect(
        cliRecords.filter((r) => r.OPERATIONTYPE === 'Password Retrieved' && r.OPERATEDBY === 'full'),
      ).toHaveLength(2);
      const whole = (await auditRecords('User')).filter(
        (r) => r.OPERATIONTYPE === 'Passwords Exported' && r.CLIENT === 'CLI',
      );
      expect(whole.map((r) => r.OPERATEDBY)).toEqual(['full']);
      expect(result.stdout + result.stderr).not.toContain('Zq8');
    });

    it('round trip: bulwark import --format bulwark-export brings the rows into another vault, passwords equal', async () => {
      const file = out('owner.bwexport');
      const exported = await cli(
        'export',
        '--data-dir',
        server.instance.dataDir,
        '--user',
        'owner',
        '--out',
        file,
        '--passphrase-file',
        passphraseFile(),
        '--reason',
        'migration',
      );
      expect(exported.code, exported.stderr).toBe(0);
      expect(exported.stdout).toContain('exp-web/root: exported\n');
      expect(exported.stdout).toMatch(/ {2}exported: 7\n {2}withheld: 0\n$/);
      const imported = await target.cli(
        'import',
        '--data-dir',
        target.dataDir,
        '--format',
        'bulwark-export',
        '--passphrase-file',
        passphraseFile(),
        '--json',
        file,
      );
      expect(imported.code, imported.stderr).toBe(0);
      expect(JSON.parse(imported.stdout)).toMatchObject({
        total: 7,
        imported: 7,
        skipped: 0,
        resourcesCreated: 3,
      });
      // Read back out of the other vault: the same rows, passwords, notes and descriptions.
      const again = await target.cli(
        'export',
        '--data-dir',
        target.dataDir,
        '--user',
        'admin',
        '--out',
        out('target.bwexport'),
        '--passphrase-file',
        passphraseFile(),
      );
      expect(again.code, again.stderr).toBe(0);
      const sort = (rows: Row[]) =>
        rows.sort((a, b) => `${a.resource}/${a.account}`.localeCompare(`${b.resource}/${b.account}`));
      expect(sort(await contentOf(readFileSync(out('target.bwexport'))))).toEqual(
        sort(await contentOf(readFileSync(file))),
      );
      // A file with withheld rows imports the others; those are skipped for their missing password.
      const partial = await target.cli(
        'import',
        '--data-dir',
        target.dataDir,
        '--format',
        'bulwark-export',
        '--passphrase-file',
        passphraseFile(),
        '--dry-run',
        '--json',
        out('full.bwexport'),
      );
      expect(partial.code).toBe(2);
      const skipped = JSON.parse(partial.stdout).rows.filter((r: any) => r.status === 'skipped');
      expect(skipped.map((r: any) => r.reason).sort()).toEqual([
        'duplicate: account deploy already exists on resource exp-web',
        'duplicate: account root already exists on resource exp-web',
        'missing field: password',
        'missing field: password',
      ]);
    });

    it('a wrong passphrase, a truncated or altered file is refused in one line (export.format.test.ts has the rest)', async () => {
      const file = readFileSync(out('viewer.bwexport'));
      const wrong = out('wrong.txt');
      writeFileSync(wrong, 'not the passphrase at all\n');
      const importing = (name: string, passphrase = passphraseFile()) =>
        target.cli(
          'import',
          '--data-dir',
          target.dataDir,
          '--format',
          'bulwark-export',
          '--passphrase-file',
          passphrase,
          name,
        );
      const refused = await importing(out('viewer.bwexport'), wrong);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe('bulwark: the passphrase does not open this export\n');
      writeFileSync(out('cut.bwexport'), file.subarray(0, file.length - 5));
      expect((await importing(out('cut.bwexport'))).stderr).toBe(
        'bulwark: the export is truncated (it ends before its last byte); it cannot be read\n',
      );
      const altered = Buffer.from(file);
      altered[altered.length - 20]! ^= 0x40;
      writeFileSync(out('altered.bwexport'), altered);
      expect((await importing(out('altered.bwexport'))).stderr).toBe(
        'bulwark: the export was altered (it failed authentication); it cannot be read\n',
      );
    });

    it('bad input to bulwark export is refused in one line and leaves no file', async () => {
      const short = out('short.txt');
      writeFileSync(short, 'short\n');
      const run = (...more: string[]) => cli('export', '--data-dir', server.instance.dataDir, ...more);
      const cases: [string[], string][] = [
        [
          ['--user', 'owner', '--out', out('a.bwexport'), '--passphrase-file', short],
          'bulwark: passphrase: passphrase must be at least 12 characters\n',
        ],
        [
          ['--user', 'nobody', '--out', out('b.bwexport'), '--passphrase-file', passphraseFile()],
          'bulwark: there is no unlocked user named nobody\n',
        ],
        [
          ['--user', 'owner', '--out', out('c.bwexport')],
          'bulwark: give the passphrase with --passphrase-file FILE (or run on a terminal to type it)\n',
        ],
        [
          ['--user', 'owner', '--out', out('full.bwexport'), '--passphrase-file', passphraseFile()],
          `bulwark: cannot create ${out('full.bwexport')}: EEXIST: file already exists, open '${out('full.bwexport')}'\n`,
        ],
      ];
      for (const [args, message] of cases) {
        const result = await run(...args);
        expect(result.code, args.join(' ')).toBe(1);
        expect(result.stderr).toBe(message);
      }
      for (const name of ['a', 'b', 'c']) expect(existsSync(out(`${name}.bwexport`))).toBe(false);
      const passphraseOnArgv = await run(
        '--user',
        'owner',
        '--out',
        out('d.bwexport'),
        '--passphrase',
        PASSPHRASE,
      );
      expect(passphraseOnArgv.code).toBe(1);
      expect(passphraseOnArgv.stderr).toMatch(/unknown option '--passphrase'/);
    });
  });

  it('no exported password reached the server log', () => {
    for (const password of Object.values(PASSWORDS)) expect(server.output()).not.toContain(password);
  });

  it('the audit chain verifies after the exports', async () => {
    const verify = await server.instance.cli('audit', 'verify', '--data-dir', server.instance.dataDir);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });
});
