import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blackholedPort,
  canLogIn,
  closedPort,
  createUser,
  removeUsers,
  silentShell,
  sshdProblem,
  startSshd,
  type SshServer,
} from '../../../../test/helpers/sshd.js';

const noSshd = sshdProblem();

describe.skipIf(noSshd !== undefined)('the real-sshd test setup (test/helpers/sshd.ts)', () => {
  let server: SshServer;
  beforeAll(async () => {
    server = await startSshd();
  });
  afterAll(async () => {
    await server?.stop();
    removeUsers();
  });

  it('logs a created account in with its password and refuses a wrong one', async () => {
    const user = createUser();
    expect(await canLogIn(server, user.name, user.password)).toBe(true);
    expect(await canLogIn(server, user.name, `${user.password}x`)).toBe(false);
  });

  it('restarts with a new host key on the same port', async () => {
    const before = server.hostKey();
    await server.restart({ newHostKey: true });
    const after = server.hostKey();
    expect(after.fingerprint).not.toBe(before.fingerprint);
    expect(after.algorithm).toBe('ssh-ed25519');
    const user = createUser({ sudo: true });
    expect(await canLogIn(server, user.name, user.password)).toBe(true);
  });

  it('creates uid-0 aliases and silent-shell users, and misbehaving endpoints', async () => {
    const alias = createUser({ uid0: true });
    expect(await canLogIn(server, alias.name, alias.password)).toBe(true);
    const silent = createUser({ shell: silentShell() });
    expect(await canLogIn(server, silent.name, silent.password)).toBe(true);
    const hole = await blackholedPort();
    await hole.close();
    await expect(canLogIn({ host: '127.0.0.1', port: await closedPort() }, 'x', 'y')).rejects.toThrow(
      /cannot reach/,
    );
  });

  it('removeUsers deletes the accounts, homes and sudoers files it created, and leaves /root alone', () => {
    const plain = createUser({ sudo: true });
    const alias = createUser({ uid0: true });
    expect(existsSync(`/etc/sudoers.d/${plain.name}`)).toBe(true);
    removeUsers();
    for (const name of [plain.name, alias.name])
      expect(() => execFileSync('id', ['-u', name], { stdio: 'ignore' })).toThrow();
    expect(existsSync(`/etc/sudoers.d/${plain.name}`)).toBe(false);
    expect(existsSync(`/home/${plain.name}`)).toBe(false);
    expect(existsSync('/root')).toBe(true);
    expect(execFileSync('id', ['-u', 'root'], { encoding: 'utf8' }).trim()).toBe('0');
  });
});
