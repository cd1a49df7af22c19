import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import ssh2, {
  Client,
  type AuthHandlerMiddleware,
  type ConnectConfig,
  type KeyboardInteractiveCallback,
  type Prompt,
} from 'ssh2';
import type { Secret } from '../../../platform/crypto/secret.js';
import {
  RemoteChangeFailure,
  type Endpoint,
  type HostKeyPins,
  type Login,
  type ObservedHostKey,
  type RemoteFailureReason,
  type SshTarget,
} from './connector.js';

// ssh2 is CommonJS: Node's ESM loader finds `Client` but not `utils` as a named export.
const { utils } = ssh2;

/**
 * One SSH operation (a change or a verification) under one deadline: the connections it opened
 * (all closed when it ends, on every path), the host keys it saw, whether the new password has
 * been sent, and what running out of time means at the current step.
 */
export class Operation {
  readonly observedHostKeys: ObservedHostKey[] = [];
  /** Set once the new password has been written to the target (the outcome is then unknown on failure). */
  newPasswordSent = false;
  readonly #clients = new Set<Client>();
  readonly #secrets: string[];
  #onTimeout: () => RemoteChangeFailure;

  constructor(
    readonly timeoutMs: number,
    secrets: readonly (Secret | undefined)[],
  ) {
    this.#secrets = secrets
      .map((s) => s?.reveal())
      .filter((s): s is string => typeof s === 'string' && s.length > 0)
      .sort((a, b) => b.length - a.length);
    this.#onTimeout = () => this.fail('timeout', `no answer within ${timeoutMs} ms`);
  }

  /** A failure carrying the host keys seen so far and whether the new password was sent. */
  fail(
    reason: RemoteFailureReason,
    message: string,
    targetMayHaveChanged = this.newPasswordSent,
  ): RemoteChangeFailure {
    return new RemoteChangeFailure(reason, this.redact(message), targetMayHaveChanged, [
      ...this.observedHostKeys,
    ]);
  }

  /** What the deadline means from now on (e.g. "the prompt never came"). */
  onTimeout(failure: () => RemoteChangeFailure): void {
    this.#onTimeout = failure;
  }

  timeoutFailure(): RemoteChangeFailure {
    return this.#onTimeout();
  }

  /** Any text with every secret of the operation replaced, control characters removed, shortened. */
  redact(text: string): string {
    let out = text;
    for (const value of this.#secrets) out = out.split(value).join('[redacted]');
    out = out
      .replace(/[\u0000-\u001f\u007f]+/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    return out.length > 300 ? `${out.slice(0, 297)}...` : out;
  }

  observe(key: ObservedHostKey): void {
    if (!this.observedHostKeys.some((k) => k.host === key.host && k.port === key.port && k.key === key.key))
      this.observedHostKeys.push(key);
  }

  track(client: Client): void {
    this.#clients.add(client);
  }

  /** Ends every connection of the operation (the target's first, then the landing server's). */
  closeAll(): void {
    for (const client of [...this.#clients].reverse()) {
      client.removeAllListeners('keyboard-interactive');
      client.on('error', () => undefined);
      client.destroy();
    }
    this.#clients.clear();
  }

  /** Normalises anything thrown inside the operation into a RemoteChangeFailure without secrets. */
  toFailure(err: unknown): RemoteChangeFailure {
    if (err instanceof RemoteChangeFailure)
      return new RemoteChangeFailure(err.reason, this.redact(err.message), err.targetMayHaveChanged, [
        ...this.observedHostKeys,
      ]);
    return this.fail('protocol', `unexpected failure: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The login was refused (wrong password or key) at the landing server or at the target. */
export class LoginRefused extends RemoteChangeFailure {
  constructor(
    readonly hop: 'landing' | 'target',
    message: string,
    targetMayHaveChanged: boolean,
    observed: readonly ObservedHostKey[],
  ) {
    super('authentication', message, targetMayHaveChanged, observed);
  }
}

/**
 * Runs `work` within `timeoutMs`: on expiry it rejects with the current step's timeout failure.
 * Every connection of the operation is closed and the timer cleared however it ends.
 */
export async function runOperation<T>(
  timeoutMs: number,
  secrets: readonly (Secret | undefined)[],
  work: (op: Operation) => Promise<T>,
): Promise<T> {
  const op = new Operation(timeoutMs, secrets);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(op.timeoutFailure()), timeoutMs);
  });
  const running = work(op);
  try {
    return await Promise.race([running, expired]);
  } catch (err) {
    const failure = op.toFailure(err);
    if (err instanceof LoginRefused)
      throw new LoginRefused(
        err.hop,
        failure.message,
        failure.targetMayHaveChanged,
        failure.observedHostKeys,
      );
    throw failure;
  } finally {
    clearTimeout(timer);
    op.closeAll();
    running.catch(() => undefined);
    expired.catch(() => undefined);
  }
}

/** The host key as known_hosts and `ssh-keygen -l` show it. */
export function describeHostKey(endpoint: Endpoint, blob: Buffer): ObservedHostKey {
  const length = blob.length >= 4 ? blob.readUInt32BE(0) : 0;
  const algorithm = blob.subarray(4, 4 + length).toString('latin1') || 'unknown';
  const digest = createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
  return {
    host: endpoint.host,
    port: endpoint.port,
    algorithm,
    key: blob.toString('base64'),
    fingerprint: `SHA256:${digest}`,
  };
}

function fingerprintOf(key: string): string {
  const digest = createHash('sha256').update(Buffer.from(key, 'base64')).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'EHOSTDOWN',
]);

/** ssh2's host key algorithms, in its default order of preference. */
const HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
] as const;

/**
 * With a pin, the pinned key's algorithm is preferred (as OpenSSH does with known_hosts), so a
 * server with several keys shows the pinned one; a server that no longer has a key of that type
 * shows another, which is then refused as a changed key (and reported, so it can be accepted).
 */
function hostKeyAlgorithms(pinnedAlgorithm: string): ConnectConfig['algorithms'] {
  const preferred: readonly string[] =
    pinnedAlgorithm === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [pinnedAlgorithm];
  const known = HOST_KEY_ALGORITHMS.filter((a) => preferred.includes(a));
  return { serverHostKey: [...known, ...HOST_KEY_ALGORITHMS.filter((a) => !known.includes(a))] };
}

type LoginMethod = 'publickey' | 'password' | 'keyboard-interactive';

/**
 * Tries `methods` in order, skipping those the server does not list. A password the server refused
 * while still listing `password` is wrong: keyboard-interactive would put the same question to PAM
 * again and make the caller wait out its failure delay twice (about 5 s on Debian), so the login
 * ends there. A server that does not allow `password` at all still gets keyboard-interactive.
 */
function authenticationOrder(methods: readonly LoginMethod[]): AuthHandlerMiddleware {
  let next = 0;
  let lastTried: LoginMethod | undefined;
  return (methodsLeft, _partialSuccess, answer) => {
    // ssh2 passes null before the first attempt, and reads `false` as "stop".
    const allowed = methodsLeft as readonly string[] | null;
    const stop = answer as unknown as (method: false) => void;
    if (lastTried === 'password' && allowed?.includes('password')) return stop(false);
    while (next < methods.length) {
      const method = methods[next++]!;
      if (allowed && !allowed.includes(method)) continue;
      lastTried = method;
      return answer(method);
    }
    stop(false);
  };
}

/**
 * Opens an authenticated SSH connection to `endpoint` (over `via`, a channel of the landing
 * server, when given), checking the host key against the pins. Password logins also answer
 * keyboard-interactive (PAM) prompts with the password.
 */
export function connectSsh(
  op: Operation,
  endpoint: Endpoint,
  login: Login,
  pins: HostKeyPins,
  hop: 'landing' | 'target',
  via?: Duplex,
): Promise<Client> {
  const where = `${hop === 'landing' ? 'the landing server ' : ''}${endpoint.host}:${endpoint.port}`;
  const config: ConnectConfig = {
    host: endpoint.host,
    port: endpoint.port,
    username: login.username,
    readyTimeout: Math.max(1, op.timeoutMs),
    keepaliveInterval: 0,
  };
  if (via) config.sock = via;
  const methods: LoginMethod[] = [];
  if (login.privateKey) {
    const parsed = utils.parseKey(login.privateKey.reveal(), login.passphrase?.reveal());
    if (parsed instanceof Error)
      return Promise.reject(
        op.fail(
          'authentication',
          `the private key for ${login.username} at ${where} cannot be read (wrong or missing passphrase, or not a private key)`,
        ),
      );
    config.privateKey = login.privateKey.reveal();
    if (login.passphrase) config.passphrase = login.passphrase.reveal();
    methods.push('publickey');
  }
  if (login.password) {
    config.password = login.password.reveal();
    config.tryKeyboard = true;
    methods.push('password', 'keyboard-interactive');
  }
  if (methods.length === 0)
    return Promise.reject(op.fail('authentication', `no password or key to log in to ${where} with`));
  config.authHandler = authenticationOrder(methods);

  let mismatch: RemoteChangeFailure | undefined;
  const pinned = pins.pinned(endpoint.host, endpoint.port);
  if (pinned) config.algorithms = hostKeyAlgorithms(pinned.algorithm);
  config.hostVerifier = (blob: Buffer): boolean => {
    const observed = describeHostKey(endpoint, blob);
    op.observe(observed);
    if (!pinned || pinned.key.trim() === observed.key) return true;
    mismatch = op.fail(
      'host-key',
      `the SSH host key of ${where} changed: the pinned key is ${fingerprintOf(pinned.key.trim())}, ` +
        `the server offered ${observed.fingerprint}; an administrator must accept the new key before passwords are changed there`,
      false,
    );
    return false;
  };

  op.onTimeout(() => op.fail('timeout', `no SSH answer from ${where} within ${op.timeoutMs} ms`));
  const client = new Client();
  op.track(client);
  return new Promise<Client>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: Client | RemoteChangeFailure) => {
      if (settled) return;
      settled = true;
      if (outcome instanceof Client) resolve(outcome);
      else reject(outcome);
    };
    let answered = false;
    client.on('keyboard-interactive', (...args: unknown[]) => {
      const prompts = args[3] as Prompt[];
      const finish = args[4] as KeyboardInteractiveCallback;
      // Answer the password prompt once; a second round (e.g. "new password required") gets nothing.
      const password = login.password?.reveal() ?? '';
      finish(prompts.map((p) => (!answered && /password|passcode/i.test(p.prompt) ? password : '')));
      answered = true;
    });
    client.once('ready', () => settle(client));
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (mismatch) return settle(mismatch);
      if (err.level === 'client-authentication')
        return settle(
          new LoginRefused(
            hop,
            `${where} refused the login of ${login.username}`,
            op.newPasswordSent,
            op.observedHostKeys,
          ),
        );
      if (err.level === 'client-timeout')
        return settle(op.fail('timeout', `no SSH answer from ${where} within ${op.timeoutMs} ms`));
      if (err.code && UNREACHABLE.has(err.code))
        return settle(op.fail('unreachable', `${where} is unreachable (${err.code})`));
      if (err.code === 'ETIMEDOUT') return settle(op.fail('timeout', `no answer from ${where} (ETIMEDOUT)`));
      settle(op.fail('protocol', `SSH to ${where} failed: ${err.message}`));
    });
    client.once('close', () => {
      settle(mismatch ?? op.fail('protocol', `${where} closed the connection before the login ended`));
    });
    try {
      client.connect(config);
    } catch (err) {
      settle(op.fail('protocol', `SSH to ${where} failed: ${(err as Error).message}`));
    }
  });
}

/** Logs in to the target with `login`, through the landing server when one is configured. */
export async function connectTarget(op: Operation, target: SshTarget, login: Login): Promise<Client> {
  if (!target.landing) return connectSsh(op, target.endpoint, login, target.hostKeys, 'target');
  const { landing } = target;
  const jump = await connectSsh(op, landing.endpoint, landing.login, target.hostKeys, 'landing');
  const to = `${target.endpoint.host}:${target.endpoint.port}`;
  op.onTimeout(() =>
    op.fail('timeout', `the landing server did not open a connection to ${to} within ${op.timeoutMs} ms`),
  );
  const channel = await new Promise<Duplex>((resolve, reject) => {
    jump.forwardOut('127.0.0.1', 0, target.endpoint.host, target.endpoint.port, (err, stream) => {
      if (err)
        reject(op.fail('unreachable', `the landing server could not connect to ${to}: ${err.message}`));
      else resolve(stream);
    });
  });
  return connectSsh(op, target.endpoint, login, target.hostKeys, 'target', channel);
}
