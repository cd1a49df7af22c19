import type { Secret } from '../../../platform/crypto/secret.js';

/**
 * The contract between the rotation service and the small modules that change a password on a
 * real target (Linux over SSH, PostgreSQL, MySQL/MariaDB). A connector knows one protocol and
 * nothing about the vault: it gets plain endpoints and credentials (as Secrets, never logged, never
 * placed in a process argument list or an error text) and answers what happened on the target.
 */

/** Why a remote change or verification did not succeed; `Password reset failed: <message>`. */
export type RemoteFailureReason =
  /** The target refused the credentials used to log in (or to elevate). */
  | 'authentication'
  /** Connection refused, no route, name not resolved. */
  | 'unreachable'
  /** No answer (banner, prompt, query result) within the timeout. */
  | 'timeout'
  /** The shell did not show the configured prompt, or answered something unexpected. */
  | 'prompt'
  /** The target's own password policy refused the new password. */
  | 'policy'
  /** The SSH host key differs from the pinned one; an administrator must accept the new key. */
  | 'host-key'
  /** The resource's DNSNAME is no longer the host its configuration was confirmed for (ADR 030). */
  | 'host-changed'
  /** Anything else the target answered that the connector does not understand. */
  | 'protocol';

/** An SSH host key as the server offered it. */
export interface ObservedHostKey {
  readonly host: string;
  readonly port: number;
  /** e.g. `ssh-ed25519`. */
  readonly algorithm: string;
  /** The public key blob, base64 (as in known_hosts). */
  readonly key: string;
  /** `SHA256:<base64 without padding>`, as `ssh-keygen -l` prints it. */
  readonly fingerprint: string;
}

export class RemoteChangeFailure extends Error {
  constructor(
    readonly reason: RemoteFailureReason,
    /** Human text without any secret (no password, no raw target output that could echo one). */
    message: string,
    /**
     * True when the new password may have reached the target (the change command or statement
     * was sent): the outcome is then unknown and the rotation service must reconcile (try the new
     * password, then the current one) instead of declaring the change failed.
     */
    readonly targetMayHaveChanged: boolean,
    /** Host keys seen before the failure (so a first connection can still be pinned). */
    readonly observedHostKeys: readonly ObservedHostKey[] = [],
  ) {
    super(message);
    this.name = 'RemoteChangeFailure';
  }
}

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** Credentials to log in with: a password, or a private key (with its passphrase when it has one). */
export interface Login {
  readonly username: string;
  readonly password?: Secret;
  readonly privateKey?: Secret;
  readonly passphrase?: Secret;
}

/** Pinned host keys: the connector refuses (reason `host-key`) a key other than the pinned one. */
export interface HostKeyPins {
  /** The pinned key of host:port, or undefined when none is pinned yet (trust on first use). */
  pinned(host: string, port: number): { readonly algorithm: string; readonly key: string } | undefined;
}

export interface SshTarget {
  readonly kind: 'ssh';
  readonly endpoint: Endpoint;
  /** Who logs in: the account itself, or the remote login account / reset account. */
  readonly login: Login;
  /** A landing (jump) server: log in there first, then open the connection to `endpoint` through it. */
  readonly landing?: { readonly endpoint: Endpoint; readonly login: Login };
  /**
   * How the login user becomes root before `chpasswd`: sudo (answers sudo's prompt with the login
   * password) or su (answers su's `Password:` with the root account's password). Absent: no
   * elevation (the login user changes its own password with `passwd`, or is root already).
   */
  readonly elevation?: {
    readonly type: 'su' | 'sudo';
    readonly rootAccount: string;
    readonly rootPassword?: Secret;
  };
  /** The shell prompts that mark the end of output (LINUX_USERPROMPT, LINUXROOTUSERPROMPT), e.g. `$` and `#`. */
  readonly prompts: { readonly user: string; readonly root: string };
  /** REMOVEENTER: lines end with "\n" only instead of "\r\n"... see the SSH connector for the exact meaning. */
  readonly removeEnter: boolean;
  readonly hostKeys: HostKeyPins;
}

export interface DatabaseTarget {
  readonly kind: 'postgresql' | 'mysql';
  readonly endpoint: Endpoint;
  /** The database to connect to (PostgreSQL default `postgres`; MySQL none). */
  readonly database?: string;
  /** Who performs the change: the reset account (WDACCOUNTID), or the account itself. */
  readonly login: Login;
}

export type RemoteTarget = SshTarget | DatabaseTarget;

export interface ChangeRequest {
  readonly target: RemoteTarget;
  /** The account whose password changes (login name on the target). */
  readonly account: string;
  /** Its current password (needed when it changes its own password: `passwd`, self ALTER). */
  readonly currentPassword: Secret | undefined;
  readonly newPassword: Secret;
  /** The whole operation ends within this many milliseconds (reason `timeout`). */
  readonly timeoutMs: number;
}

export interface VerifyRequest {
  readonly target: RemoteTarget;
  readonly account: string;
  readonly password: Secret;
  readonly timeoutMs: number;
}

export interface ConnectorResult {
  /** Host keys seen during the call (pinned by the rotation service on first use). */
  readonly observedHostKeys: readonly ObservedHostKey[];
}

export interface RemoteConnector {
  /**
   * Changes the account's password on the target. Resolves only when the target said it changed
   * it; otherwise rejects with a RemoteChangeFailure. It does not verify: the rotation service
   * calls verifyPassword afterwards.
   */
  changePassword(request: ChangeRequest): Promise<ConnectorResult>;
  /**
   * Logs in to the target as `account` with `password` (directly, not as the reset account; over
   * the landing server when one is set). `opens` or `refused`; anything else (unreachable, timeout,
   * host key) rejects with a RemoteChangeFailure.
   */
  verifyPassword(
    request: VerifyRequest,
  ): Promise<ConnectorResult & { readonly outcome: 'opens' | 'refused' }>;
}
