import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { utils } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiUser, type Actor } from '../helpers/actors.js';
import { details, pmpClient, type PmpAnswer } from '../helpers/client.js';
import { expectFailed as failed, expectSuccess as ok } from '../helpers/expect-pmp.js';
import { dialects, REPO_ROOT, startServer, type RunningServer } from '../helpers/server.js';
import { sqlOn } from '../helpers/sql.js';

/** The built modules, as the server runs them (`npm test` builds first). */
const built = <T>(module: string): Promise<T> =>
  import(pathToFileURL(path.join(REPO_ROOT, 'dist', module)).href) as Promise<T>;
const { loadConfig } = await built<typeof import('../../src/config.js')>('config.js');
const { openInstance } = await built<typeof import('../../src/instance.js')>('instance.js');

const V1 = '/restapi/json/v1';
const CONFIGURE = `${V1}/resources/configureremotepasswordreset`;
const OPERATION = 'CONFIGURE REMOTE PASSWORD RESET';

/** The Details of the reference's sample request (endpoint 63), resources and accounts by name. */
const SAMPLE = {
  REMOTEMODE: 'ssh',
  LINUX_SSHTELNETPORT: '22',
  LINUX_USERPROMPT: '$',
  LINUX_LANDINGSERVER: 'jump-01',
  RESOURCEIDENTIFIER: 'linux',
  REMOTELOGINACCOUNT: 'ops',
  AUTHENTICATION: 'passauth',
  ELEVATIONTYPE: 'su',
  ROOTACCOUNT: 'root',
  LINUXROOTUSERPROMPT: '#',
  RESOURCETYPE: 'linux',
  REMOVEENTER: 'false',
};

/**
 * Remote password reset configuration (endpoint 63, native show/change/remove, CLI) and SSH host
 * keys, over the real HTTPS API on both dialects (ADR 027).
 */
describe.each(dialects())('remote reset configuration on %s', (dialect) => {
  let server: RunningServer;
  let admin: ReturnType<typeof pmpClient>;
  const actors: Record<string, Actor> = {};
  const ids: Record<string, string> = {};
  const accounts: Record<string, string> = {};

  const sql = (text: string, params: unknown[] = []) => sqlOn(server.instance, text, params);
  const configure = (who: Actor | undefined, fields: Record<string, unknown>) =>
    (who ? who.call : admin)(CONFIGURE, { method: 'POST', input: details(fields) });
  const show = (who: Actor | undefined, resource: string) =>
    (who ? who.call : admin)(`${V1}/resources/${ids[resource]}/remotepasswordreset`);
  const lines = (answer: PmpAnswer) => answer.details['CONFIGURATION RESULT'] as Record<string, string>[];

  async function createResource(who: Actor, name: string, type: string, dns: string, names: string[]) {
    const answer = ok(
      await who.call(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: name,
          RESOURCETYPE: type,
          DNSNAME: dns,
          ACCOUNTNAME: names[0],
          PASSWORD: 'Secret-1!x',
        }),
      }),
    );
    ids[name] = String(answer.details.RESOURCEID);
    accounts[`${name}/${names[0]}`] = String(answer.details.ACCOUNTID);
    if (names.length > 1) {
      ok(
        await who.call(`${V1}/resources/${ids[name]}/accounts`, {
          method: 'POST',
          input: details({
            ACCOUNTLIST: names.slice(1).map((n) => ({ ACCOUNTNAME: n, PASSWORD: 'Secret-2!x' })),
          }),
        }),
      );
      const list = ok(await who.call(`${V1}/resources/${ids[name]}/accounts`)).details['ACCOUNT LIST'];
      for (const a of list) accounts[`${name}/${a['ACCOUNT NAME']}`] = String(a['ACCOUNT ID']);
    }
  }

  /** The services in this test process on the server's database, to play the rotation's part. */
  async function withInstance<T>(
    work: (instance: Awaited<ReturnType<typeof openInstance>>) => Promise<T>,
  ): Promise<T> {
    const config = loadConfig(
      { ...server.instance.env, BULWARK_TIMEZONE: 'UTC' },
      { dataDir: server.instance.dataDir },
    );
    const instance = await openInstance(config, { now: () => Date.now() });
    try {
      return await work(instance);
    } finally {
      await instance.close();
    }
  }

  beforeAll(async () => {
    server = await startServer(dialect);
    admin = pmpClient(server.baseUrl, server.token);
    actors.olivia = await createApiUser(server, 'olivia', 'Password Administrator');
    actors.paul = await createApiUser(server, 'paul', 'Password User');
    await createResource(actors.olivia, 'jump-01', 'Linux', 'jump.example.test', ['hop']);
    await createResource(actors.olivia, 'lin-01', 'Linux', '127.0.0.1', ['ops', 'root', 'app']);
    await createResource(actors.olivia, 'lin-02', 'Linux', 'lin-02.example.test', ['ops', 'root']);
    await createResource(actors.olivia, 'pg-01', 'PostgreSQL', 'db.example.test', ['app', 'dba']);
    await createResource(actors.olivia, 'my-01', 'MySQL server', 'my.example.test', ['app']);
    // The admin's own resource: olivia and paul cannot see it.
    const hidden = ok(
      await admin(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: 'hidden-01',
          RESOURCETYPE: 'Linux',
          DNSNAME: 'hidden.example.test',
          ACCOUNTNAME: 'root',
          PASSWORD: 'Secret-1!x',
        }),
      }),
    );
    ids['hidden-01'] = String(hidden.details.RESOURCEID);
    accounts['hidden-01/root'] = String(hidden.details.ACCOUNTID);
  });

  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
  });

  it('63 with the sample fields: per resource, a resource the caller cannot see fails like a missing one', async () => {
    // The landing server first: its own configuration names its login account.
    const jump = ok(
      await configure(actors.olivia, {
        RESOURCETYPE: 'Linux',
        REMOTELOGINACCOUNT: 'hop',
        RESOURCEIDS: [ids['jump-01']],
      }),
      OPERATION,
    );
    expect(lines(jump)).toEqual([{ STATUS: 'SUCCESS', RESOURCENAME: 'jump-01', RESOURCEID: ids['jump-01'] }]);

    const answer = ok(
      await configure(actors.olivia, {
        ...SAMPLE,
        RESOURCEIDS: [ids['lin-01'], ids['lin-02'], ids['hidden-01'], '999999'],
      }),
      OPERATION,
    );
    expect(answer.message).toBe('Password reset details configured for 2 of 4 resources; see Details');
    const result = lines(answer);
    expect(result.slice(0, 2)).toEqual([
      { STATUS: 'SUCCESS', RESOURCENAME: 'lin-01', RESOURCEID: ids['lin-01'] },
      { STATUS: 'SUCCESS', RESOURCENAME: 'lin-02', RESOURCEID: ids['lin-02'] },
    ]);
    // Invisible and missing: the same answer but for the id; no name.
    expect(result[2]).toEqual({
      STATUS: 'FAILED',
      RESOURCEID: ids['hidden-01'],
      MESSAGE: `Resource with ID ${ids['hidden-01']} does not exist or is not accessible to you`,
    });
    expect(result[3]).toEqual({
      STATUS: 'FAILED',
      RESOURCEID: '999999',
      MESSAGE: 'Resource with ID 999999 does not exist or is not accessible to you',
    });

    const shown = ok(await show(actors.olivia, 'lin-01')).details;
    expect(shown).toMatchObject({
      RESOURCENAME: 'lin-01',
      RESOURCETYPE: 'Linux',
      REMOTEMODE: 'ssh',
      HOST: '127.0.0.1',
      LINUX_SSHTELNETPORT: '22',
      LINUX_USERPROMPT: '$',
      LINUXROOTUSERPROMPT: '#',
      LINUX_LANDINGSERVER: 'jump-01',
      RESOURCEIDENTIFIER: 'linux',
      REMOTELOGINACCOUNT: 'ops',
      ELEVATIONTYPE: 'su',
      ROOTACCOUNT: 'root',
      REMOVEENTER: 'false',
      AUTHENTICATION: 'passauth',
      PRIVATEKEY_PRESENT: 'false',
    });
    // The whole sample once more, all visible: the sample's own message.
    const all = ok(
      await configure(actors.olivia, { ...SAMPLE, RESOURCEIDS: [ids['lin-01'], ids['lin-02']] }),
    );
    expect(all.message).toBe('Password reset details configured for the matching resources.');
    // Audited per resource, without secrets.
    const audited = await sql(
      'SELECT resource_name, reason FROM audit_records WHERE operation = $1 ORDER BY seq',
      ['Remote Password Reset Configured'],
    );
    expect(audited.map((r) => r.resource_name)).toEqual(['jump-01', 'lin-01', 'lin-02', 'lin-01', 'lin-02']);
    expect(audited[1]!.reason).toBe(
      'Linux over SSH to 127.0.0.1, port 22, login account ops, elevation su, root account root, landing server jump-01',
    );
  });

  it('databases: PostgreSQL and MySQL (MariaDB is MySQL), PORT and DATABASE, the reset account by WDRESOURCEID/WDACCOUNTID', async () => {
    const pg = ok(
      await configure(actors.olivia, {
        RESOURCETYPE: 'postgresql',
        PORT: 5433,
        DATABASE: 'appdb',
        WDRESOURCEID: ids['pg-01'],
        WDACCOUNTID: accounts['pg-01/dba'],
        RESOURCEIDS: [ids['pg-01']],
      }),
    );
    expect(lines(pg)[0]!.STATUS).toBe('SUCCESS');
    expect(ok(await show(actors.olivia, 'pg-01')).details).toMatchObject({
      RESOURCETYPE: 'PostgreSQL',
      HOST: 'db.example.test',
      PORT: '5433',
      DATABASE: 'appdb',
      WDRESOURCEID: ids['pg-01'],
      WDACCOUNTID: accounts['pg-01/dba'],
      WDACCOUNTNAME: 'pg-01/dba',
    });
    // No reset account: each account changes its own password; the default port.
    ok(await configure(actors.olivia, { RESOURCETYPE: 'MariaDB', RESOURCEIDS: ids['my-01'] }));
    const my = ok(await show(actors.olivia, 'my-01')).details;
    expect(my).toMatchObject({ RESOURCETYPE: 'MySQL', PORT: '3306', DATABASE: '', WDACCOUNTID: '' });
    // Linux-only fields are refused for a database, by name.
    const refused = failed(
      await configure(actors.olivia, {
        RESOURCETYPE: 'PostgreSQL',
        REMOTELOGINACCOUNT: 'app',
        RESOURCEIDS: [ids['pg-01']],
      }),
    );
    expect(lines(refused)[0]!.MESSAGE).toMatch(/^REMOTELOGINACCOUNT applies to Linux resources only/);

    // The rotation's view: typed; no configuration is undefined.
    await withInstance(async ({ services, database }) => {
      expect(await services.remoteReset.configurationOf(database.db, Number(ids['pg-01']))).toMatchObject({
        kind: 'postgresql',
        host: 'db.example.test',
        port: 5433,
        database: 'appdb',
        resetAccount: { id: Number(accounts['pg-01/dba']), resourceId: Number(ids['pg-01']), name: 'dba' },
        loginAccount: undefined,
        privateKey: undefined,
      });
      expect(
        await services.remoteReset.configurationOf(database.db, Number(ids['hidden-01'])),
      ).toBeUndefined();
    });
  });

  it('telnet is refused per resource with a clear message', async () => {
    const answer = failed(
      await configure(actors.olivia, { ...SAMPLE, REMOTEMODE: 'TELNET', RESOURCEIDS: [ids['lin-01']] }),
      'Password reset details could not be configured for any of the resources; see Details',
      OPERATION,
    );
    expect(lines(answer)).toEqual([
      {
        STATUS: 'FAILED',
        RESOURCENAME: 'lin-01',
        RESOURCEID: ids['lin-01'],
        MESSAGE: 'Telnet is not supported; use SSH',
      },
    ]);
    // The earlier configuration is unchanged.
    expect(ok(await show(actors.olivia, 'lin-01')).details.REMOTEMODE).toBe('ssh');
  });

  it('bad field types answer Failed, never a 5xx, and change nothing', async () => {
    const before = ok(await show(actors.olivia, 'lin-01')).details;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ LINUX_SSHTELNETPORT: 'abc' }, /LINUX_SSHTELNETPORT must be a port number from 1 to 65535/],
      [{ LINUX_SSHTELNETPORT: 70000 }, /LINUX_SSHTELNETPORT must be a port number/],
      [{ PORT: [22] }, /PORT must be a single value, not a list/],
      [{ ELEVATIONTYPE: 'doas' }, /ELEVATIONTYPE must be one of su, sudo/],
      [{ AUTHENTICATION: 'kerberos' }, /AUTHENTICATION must be one of passauth, keyauth/],
      [{ REMOVEENTER: 'maybe' }, /REMOVEENTER must be "true" or "false"/],
      [{ RESOURCETYPE: 'Oracle' }, /RESOURCETYPE must be one of Linux, PostgreSQL, MySQL, MariaDB/],
      [{ LINUX_USERPROMPT: { a: 1 } }, /LINUX_USERPROMPT must be a single value, not an object/],
      [{ WDACCOUNTID: '5' }, /WDRESOURCEID/],
      [{ WDRESOURCEID: 'x', WDACCOUNTID: '5' }, /not a valid resource ID/],
      [{ REMOTELOGINACCOUNT: 'x'.repeat(300) }, /REMOTELOGINACCOUNT/],
    ];
    for (const [fields, message] of cases) {
      const answer = await configure(actors.olivia, { ...SAMPLE, ...fields, RESOURCEIDS: [ids['lin-01']] });
      expect(answer.http.status, JSON.stringify(fields)).toBeLessThan(500);
      failed(answer, message);
    }
    failed(await configure(actors.olivia, { ...SAMPLE, RESOURCEIDS: { a: 1 } }), /RESOURCEIDS/);
    failed(await configure(actors.olivia, { ...SAMPLE }), /RESOURCEIDS/);
    const put = await actors.olivia!.call(`${V1}/resources/${ids['lin-01']}/remotepasswordreset`, {
      method: 'PUT',
      input: details({ LINUX_SSHTELNETPORT: '0' }),
    });
    failed(put, /port number/);
    expect(ok(await show(actors.olivia, 'lin-01')).details).toEqual(before);
  });

  it('authorization: modify on the resource configures; every named account needs full access; invisible is missing', async () => {
    const share = async (resource: string, type: string) =>
      ok(
        await admin(`${V1}/resources/${ids[resource]}/share`, {
          method: 'PUT',
          input: details({ ACCESSTYPE: type, USERID: actors.paul!.id }),
        }),
      );
    await share('lin-01', 'modify');
    await share('lin-02', 'view');
    const paul = actors.paul!;
    // Modify on lin-01 lets paul see and change its settings, but not lend him ops's password.
    let answer = failed(await configure(paul, { ...SAMPLE, RESOURCEIDS: [ids['lin-01']] }));
    expect(lines(answer)[0]!.MESSAGE).toBe(
      'REMOTELOGINACCOUNT ops: you need full access to (or ownership of) an account to let the server use its password',
    );
    // A reset account he cannot see at all: answered like a missing one.
    answer = failed(
      await configure(paul, {
        RESOURCETYPE: 'Linux',
        WDRESOURCEID: ids['hidden-01'],
        WDACCOUNTID: accounts['hidden-01/root'],
        RESOURCEIDS: [ids['lin-01']],
      }),
    );
    expect(lines(answer)[0]!.MESSAGE).toBe(
      `Account with ID ${accounts['hidden-01/root']} of resource with ID ${ids['hidden-01']} does not exist or is not accessible to you`,
    );
    // Changing only the port of a configuration that names ops: the accounts are checked again
    // (a new port would send ops's password elsewhere).
    const put = await paul.call(`${V1}/resources/${ids['lin-01']}/remotepasswordreset`, {
      method: 'PUT',
      input: details({ LINUX_SSHTELNETPORT: '2222' }),
    });
    failed(put, /REMOTELOGINACCOUNT ops: you need full access/);
    // View only: may look, not configure.
    expect(ok(await show(actors.paul, 'lin-02')).details.RESOURCENAME).toBe('lin-02');
    answer = failed(await configure(paul, { RESOURCETYPE: 'Linux', RESOURCEIDS: [ids['lin-02']] }));
    expect(lines(answer)[0]!.MESSAGE).toBe(
      'You are not allowed to configure remote password reset of resource lin-02',
    );
    failed(
      await show(actors.paul, 'hidden-01'),
      `Resource with ID ${ids['hidden-01']} does not exist or is not accessible to you`,
    );
    // A landing server paul cannot see.
    answer = failed(
      await configure(paul, {
        RESOURCETYPE: 'Linux',
        LINUX_LANDINGSERVER: 'hidden-01',
        RESOURCEIDS: [ids['lin-01']],
      }),
    );
    expect(lines(answer)[0]!.MESSAGE).toBe(
      'Landing server hidden-01 does not exist or is not accessible to you',
    );
    // With full access to the account (a share of the account itself), it works.
    ok(
      await admin(`${V1}/resources/${ids['lin-01']}/accounts/${accounts['lin-01/app']}/share`, {
        method: 'PUT',
        input: details({ ACCESSTYPE: 'fullaccess', USERID: paul.id }),
      }),
    );
    answer = ok(
      await configure(paul, {
        RESOURCETYPE: 'Linux',
        REMOTELOGINACCOUNT: 'app',
        RESOURCEIDS: [ids['lin-01']],
      }),
    );
    expect(lines(answer)[0]!.STATUS).toBe('SUCCESS');
    // The landing server's login account (hop) is not paul's to use.
    await share('jump-01', 'view');
    answer = failed(
      await configure(paul, {
        RESOURCETYPE: 'Linux',
        REMOTELOGINACCOUNT: 'app',
        LINUX_LANDINGSERVER: 'jump-01',
        RESOURCEIDS: [ids['lin-01']],
      }),
    );
    expect(lines(answer)[0]!.MESSAGE).toMatch(
      /^Landing server jump-01's login account hop: you need full access/,
    );
    // Back to olivia's configuration for the next tests.
    ok(await configure(actors.olivia, { ...SAMPLE, RESOURCEIDS: [ids['lin-01']] }));
  });

  it('keyauth: the private key is sealed at rest, never answered, and opened for the rotation', async () => {
    const pair = utils.generateKeyPairSync('ed25519', {
      passphrase: 'pass-phrase-42',
      cipher: 'aes256-ctr',
      rounds: 16,
    });
    const keyBody = pair.private.split('\n')[1]!;
    // A wrong passphrase is refused before anything is stored.
    let answer = failed(
      await configure(actors.olivia, {
        ...SAMPLE,
        AUTHENTICATION: 'keyauth',
        PRIVATEKEY: pair.private,
        PASSPHRASE: 'wrong',
        RESOURCEIDS: [ids['lin-02']],
      }),
    );
    expect(lines(answer)[0]!.MESSAGE).toBe('PRIVATEKEY is encrypted and PASSPHRASE does not open it');
    expect(JSON.stringify(answer.raw)).not.toContain(keyBody);
    // keyauth without a key.
    answer = failed(
      await configure(actors.olivia, { ...SAMPLE, AUTHENTICATION: 'keyauth', RESOURCEIDS: [ids['lin-02']] }),
    );
    expect(lines(answer)[0]!.MESSAGE).toMatch(/keyauth needs PRIVATEKEY/);

    answer = ok(
      await configure(actors.olivia, {
        ...SAMPLE,
        AUTHENTICATION: 'keyauth',
        PRIVATEKEY: pair.private,
        PASSPHRASE: 'pass-phrase-42',
        RESOURCEIDS: [ids['lin-02']],
      }),
    );
    const shown = ok(await show(actors.olivia, 'lin-02'));
    expect(shown.details).toMatchObject({
      AUTHENTICATION: 'keyauth',
      PRIVATEKEY_PRESENT: 'true',
      PASSPHRASE_PRESENT: 'true',
    });
    expect(shown.details.KEY_FINGERPRINT).toBe(fingerprintOf(pair.public.split(' ')[1]!));
    for (const text of [JSON.stringify(shown.raw), JSON.stringify(answer.raw)]) {
      expect(text).not.toContain(keyBody);
      expect(text).not.toContain('pass-phrase-42');
    }
    // At rest: sealed in the row, and nowhere in clear in the database.
    const [row] = await sql(
      'SELECT private_key_sealed, passphrase_sealed FROM remote_reset_configs WHERE resource_id = $1',
      [Number(ids['lin-02'])],
    );
    const sealed = Buffer.from(row!.private_key_sealed as Uint8Array);
    expect(sealed.length).toBeGreaterThan(pair.private.length);
    expect(sealed.toString('latin1')).not.toContain(keyBody.slice(0, 24));
    if (dialect === 'sqlite') {
      for (const file of readdirSync(server.instance.dataDir).filter((f) => f.startsWith('bulwark.db'))) {
        const bytes = readFileSync(path.join(server.instance.dataDir, file)).toString('latin1');
        expect(bytes, file).not.toContain(keyBody.slice(0, 24));
        expect(bytes, file).not.toContain('pass-phrase-42');
      }
    }
    const audits = await sql('SELECT reason FROM audit_records WHERE resource_name = $1', ['lin-02']);
    expect(JSON.stringify(audits)).not.toContain(keyBody.slice(0, 24));

    // The rotation's view opens it.
    await withInstance(async ({ services, database }) => {
      const config = await services.remoteReset.configurationOf(database.db, Number(ids['lin-02']));
      expect(config?.privateKey?.reveal()).toBe(pair.private);
      expect(config?.passphrase?.reveal()).toBe('pass-phrase-42');
      expect(config).toMatchObject({
        kind: 'linux',
        host: 'lin-02.example.test',
        port: 22,
        elevation: 'su',
        prompts: { user: '$', root: '#' },
        loginAccount: { name: 'ops' },
        rootAccount: { name: 'root' },
        landingResourceId: Number(ids['jump-01']),
        authentication: 'keyauth',
        removeEnter: false,
      });
    });

    // The stored key stays with its account: another login account needs its own key.
    failed(
      await actors.olivia!.call(`${V1}/resources/${ids['lin-02']}/remotepasswordreset`, {
        method: 'PUT',
        input: details({ REMOTELOGINACCOUNT: 'root' }),
      }),
      'The login account changed: give PRIVATEKEY (and PASSPHRASE) of the new login account',
    );
    // Other changes keep it.
    ok(
      await actors.olivia!.call(`${V1}/resources/${ids['lin-02']}/remotepasswordreset`, {
        method: 'PUT',
        input: details({ LINUX_USERPROMPT: '>' }),
      }),
    );
    expect(ok(await show(actors.olivia, 'lin-02')).details).toMatchObject({
      LINUX_USERPROMPT: '>',
      PRIVATEKEY_PRESENT: 'true',
    });

    // Back to passauth: the stored key goes.
    ok(await configure(actors.olivia, { ...SAMPLE, RESOURCEIDS: [ids['lin-02']] }));
    const [after] = await sql('SELECT private_key_sealed FROM remote_reset_configs WHERE resource_id = $1', [
      Number(ids['lin-02']),
    ]);
    expect(after!.private_key_sealed).toBeNull();
  });

  it('SSH host keys: pinned on first use, a refused key listed, accepted and removed by an administrator', async () => {
    const key = () => {
      const blob = utils.generateKeyPairSync('ed25519').public.split(' ')[1]!;
      return { algorithm: 'ssh-ed25519', key: blob, fingerprint: fingerprintOf(blob) };
    };
    const first = { host: 'Target.Example.Test', port: 2222, ...key() };
    const changed = { host: 'target.example.test', port: 2222, ...key() };
    const system = { userId: null, username: 'System', clientIp: '127.0.0.1', client: 'System' };
    // The rotation's part: a first connection pins, a later mismatch is recorded as offered.
    await withInstance(async ({ services, database }) => {
      const pinned = await services.remoteReset.pinOnFirstUse([first, first], system);
      expect(pinned.map((k) => k.host)).toEqual(['target.example.test']);
      // Already pinned: nothing happens.
      expect(await services.remoteReset.pinOnFirstUse([changed], system)).toEqual([]);
      await services.remoteReset.recordRefusedKey([changed], system);
      await services.remoteReset.recordRefusedKey([changed], system);
      const pins = await services.remoteReset.hostKeyPins(database.db);
      expect(pins.pinned('TARGET.example.test', 2222)).toEqual({ algorithm: 'ssh-ed25519', key: first.key });
      expect(pins.pinned('target.example.test', 22)).toBeUndefined();
    });

    const listed = ok(await admin(`${V1}/sshhostkeys`), 'GET SSH HOST KEYS').details;
    expect(listed.PINNED).toEqual([
      expect.objectContaining({
        HOST: 'target.example.test',
        PORT: '2222',
        FINGERPRINT: first.fingerprint,
        PINNEDHOW: 'first-use',
        PINNEDBY: 'System',
      }),
    ]);
    expect(listed.OFFERED).toEqual([
      expect.objectContaining({ FINGERPRINT: changed.fingerprint, TIMESOFFERED: '2' }),
    ]);
    // Administrators only.
    failed(await actors.paul!.call(`${V1}/sshhostkeys`), /Only administrators may manage SSH host keys/);
    const accept = (who: ReturnType<typeof pmpClient>, fingerprint: string) =>
      who(`${V1}/sshhostkeys/accept`, {
        method: 'POST',
        input: details({ HOST: 'target.example.test', PORT: '2222', FINGERPRINT: fingerprint }),
      });
    failed(await accept(actors.olivia!.call, changed.fingerprint), /Only administrators/);
    failed(await accept(admin, 'SHA256:nope'), /FINGERPRINT must be a SHA256 fingerprint/);
    failed(await accept(admin, key().fingerprint), /has not offered a key with fingerprint/);
    const accepted = ok(
      await accept(admin, changed.fingerprint.replace('SHA256:', '')),
      'ACCEPT SSH HOST KEY',
    );
    expect(accepted.message).toBe(
      `The host key ${changed.fingerprint} of target.example.test:2222 is now pinned`,
    );
    const after = ok(await admin(`${V1}/sshhostkeys`)).details;
    expect(after.PINNED).toEqual([
      expect.objectContaining({ FINGERPRINT: changed.fingerprint, PINNEDHOW: 'accepted', PINNEDBY: 'admin' }),
    ]);
    expect(after.OFFERED).toEqual([]);
    const audited = await sql(
      'SELECT operation, operator_name, reason FROM audit_records WHERE operation LIKE $1 ORDER BY seq',
      ['SSH Host Key%'],
    );
    expect(audited.map((r) => r.operation)).toEqual([
      'SSH Host Key Pinned',
      'SSH Host Key Refused',
      'SSH Host Key Refused',
      'SSH Host Key Accepted',
    ]);
    expect(audited[3]!.reason).toBe(
      `target.example.test:2222 ssh-ed25519 ${changed.fingerprint} replaces ${first.fingerprint}`,
    );
    // Removing the pin (administrators only): the next connection pins on first use.
    const remove = (who: ReturnType<typeof pmpClient>) =>
      who(`${V1}/sshhostkeys`, { method: 'DELETE', query: { HOST: 'target.example.test', PORT: '2222' } });
    failed(await remove(actors.paul!.call), /Only administrators/);
    ok(await remove(admin), 'REMOVE SSH HOST KEY PIN');
    failed(await remove(admin), 'No host key is pinned for target.example.test:2222');
    expect(ok(await admin(`${V1}/sshhostkeys`)).details.PINNED).toEqual([]);
  });

  it('a configuration is bound to the host it was confirmed for: a changed DNSNAME gets nothing until a holder of every named account confirms it (ADR 030)', async () => {
    // A listener on another loopback address stands for the host someone points the resource at.
    const connections: string[] = [];
    const listener = net.createServer((socket) => {
      connections.push(`${socket.localAddress}:${socket.localPort}`);
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.9', resolve));
    const port = String((listener.address() as AddressInfo).port);
    const paul = actors.paul!;
    const olivia = actors.olivia!;
    const share = (type: string) =>
      admin(`${V1}/resources/${ids['lin-05']}/share`, {
        method: 'PUT',
        input: details({ ACCESSTYPE: type, USERID: paul.id }),
      });
    try {
      // lin-05's passwords are reset by olivia's account svc-05/reset, which paul may not use.
      await createResource(olivia, 'lin-05', 'Linux', '127.0.0.8', ['app']);
      await createResource(olivia, 'svc-05', 'Linux', '127.0.0.8', ['reset']);
      const config = {
        RESOURCETYPE: 'Linux',
        LINUX_SSHTELNETPORT: port,
        WDRESOURCEID: ids['svc-05'],
        WDACCOUNTID: accounts['svc-05/reset'],
        RESOURCEIDS: [ids['lin-05']],
      };
      // Binding a configuration to a host needs what editing DNSNAME needs: modify is not enough.
      ok(await share('modify'));
      let answer = failed(
        await configure(paul, { ...config, WDRESOURCEID: undefined, WDACCOUNTID: undefined }),
      );
      expect(lines(answer)[0]!.MESSAGE).toBe(
        'Configuring remote reset of resource lin-05 binds it to host 127.0.0.8: that needs full access to (or ownership of) the resource',
      );
      ok(await configure(olivia, config));
      // With full access to lin-05, paul may edit it, and points it at "his" host.
      ok(await share('fullaccess'));
      ok(
        await paul.call(`${V1}/resources/${ids['lin-05']}`, {
          method: 'PUT',
          input: details({ DNSNAME: '127.0.0.9' }),
        }),
      );
      expect(ok(await show(olivia, 'lin-05')).details).toMatchObject({
        HOST: '127.0.0.8',
        UNCONFIRMED_DNSNAME: '127.0.0.9',
      });
      const passwordPath = `${V1}/resources/${ids['lin-05']}/accounts/${accounts['lin-05/app']}/password`;
      const reset = () =>
        admin(passwordPath, {
          method: 'PUT',
          input: details({ NEWPASSWORD: 'Next-Secret-5!x', RESETTYPE: 'REMOTE' }),
        });
      failed(
        await reset(),
        'Password reset failed: the DNS name of resource lin-05 changed from 127.0.0.8 to 127.0.0.9 after ' +
          'remote reset was configured; nothing was sent. Configuring remote reset again confirms the new ' +
          'host (it needs full access to the resource and to every account the configuration names)',
      );
      expect(connections).toEqual([]);
      expect(ok(await admin(passwordPath)).details.PASSWORD).toBe('Secret-1!x');
      // paul cannot confirm his host (he may not lend svc-05/reset, which he cannot even see), by
      // endpoint 63 or the native PUT.
      const notHis = `Account with ID ${accounts['svc-05/reset']} of resource with ID ${ids['svc-05']} does not exist or is not accessible to you`;
      answer = failed(await configure(paul, config));
      expect(lines(answer)[0]!.MESSAGE).toBe(notHis);
      const confirm = (who: Actor) =>
        who.call(`${V1}/resources/${ids['lin-05']}/remotepasswordreset`, {
          method: 'PUT',
          input: details({}),
        });
      failed(
        await confirm(paul),
        `Account with ID ${accounts['svc-05/reset']} does not exist or is not accessible to you`,
      );
      expect(connections).toEqual([]);
      // The holder confirms it (nothing else changes); the next reset goes there.
      const confirmed = ok(await confirm(olivia)).details;
      expect(confirmed.HOST).toBe('127.0.0.9');
      expect(confirmed).not.toHaveProperty('UNCONFIRMED_DNSNAME');
      failed(await reset(), /^Password reset failed: /);
      expect(connections[0]).toBe(`127.0.0.9:${port}`);
      expect(ok(await admin(passwordPath)).details.PASSWORD).toBe('Secret-1!x');
      // Back to 127.0.0.8 by the owner; the CLI's operator confirms it.
      ok(
        await olivia.call(`${V1}/resources/${ids['lin-05']}`, {
          method: 'PUT',
          input: details({ DNSNAME: '127.0.0.8' }),
        }),
      );
      const byCli = await server.instance.cli(
        'remote-reset',
        'confirm-host',
        '--data-dir',
        server.instance.dataDir,
        '--resource',
        'lin-05',
      );
      expect(byCli.stdout).toBe('Remote password reset of lin-05 now changes passwords on 127.0.0.8.\n');
      expect(ok(await show(olivia, 'lin-05')).details.HOST).toBe('127.0.0.8');
      const audited = await sql(
        'SELECT reason FROM audit_records WHERE operation = $1 AND resource_name = $2 ORDER BY seq',
        ['Remote Password Reset Configured', 'lin-05'],
      );
      expect(audited.map((r) => String(r.reason))).toEqual([
        `Linux over SSH to 127.0.0.8, port ${port}, reset account reset, elevation sudo`,
        `Linux over SSH to 127.0.0.9, port ${port}, reset account reset, elevation sudo`,
        `Linux over SSH to 127.0.0.8, port ${port}, reset account reset, elevation sudo`,
      ]);
    } finally {
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    }
  });

  it('native PUT changes only the given fields; DELETE removes; the CLI shows, configures and removes', async () => {
    const put = ok(
      await actors.olivia!.call(`${V1}/resources/${ids['lin-01']}/remotepasswordreset`, {
        method: 'PUT',
        input: details({ LINUX_SSHTELNETPORT: 2200, ELEVATIONTYPE: 'sudo', REMOVEENTER: true }),
      }),
      'CHANGE REMOTE PASSWORD RESET CONFIGURATION',
    );
    expect(put.details).toMatchObject({
      LINUX_SSHTELNETPORT: '2200',
      ELEVATIONTYPE: 'sudo',
      REMOVEENTER: 'true',
      REMOTELOGINACCOUNT: 'ops',
      LINUX_LANDINGSERVER: 'jump-01',
    });
    // The landing server of others keeps what they need of it.
    const jumpPath = `${V1}/resources/${ids['jump-01']}/remotepasswordreset`;
    failed(
      await actors.olivia!.call(jumpPath, { method: 'DELETE' }),
      'jump-01 is the landing server of lin-01, lin-02; change their configuration first',
    );
    failed(
      await actors.olivia!.call(jumpPath, { method: 'PUT', input: details({ REMOTELOGINACCOUNT: '' }) }),
      /^jump-01 is the landing server of lin-01, lin-02: it must stay a Linux configuration with a login account/,
    );
    expect(ok(await show(actors.olivia, 'jump-01')).details.REMOTELOGINACCOUNT).toBe('hop');
    const dir = server.instance.dataDir;
    const cli = server.instance.cli;
    const shown = await cli('remote-reset', 'show', '--data-dir', dir, '--resource', 'LIN-01', '--json');
    expect(shown.stderr).toBe('');
    expect(JSON.parse(shown.stdout)).toMatchObject({ RESOURCENAME: 'lin-01', LINUX_SSHTELNETPORT: '2200' });
    const configured = await cli(
      'remote-reset',
      'configure',
      '--data-dir',
      dir,
      '--resource',
      'pg-01',
      '--type',
      'PostgreSQL',
      '--port',
      '6543',
      '--database',
      'other',
      '--reset-account',
      'pg-01/dba',
    );
    expect(configured.stderr).toBe('');
    expect(configured.stdout).toBe('Remote password reset configured for pg-01.\n');
    expect(ok(await show(actors.olivia, 'pg-01')).details).toMatchObject({
      PORT: '6543',
      DATABASE: 'other',
      WDACCOUNTNAME: 'pg-01/dba',
    });
    const telnetless = await cli(
      'remote-reset',
      'configure',
      '--data-dir',
      dir,
      '--resource',
      'lin-01',
      '--type',
      'Linux',
      '--elevation',
      'su',
    );
    expect(telnetless.code).toBe(1);
    expect(telnetless.stderr).toBe(
      'bulwark: ELEVATIONTYPE su needs ROOTACCOUNT: the account whose password su answers\n',
    );
    const [audit] = await sql(
      'SELECT operator_name, client FROM audit_records WHERE operation = $1 AND resource_name = $2 ORDER BY seq DESC',
      ['Remote Password Reset Configured', 'pg-01'],
    );
    expect(audit).toMatchObject({ client: 'CLI' });
    expect((await cli('hostkeys', 'list', '--data-dir', dir, '--json')).stdout).toBe(
      '{"pinned":[],"offered":[]}\n',
    );
    const notOffered = await cli(
      'hostkeys',
      'accept',
      '--data-dir',
      dir,
      '--host',
      'target.example.test',
      '--port',
      '2222',
      '--fingerprint',
      fingerprintOf(utils.generateKeyPairSync('ed25519').public.split(' ')[1]!),
    );
    expect(notOffered.code).toBe(1);
    expect(notOffered.stderr).toMatch(
      /^bulwark: target\.example\.test:2222 has not offered a key with fingerprint SHA256:/,
    );
    // A key the host offered after its pin: accepted, then the pin removed, by the operator.
    const blobOf = () => utils.generateKeyPairSync('ed25519').public.split(' ')[1]!;
    const [firstBlob, changedBlob] = [blobOf(), blobOf()];
    const system = { userId: null, username: 'System', clientIp: '127.0.0.1', client: 'System' };
    await withInstance(async ({ services }) => {
      const at = { host: 'cli.example.test', port: 22, algorithm: 'ssh-ed25519' };
      await services.remoteReset.pinOnFirstUse(
        [{ ...at, key: firstBlob, fingerprint: fingerprintOf(firstBlob) }],
        system,
      );
      await services.remoteReset.recordRefusedKey(
        [{ ...at, key: changedBlob, fingerprint: fingerprintOf(changedBlob) }],
        system,
      );
    });
    const hostkeys = (...args: string[]) => cli('hostkeys', ...args, '--data-dir', dir);
    expect((await hostkeys('list')).stdout).toContain(
      `offered  cli.example.test:22 ssh-ed25519 ${fingerprintOf(changedBlob)} (refused 1 times)`,
    );
    const accepted = await hostkeys(
      'accept',
      '--host',
      'cli.example.test',
      '--port',
      '22',
      '--fingerprint',
      fingerprintOf(changedBlob),
    );
    expect(accepted.stderr).toBe('');
    expect(accepted.stdout).toBe(
      `The host key ${fingerprintOf(changedBlob)} of cli.example.test:22 is now pinned.\n`,
    );
    const pinned = JSON.parse((await hostkeys('list', '--json')).stdout) as {
      pinned: { host: string; fingerprint: string; pinnedHow: string }[];
      offered: unknown[];
    };
    expect(pinned.pinned).toEqual([
      expect.objectContaining({
        host: 'cli.example.test',
        fingerprint: fingerprintOf(changedBlob),
        pinnedHow: 'accepted',
      }),
    ]);
    expect(pinned.offered).toEqual([]);
    const removedPin = await hostkeys('remove', '--host', 'cli.example.test', '--port', '22');
    expect(removedPin.stdout).toBe('The host key pin of cli.example.test:22 was removed.\n');
    expect((await hostkeys('list', '--json')).stdout).toBe('{"pinned":[],"offered":[]}\n');
    const [acceptedAudit] = await sql(
      'SELECT operator_name, client FROM audit_records WHERE operation = $1 ORDER BY seq DESC',
      ['SSH Host Key Accepted'],
    );
    expect(acceptedAudit).toMatchObject({ client: 'CLI' });
    // keyauth from a key file (never an argument); the key is sealed, the answer only says it is there.
    const keyFile = path.join(path.dirname(dir), 'ops_ed25519');
    const pair = utils.generateKeyPairSync('ed25519');
    writeFileSync(keyFile, pair.private, { mode: 0o600 });
    const keyed = await cli(
      'remote-reset',
      'configure',
      '--data-dir',
      dir,
      '--resource',
      'lin-02',
      '--type',
      'Linux',
      '--login-account',
      'ops',
      '--authentication',
      'keyauth',
      '--private-key-file',
      keyFile,
    );
    expect(keyed.stderr).toBe('');
    expect(ok(await show(actors.olivia, 'lin-02')).details).toMatchObject({
      AUTHENTICATION: 'keyauth',
      PRIVATEKEY_PRESENT: 'true',
      PASSPHRASE_PRESENT: 'false',
      KEY_FINGERPRINT: fingerprintOf(pair.public.split(' ')[1]!),
    });

    ok(
      await actors.olivia!.call(`${V1}/resources/${ids['my-01']}/remotepasswordreset`, { method: 'DELETE' }),
      'REMOVE REMOTE PASSWORD RESET CONFIGURATION',
    );
    failed(await show(actors.olivia, 'my-01'), 'Resource my-01 has no remote password reset configuration');
    const removed = await cli('remote-reset', 'remove', '--data-dir', dir, '--resource', 'pg-01');
    expect(removed.stdout).toBe('Remote password reset configuration of pg-01 removed.\n');
    failed(await show(actors.olivia, 'pg-01'), /has no remote password reset configuration/);
    // Several CLI processes, each opening the instance: minutes on a loaded two-core machine.
  }, 180_000);
});

/** `SHA256:<base64 without padding>` of a base64 public key blob, as ssh-keygen -l prints it. */
function fingerprintOf(blob: string): string {
  return `SHA256:${createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64').replace(/=+$/, '')}`;
}
