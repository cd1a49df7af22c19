import type { Database } from '../../platform/db/database.js';
import type { Secret } from '../../platform/crypto/secret.js';
import type { AuditActor } from '../audit/index.js';
import {
  buildTarget,
  credentialAccountsOf,
  hostKeyBookkeeping,
  logWithoutMessage,
  RemoteChangeFailure,
  type AddKeyResult,
  type AuthorizedKeysConnector,
  type ConnectorResult,
  type ListKeysResult,
  type RemoveKeyResult,
  type RotationConfiguration,
  type RotationConfigurations,
  type SshTarget,
} from '../rotation/index.js';
import type { HostSecrets } from '../vault/index.js';

/**
 * The SSH key store's way onto hosts (issue 13, ADR 033): a Linux resource's remote reset
 * configuration (endpoint 63: port, login account, elevation, landing server, prompts, the host
 * it was confirmed for) and its pinned host keys, with the authorized_keys connector (ADR 032).
 * No decisions: the services above authorise the caller first. Host keys seen are pinned on
 * first use and a changed one is recorded for an administrator, as for password resets.
 */

export interface KeyHostsDeps {
  readonly database: Database;
  readonly configurations: RotationConfigurations;
  readonly secrets: HostSecrets;
  readonly connector: AuthorizedKeysConnector;
  /** Each call to a host ends within this many milliseconds (the rotation's timeout). */
  readonly timeoutMs: number;
  readonly log?: (err: unknown, message: string) => void;
}

/** The resource a key operation acts on (its row's id and name). */
export interface KeyHostResource {
  readonly id: number;
  readonly name: string;
}

/** Where and how an operation went, for the audit text (never a secret). */
export interface KeyHostCall<T> {
  readonly result: T;
  /** `host:port`, with the landing server when one is used. */
  readonly where: string;
  /** Whose credentials the server used, e.g. `login account admin (ID 7)`. */
  readonly used: readonly string[];
}

export type KeyHosts = ReturnType<typeof createKeyHosts>;

export function createKeyHosts(deps: KeyHostsDeps) {
  const { database, configurations, secrets, connector, timeoutMs } = deps;
  const db = database.db;
  const { pinObserved, afterFailure } = hostKeyBookkeeping(configurations, deps.log ?? logWithoutMessage);

  const refused = (message: string) => new RemoteChangeFailure('protocol', message, false);

  /** The Linux configuration of the resource, and of its landing server when it has one. */
  async function configurationsOf(
    resource: KeyHostResource,
  ): Promise<{ config: RotationConfiguration; landing: RotationConfiguration | undefined }> {
    const config = await configurations.configurationOf(db, resource.id);
    if (!config) {
      throw refused(
        `resource ${resource.name} has no remote reset configuration: configure it (endpoint 63) so the server can log in to the host`,
      );
    }
    if (config.kind !== 'linux') {
      throw refused(
        `resource ${resource.name} is configured as a ${config.kind} target; SSH keys go on Linux hosts over SSH`,
      );
    }
    const landing =
      config.landingResourceId === undefined
        ? undefined
        : await configurations.configurationOf(db, config.landingResourceId);
    return { config, landing };
  }

  /**
   * The SSH target for acting on `userName`'s authorized_keys: the configured login account
   * (elevated to root to write another account's file), or `userName` itself with its password
   * in the vault when the configuration names no login account. `undefined`: acting on every
   * account (discovery), so the login account elevates even though it is one of them.
   */
  async function targetFor(
    resource: KeyHostResource,
    userName: string | undefined,
  ): Promise<{ target: SshTarget; where: string; used: string[] }> {
    const { config, landing } = await configurationsOf(resource);
    const self =
      userName === undefined
        ? undefined
        : await db
            .selectFrom('accounts')
            .select('id')
            .where('resource_id', '=', resource.id)
            .where('name', '=', userName)
            .executeTakeFirst();
    const ids = credentialAccountsOf(config, landing).map((a) => a.id);
    if (self) ids.push(Number(self.id));
    const passwords = await secrets.openAccountPasswords(db, ids);
    const pins = await configurations.hostKeyPins(db);
    const { target, used } = buildTarget(
      config,
      landing,
      // '' matches no login name: buildTarget then elevates the login account (not root) to root.
      { name: userName ?? '', password: self ? passwords.get(Number(self.id)) : undefined },
      passwords,
      pins,
    );
    if (target.kind !== 'ssh') throw refused(`resource ${resource.name} is not reached over SSH`);
    const via = landing ? ` through landing server ${landing.resourceName}` : '';
    return { target, where: `${config.host}:${config.port}${via}`, used };
  }

  /** Runs one connector call with the host key bookkeeping of password resets. */
  async function call<T extends ConnectorResult>(actor: AuditActor, run: () => Promise<T>): Promise<T> {
    try {
      const result = await run();
      await pinObserved(result.observedHostKeys, actor);
      return result;
    } catch (err) {
      await afterFailure(err, actor);
      throw err;
    }
  }

  return {
    /** Appends the public key to `userName`'s authorized_keys (idempotent: `present` when there). */
    async addKey(
      actor: AuditActor,
      resource: KeyHostResource,
      userName: string,
      publicKey: string,
    ): Promise<KeyHostCall<AddKeyResult>> {
      const { target, where, used } = await targetFor(resource, userName);
      const result = await call(actor, () =>
        connector.addKey({ target, user: userName, publicKey, timeoutMs }),
      );
      return { result, where, used };
    },

    /** Removes exactly the lines carrying this key from `userName`'s authorized_keys. */
    async removeKey(
      actor: AuditActor,
      resource: KeyHostResource,
      userName: string,
      publicKey: string,
    ): Promise<KeyHostCall<RemoveKeyResult>> {
      const { target, where, used } = await targetFor(resource, userName);
      const result = await call(actor, () =>
        connector.removeKey({ target, user: userName, publicKey, timeoutMs }),
      );
      return { result, where, used };
    },

    /**
     * Reads authorized_keys of these accounts, or of every account with a login shell (discovery).
     * Reading other accounts' files needs the configured login and elevation, as writing does.
     */
    async listKeys(
      actor: AuditActor,
      resource: KeyHostResource,
      users?: readonly string[],
      /** A bound of its own (a group discovery's per-host timeout); default the deps' timeoutMs. */
      options: { readonly timeoutMs?: number } = {},
    ): Promise<KeyHostCall<ListKeysResult>> {
      const { config } = await configurationsOf(resource);
      // One account: as for writing it. Several or all: the login account, elevated to read the
      // others' files (it would otherwise act as itself, unelevated, being one of the accounts).
      const one = users?.length === 1 ? users[0]! : undefined;
      if (one === undefined && (config.loginAccount ?? config.resetAccount) === undefined) {
        throw refused(
          `the remote reset configuration of resource ${resource.name} names no login account (REMOTELOGINACCOUNT) to read every account's keys with`,
        );
      }
      const { target, where, used } = await targetFor(resource, one);
      const result = await call(actor, () =>
        connector.listKeys({
          target,
          ...(users ? { users } : {}),
          timeoutMs: options.timeoutMs ?? timeoutMs,
        }),
      );
      return { result, where, used };
    },

    /**
     * Logs in to the resource as `userName` with the key (not with any configured login): `opens`
     * or `refused`; unreachable, timeout or a changed host key reject. The key's private half is
     * opened from the vault for this login only.
     */
    async verifyKeyLogin(
      actor: AuditActor,
      resource: KeyHostResource,
      userName: string,
      key: { readonly privateKey: Secret; readonly passphrase: Secret | undefined },
    ): Promise<KeyHostCall<ConnectorResult & { readonly outcome: 'opens' | 'refused' }>> {
      const { target, where } = await targetFor(resource, userName);
      const result = await call(actor, () =>
        connector.verifyKeyLogin({
          endpoint: target.endpoint,
          hostKeys: target.hostKeys,
          ...(target.landing ? { landing: target.landing } : {}),
          user: userName,
          privateKey: key.privateKey,
          ...(key.passphrase ? { passphrase: key.passphrase } : {}),
          timeoutMs,
        }),
      );
      return { result, where, used: [] };
    },

    /** The private half of a stored key, for verifyKeyLogin (never released to a caller). */
    openKey: (keyId: number) => secrets.openSshKey(db, keyId),
  };
}
