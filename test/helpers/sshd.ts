import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'ssh2';
import { freePort } from './postgres.js';
import { missingService } from './services.js';

/**
 * A real OpenSSH server (Debian's /usr/sbin/sshd) on 127.0.0.1 and a free port, with its own
 * configuration and fresh host key in a temporary directory, plus real local accounts created
 * with useradd/chpasswd (passwords only ever on stdin). Needs root. Everything created here is
 * removed by stop() and removeUsers().
 */

const SSHD = '/usr/sbin/sshd';
const HOST = '127.0.0.1';

/**
 * Why the SSH tests cannot run here (not root, no sshd), or undefined when they can. With
 * BULWARK_REQUIRE_SERVICES=1 a missing prerequisite throws instead (the tests must not skip).
 * Use: `const noSshd = sshdProblem(); describe.skipIf(noSshd !== undefined)(...)`.
 */
export function sshdProblem(): string | undefined {
  let why: string | undefined;
  if (process.getuid?.() !== 0) why = 'the tests create local accounts and must run as root';
  else if (!existsSync(SSHD)) why = `${SSHD} is not installed (Debian package openssh-server)`;
  else {
    for (const tool of ['ssh-keygen', 'useradd', 'userdel', 'chpasswd', 'visudo']) {
      try {
        execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      } catch {
        why = `${tool} is not installed`;
        break;
      }
    }
  }
  if (why === undefined) return undefined;
  const failure = missingService('OpenSSH server (sshd)', why);
  if (failure) throw failure;
  return why;
}

export interface HostKeyInfo {
  /** e.g. `ssh-ed25519`. */
  readonly algorithm: string;
  /** The public key blob, base64 (as in known_hosts). */
  readonly key: string;
  /** `SHA256:…` as `ssh-keygen -l` prints it. */
  readonly fingerprint: string;
}

export interface SshServer {
  readonly host: string;
  readonly port: number;
  /** The host key the server offers now (of the given type; default its first, ed25519). */
  hostKey(type?: HostKeyType): HostKeyInfo;
  /** Stops and starts the server on the same port; with newHostKey, with a freshly generated host key. */
  restart(options?: { newHostKey?: boolean }): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

function hostKeyOf(pubFile: string): HostKeyInfo {
  const [algorithm, key] = readFileSync(pubFile, 'utf8').trim().split(/\s+/);
  if (!algorithm || !key) throw new Error(`unreadable host key ${pubFile}`);
  const fingerprint = `SHA256:${createHash('sha256').update(Buffer.from(key, 'base64')).digest('base64').replace(/=+$/, '')}`;
  return { algorithm, key, fingerprint };
}

/** Resolves once the port answers with an SSH banner (or rejects after timeoutMs). */
function waitForBanner(port: number, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = tcpConnect(port, HOST);
      let settled = false;
      const retry = () => {
        if (settled) return;
        settled = true;
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`sshd did not start on port ${port}: ${log()}`));
        else setTimeout(attempt, 50);
      };
      socket.setTimeout(2000, retry);
      socket.once('error', retry);
      socket.once('data', (chunk: Buffer) => {
        if (settled) return;
        settled = true;
        socket.destroy();
        if (chunk.toString('latin1').startsWith('SSH-')) resolve();
        else reject(new Error(`port ${port} answered something else than SSH`));
      });
    };
    attempt();
  });
}

export type HostKeyType = 'ed25519' | 'ecdsa' | 'rsa';

export interface SshdOptions {
  /** The host key types the server has; default only ed25519. */
  readonly hostKeyTypes?: readonly HostKeyType[];
  /**
   * false: only keyboard-interactive (PAM) and public keys are offered, as on hosts configured with
   * `PasswordAuthentication no`. Default true.
   */
  readonly passwordAuthentication?: boolean;
}

/** Starts a fresh sshd. Call sshdProblem() first. */
export async function startSshd(options: SshdOptions = {}): Promise<SshServer> {
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = mkdtempSync(path.join(tmpdir(), 'bulwark-sshd-'));
  const types: readonly HostKeyType[] = options.hostKeyTypes?.length ? options.hostKeyTypes : ['ed25519'];
  const keyFile = (type: HostKeyType) => path.join(dir, `host_${type}`);
  const configFile = path.join(dir, 'sshd_config');
  const logFile = path.join(dir, 'sshd.log');
  let port = await freePort();
  const newKey = () => {
    for (const type of types) {
      const file = keyFile(type);
      rmSync(file, { force: true });
      rmSync(`${file}.pub`, { force: true });
      execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'bulwark-test', '-f', file], {
        stdio: 'ignore',
      });
    }
  };
  newKey();
  writeFileSync(
    configFile,
    [
      `ListenAddress ${HOST}`,
      ...types.map((type) => `HostKey ${keyFile(type)}`),
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `PasswordAuthentication ${options.passwordAuthentication === false ? 'no' : 'yes'}`,
      'KbdInteractiveAuthentication yes',
      'PubkeyAuthentication yes',
      'UsePAM yes',
      // A uid-0 alias account may log in (tests of "login user is root already"); 127.0.0.1 only.
      'PermitRootLogin yes',
      'AllowTcpForwarding yes',
      'UseDNS no',
      'PrintMotd no',
      'PrintLastLog no',
      'StrictModes no',
      'LoginGraceTime 30',
      // The benchmark opens many connections at once.
      'MaxStartups 500',
      'MaxSessions 100',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : '');
  const start = async () => {
    const out = openSync(logFile, 'a');
    child = spawn(SSHD, ['-D', '-e', '-f', configFile, '-p', String(port)], {
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    const exited = new Promise<never>((_, reject) =>
      child?.once('exit', (code) => reject(new Error(`sshd exited (${code}): ${log()}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([waitForBanner(port, 10_000, log), exited]);
  };
  const halt = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGTERM');
    });
  };
  // The port is free when chosen but may be taken before sshd binds it: try another (three times).
  for (let attempt = 1; ; attempt++) {
    try {
      await start();
      break;
    } catch (err) {
      await halt();
      if (attempt >= 3) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
      port = await freePort();
    }
  }
  // A test process that ends without stop() does not leave its sshd behind.
  const killOnExit = () => child?.kill('SIGTERM');
  process.once('exit', killOnExit);
  return {
    host: HOST,
    port,
    hostKey: (type = types[0] ?? 'ed25519') => hostKeyOf(`${keyFile(type)}.pub`),
    async restart(options = {}) {
      await halt();
      if (options.newHostKey) newKey();
      await start();
    },
    async stop() {
      process.removeListener('exit', killOnExit);
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Local accounts

export interface LocalUser {
  readonly name: string;
  readonly password: string;
}

export interface CreateUserOptions {
  /** Default: a fresh random password that passes Debian's pam_unix `obscure` checks. */
  readonly password?: string;
  /**
   * A sudoers drop-in `<name> ALL=(ALL:ALL) ALL` (sudo asks for the user's own password), with
   * `runas_default` a uid-0 alias: the connector's `sudo -i` then gives a root shell whose login
   * start-up files are that alias's (empty) ones, not the machine's /root files (see `uid0`).
   */
  readonly sudo?: boolean;
  /**
   * A uid-0 alias account (`useradd -o -u 0 -g 0` with a private, empty home directory): the su
   * target, so tests never touch root's password. Not /root as home: `su -` and a login read the
   * home's shell start-up files, and the machine's /root/.bashrc is not ours (one that runs
   * `pyenv init` waits 60 s on a stale rehash lock, longer than the connector's prompt deadline).
   */
  readonly uid0?: boolean;
  /** Login shell; default /bin/bash. See silentShell(). */
  readonly shell?: string;
  /** An OpenSSH public key line for ~/.ssh/authorized_keys. */
  readonly authorizedKey?: string;
}

const createdUsers = new Set<string>();
const sudoersFiles = new Set<string>();
/** Private home directories of uid-0 aliases (removed by removeUsers; userdel -r is never used on uid 0). */
const aliasHomes = new Set<string>();
let shellDir: string | undefined;
/** The uid-0 alias that sudoers created here run `sudo -i` as (created on first use). */
let sudoTarget: LocalUser | undefined;

/** A strong random password (letters, digits and punctuation), different each call. */
export function randomPassword(): string {
  return `Bw-${randomBytes(12).toString('base64url')}-7q`;
}

/**
 * Runs an account tool (useradd, userdel, chpasswd), retrying while another process holds the
 * lock on /etc/passwd or /etc/shadow (test files and the benchmark create accounts concurrently).
 */
function accountTool(command: string, args: readonly string[], input?: string): void {
  for (let attempt = 1; ; attempt++) {
    try {
      execFileSync(command, args, {
        ...(input === undefined ? {} : { input }),
        stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'],
      });
      return;
    } catch (err) {
      const stderr = String((err as { stderr?: Buffer }).stderr ?? '');
      if (attempt >= 50 || !/lock|try again/i.test(stderr)) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50 + Math.random() * 150);
    }
  }
}

function setPasswords(entries: readonly LocalUser[]): void {
  if (entries.length === 0) return;
  accountTool('chpasswd', [], entries.map((u) => `${u.name}:${u.password}\n`).join(''));
}

/** Creates a real local account (useradd; password through chpasswd's stdin). */
export function createUser(options: CreateUserOptions = {}): LocalUser {
  return createUsers(1, options)[0] as LocalUser;
}

/** Creates `count` accounts with the same options (one chpasswd for all: fast for the benchmark). */
export function createUsers(count: number, options: CreateUserOptions = {}): LocalUser[] {
  const users: LocalUser[] = [];
  for (let i = 0; i < count; i++) {
    const name = `bw${randomBytes(5).toString('hex')}`;
    const shell = options.shell ?? '/bin/bash';
    let args = ['-m', '-s', shell, name];
    if (options.uid0) {
      const home = mkdtempSync(path.join(tmpdir(), 'bulwark-uid0-home-'));
      chmodSync(home, 0o700);
      aliasHomes.add(home);
      args = ['-o', '-u', '0', '-g', '0', '-M', '-d', home, '-s', shell, name];
    }
    accountTool('useradd', args);
    createdUsers.add(name);
    const user = { name, password: options.password ?? randomPassword() };
    users.push(user);
    if (options.sudo) {
      sudoTarget ??= createUser({ uid0: true });
      const file = `/etc/sudoers.d/${name}`;
      writeFileSync(file, `Defaults:${name} runas_default=${sudoTarget.name}\n${name} ALL=(ALL:ALL) ALL\n`, {
        mode: 0o440,
      });
      chmodSync(file, 0o440);
      sudoersFiles.add(file);
      execFileSync('visudo', ['-cf', file], { stdio: 'ignore' });
    }
    if (options.authorizedKey && !options.uid0) {
      const home = `/home/${name}`;
      mkdirSync(`${home}/.ssh`, { recursive: true, mode: 0o700 });
      writeFileSync(`${home}/.ssh/authorized_keys`, `${options.authorizedKey.trim()}\n`, { mode: 0o600 });
      execFileSync('chown', ['-R', `${name}:${name}`, `${home}/.ssh`]);
    }
  }
  setPasswords(users);
  return users;
}

/** Sets a local account's password directly (chpasswd on stdin), e.g. to restore a test state. */
export function setPassword(name: string, password: string): void {
  setPasswords([{ name, password }]);
}

/**
 * A login shell that never shows a prompt: it prints one line and sleeps (until the connection
 * closes). For "the prompt never comes" tests.
 */
export function silentShell(): string {
  if (!shellDir) {
    shellDir = mkdtempSync(path.join(tmpdir(), 'bulwark-shells-'));
    chmodSync(shellDir, 0o755);
  }
  const file = path.join(shellDir, 'silent-shell');
  if (!existsSync(file)) {
    writeFileSync(file, '#!/bin/sh\necho "welcome, no prompt here"\nexec sleep 600\n', { mode: 0o755 });
    chmodSync(file, 0o755);
  }
  return file;
}

function exists(name: string): boolean {
  try {
    execFileSync('id', ['-u', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Deletes every account, home directory and sudoers file created here (call in afterAll). */
export function removeUsers(): void {
  for (const file of sudoersFiles) rmSync(file, { force: true });
  sudoersFiles.clear();
  const leftovers: string[] = [];
  for (const name of createdUsers) {
    let uid: number;
    try {
      uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
    } catch {
      continue; // already gone
    }
    // A uid-0 alias: never -r (its home is removed below) and NEVER kill its processes (they are root's:
    // `pkill -u <alias>` kills every root process on the machine). -f: root's processes "use" uid 0.
    const args = uid === 0 ? ['-f', name] : ['-f', '-r', name];
    if (Number.isInteger(uid) && uid >= 1000) {
      try {
        execFileSync('pkill', ['-KILL', '-U', String(uid)], { stdio: 'ignore' });
      } catch {
        // no process left
      }
    }
    try {
      accountTool('userdel', args);
    } catch {
      // userdel answers 12 when the mail spool is missing; the account itself is gone
    }
    if (exists(name)) leftovers.push(name);
  }
  createdUsers.clear();
  sudoTarget = undefined;
  for (const home of aliasHomes) rmSync(home, { recursive: true, force: true });
  aliasHomes.clear();
  if (leftovers.length > 0) console.warn(`removeUsers: could not delete ${leftovers.join(', ')}`);
  if (shellDir) rmSync(shellDir, { recursive: true, force: true });
  shellDir = undefined;
}

// ---------------------------------------------------------------------------------------------
// Proving a password, and endpoints that misbehave

/**
 * Logs in with real SSH (ssh2; password, then keyboard-interactive with the same password) and
 * tells whether the password opens the account. Host keys are not checked here.
 */
export function canLogIn(
  endpoint: { readonly host: string; readonly port: number },
  username: string,
  password: string,
): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let settled = false;
    const finish = (outcome: boolean | Error) => {
      if (settled) return;
      settled = true;
      client.end();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    client.once('ready', () => finish(true));
    client.on('error', (err: Error & { level?: string }) => {
      if (err.level === 'client-authentication') finish(false);
      else finish(new Error(`cannot reach ${endpoint.host}:${endpoint.port}: ${err.message}`));
    });
    client.on('close', () => finish(new Error('the connection closed before authentication ended')));
    let step = 0;
    const kbd = (args: unknown[]) => {
      const prompts = args[3] as { prompt: string }[];
      const answer = args[4] as (answers: string[]) => void;
      answer(prompts.map(() => password));
    };
    client.connect({
      host: endpoint.host,
      port: endpoint.port,
      username,
      password,
      tryKeyboard: true,
      readyTimeout: 20_000,
      hostVerifier: () => true,
      // One attempt: password, or keyboard-interactive when the server does not take passwords
      // (each refused attempt costs PAM's failure delay).
      authHandler: (methodsLeft, _partialSuccess, next) => {
        step += 1;
        // First 'none', to learn the methods the server takes.
        if (step === 1) return next({ type: 'none', username });
        const methods = methodsLeft ?? [];
        if (step === 2 && methods.includes('password')) return next({ type: 'password', username, password });
        if (step === 2 && methods.includes('keyboard-interactive'))
          return next({ type: 'keyboard-interactive', username, prompt: (...args: unknown[]) => kbd(args) });
        (next as unknown as (method: false) => void)(false);
      },
    });
  });
}

export interface Blackhole {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A TCP listener on 127.0.0.1 that accepts connections and never says anything. */
export async function blackholedPort(): Promise<Blackhole> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    host: HOST,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (connections are refused). */
export async function closedPort(): Promise<number> {
  return freePort();
}

/** The `type base64` part of an authorized_keys or public key line (options and comment dropped). */
export const keyBlob = (line: string): string => line.trim().split(/\s+/).slice(0, 2).join(' ');

/** The key blobs in a local user's ~/.ssh/authorized_keys (blank lines and comments skipped). */
export function authorizedKeyBlobs(user: string): string[] {
  return readFileSync(`/home/${user}/.ssh/authorized_keys`, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map(keyBlob);
}
