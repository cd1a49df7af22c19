import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secret } from '../../../platform/crypto/secret.js';
import {
  blackholedPort,
  createUser,
  removeUsers,
  sshdProblem,
  startSshd,
  type LocalUser,
  type SshServer,
} from '../../../../test/helpers/sshd.js';
import { RemoteChangeFailure, type HostKeyPins, type Login, type SshTarget } from './connector.js';
import { AuthorizedKeysFailure, createAuthorizedKeysConnector } from './ssh-authorized-keys.js';

const noSshd = sshdProblem();
const connector = createAuthorizedKeysConnector();
const TIMEOUT = 30_000;
const noPins: HostKeyPins = { pinned: () => undefined };

/** Every password any test used: none may appear in any failure message. */
const passwordsSeen = new Set<string>();
const messages: string[] = [];

interface KeyFiles {
  readonly file: string;
  /** The public key line (`type blob comment`). */
  readonly line: string;
  readonly blob: string;
}

let keyDir: string;

/** A fresh key pair from the real ssh-keygen, without a passphrase. */
function keygen(type: 'ed25519' | 'rsa' | 'ecdsa', comment = `bulwark-test-${type}`): KeyFiles {
  const file = path.join(keyDir, `${type}-${Math.random().toString(36).slice(2)}`);
  const args = ['-q', '-t', type, '-N', '', '-C', comment, '-f', file];
  if (type === 'rsa') args.splice(3, 0, '-b', '2048');
  execFileSync('ssh-keygen', args, { stdio: 'ignore' });
  const line = readFileSync(`${file}.pub`, 'utf8').trim();
  return { file, line, blob: line.split(' ')[1] ?? '' };
}

/** The real OpenSSH client logs in with the key (and nothing else) and runs `true`. */
function sshOpens(server: SshServer, user: string, key: KeyFiles): boolean {
  const result = spawnSync(
    'ssh',
    [
      '-i',
      key.file,
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=10',
      '-o',
      'LogLevel=ERROR',
      '-p',
      String(server.port),
      `${user}@127.0.0.1`,
      'true',
    ],
    { stdio: 'ignore', timeout: 20_000 },
  );
  return result.status === 0;
}

function remember(user: LocalUser): LocalUser {
  passwordsSeen.add(user.password);
  return user;
}

function passwordLogin(user: LocalUser): Login {
  return { username: user.name, password: secret(user.password) };
}

function target(
  server: { host: string; port: number },
  login: Login,
  options: Partial<Pick<SshTarget, 'elevation' | 'landing'>> = {},
): SshTarget {
  return {
    kind: 'ssh',
    endpoint: { host: server.host, port: server.port },
    login,
    prompts: { user: '$', root: '#' },
    removeEnter: false,
    hostKeys: noPins,
    ...options,
  };
}

function authorizedKeys(user: string): string {
  return readFileSync(`/home/${user}/.ssh/authorized_keys`, 'utf8');
}

async function failure(promise: Promise<unknown>): Promise<RemoteChangeFailure> {
  const err = await promise.then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RemoteChangeFailure);
  const f = err as RemoteChangeFailure;
  messages.push(f.message);
  return f;
}

describe.skipIf(noSshd !== undefined)('authorized_keys on a real sshd with real accounts', () => {
  let server: SshServer;
  let uid0: LocalUser;
  let rootLogin: SshTarget;

  beforeAll(async () => {
    keyDir = mkdtempSync(path.join(tmpdir(), 'bulwark-keys-'));
    server = await startSshd();
    uid0 = remember(createUser({ uid0: true }));
    rootLogin = target(server, passwordLogin(uid0));
  });

  afterAll(async () => {
    await server?.stop();
    removeUsers();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
    for (const message of messages) for (const p of passwordsSeen) expect(message).not.toContain(p);
  });

  it('add as root: .ssh created 0700 and the file 0600 owned by the account; the key opens; twice = one line; remove closes it', async () => {
    const user = remember(createUser());
    const key = keygen('ed25519');
    expect(existsSync(`/home/${user.name}/.ssh`)).toBe(false);
    expect(sshOpens(server, user.name, key)).toBe(false);

    const added = await connector.addKey({
      target: rootLogin,
      user: user.name,
      publicKey: key.line,
      timeoutMs: TIMEOUT,
    });
    expect(added.outcome).toBe('added');
    expect(added.fingerprint).toBe(
      execFileSync('ssh-keygen', ['-l', '-f', `${key.file}.pub`], { encoding: 'utf8' }).split(' ')[1],
    );
    const uid = Number(execFileSync('id', ['-u', user.name], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', user.name], { encoding: 'utf8' }));
    const dir = statSync(`/home/${user.name}/.ssh`);
    const file = statSync(`/home/${user.name}/.ssh/authorized_keys`);
    expect(dir.mode & 0o777).toBe(0o700);
    expect(file.mode & 0o777).toBe(0o600);
    expect([dir.uid, dir.gid, file.uid, file.gid]).toEqual([uid, gid, uid, gid]);
    expect(authorizedKeys(user.name)).toBe(`${key.line}\n`);
    expect(sshOpens(server, user.name, key)).toBe(true);

    const again = await connector.addKey({
      target: rootLogin,
      user: user.name,
      publicKey: key.line,
      timeoutMs: TIMEOUT,
    });
    expect(again.outcome).toBe('present');
    expect(authorizedKeys(user.name)).toBe(`${key.line}\n`);

    const removed = await connector.removeKey({
      target: rootLogin,
      user: user.name,
      publicKey: key.line,
      timeoutMs: TIMEOUT,
    });
    expect(removed.removed).toBe(1);
    expect(authorizedKeys(user.name)).toBe('');
    expect(sshOpens(server, user.name, key)).toBe(false);
    const after = statSync(`/home/${user.name}/.ssh/authorized_keys`);
    expect([after.mode & 0o777, after.uid, after.gid]).toEqual([0o600, uid, gid]);
  });

  it('remove takes exactly the lines with that key (any options or comment); every other byte stays; mode kept', async () => {
    const key = keygen('ecdsa');
    const other = keygen('rsa');
    const user = remember(createUser({ authorizedKey: other.line }));
    const file = `/home/${user.name}/.ssh/authorized_keys`;
    const before =
      `# managed by hand\n${other.line}\n` +
      `from="127.0.0.1",no-pty ${key.line.split(' ').slice(0, 2).join(' ')} old copy\n` +
      `\n  garbage line that sshd ignores\n${key.line}\ncommand="echo \\"x y\\"" ${other.line} second\n`;
    writeFileSync(file, before);
    execFileSync('chmod', ['0640', file]);
    expect(sshOpens(server, user.name, key)).toBe(true);

    const removed = await connector.removeKey({
      target: rootLogin,
      user: user.name,
      publicKey: `${key.line.split(' ').slice(0, 2).join(' ')}`,
      timeoutMs: TIMEOUT,
    });
    expect(removed.removed).toBe(2);
    expect(readFileSync(file, 'utf8')).toBe(
      `# managed by hand\n${other.line}\n\n  garbage line that sshd ignores\ncommand="echo \\"x y\\"" ${other.line} second\n`,
    );
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(sshOpens(server, user.name, key)).toBe(false);
    expect(sshOpens(server, user.name, other)).toBe(true);
    // No temporary file left beside it.
    expect(execFileSync('ls', ['-A', `/home/${user.name}/.ssh`], { encoding: 'utf8' }).trim()).toBe(
      'authorized_keys',
    );
    // Removing a key that is not there changes nothing.
    const none = await connector.removeKey({
      target: rootLogin,
      user: user.name,
      publicKey: key.line,
      timeoutMs: TIMEOUT,
    });
    expect(none.removed).toBe(0);
  });

  it('add keeps the other lines and puts the missing final newline back before appending', async () => {
    const other = keygen('ed25519');
    const user = remember(createUser({ authorizedKey: other.line }));
    const file = `/home/${user.name}/.ssh/authorized_keys`;
    writeFileSync(file, `# no newline at the end\n${other.line}`);
    const key = keygen('rsa');
    await connector.addKey({ target: rootLogin, user: user.name, publicKey: key.line, timeoutMs: TIMEOUT });
    expect(readFileSync(file, 'utf8')).toBe(`# no newline at the end\n${other.line}\n${key.line}\n`);
    expect(sshOpens(server, user.name, key)).toBe(true);
    expect(sshOpens(server, user.name, other)).toBe(true);
  });

  it('sudo elevation (login user ≠ account): add an RSA key, then remove it', async () => {
    const sudoer = remember(createUser({ sudo: true }));
    const user = remember(createUser());
    const key = keygen('rsa');
    const t = target(server, passwordLogin(sudoer), { elevation: { type: 'sudo', rootAccount: 'root' } });
    const added = await connector.addKey({
      target: t,
      user: user.name,
      publicKey: key.line,
      timeoutMs: TIMEOUT,
    });
    expect(added.outcome).toBe('added');
    expect(sshOpens(server, user.name, key)).toBe(true);
    await connector.removeKey({ target: t, user: user.name, publicKey: key.line, timeoutMs: TIMEOUT });
    expect(sshOpens(server, user.name, key)).toBe(false);
  });

  it('su elevation: add an ECDSA key as the uid-0 alias', async () => {
    const login = remember(createUser());
    const user = remember(createUser());
    const key = keygen('ecdsa');
    const elevation = { type: 'su' as const, rootAccount: uid0.name, rootPassword: secret(uid0.password) };
    const t = target(server, passwordLogin(login), { elevation });
    await connector.addKey({ target: t, user: user.name, publicKey: key.line, timeoutMs: TIMEOUT });
    expect(sshOpens(server, user.name, key)).toBe(true);
    expect(statSync(`/home/${user.name}/.ssh/authorized_keys`).uid).toBe(
      Number(execFileSync('id', ['-u', user.name], { encoding: 'utf8' })),
    );
  });

  it('the account itself (no elevation) adds its own key; another account without elevation is refused', async () => {
    const user = remember(createUser());
    const key = keygen('ed25519');
    await connector.addKey({
      target: target(server, passwordLogin(user)),
      user: user.name,
      publicKey: key.line,
      timeoutMs: TIMEOUT,
    });
    expect(sshOpens(server, user.name, key)).toBe(true);
    const other = remember(createUser());
    const f = await failure(
      connector.addKey({
        target: target(server, passwordLogin(user)),
        user: other.name,
        publicKey: key.line,
        timeoutMs: TIMEOUT,
      }),
    );
    expect(f.reason).toBe('authentication');
    expect((f as AuthorizedKeysFailure).problem).toBe('not-permitted');
    expect(f.message).toContain('no elevation');
    expect(existsSync(`/home/${other.name}/.ssh`)).toBe(false);
  });

  it('an unknown account: a failure saying so, nothing written', async () => {
    const key = keygen('ed25519');
    const name = 'bwnosuchuser';
    const f = await failure(
      connector.addKey({ target: rootLogin, user: name, publicKey: key.line, timeoutMs: TIMEOUT }),
    );
    expect(f.reason).toBe('protocol');
    expect(f).toBeInstanceOf(AuthorizedKeysFailure);
    expect((f as AuthorizedKeysFailure).problem).toBe('unknown-account');
    expect(f.message).toContain('no such account');
    expect(f.targetMayHaveChanged).toBe(false);
    expect(existsSync(`/home/${name}`)).toBe(false);
  });

  it('a hostile comment, key or account name is refused before connecting', async () => {
    const hole = await blackholedPort();
    try {
      const t = target(hole, { username: 'x', password: secret('x') });
      const key = keygen('ed25519');
      const [type, blob] = key.line.split(' ');
      const started = Date.now();
      const cases = [
        { user: 'bob', publicKey: `${type} ${blob} x\n; touch /tmp/pwned` },
        { user: 'bob', publicKey: `${type} ${blob} \u0003\u0004` },
        { user: 'bob', publicKey: `ssh-rsa ${blob} wrong inner type` },
        { user: 'bob', publicKey: `${type} ${blob}'$(id)' x` },
        { user: 'bob', publicKey: `from="x" ${type} ${blob}` },
        { user: "bob'; touch /tmp/pwned; '", publicKey: key.line },
        { user: '-oProxyCommand=x', publicKey: key.line },
        { user: '0', publicKey: key.line },
      ];
      for (const c of cases) {
        const f = await failure(connector.addKey({ target: t, ...c, timeoutMs: 5000 }));
        expect(f.reason).toBe('protocol');
        expect((f as AuthorizedKeysFailure).problem).toMatch(/^invalid-(key|account-name)$/);
        expect(f.observedHostKeys).toEqual([]);
      }
      expect(Date.now() - started).toBeLessThan(1000);
      const l = await failure(connector.listKeys({ target: t, users: ['a b'], timeoutMs: 5000 }));
      expect(l.reason).toBe('protocol');
    } finally {
      await hole.close();
    }
  });

  it('a blackholed host: timeout within the bound', async () => {
    const hole = await blackholedPort();
    try {
      const key = keygen('ed25519');
      const started = Date.now();
      const f = await failure(
        connector.addKey({
          target: target(hole, { username: 'x', password: secret('not-a-secret-Xy1') }),
          user: 'bob',
          publicKey: key.line,
          timeoutMs: 1500,
        }),
      );
      expect(f.reason).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(1500 + 1000);
    } finally {
      await hole.close();
    }
  });

  it('listKeys: several accounts, options and bad lines reported, unknown accounts named; all accounts when none given', async () => {
    const a = keygen('ed25519', 'alice@laptop');
    const b = keygen('rsa');
    const alice = remember(createUser({ authorizedKey: a.line }));
    const bob = remember(createUser({ authorizedKey: b.line }));
    const carol = remember(createUser());
    writeFileSync(
      `/home/${bob.name}/.ssh/authorized_keys`,
      `${b.line}\nfrom="127.0.0.1",command="echo \\"hi there\\"" ${a.line}\nnot a key at all\n`,
    );
    const listed = await connector.listKeys({
      target: rootLogin,
      users: [alice.name, bob.name, carol.name, 'bwnosuchuser'],
      timeoutMs: TIMEOUT,
    });
    expect(listed.unknownUsers).toEqual(['bwnosuchuser']);
    const byUser = new Map(listed.accounts.map((acc) => [acc.user, acc]));
    expect(byUser.get(alice.name)).toMatchObject({
      file: 'present',
      keys: [{ type: 'ssh-ed25519', blob: a.blob, comment: 'alice@laptop', options: '', line: 1 }],
      invalid: [],
    });
    const fp = execFileSync('ssh-keygen', ['-l', '-f', `${a.file}.pub`], { encoding: 'utf8' }).split(' ')[1];
    expect(byUser.get(alice.name)?.keys[0]?.fingerprint).toBe(fp);
    expect(byUser.get(bob.name)?.keys.map((k) => [k.type, k.options, k.line])).toEqual([
      ['ssh-rsa', '', 1],
      ['ssh-ed25519', 'from="127.0.0.1",command="echo \\"hi there\\""', 2],
    ]);
    expect(byUser.get(bob.name)?.invalid).toEqual([
      expect.objectContaining({ line: 3, text: 'not a key at all' }),
    ]);
    expect(byUser.get(carol.name)).toMatchObject({ file: 'missing', keys: [] });

    const all = await connector.listKeys({ target: rootLogin, timeoutMs: TIMEOUT });
    const names = all.accounts.map((acc) => acc.user);
    expect(names).toEqual(expect.arrayContaining([alice.name, bob.name, carol.name]));
    // Accounts without a login shell (daemon, nobody) are not listed.
    expect(names).not.toContain('nobody');
  });

  it('a comment full of shell syntax is written literally (it travels on stdin, never in a command line)', async () => {
    const user = remember(createUser());
    const key = keygen('ed25519');
    const marker = path.join(keyDir, `pwned-${Date.now()}`);
    const comment = `$(touch ${marker}) \`touch ${marker}\` "a" 'b' ; touch ${marker} # \\ %s`;
    const line = `${key.line.split(' ').slice(0, 2).join(' ')} ${comment}`;
    const found: string[] = [];
    let scanning = true;
    const scan = (async () => {
      while (scanning) {
        for (const l of commandLines()) if (l.includes(key.blob) || l.includes(uid0.password)) found.push(l);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    try {
      const login = remember(createUser());
      const elevation = { type: 'su' as const, rootAccount: uid0.name, rootPassword: secret(uid0.password) };
      await connector.addKey({
        target: target(server, passwordLogin(login), { elevation }),
        user: user.name,
        publicKey: line,
        timeoutMs: TIMEOUT,
      });
    } finally {
      scanning = false;
      await scan;
    }
    expect(found).toEqual([]);
    expect(authorizedKeys(user.name)).toBe(`${line}\n`);
    expect(existsSync(marker)).toBe(false);
    expect(sshOpens(server, user.name, key)).toBe(true);
  });

  it('the home directory comes from the host (getent passwd), not /home/<name>', async () => {
    const user = remember(createUser());
    const home = mkdtempSync(path.join(tmpdir(), 'bulwark-home-'));
    rmSync(home, { recursive: true });
    execFileSync('usermod', ['-m', '-d', home, user.name]);
    const key = keygen('ed25519');
    await connector.addKey({ target: rootLogin, user: user.name, publicKey: key.line, timeoutMs: TIMEOUT });
    expect(readFileSync(`${home}/.ssh/authorized_keys`, 'utf8')).toBe(`${key.line}\n`);
    expect(sshOpens(server, user.name, key)).toBe(true);
  });

  it('a symlinked authorized_keys or .ssh is refused (never written through), and listed as a symlink', async () => {
    const key = keygen('ed25519');
    const user = remember(createUser({ authorizedKey: key.line }));
    const victim = path.join(keyDir, `victim-${Date.now()}`);
    writeFileSync(victim, 'root only\n', { mode: 0o600 });
    const file = `/home/${user.name}/.ssh/authorized_keys`;
    rmSync(file);
    execFileSync('ln', ['-s', victim, file]);
    const other = keygen('ed25519');
    const f = await failure(
      connector.addKey({ target: rootLogin, user: user.name, publicKey: other.line, timeoutMs: TIMEOUT }),
    );
    expect(f.message).toContain('symlink');
    expect((f as AuthorizedKeysFailure).problem).toBe('unsafe-path');
    const g = await failure(
      connector.removeKey({ target: rootLogin, user: user.name, publicKey: key.line, timeoutMs: TIMEOUT }),
    );
    expect(g.message).toContain('symlink');
    expect(readFileSync(victim, 'utf8')).toBe('root only\n');
    const listed = await connector.listKeys({ target: rootLogin, users: [user.name], timeoutMs: TIMEOUT });
    expect(listed.accounts).toEqual([
      expect.objectContaining({ user: user.name, file: 'symlink', keys: [] }),
    ]);

    const second = remember(createUser());
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'bulwark-elsewhere-'));
    execFileSync('ln', ['-s', elsewhere, `/home/${second.name}/.ssh`]);
    const h = await failure(
      connector.addKey({ target: rootLogin, user: second.name, publicKey: other.line, timeoutMs: TIMEOUT }),
    );
    expect(h.message).toContain('.ssh');
    expect(execFileSync('ls', ['-A', elsewhere], { encoding: 'utf8' })).toBe('');
    rmSync(elsewhere, { recursive: true, force: true });
  });

  it('REMOVEENTER (lines end with a carriage return): add and remove work the same', async () => {
    const user = remember(createUser());
    const key = keygen('ed25519');
    const t = { ...rootLogin, removeEnter: true };
    await connector.addKey({ target: t, user: user.name, publicKey: key.line, timeoutMs: TIMEOUT });
    expect(authorizedKeys(user.name)).toBe(`${key.line}\n`);
    const removed = await connector.removeKey({
      target: t,
      user: user.name,
      publicKey: key.line,
      timeoutMs: TIMEOUT,
    });
    expect(removed.removed).toBe(1);
  });

  it('a wrong su password or login password: authentication, nothing written, no password in the message', async () => {
    const login = remember(createUser());
    const user = remember(createUser());
    const key = keygen('ed25519');
    const wrong = `Wrong-${Date.now()}-pw`;
    passwordsSeen.add(wrong);
    const su = { type: 'su' as const, rootAccount: uid0.name, rootPassword: secret(wrong) };
    const f = await failure(
      connector.addKey({
        target: target(server, passwordLogin(login), { elevation: su }),
        user: user.name,
        publicKey: key.line,
        timeoutMs: TIMEOUT,
      }),
    );
    expect(f.reason).toBe('authentication');
    expect(f.targetMayHaveChanged).toBe(false);
    const g = await failure(
      connector.addKey({
        target: target(server, { username: login.name, password: secret(wrong) }),
        user: login.name,
        publicKey: key.line,
        timeoutMs: TIMEOUT,
      }),
    );
    expect(g.reason).toBe('authentication');
    expect(existsSync(`/home/${user.name}/.ssh`)).toBe(false);
    expect(existsSync(`/home/${login.name}/.ssh`)).toBe(false);
  });

  it('verifyKeyLogin: opens with an authorized key, refused with another', async () => {
    const key = keygen('ed25519');
    const stranger = keygen('ed25519');
    const user = remember(createUser({ authorizedKey: key.line }));
    const endpoint = { host: server.host, port: server.port };
    const opens = await connector.verifyKeyLogin({
      endpoint,
      hostKeys: noPins,
      user: user.name,
      privateKey: secret(readFileSync(key.file, 'utf8')),
      timeoutMs: TIMEOUT,
    });
    expect(opens.outcome).toBe('opens');
    expect(opens.observedHostKeys.map((k) => k.fingerprint)).toEqual([server.hostKey().fingerprint]);
    const refused = await connector.verifyKeyLogin({
      endpoint,
      hostKeys: noPins,
      user: user.name,
      privateKey: secret(readFileSync(stranger.file, 'utf8')),
      timeoutMs: TIMEOUT,
    });
    expect(refused.outcome).toBe('refused');
  });
});

/** Every process's argument list, as `ps` shows it. */
function commandLines(): string[] {
  const lines: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      lines.push(readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' '));
    } catch {
      // the process ended meanwhile
    }
  }
  return lines;
}
