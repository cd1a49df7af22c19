/**
 * The PMP_API toolkit (issue 6, ADR 015): `bulwark a2a toolkit` writes it, and PMP_API.sh runs
 * as a subprocess from a directory outside the repository (so the library proves it needs
 * nothing but Node.js), over real mTLS against a real server: each command, each refusal, the
 * exact output and exit status, and passwords full of shell-special characters.
 */
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientCertificate } from '../../src/platform/tls.js';
import { createApiUser } from '../helpers/actors.js';
import { pmpClient, rawRequest } from '../helpers/client.js';
import { expectFailed, expectSuccess } from '../helpers/expect-pmp.js';
import { requireBinary } from '../helpers/services.js';
import { sqlOn } from '../helpers/sql.js';
import { configureRemoteReset, createTargetResource } from '../helpers/remote-reset.js';
import { dialects, startServer, type Instance, type RunningServer } from '../helpers/server.js';
import { canLogIn, closedPort, createUser, removeUsers, sshdProblem, startSshd } from '../helpers/sshd.js';

const V1 = '/restapi/json/v1';
/** Every character a shell would act on, and a space: the toolkit must pass them through untouched. */
const SPECIAL = `Sp3c 'q"$HOME\`id\`;&|<>*?!~#%^(){}[]\\\\ end`;
const SPECIAL_2 = `N3w $(rm -rf /) && echo "pwned" > /tmp/x; 'it''s' \\n %PATH%`;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function runKit(
  kit: string,
  args: readonly string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      'sh',
      [path.join(kit, 'PMP_API.sh'), ...args],
      { cwd: tmpdir(), env: { ...process.env, ...options.env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    // A command that fails early never reads its stdin: the write then meets EPIPE, which is fine.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

/** A failure: non-zero exit and exactly one line on stderr saying why. */
function expectFailure(run: Run, code: number, why: RegExp): void {
  expect(run.code, run.stderr).toBe(code);
  const lines = run.stderr.split('\n').filter((l) => l !== '');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^PMP_API: /);
  expect(lines[0]).toMatch(why);
}

describe.each(dialects())('the PMP_API toolkit on %s', (dialect) => {
  let server: RunningServer;
  let instance: Instance;
  let admin: ReturnType<typeof pmpClient>;
  let work: string;
  let resourceId: string;
  let accountId: string;
  const a2a = (...args: string[]) => instance.cli('a2a', ...args, '--data-dir', instance.dataDir);

  /** Registers APP, makes its key and certificate, and writes its toolkit into one directory. */
  async function kitFor(name: string, host: string, operations: string, inheritUser = 'admin') {
    const registered = await a2a(
      'register',
      '--name',
      name,
      '--host',
      host,
      '--resource-type',
      'Linux',
      '--operations',
      operations,
      '--inherit-user',
      inheritUser,
    );
    expect(registered.stderr).toBe('');
    const kit = path.join(work, name);
    expect((await a2a('create-cert', '--name', name, '--out', kit)).code).toBe(0);
    const written = await a2a('toolkit', '--name', name, '--server', server.baseUrl, '--out', kit);
    expect(written.stderr).toBe('');
    expect(written.code).toBe(0);
    return kit;
  }

  const adminPassword = async (rid: string, aid: string) =>
    expectSuccess(await admin(`${V1}/resources/${rid}/accounts/${aid}/password`)).details.PASSWORD;

  let full: string;

  beforeAll(async () => {
    server = await startServer(dialect);
    instance = server.instance;
    admin = pmpClient(server.baseUrl, server.token);
    work = mkdtempSync(path.join(tmpdir(), 'bulwark-kit-'));
    const created = expectSuccess(
      await admin(`${V1}/resources`, {
        method: 'POST',
        input: {
          operation: {
            Details: {
              RESOURCENAME: 'web 1',
              ACCOUNTNAME: 'deploy',
              RESOURCETYPE: 'Linux',
              PASSWORD: SPECIAL,
            },
          },
        },
      }),
    );
    resourceId = created.details.RESOURCEID as string;
    accountId = created.details.ACCOUNTID as string;
    full = await kitFor('Full', '127.0.0.1', 'RETRIEVE,RESET_LOCAL,RESET_REMOTE,CREATE');
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
    instance?.remove();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('writes PMP_API.sh, PMP_API.bat, PMP_API.conf, the library and the pinned server certificate', () => {
    expect(statSync(path.join(full, 'PMP_API.sh')).mode & 0o111).not.toBe(0);
    const bat = readFileSync(path.join(full, 'PMP_API.bat'), 'utf8');
    expect(bat).toMatch(/^@echo off\r\n/);
    expect(bat.replace(/\r\n/g, '')).not.toContain('\n');
    expect(bat).toContain('"%~dp0lib\\pmp_api.mjs" %*');
    const conf = readFileSync(path.join(full, 'PMP_API.conf'), 'utf8');
    expect(conf).toContain(`ServerURL=${server.baseUrl}\n`);
    expect(conf).toContain(`ClientCertPath=${path.join(full, 'Full.crt')}\n`);
    expect(conf).toContain(`ClientKeyPath=${path.join(full, 'Full.key')}\n`);
    expect(conf).toContain('VerifyServerCertificate=true\n');
    expect(conf).toContain(`ServerCAPath=${path.join(full, 'server-ca.pem')}\n`);
    // The server's certificate is self-signed: the toolkit pins exactly it.
    expect(readFileSync(path.join(full, 'server-ca.pem'), 'utf8').replace(/\s/g, '')).toBe(
      readFileSync(path.join(instance.dataDir, 'tls', 'cert.pem'), 'utf8').replace(/\s/g, ''),
    );
    const library = readFileSync(path.join(full, 'lib', 'pmp_api.mjs'), 'utf8');
    const imports = [...library.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(imports.length).toBeGreaterThan(0);
    for (const spec of imports) expect(spec).toMatch(/^node:/);
    expect(library).not.toMatch(/sourceMappingURL/);
  });

  it('RETRIEVE prints the password alone and a newline, exit 0, audited as the application', async () => {
    const run = await runKit(full, ['RETRIEVE', 'web 1', 'deploy']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${SPECIAL}\n`);
    const rows = await sqlOn(
      instance,
      'SELECT operator_name, client, client_ip, resource_name, account_name, reason FROM audit_records WHERE operation = $1 AND client = $2',
      ['Password Retrieved', 'A2A Full'],
    );
    expect(rows).toEqual([
      {
        operator_name: 'admin',
        client: 'A2A Full',
        client_ip: '127.0.0.1',
        resource_name: 'web 1',
        account_name: 'deploy',
        reason: 'Application-to-application access by Full',
      },
    ]);
  });

  it('RESET_LOCAL changes the password in the vault; "-" reads it from standard input', async () => {
    const run = await runKit(full, ['RESET_LOCAL', 'web 1', 'deploy', SPECIAL_2]);
    expect(run).toEqual({ code: 0, stdout: 'Password changed successfully\n', stderr: '' });
    expect(await adminPassword(resourceId, accountId)).toBe(SPECIAL_2);
    expect((await runKit(full, ['RETRIEVE', 'web 1', 'deploy'])).stdout).toBe(`${SPECIAL_2}\n`);

    const piped = await runKit(full, ['RESET_LOCAL', 'web 1', 'deploy', '-'], { input: `${SPECIAL}\n` });
    expect(piped).toEqual({ code: 0, stdout: 'Password changed successfully\n', stderr: '' });
    expect(await adminPassword(resourceId, accountId)).toBe(SPECIAL);
    const changes = await sqlOn(
      instance,
      'SELECT operator_name FROM audit_records WHERE operation = $1 AND client = $2',
      ['Password Changed', 'A2A Full'],
    );
    expect(changes).toHaveLength(2);
  });

  it('RESET_REMOTE without a remote reset for the resource prints "Password reset failed" and keeps the password', async () => {
    const run = await runKit(full, ['RESET_REMOTE', 'web 1', 'deploy', 'Remote-Pass-9']);
    expect(run.stdout).toBe('Password reset failed\n');
    expectFailure(run, 1, /Remote password reset is not configured for resource web 1/);
    expect(await adminPassword(resourceId, accountId)).toBe(SPECIAL);
  });

  it('RESET_REMOTE changes the password on a real SSH target (remote reset configured), or prints "Password reset failed"', async (ctx) => {
    if (sshdProblem() !== undefined) return ctx.skip();
    const sshd = await startSshd();
    try {
      const user = createUser();
      const next = `Rem0te ${SPECIAL.slice(5, 20)} x`;
      const remote = await createTargetResource(admin, 'ssh 1', 'Linux', sshd.host, [user]);
      const config = { RESOURCETYPE: 'Linux', LINUX_USERPROMPT: '$', LINUXROOTUSERPROMPT: '#' };
      await configureRemoteReset(admin, remote.resourceId, {
        ...config,
        LINUX_SSHTELNETPORT: String(sshd.port),
      });
      const run = await runKit(full, ['RESET_REMOTE', 'ssh 1', user.name, next]);
      expect(run, run.stderr).toMatchObject({ code: 0, stdout: 'Password changed successfully\n' });
      expect(await canLogIn(sshd, user.name, next)).toBe(true);
      expect(await adminPassword(remote.resourceId, remote.accounts[user.name]!)).toBe(next);
      // The target unreachable: the reference's failure line, why on stderr, the vault unchanged.
      await configureRemoteReset(admin, remote.resourceId, {
        ...config,
        LINUX_SSHTELNETPORT: String(await closedPort()),
      });
      const failed = await runKit(full, ['RESET_REMOTE', 'ssh 1', user.name, 'Other-Rem0te-1']);
      expect(failed.stdout).toBe('Password reset failed\n');
      expectFailure(failed, 1, /Password reset failed: .*unreachable/);
      expect(await adminPassword(remote.resourceId, remote.accounts[user.name]!)).toBe(next);
    } finally {
      await sshd.stop();
      removeUsers();
    }
  });

  it('CREATE makes the resource and account, with the given password or a generated one', async () => {
    const given = await runKit(full, ['CREATE', 'db 2', 'oracle', SPECIAL_2]);
    expect(given).toEqual({ code: 0, stdout: 'Resource and account created successfully\n', stderr: '' });
    expect((await runKit(full, ['RETRIEVE', 'db 2', 'oracle'])).stdout).toBe(`${SPECIAL_2}\n`);
    const resource = expectSuccess(await admin(`${V1}/resources/resourcename/db%202`));
    const listed = expectSuccess(await admin(`${V1}/resources/${resource.details.RESOURCEID}/accounts`));
    expect(listed.details['RESOURCE TYPE']).toBe('Linux');

    const generated = await runKit(full, ['CREATE', 'db 3', 'oracle']);
    expect(generated).toEqual({ code: 0, stdout: 'Resource and account created successfully\n', stderr: '' });
    const password = (await runKit(full, ['RETRIEVE', 'db 3', 'oracle'])).stdout.replace(/\n$/, '');
    expect(password.length).toBeGreaterThan(0);
    const check = await admin(`${V1}/passwords/validate`, {
      method: 'POST',
      input: { operation: { details: { password, passwordPolicy: 'Test Fixtures' } } },
    });
    expect(check.message).toBe('Valid');
  });

  it("CREATE adds the account to an existing resource, generating for that resource's policy", async () => {
    expectSuccess(
      await admin(`${V1}/passwords/policies`, {
        method: 'POST',
        input: {
          operation: {
            Details: {
              POLICYNAME: 'Long 40',
              'PASSWORD MIN LENGTH': '40',
              'PASSWORD MAX LENGTH': '48',
              'ENFORCE MIXED CASE': 'true',
              'ENFORCE NUMERALS': 'true',
            },
          },
        },
      }),
    );
    expectSuccess(
      await admin(`${V1}/resources`, {
        method: 'POST',
        input: {
          operation: {
            Details: {
              RESOURCENAME: 'vault-db',
              ACCOUNTNAME: 'first',
              RESOURCETYPE: 'Linux',
              RESOURCEPASSWORDPOLICY: 'Long 40',
              PASSWORD: 'Abcdefghij1Abcdefghij2Abcdefghij3Abcdefghij4',
            },
          },
        },
      }),
    );
    const run = await runKit(full, ['CREATE', 'vault-db', 'second']);
    expect(run).toEqual({ code: 0, stdout: 'Account created successfully\n', stderr: '' });
    const password = (await runKit(full, ['RETRIEVE', 'vault-db', 'second'])).stdout.replace(/\n$/, '');
    expect(password.length).toBeGreaterThanOrEqual(40);
    const check = await admin(`${V1}/passwords/validate`, {
      method: 'POST',
      input: { operation: { details: { password, passwordPolicy: 'Long 40' } } },
    });
    expect(check.message).toBe('Valid');

    expectFailure(await runKit(full, ['CREATE', 'vault-db', 'second']), 1, /already exists/);
    expectFailure(await runKit(full, ['CREATE', 'vault-db', 'third', 'short']), 1, /Long 40/);
  });

  it('each operation is refused when the application is not allowed it, and nothing changes', async () => {
    const reader = await kitFor('Reader', '127.0.0.1', 'RETRIEVE');
    expect((await runKit(reader, ['RETRIEVE', 'web 1', 'deploy'])).stdout).toBe(`${SPECIAL}\n`);
    for (const op of ['RESET_LOCAL', 'RESET_REMOTE']) {
      const run = await runKit(reader, [op, 'web 1', 'deploy', 'Other-Pass-1']);
      expect(run.stdout).toBe('Password reset failed\n');
      expectFailure(run, 1, new RegExp(`The application Reader is not allowed to ${op}`));
    }
    expectFailure(await runKit(reader, ['CREATE', 'db 9', 'x', 'Other-Pass-1']), 1, /not allowed to CREATE/);
    expect(await adminPassword(resourceId, accountId)).toBe(SPECIAL);
    expect((await admin(`${V1}/resources/resourcename/db%209`)).status).toBe('Failed');

    const creator = await kitFor('Creator', '127.0.0.1', 'CREATE');
    const retrieve = await runKit(creator, ['RETRIEVE', 'web 1', 'deploy']);
    expect(retrieve.stdout).toBe('');
    expectFailure(retrieve, 1, /The application Creator is not allowed to RETRIEVE/);
    expect(await runKit(creator, ['CREATE', 'db 9', 'x'])).toMatchObject({ code: 0 });

    const resetter = await kitFor('Resetter', '127.0.0.1', 'RESET_LOCAL');
    expect(await runKit(resetter, ['RESET_LOCAL', 'db 9', 'x', SPECIAL_2])).toMatchObject({ code: 0 });
    expectFailure(await runKit(resetter, ['RETRIEVE', 'db 9', 'x']), 1, /not allowed to RETRIEVE/);
    const refusals = await sqlOn(
      instance,
      "SELECT client FROM audit_records WHERE operation = $1 AND client IN ('A2A Reader', 'A2A Creator', 'A2A Resetter')",
      ['Application Operation Refused'],
    );
    expect(refusals.length).toBeGreaterThanOrEqual(5);
  });

  it('reaches only what the inherited user may reach', async () => {
    await createApiUser(server, 'svc', 'Password User');
    // Named as OWNERNAME names a user: a directory-style DOMAIN\user finds the local svc.
    const limited = await kitFor('Limited', '127.0.0.1', 'RETRIEVE,RESET_LOCAL,CREATE', 'CORP\\svc');
    const hidden = await runKit(limited, ['RETRIEVE', 'web 1', 'deploy']);
    expect(hidden.stdout).toBe('');
    expectFailure(hidden, 1, /does not exist or is not accessible/);
    const reset = await runKit(limited, ['RESET_LOCAL', 'web 1', 'deploy', 'Other-Pass-1']);
    expect(reset.stdout).toBe('Password reset failed\n');
    expect(await adminPassword(resourceId, accountId)).toBe(SPECIAL);
    // Its own resource: created by the application, so owned by svc.
    expect((await runKit(limited, ['CREATE', 'svc-db', 'app', 'Svc-Pass-1'])).code).toBe(0);
    expect((await runKit(limited, ['RETRIEVE', 'svc-db', 'app'])).stdout).toBe('Svc-Pass-1\n');
    const created = await sqlOn(
      instance,
      'SELECT operator_name FROM audit_records WHERE operation = $1 AND client = $2',
      ['Resource Added', 'A2A Limited'],
    );
    expect(created).toEqual([{ operator_name: 'svc' }]);
  });

  it('refuses an unknown certificate and the right certificate from the wrong address', async () => {
    const stranger = await createClientCertificate('stranger', new Date());
    const strangerKit = path.join(work, 'stranger');
    cpSync(full, strangerKit, { recursive: true });
    writeFileSync(path.join(strangerKit, 'Full.crt'), stranger.certPem);
    writeFileSync(path.join(strangerKit, 'Full.key'), stranger.keyPem);
    const conf = readFileSync(path.join(full, 'PMP_API.conf'), 'utf8').replaceAll(full, strangerKit);
    writeFileSync(path.join(strangerKit, 'PMP_API.conf'), conf);
    const unknown = await runKit(strangerKit, ['RETRIEVE', 'web 1', 'deploy']);
    expect(unknown.stdout).toBe('');
    expectFailure(unknown, 1, /not trusted for any application/);

    const elsewhere = await kitFor('Elsewhere', '127.0.0.2', 'RETRIEVE');
    const wrongHost = await runKit(elsewhere, ['RETRIEVE', 'web 1', 'deploy']);
    expect(wrongHost.stdout).toBe('');
    expectFailure(wrongHost, 1, /Elsewhere is not allowed to access from this host/);
  });

  it('usage and configuration mistakes exit 2, an unreachable or unverifiable server exits 3', async () => {
    expectFailure(await runKit(full, []), 2, /^PMP_API: usage: /);
    expectFailure(await runKit(full, ['FETCH', 'web 1', 'deploy']), 2, /usage/);
    expectFailure(await runKit(full, ['RETRIEVE', 'web 1']), 2, /usage/);
    expectFailure(await runKit(full, ['RESET_LOCAL', 'web 1', 'deploy']), 2, /usage/);

    const confText = readFileSync(path.join(full, 'PMP_API.conf'), 'utf8');
    const withConf = async (name: string, text: string, args = ['RETRIEVE', 'web 1', 'deploy']) => {
      const file = path.join(work, name);
      writeFileSync(file, text);
      return runKit(full, args, { env: { PMP_API_CONF: file } });
    };
    expectFailure(
      await withConf(
        'nocert.conf',
        confText.replace(/ClientCertPath=.*/, 'ClientCertPath=/nonexistent/c.crt'),
      ),
      2,
      /cannot read the client certificate \/nonexistent\/c\.crt \(ENOENT\); check ClientCertPath/,
    );
    const other = await createClientCertificate('other', new Date());
    writeFileSync(path.join(work, 'other.key'), other.keyPem);
    expectFailure(
      await withConf(
        'wrongkey.conf',
        confText.replace(/ClientKeyPath=.*/, `ClientKeyPath=${path.join(work, 'other.key')}`),
      ),
      2,
      /does not belong to the certificate/,
    );
    expectFailure(
      await withConf('http.conf', confText.replace(/ServerURL=https/, 'ServerURL=http')),
      2,
      /https/,
    );
    expectFailure(
      await runKit(full, ['RETRIEVE', 'web 1', 'deploy'], {
        env: { PMP_API_CONF: path.join(work, 'none.conf') },
      }),
      2,
      /cannot read the configuration file/,
    );

    // Nothing listens on port 1 of the loopback.
    expectFailure(
      await withConf('down.conf', confText.replace(/ServerURL=.*/, 'ServerURL=https://127.0.0.1:1')),
      3,
      /connection refused/,
    );
    // Pinning another certificate: the real server's is refused, the password is not sent for.
    writeFileSync(path.join(work, 'other-ca.pem'), other.certPem);
    const unverified = await withConf(
      'otherca.conf',
      confText.replace(/ServerCAPath=.*/, `ServerCAPath=${path.join(work, 'other-ca.pem')}`),
    );
    expect(unverified.stdout).toBe('');
    expectFailure(unverified, 3, /server certificate of 127\.0\.0\.1:\d+ could not be verified/);
    const unverifiedOk = await withConf(
      'noverify.conf',
      confText.replace(/VerifyServerCertificate=.*/, 'VerifyServerCertificate=false'),
    );
    expect(unverifiedOk.stdout).toBe(`${SPECIAL}\n`);

    expectFailure(
      await runKit(full, ['RETRIEVE', 'web 1', 'deploy'], { env: { PMP_API_NODE: '/nonexistent/node' } }),
      2,
      /Node\.js \(\/nonexistent\/node\) was not found/,
    );
  });

  it('bulwark a2a toolkit refuses bad input, keeps an edited conf and warns about an unnamed host', async () => {
    const unknown = await a2a('toolkit', '--name', 'Nobody', '--server', server.baseUrl, '--out', work);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/no application "Nobody"/);
    const plain = await a2a('toolkit', '--name', 'Full', '--server', 'http://127.0.0.1:1', '--out', work);
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toMatch(/the server URL must be an https:\/\/ URL/);

    const notADirectory = path.join(full, 'PMP_API.sh', 'kit');
    const unwritable = await a2a(
      'toolkit',
      '--name',
      'Full',
      '--server',
      server.baseUrl,
      '--out',
      notADirectory,
    );
    expect(unwritable.code).not.toBe(0);
    expect(unwritable.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^bulwark: cannot write into .*ENOTDIR/),
    ]);

    // create-cert never overwrites a key, and trusts nothing new when it refuses.
    const certificates = async () =>
      (JSON.parse((await a2a('list', '--json')).stdout) as { name: string; certificates: unknown[] }[]).find(
        (a) => a.name === 'Full',
      )!.certificates.length;
    const before = await certificates();
    const again = await a2a('create-cert', '--name', 'Full', '--out', full);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/Full\.key exists; remove it or choose another --out/);
    const unwritableCert = await a2a('create-cert', '--name', 'Full', '--out', notADirectory);
    expect(unwritableCert.stderr).toMatch(/cannot write into .*ENOTDIR/);
    expect(await certificates()).toBe(before);

    const confFile = path.join(full, 'PMP_API.conf');
    writeFileSync(confFile, readFileSync(confFile, 'utf8').replace('TimeoutSeconds=30', 'TimeoutSeconds=20'));
    const rewritten = await a2a('toolkit', '--name', 'Full', '--server', server.baseUrl, '--out', full);
    expect(rewritten.code).toBe(0);
    expect(rewritten.stdout).toMatch(/PMP_API\.conf exists and was kept/);
    expect(readFileSync(confFile, 'utf8')).toContain('TimeoutSeconds=20');

    const elsewhere = path.join(work, 'named');
    const warned = await a2a(
      'toolkit',
      '--name',
      'Full',
      '--server',
      'https://vault.example.invalid:7272',
      '--out',
      elsewhere,
    );
    expect(warned.code).toBe(0);
    expect(warned.stderr).toMatch(/warning: the server's certificate does not name vault\.example\.invalid/);
  });

  it('administrators download the toolkit as a zip that works where it is unpacked', async (ctx) => {
    requireBinary(ctx, 'unzip', ['-v']);
    const apps = expectSuccess(await admin(`${V1}/applications`)).details as {
      APPLICATIONID: string;
      APPLICATIONNAME: string;
    }[];
    const id = apps.find((a) => a.APPLICATIONNAME === 'Full')!.APPLICATIONID;
    const toolkitPath = (serverUrl: string) =>
      `${V1}/applications/${id}/toolkit?SERVERURL=${encodeURIComponent(serverUrl)}`;
    const download = await rawRequest(server.baseUrl, {
      path: toolkitPath(server.baseUrl),
      headers: { AUTHTOKEN: server.token },
    });
    expect(download.status).toBe(200);
    expect(download.headers['content-type']).toBe('application/zip');
    expect(download.headers['content-disposition']).toMatch(/filename="Full-PMP_API\.zip"/);
    const zip = path.join(work, 'download.zip');
    writeFileSync(zip, download.body);
    const unpacked = path.join(work, 'unpacked');
    execFileSync('unzip', ['-q', zip, '-d', unpacked]);
    const kit = path.join(unpacked, 'Full-PMP_API');
    // The download's conf names files beside it; the operator adds the key and certificate there.
    const conf = readFileSync(path.join(kit, 'PMP_API.conf'), 'utf8');
    expect(conf).toContain('ClientCertPath=Full.crt\n');
    expect(conf).toContain('ServerCAPath=server-ca.pem\n');
    cpSync(path.join(full, 'Full.crt'), path.join(kit, 'Full.crt'));
    cpSync(path.join(full, 'Full.key'), path.join(kit, 'Full.key'));
    expect(statSync(path.join(kit, 'PMP_API.sh')).mode & 0o111).not.toBe(0);
    const run = await runKit(kit, ['RETRIEVE', 'web 1', 'deploy']);
    expect(run).toEqual({ code: 0, stdout: `${SPECIAL}\n`, stderr: '' });

    const failed = async (p: string, token: string, why: RegExp) =>
      expectFailed(await pmpClient(server.baseUrl, token)(p), why);
    await failed(`${V1}/applications/${id}/toolkit`, server.token, /SERVERURL/);
    await failed(toolkitPath('http://127.0.0.1:1'), server.token, /must be an https:\/\/ URL/);
    await failed(toolkitPath(server.baseUrl).replace(`/${id}/`, '/999999/'), server.token, /does not exist/);
    const user = await createApiUser(server, 'plain-kit', 'Password User');
    await failed(toolkitPath(server.baseUrl), user.token, /Only administrators/);
    // An application itself may not fetch toolkits.
    const answer = await pmpClient(server.baseUrl, '')(toolkitPath(server.baseUrl), {
      token: null,
      clientCert: {
        cert: readFileSync(path.join(full, 'Full.crt'), 'utf8'),
        key: readFileSync(path.join(full, 'Full.key'), 'utf8'),
      },
    });
    expect(answer.message).toMatch(/The application Full is not allowed to DOWNLOAD APPLICATION TOOLKIT/);
  });

  it('a removed application can do nothing', async () => {
    expect((await a2a('remove', '--name', 'Full')).code).toBe(0);
    const run = await runKit(full, ['RETRIEVE', 'web 1', 'deploy']);
    expect(run.stdout).toBe('');
    expectFailure(run, 1, /not trusted for any application/);
  });
});
