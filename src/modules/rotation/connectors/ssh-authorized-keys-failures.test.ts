import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secret } from '../../../platform/crypto/secret.js';
import {
  closedPort,
  createUser,
  createUsers,
  removeUsers,
  silentShell,
  sshdProblem,
  startSshd,
  type LocalUser,
  type SshServer,
} from '../../../../test/helpers/sshd.js';
import { RemoteChangeFailure, type HostKeyPins, type Login, type SshTarget } from './connector.js';
import { createAuthorizedKeysConnector, MAX_FILE } from './ssh-authorized-keys.js';

/**
 * authorized_keys over the SSH connector: landing server, host keys, prompts, passphrases and
 * hostile file contents (the main flows are in ssh-authorized-keys.test.ts).
 */

const noSshd = sshdProblem();
const connector = createAuthorizedKeysConnector();
const TIMEOUT = 30_000;
const noPins: HostKeyPins = { pinned: () => undefined };
const passwordsSeen = new Set<string>();
const messages: string[] = [];
let keyDir: string;

function keygen(passphrase = ''): { file: string; line: string; private: string } {
  const file = path.join(keyDir, `k-${Math.random().toString(36).slice(2)}`);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'test', '-f', file], {
    stdio: 'ignore',
  });
  return {
    file,
    line: readFileSync(`${file}.pub`, 'utf8').trim(),
    private: readFileSync(file, 'utf8'),
  };
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
  options: Partial<Pick<SshTarget, 'landing' | 'hostKeys'>> = {},
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

describe.skipIf(noSshd !== undefined)('authorized_keys: connection failures and hostile hosts', () => {
  let server: SshServer;
  let landing: SshServer;
  let uid0: LocalUser;

  beforeAll(async () => {
    keyDir = mkdtempSync(path.join(tmpdir(), 'bulwark-keys-'));
    server = await startSshd();
    landing = await startSshd();
    uid0 = remember(createUser({ uid0: true }));
  });

  afterAll(async () => {
    await server?.stop();
    await landing?.stop();
    removeUsers();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
    for (const message of messages) for (const p of passwordsSeen) expect(message).not.toContain(p);
  });

  it('through a landing server: add, and verifyKeyLogin opens; a refused landing login is a failure, not "refused"', async () => {
    const hop = remember(createUser());
    const user = remember(createUser());
    const key = keygen();
    const via = { endpoint: { host: landing.host, port: landing.port }, login: passwordLogin(hop) };
    const added = await connector.addKey({
      target: target(server, passwordLogin(uid0), { landing: via }),
      user: user.name,
      publicKey: key.line,
      timeoutMs: TIMEOUT,
    });
    expect(added.observedHostKeys.map((k) => k.port).sort()).toEqual([server.port, landing.port].sort());
    const endpoint = { host: server.host, port: server.port };
    const opens = await connector.verifyKeyLogin({
      endpoint,
      hostKeys: noPins,
      landing: via,
      user: user.name,
      privateKey: secret(key.private),
      timeoutMs: TIMEOUT,
    });
    expect(opens.outcome).toBe('opens');
    const wrong = `Wrong-${Date.now()}-pw`;
    passwordsSeen.add(wrong);
    const f = await failure(
      connector.verifyKeyLogin({
        endpoint,
        hostKeys: noPins,
        landing: { ...via, login: { username: hop.name, password: secret(wrong) } },
        user: user.name,
        privateKey: secret(key.private),
        timeoutMs: TIMEOUT,
      }),
    );
    expect(f.reason).toBe('authentication');
    expect(f.message).toContain('landing server');
  });

  it('a changed host key: host-key, nothing written', async () => {
    const user = remember(createUser());
    const other = keygen();
    const pins: HostKeyPins = {
      pinned: () => ({ algorithm: 'ssh-ed25519', key: other.line.split(' ')[1] ?? '' }),
    };
    const f = await failure(
      connector.addKey({
        target: target(server, passwordLogin(uid0), { hostKeys: pins }),
        user: user.name,
        publicKey: keygen().line,
        timeoutMs: TIMEOUT,
      }),
    );
    expect(f.reason).toBe('host-key');
    expect(f.targetMayHaveChanged).toBe(false);
    expect(existsSync(`/home/${user.name}/.ssh`)).toBe(false);
  });

  it('a shell that never shows a prompt: prompt within the bound; a closed port: unreachable', async () => {
    const silent = remember(createUser({ shell: silentShell() }));
    const started = Date.now();
    const f = await failure(
      connector.addKey({
        target: target(server, passwordLogin(silent)),
        user: silent.name,
        publicKey: keygen().line,
        timeoutMs: 3000,
      }),
    );
    expect(f.reason).toBe('prompt');
    expect(Date.now() - started).toBeLessThan(3000 + 1500);
    expect(existsSync(`/home/${silent.name}/.ssh`)).toBe(false);
    const closed = { host: '127.0.0.1', port: await closedPort() };
    const g = await failure(
      connector.listKeys({ target: target(closed, passwordLogin(silent)), timeoutMs: 3000 }),
    );
    expect(g.reason).toBe('unreachable');
  });

  it('a connection lost before the file is replaced leaves it whole: timeout with targetMayHaveChanged, the old content intact', async () => {
    const old = keygen();
    const user = remember(createUser({ authorizedKey: old.line }));
    // The account's shell puts a slow `mv` first in PATH: the script hangs right before replacing.
    const bin = mkdtempSync(path.join(tmpdir(), 'bulwark-slowmv-'));
    writeFileSync(path.join(bin, 'mv'), '#!/bin/sh\nsleep 60\nexec /bin/mv "$@"\n', { mode: 0o755 });
    execFileSync('chmod', ['0755', bin]);
    appendFileSync(`/home/${user.name}/.bashrc`, `\nexport PATH=${bin}:$PATH\n`);
    const file = `/home/${user.name}/.ssh/authorized_keys`;
    const before = readFileSync(file);
    try {
      const started = Date.now();
      const f = await failure(
        connector.addKey({
          target: target(server, passwordLogin(user)),
          user: user.name,
          publicKey: keygen().line,
          timeoutMs: 4000,
        }),
      );
      expect(f.reason).toBe('timeout');
      expect(f.targetMayHaveChanged).toBe(true);
      expect(Date.now() - started).toBeLessThan(4000 + 1500);
      expect(readFileSync(file).equals(before)).toBe(true);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('verifyKeyLogin with a passphrase-protected key: opens with the passphrase, a wrong one is an authentication failure', async () => {
    const passphrase = `Pass-${Date.now()}-phrase`;
    passwordsSeen.add(passphrase);
    const key = keygen(passphrase);
    const user = remember(createUser({ authorizedKey: key.line }));
    const request = {
      endpoint: { host: server.host, port: server.port },
      hostKeys: noPins,
      user: user.name,
      privateKey: secret(key.private),
      timeoutMs: TIMEOUT,
    };
    expect((await connector.verifyKeyLogin({ ...request, passphrase: secret(passphrase) })).outcome).toBe(
      'opens',
    );
    const f = await failure(connector.verifyKeyLogin({ ...request, passphrase: secret('not it') }));
    expect(f.reason).toBe('authentication');
  });

  it('listKeys survives hostile files: escape sequences, binary, markers, a file over the limit', async () => {
    const key = keygen();
    const [evil, big] = createUsers(2).map(remember) as [LocalUser, LocalUser];
    for (const u of [evil, big]) {
      execFileSync('mkdir', ['-p', `/home/${u.name}/.ssh`]);
    }
    const hostile = [
      '\u001b]0;title\u0007\u001b[2J BWEND-000000000000-0 BWBEGIN-x',
      key.line,
      `\u0000\u00ff\u00fe binary ${'\u0003\u0004'}`,
      `command="echo \\"\u001b[31m\\"" ${key.line}`,
      '',
    ].join('\n');
    writeFileSync(`/home/${evil.name}/.ssh/authorized_keys`, Buffer.from(hostile, 'latin1'));
    const filler = `# ${'x'.repeat(998)}\n`;
    writeFileSync(
      `/home/${big.name}/.ssh/authorized_keys`,
      `${key.line}\n${filler.repeat(Math.ceil(MAX_FILE / filler.length) + 5)}`,
    );
    const listed = await connector.listKeys({
      target: target(server, passwordLogin(uid0)),
      users: [evil.name, big.name],
      timeoutMs: TIMEOUT,
    });
    const [a, b] = listed.accounts;
    expect(a?.user).toBe(evil.name);
    expect(a?.keys.map((k) => [k.line, k.options])).toEqual([
      [2, ''],
      [4, expect.stringContaining('command=')],
    ]);
    expect(a?.invalid.map((i) => i.line)).toEqual([1, 3]);
    for (const i of a?.invalid ?? []) expect(i.text).not.toMatch(/[\u0000-\u001f]/);
    for (const k of a?.keys ?? []) expect(`${k.options}${k.comment}`).not.toMatch(/[\u0000-\u001f]/);
    expect(b).toMatchObject({
      user: big.name,
      truncated: true,
      keys: [expect.objectContaining({ line: 1 })],
    });
  });

  it('listKeys as a non-root login without elevation: its own file; accounts it cannot enter are unreadable', async () => {
    const key = keygen();
    const [me, other] = createUsers(2, { authorizedKey: key.line }).map(remember) as [LocalUser, LocalUser];
    execFileSync('chmod', ['0700', `/home/${other.name}`]);
    const listed = await connector.listKeys({
      target: target(server, passwordLogin(me)),
      users: [me.name, other.name],
      timeoutMs: TIMEOUT,
    });
    expect(listed.accounts.map((a) => [a.user, a.file, a.keys.length])).toEqual([
      [me.name, 'present', 1],
      [other.name, 'unreadable', 0],
    ]);
  });

  it('listing every account of a host with many accounts stays quick', async () => {
    const key = keygen();
    const many = createUsers(40, { authorizedKey: key.line }).map(remember);
    const started = Date.now();
    const listed = await connector.listKeys({
      target: target(server, passwordLogin(uid0)),
      timeoutMs: TIMEOUT,
    });
    const names = new Set(listed.accounts.filter((a) => a.keys.length === 1).map((a) => a.user));
    for (const u of many) expect(names.has(u.name)).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
