import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { utils } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secret } from '../../../platform/crypto/secret.js';
import {
  blackholedPort,
  canLogIn,
  closedPort,
  createUser,
  randomPassword,
  removeUsers,
  silentShell,
  sshdProblem,
  startSshd,
  type Blackhole,
  type LocalUser,
  type SshServer,
} from '../../../../test/helpers/sshd.js';
import {
  RemoteChangeFailure,
  type HostKeyPins,
  type Login,
  type ObservedHostKey,
  type SshTarget,
} from './connector.js';
import { createSshConnector } from './ssh.js';

const noSshd = sshdProblem();
const connector = createSshConnector();
const TIMEOUT = 30_000;

/** Every password any test used: none may appear in any failure message. */
const passwordsSeen = new Set<string>();
const messages: string[] = [];

class Pins implements HostKeyPins {
  readonly keys = new Map<string, { algorithm: string; key: string }>();
  pinned(host: string, port: number) {
    return this.keys.get(`${host}:${port}`);
  }
  pin(observed: readonly ObservedHostKey[]): void {
    for (const k of observed)
      if (!this.keys.has(`${k.host}:${k.port}`)) this.keys.set(`${k.host}:${k.port}`, k);
  }
}

function remember(user: LocalUser): LocalUser {
  passwordsSeen.add(user.password);
  return user;
}

function fresh(): string {
  const password = randomPassword();
  passwordsSeen.add(password);
  return password;
}

function passwordLogin(user: LocalUser): Login {
  return { username: user.name, password: secret(user.password) };
}

function target(
  server: { host: string; port: number },
  login: Login,
  options: Partial<Pick<SshTarget, 'elevation' | 'landing' | 'removeEnter' | 'hostKeys'>> = {},
): SshTarget {
  return {
    kind: 'ssh',
    endpoint: { host: server.host, port: server.port },
    login,
    prompts: { user: '$', root: '#' },
    removeEnter: false,
    hostKeys: new Pins(),
    ...options,
  };
}

async function change(
  t: SshTarget,
  account: string,
  current: string | undefined,
  next: string,
  timeoutMs = TIMEOUT,
) {
  return connector.changePassword({
    target: t,
    account,
    currentPassword: current === undefined ? undefined : secret(current),
    newPassword: secret(next),
    timeoutMs,
  });
}

/** Runs a change that must fail; returns its failure (and remembers the message). */
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

describe.skipIf(noSshd !== undefined)('SSH connector against a real sshd and real accounts', () => {
  let server: SshServer;
  let landing: SshServer;
  let uid0: LocalUser;

  beforeAll(async () => {
    server = await startSshd();
    landing = await startSshd();
    uid0 = remember(createUser({ uid0: true }));
  });

  afterAll(async () => {
    await server?.stop();
    await landing?.stop();
    removeUsers();
    // No secret in any failure message of the whole file.
    for (const message of messages) for (const p of passwordsSeen) expect(message).not.toContain(p);
  });

  it('self change: passwd as the account; the new password opens, the old does not; the host key is reported', async () => {
    const user = remember(createUser());
    const next = fresh();
    const result = await change(target(server, passwordLogin(user)), user.name, user.password, next);
    expect(await canLogIn(server, user.name, next)).toBe(true);
    expect(await canLogIn(server, user.name, user.password)).toBe(false);
    expect(result.observedHostKeys).toEqual([
      expect.objectContaining({ host: server.host, port: server.port, ...server.hostKey() }),
    ]);
    const t = target(server, passwordLogin(user));
    expect(
      (
        await connector.verifyPassword({
          target: t,
          account: user.name,
          password: secret(next),
          timeoutMs: TIMEOUT,
        })
      ).outcome,
    ).toBe('opens');
    expect(
      (
        await connector.verifyPassword({
          target: t,
          account: user.name,
          password: secret(user.password),
          timeoutMs: TIMEOUT,
        })
      ).outcome,
    ).toBe('refused');
  });

  it('su elevation: the login user becomes the uid-0 alias with its password and runs chpasswd', async () => {
    const login = remember(createUser());
    const account = remember(createUser());
    const next = fresh();
    const elevation = { type: 'su' as const, rootAccount: uid0.name, rootPassword: secret(uid0.password) };
    await change(target(server, passwordLogin(login), { elevation }), account.name, undefined, next);
    expect(await canLogIn(server, account.name, next)).toBe(true);
    expect(await canLogIn(server, account.name, account.password)).toBe(false);
    expect(await canLogIn(server, login.name, login.password)).toBe(true);
  });

  it('REMOVEENTER (lines end with a carriage return only): su with chpasswd, and passwd, work the same', async () => {
    const login = remember(createUser());
    const account = remember(createUser());
    const next = fresh();
    const elevation = { type: 'su' as const, rootAccount: uid0.name, rootPassword: secret(uid0.password) };
    await change(
      target(server, passwordLogin(login), { elevation, removeEnter: true }),
      account.name,
      undefined,
      next,
    );
    expect(await canLogIn(server, account.name, next)).toBe(true);
    const own = fresh();
    await change(
      target(server, passwordLogin(login), { removeEnter: true }),
      login.name,
      login.password,
      own,
    );
    expect(await canLogIn(server, login.name, own)).toBe(true);
  });

  it('sudo elevation: sudo answered with the login password, then chpasswd', async () => {
    const login = remember(createUser({ sudo: true }));
    const account = remember(createUser());
    const next = fresh();
    const elevation = { type: 'sudo' as const, rootAccount: 'root' };
    await change(target(server, passwordLogin(login), { elevation }), account.name, undefined, next);
    expect(await canLogIn(server, account.name, next)).toBe(true);
    expect(await canLogIn(server, account.name, account.password)).toBe(false);
  });

  it('a login user who is root already runs chpasswd without elevating', async () => {
    const account = remember(createUser());
    const next = fresh();
    const elevation = { type: 'su' as const, rootAccount: uid0.name, rootPassword: secret('not-used-Xy1') };
    await change(target(server, passwordLogin(uid0), { elevation }), account.name, undefined, next);
    expect(await canLogIn(server, account.name, next)).toBe(true);
  });

  it('key authentication, with a passphrase-protected ed25519 key, and su; a wrong passphrase is an authentication failure', async () => {
    const passphrase = fresh();
    const key = utils.generateKeyPairSync('ed25519', { passphrase, cipher: 'aes256-ctr', rounds: 16 });
    const login = remember(createUser({ authorizedKey: key.public }));
    const account = remember(createUser());
    const next = fresh();
    const elevation = { type: 'su' as const, rootAccount: uid0.name, rootPassword: secret(uid0.password) };
    const keyLogin: Login = {
      username: login.name,
      privateKey: secret(key.private),
      passphrase: secret(passphrase),
    };
    await change(target(server, keyLogin, { elevation }), account.name, undefined, next);
    expect(await canLogIn(server, account.name, next)).toBe(true);

    const wrong = await failure(
      change(
        target(server, { ...keyLogin, passphrase: secret(fresh()) }, { elevation }),
        account.name,
        undefined,
        fresh(),
      ),
    );
    expect(wrong.reason).toBe('authentication');
    expect(wrong.targetMayHaveChanged).toBe(false);
    expect(await canLogIn(server, account.name, next)).toBe(true);
  });

  it('key authentication without passphrase: the account changes its own password with passwd', async () => {
    const key = utils.generateKeyPairSync('ed25519');
    const user = remember(createUser({ authorizedKey: key.public }));
    const next = fresh();
    await change(
      target(server, { username: user.name, privateKey: secret(key.private) }),
      user.name,
      user.password,
      next,
    );
    expect(await canLogIn(server, user.name, next)).toBe(true);
  });

  it('landing server: logs in there, then to the target through it; both host keys are checked and reported', async () => {
    const hop = remember(createUser());
    const user = remember(createUser());
    const next = fresh();
    const pins = new Pins();
    const via = { endpoint: { host: landing.host, port: landing.port }, login: passwordLogin(hop) };
    const t = target(server, passwordLogin(user), { landing: via, hostKeys: pins });
    const result = await change(t, user.name, user.password, next);
    expect(result.observedHostKeys.map((k) => k.port).sort()).toEqual([server.port, landing.port].sort());
    expect(await canLogIn(server, user.name, next)).toBe(true);
    pins.pin(result.observedHostKeys);
    const verified = await connector.verifyPassword({
      target: t,
      account: user.name,
      password: secret(next),
      timeoutMs: TIMEOUT,
    });
    expect(verified.outcome).toBe('opens');
    const refused = await connector.verifyPassword({
      target: t,
      account: user.name,
      password: secret(user.password),
      timeoutMs: TIMEOUT,
    });
    expect(refused.outcome).toBe('refused');
    // A refusal at the landing server is not "the password does not open the account".
    const badHop = { ...via, login: { username: hop.name, password: secret(fresh()) } };
    const f = await failure(
      connector.verifyPassword({
        target: { ...t, landing: badHop },
        account: user.name,
        password: secret(next),
        timeoutMs: TIMEOUT,
      }),
    );
    expect(f.reason).toBe('authentication');
    expect(f.message).toContain('landing server');
  });

  it('keyboard-interactive only (PasswordAuthentication no): PAM prompts answered with the password', async () => {
    const pamOnly = await startSshd({ passwordAuthentication: false });
    try {
      const user = remember(createUser());
      const next = fresh();
      const t = target(pamOnly, passwordLogin(user));
      await change(t, user.name, user.password, next);
      const opens = await connector.verifyPassword({
        target: t,
        account: user.name,
        password: secret(next),
        timeoutMs: TIMEOUT,
      });
      expect(opens.outcome).toBe('opens');
      const refused = await connector.verifyPassword({
        target: t,
        account: user.name,
        password: secret(user.password),
        timeoutMs: TIMEOUT,
      });
      expect(refused.outcome).toBe('refused');
    } finally {
      await pamOnly.stop();
    }
  });

  it('no password ever appears in a process argument list during su, sudo and passwd changes', async () => {
    const login = remember(createUser());
    const sudoer = remember(createUser({ sudo: true }));
    const self = remember(createUser());
    const account = remember(createUser());
    const secrets = [uid0.password, login.password, sudoer.password, self.password, account.password];
    const found: string[] = [];
    let scanning = true;
    const scan = (async () => {
      while (scanning) {
        for (const line of commandLines()) for (const p of secrets) if (line.includes(p)) found.push(line);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    try {
      const a = fresh();
      const b = fresh();
      const c = fresh();
      secrets.push(a, b, c);
      const su = { type: 'su' as const, rootAccount: uid0.name, rootPassword: secret(uid0.password) };
      await change(target(server, passwordLogin(login), { elevation: su }), account.name, undefined, a);
      await change(
        target(server, passwordLogin(sudoer), { elevation: { type: 'sudo', rootAccount: 'root' } }),
        account.name,
        undefined,
        b,
      );
      await change(target(server, passwordLogin(self)), self.name, self.password, c);
      expect(await canLogIn(server, account.name, b)).toBe(true);
      expect(await canLogIn(server, self.name, c)).toBe(true);
    } finally {
      scanning = false;
      await scan;
    }
    expect(found).toEqual([]);
  });

  it('landing server that cannot reach the target: unreachable (closed port) or timeout (blackholed), within the timeout', async () => {
    const hop = remember(createUser());
    const via = { endpoint: { host: landing.host, port: landing.port }, login: passwordLogin(hop) };
    const closed = { host: '127.0.0.1', port: await closedPort() };
    const f = await failure(
      change(
        target(closed, { username: 'x', password: secret(fresh()) }, { landing: via }),
        'x',
        undefined,
        fresh(),
      ),
    );
    expect(f.reason).toBe('unreachable');
    expect(f.message).toContain('landing server');
    const hole = await blackholedPort();
    try {
      const started = Date.now();
      const g = await failure(
        change(
          target(hole, { username: 'x', password: secret(fresh()) }, { landing: via }),
          'x',
          undefined,
          fresh(),
          3000,
        ),
      );
      expect(g.reason).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(3000 + 1000);
      // The landing server's key was seen (and can be pinned) even though the target never answered.
      expect(g.observedHostKeys.map((k) => k.port)).toEqual([landing.port]);
    } finally {
      await hole.close();
    }
  });

  it('a wrong login password: authentication, the target unchanged', async () => {
    const user = remember(createUser());
    const f = await failure(
      change(
        target(server, { username: user.name, password: secret(fresh()) }),
        user.name,
        user.password,
        fresh(),
      ),
    );
    expect(f.reason).toBe('authentication');
    expect(f.targetMayHaveChanged).toBe(false);
    expect(await canLogIn(server, user.name, user.password)).toBe(true);
  });

  it('a wrong su password, and sudo refusing a wrong password: authentication, the target unchanged', async () => {
    const login = remember(createUser());
    const account = remember(createUser());
    const su = { type: 'su' as const, rootAccount: uid0.name, rootPassword: secret(fresh()) };
    const f = await failure(
      change(target(server, passwordLogin(login), { elevation: su }), account.name, undefined, fresh()),
    );
    expect(f.reason).toBe('authentication');
    expect(f.targetMayHaveChanged).toBe(false);

    // sudo answers with the login password; a key login whose password is wrong gets refused by sudo.
    const key = utils.generateKeyPairSync('ed25519');
    const sudoer = remember(createUser({ sudo: true, authorizedKey: key.public }));
    const keyLogin: Login = {
      username: sudoer.name,
      privateKey: secret(key.private),
      password: secret(fresh()),
    };
    const g = await failure(
      change(
        target(server, keyLogin, { elevation: { type: 'sudo', rootAccount: 'root' } }),
        account.name,
        undefined,
        fresh(),
      ),
    );
    expect(g.reason).toBe('authentication');
    expect(g.message).toContain('sudo');
    expect(await canLogIn(server, account.name, account.password)).toBe(true);
  });

  it('a non-root login without elevation, and sudo for a user not in sudoers: clear failures, unchanged', async () => {
    const login = remember(createUser());
    const account = remember(createUser());
    const started = Date.now();
    const f = await failure(change(target(server, passwordLogin(login)), account.name, undefined, fresh()));
    expect(f.reason).toBe('prompt');
    expect(f.message).toContain('no elevation');
    expect(Date.now() - started).toBeLessThan(TIMEOUT / 2);
    const g = await failure(
      change(
        target(server, passwordLogin(login), { elevation: { type: 'sudo', rootAccount: 'root' } }),
        account.name,
        undefined,
        fresh(),
      ),
    );
    expect(g.reason).toBe('authentication');
    expect(g.message).toContain('sudoers');
    expect(await canLogIn(server, account.name, account.password)).toBe(true);
  });

  it("the target's policy refuses a too short password: policy with the target's reason, unchanged", async () => {
    const user = remember(createUser());
    const f = await failure(change(target(server, passwordLogin(user)), user.name, user.password, 'ab1'));
    expect(f.reason).toBe('policy');
    expect(f.targetMayHaveChanged).toBe(false);
    expect(f.message).toMatch(/refused the new password: .+/);
    expect(await canLogIn(server, user.name, user.password)).toBe(true);
  });

  it('a target that hangs after the new password was sent: timeout with targetMayHaveChanged (the new password opens)', async () => {
    const user = remember(createUser());
    // The account's own shell start-up makes passwd hang after doing its work (a slow target).
    appendFileSync(`/home/${user.name}/.bashrc`, '\npasswd() { command passwd "$@"; sleep 60; }\n');
    const next = fresh();
    const started = Date.now();
    const f = await failure(
      change(target(server, passwordLogin(user)), user.name, user.password, next, 6000),
    );
    expect(f.reason).toBe('timeout');
    expect(f.targetMayHaveChanged).toBe(true);
    expect(Date.now() - started).toBeLessThan(6000 + 1500);
    expect(await canLogIn(server, user.name, next)).toBe(true);
  });

  it('a shell that never shows the prompt: reason prompt, within the timeout', async () => {
    const user = remember(createUser({ shell: silentShell() }));
    const started = Date.now();
    const f = await failure(
      change(target(server, passwordLogin(user)), user.name, user.password, fresh(), 4000),
    );
    expect(f.reason).toBe('prompt');
    expect(f.message).toContain('"$"');
    expect(Date.now() - started).toBeLessThan(4000 + 1500);
    expect(await canLogIn(server, user.name, user.password)).toBe(true);
  });

  it('a blackholed port: timeout within the timeout; a closed port: unreachable', async () => {
    const hole: Blackhole = await blackholedPort();
    try {
      const started = Date.now();
      const f = await failure(
        change(
          target(hole, { username: 'nobody', password: secret(fresh()) }),
          'nobody',
          undefined,
          fresh(),
          1500,
        ),
      );
      expect(f.reason).toBe('timeout');
      expect(Date.now() - started).toBeLessThan(1500 + 1000);
      const v = await failure(
        connector.verifyPassword({
          target: target(hole, { username: 'x', password: secret('x') }),
          account: 'nobody',
          password: secret(fresh()),
          timeoutMs: 1000,
        }),
      );
      expect(v.reason).toBe('timeout');
    } finally {
      await hole.close();
    }
    const closed = { host: '127.0.0.1', port: await closedPort() };
    const g = await failure(
      change(target(closed, { username: 'nobody', password: secret(fresh()) }), 'nobody', undefined, fresh()),
    );
    expect(g.reason).toBe('unreachable');
  });

  it('many failures leave no socket or timer behind', async () => {
    const baseline = await settledHandles();
    const hole = await blackholedPort();
    const closed = { host: '127.0.0.1', port: await closedPort() };
    const silent = remember(createUser({ shell: silentShell() }));
    const attempts: Promise<unknown>[] = [];
    for (let i = 0; i < 10; i++) {
      attempts.push(
        change(target(hole, { username: 'x', password: secret(fresh()) }), 'x', undefined, fresh(), 800),
      );
      attempts.push(
        change(target(closed, { username: 'x', password: secret(fresh()) }), 'x', undefined, fresh(), 800),
      );
    }
    for (let i = 0; i < 3; i++)
      attempts.push(
        change(target(server, passwordLogin(silent)), silent.name, silent.password, fresh(), 2500),
      );
    const outcomes = await Promise.allSettled(attempts);
    expect(outcomes.every((o) => o.status === 'rejected')).toBe(true);
    await hole.close();
    // Closing is asynchronous (the TCP close handshake); a leaked socket or timer would stay forever.
    expect(await settledHandles(baseline)).toEqual(baseline);
  });

  it('a server with several host keys shows the pinned one (its algorithm is preferred)', async () => {
    const multi = await startSshd({ hostKeyTypes: ['ed25519', 'ecdsa'] });
    try {
      const user = remember(createUser());
      const t = (pins: Pins) => target(multi, passwordLogin(user), { hostKeys: pins });
      const verify = (pins: Pins) =>
        connector.verifyPassword({
          target: t(pins),
          account: user.name,
          password: secret(user.password),
          timeoutMs: TIMEOUT,
        });
      // Unpinned: ssh2's first choice, ed25519.
      expect((await verify(new Pins())).observedHostKeys.map((k) => k.fingerprint)).toEqual([
        multi.hostKey('ed25519').fingerprint,
      ]);
      // Pinned ECDSA: the server is asked for that key, which matches.
      const pins = new Pins();
      const ecdsa = multi.hostKey('ecdsa');
      pins.keys.set(`${multi.host}:${multi.port}`, { algorithm: ecdsa.algorithm, key: ecdsa.key });
      const next = fresh();
      const result = await change(t(pins), user.name, user.password, next);
      expect(result.observedHostKeys.map((k) => k.fingerprint)).toEqual([ecdsa.fingerprint]);
      expect(await canLogIn(multi, user.name, next)).toBe(true);
    } finally {
      await multi.stop();
    }
  });

  it('a pinned key of another algorithm than the server now has: host-key with the offered key, nothing sent', async () => {
    const user = remember(createUser());
    const pins = new Pins();
    const other = utils.generateKeyPairSync('ecdsa', { bits: 256 });
    const [algorithm, key] = other.public.split(' ');
    pins.keys.set(`${server.host}:${server.port}`, { algorithm: algorithm ?? '', key: key ?? '' });
    const f = await failure(
      change(target(server, passwordLogin(user), { hostKeys: pins }), user.name, user.password, fresh()),
    );
    expect(f.reason).toBe('host-key');
    expect(f.message).toMatch(/administrator must accept/);
    // The key the server has now is reported, so that an administrator can accept it.
    expect(f.observedHostKeys.map((k) => k.fingerprint)).toEqual([server.hostKey().fingerprint]);
    expect(f.message).toContain(server.hostKey().fingerprint);
    expect(await canLogIn(server, user.name, user.password)).toBe(true);
  });

  it('host key changed after a restart: refused with reason host-key naming both fingerprints; the password unchanged', async () => {
    const user = remember(createUser());
    const pins = new Pins();
    const t = target(server, passwordLogin(user), { hostKeys: pins });
    const first = await connector.verifyPassword({
      target: t,
      account: user.name,
      password: secret(user.password),
      timeoutMs: TIMEOUT,
    });
    pins.pin(first.observedHostKeys);
    const old = server.hostKey();
    await server.restart({ newHostKey: true });
    const now = server.hostKey();
    const f = await failure(change(t, user.name, user.password, fresh()));
    expect(f.reason).toBe('host-key');
    expect(f.targetMayHaveChanged).toBe(false);
    expect(f.message).toContain(old.fingerprint);
    expect(f.message).toContain(now.fingerprint);
    expect(f.message).toMatch(/administrator must accept/);
    expect(f.observedHostKeys.map((k) => k.fingerprint)).toContain(now.fingerprint);
    const v = await failure(
      connector.verifyPassword({
        target: t,
        account: user.name,
        password: secret(user.password),
        timeoutMs: TIMEOUT,
      }),
    );
    expect(v.reason).toBe('host-key');
    expect(await canLogIn(server, user.name, user.password)).toBe(true);
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

/** Open sockets and timers of this process, by kind (stdio pipes and the like are part of the baseline). */
function activeHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** The handles once they stop changing (or equal `expected`), polled for up to 5 s. */
async function settledHandles(expected?: Record<string, number>): Promise<Record<string, number>> {
  let previous = JSON.stringify(activeHandles());
  for (let i = 0; i < 50; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = activeHandles();
    const text = JSON.stringify(now);
    if (expected ? text === JSON.stringify(expected) : text === previous && !now.ConnectWrap) return now;
    previous = text;
  }
  return activeHandles();
}
