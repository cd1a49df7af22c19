import type { Clock } from '../../platform/clock.js';
import type { Database, Executor } from '../../platform/db/database.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { Secret } from '../../platform/crypto/secret.js';
import { ConflictError, InvalidInputError, NotFoundError, NotPermittedError } from '../../platform/errors.js';
import {
  allows,
  authoriseAdministrator,
  type AccessPolicy,
  type Administrator,
  type Permission,
} from '../access/index.js';
import { actorOf, AuditOperation, type AuditActor, type AuditService } from '../audit/index.js';
import type { HostKeyPins, ObservedHostKey } from '../rotation/connectors/connector.js';
import { nameKey, remoteResetKeys } from '../vault/index.js';
import { distinctObserved, hostKey, inspectPrivateKey, normalizeFingerprint } from './host-keys.js';
import {
  remoteResetRepository as repo,
  type AccountRow,
  type ConfigRow,
  type ResourceRef,
} from './remote-reset.repository.js';
import {
  DEFAULT_PORT,
  kindOfResourceType,
  RESOURCE_TYPE_OF_KIND,
  type AccountRef,
  type Authentication,
  type ConfigurationResult,
  type Elevation,
  type OfferedHostKey,
  type PinnedHostKey,
  type RemoteResetConfiguration,
  type RemoteResetDraft,
  type RemoteResetKind,
  type RemoteResetView,
  type ResourceIdentifier,
} from './remote-reset.types.js';

export interface RemoteResetServiceDeps {
  readonly database: Database;
  readonly keyring: Keyring;
  readonly audit: AuditService;
  readonly access: AccessPolicy;
  readonly clock: Clock;
}

/**
 * Who configures: an API caller (authorised on every object it names) or the local operator of
 * the CLI, who holds the data directory and its master key and is trusted like `rotate-master-key`.
 */
export type Configurer = Administrator;

export const TELNET_REFUSED = 'Telnet is not supported; use SSH';

/** The stored settings of one configuration, accounts resolved to ids. */
interface Settings {
  kind: RemoteResetKind;
  port: number;
  userPrompt: string;
  rootPrompt: string;
  resourceIdentifier: ResourceIdentifier;
  landingResourceId: number | null;
  loginAccountId: number | null;
  resetAccountId: number | null;
  rootAccountId: number | null;
  authentication: Authentication;
  elevation: Elevation;
  removeEnter: boolean;
  database: string | null;
}

function defaults(kind: RemoteResetKind): Settings {
  return {
    kind,
    port: DEFAULT_PORT[kind],
    userPrompt: '$',
    rootPrompt: '#',
    resourceIdentifier: 'linux',
    landingResourceId: null,
    loginAccountId: null,
    resetAccountId: null,
    rootAccountId: null,
    authentication: 'passauth',
    elevation: 'sudo',
    removeEnter: false,
    database: null,
  };
}

/** The account a keyauth key logs in as: the login account, else the reset account. */
const keyOwner = (s: Settings): number | null => s.loginAccountId ?? s.resetAccountId;

function settingsOf(row: ConfigRow): Settings {
  return {
    kind: row.kind as RemoteResetKind,
    port: Number(row.port),
    userPrompt: row.user_prompt,
    rootPrompt: row.root_prompt,
    resourceIdentifier: row.resource_identifier as ResourceIdentifier,
    landingResourceId: row.landing_resource_id === null ? null : Number(row.landing_resource_id),
    loginAccountId: row.login_account_id === null ? null : Number(row.login_account_id),
    resetAccountId: row.reset_account_id === null ? null : Number(row.reset_account_id),
    rootAccountId: row.root_account_id === null ? null : Number(row.root_account_id),
    authentication: row.authentication as Authentication,
    elevation: row.elevation as Elevation,
    removeEnter: Number(row.remove_enter) === 1,
    database: row.database_name,
  };
}

/** A refusal for one resource of endpoint 63 (its message goes to CONFIGURATION RESULT). */
class Refusal extends InvalidInputError {}

const refuse = (message: string): never => {
  throw new Refusal(message);
};

const resourceNotFound = (id: number | string) =>
  new NotFoundError(`Resource with ID ${id} does not exist or is not accessible to you`);

const LINUX_ONLY = 'applies to Linux resources only';

/** A few names for a message: the first five and how many more. */
function listed(names: readonly string[]): string {
  return names.length <= 5
    ? names.join(', ')
    : `${names.slice(0, 5).join(', ')} and ${names.length - 5} more`;
}

export type RemoteResetService = ReturnType<typeof createRemoteResetService>;

/**
 * The remote password reset configuration of resources (endpoint 63, native show/change/remove)
 * and the SSH host keys pinned for them (ADR 027). Configuring needs modify access to the
 * resource; every account the configuration names (login, reset, root, the landing server's
 * login) makes the server use that account's password on the configurer's behalf, so the
 * configurer must hold full access to each of them, on every change. The login key is sealed to
 * the configuration's row and never answered.
 */
export function createRemoteResetService({
  database,
  keyring,
  audit,
  access,
  clock,
}: RemoteResetServiceDeps) {
  const db = database.db;

  const actorOfConfigurer = (who: Configurer): AuditActor =>
    'operator' in who ? who.operator : actorOf(who.caller);

  async function visible(trx: Executor, who: Configurer, resource: ResourceRef): Promise<boolean> {
    if ('operator' in who) return true;
    const reach = await access.reachableAccounts(trx, who.caller.principal, {
      id: resource.id,
      ownerId: resource.ownerId,
    });
    return reach === 'all' || reach.size > 0;
  }

  async function resourcePermission(
    trx: Executor,
    who: Configurer,
    resource: ResourceRef,
  ): Promise<Permission> {
    if ('operator' in who) return 'full';
    return access.resourcePermission(trx, who.caller.principal, {
      id: resource.id,
      ownerId: resource.ownerId,
    });
  }

  async function accountPermission(trx: Executor, who: Configurer, account: AccountRow): Promise<Permission> {
    if ('operator' in who) return 'full';
    const resource = await repo.findResource(trx, account.resourceId);
    if (!resource) return 'none';
    return access.accountPermission(trx, who.caller.principal, {
      id: account.id,
      ownerId: account.ownerId,
      resource: { id: resource.id, ownerId: resource.ownerId },
    });
  }

  /** The resource the configurer may see, holding at least `needed` on it. */
  async function authorizedResource(
    trx: Executor,
    who: Configurer,
    resourceId: number,
    needed: Permission,
  ): Promise<ResourceRef> {
    const resource = await repo.findResource(trx, resourceId);
    if (!resource || !(await visible(trx, who, resource))) throw resourceNotFound(resourceId);
    if (!allows(await resourcePermission(trx, who, resource), needed)) {
      throw new NotPermittedError(
        needed === 'view'
          ? `You are not allowed to view resource ${resource.name}`
          : `You are not allowed to configure remote password reset of resource ${resource.name}`,
      );
    }
    return resource;
  }

  /**
   * An account the configuration names: it must exist, be visible, and the configurer must hold
   * full access to it (the server will use its password on their behalf).
   */
  async function usableAccount(
    trx: Executor,
    who: Configurer,
    account: AccountRow | undefined,
    described: string,
    role: string,
  ): Promise<AccountRow> {
    const permission = account ? await accountPermission(trx, who, account) : 'none';
    if (!account || permission === 'none') {
      return refuse(`${described} does not exist or is not accessible to you`);
    }
    if (!allows(permission, 'full')) {
      return refuse(
        `${role} ${account.name}: you need full access to (or ownership of) an account to let the server use its password`,
      );
    }
    return account;
  }

  /** Applies `draft` over `base` for `resource`, resolving names; refuses (Refusal) what cannot be configured. */
  async function resolve(
    trx: Executor,
    who: Configurer,
    resource: ResourceRef,
    base: Settings | undefined,
    draft: RemoteResetDraft,
  ): Promise<Settings> {
    if (draft.remoteMode === 'telnet') refuse(TELNET_REFUSED);
    const kind = draft.resourceType ? kindOfResourceType(draft.resourceType) : (base?.kind ?? 'linux');
    const start = base ?? defaults(kind);
    const s: Settings = { ...start, kind };
    if (base && base.kind !== kind) {
      // A change of kind: what belonged to the other kind goes, the port follows its default.
      if (base.port === DEFAULT_PORT[base.kind]) s.port = DEFAULT_PORT[kind];
      if (kind !== 'linux') {
        Object.assign(s, {
          landingResourceId: null,
          loginAccountId: null,
          rootAccountId: null,
          authentication: 'passauth',
        });
      } else {
        s.database = null;
      }
    }
    const isLinux = kind === 'linux';
    if (draft.port !== undefined) s.port = draft.port;
    if (draft.userPrompt !== undefined) s.userPrompt = draft.userPrompt;
    if (draft.rootPrompt !== undefined) s.rootPrompt = draft.rootPrompt;
    if (draft.resourceIdentifier !== undefined) s.resourceIdentifier = draft.resourceIdentifier;
    if (draft.elevation !== undefined) s.elevation = draft.elevation;
    if (draft.removeEnter !== undefined) s.removeEnter = draft.removeEnter;
    if (draft.authentication !== undefined) {
      if (!isLinux && draft.authentication === 'keyauth') refuse(`AUTHENTICATION keyauth ${LINUX_ONLY}`);
      s.authentication = draft.authentication;
    }
    if (draft.database !== undefined) {
      if (isLinux && draft.database !== '') refuse('DATABASE applies to database resources only');
      s.database = draft.database === '' ? null : draft.database;
    }

    if (draft.loginAccount !== undefined) {
      if (draft.loginAccount === '') s.loginAccountId = null;
      else {
        if (!isLinux) {
          refuse(
            `REMOTELOGINACCOUNT ${LINUX_ONLY}; for databases name the reset account with WDRESOURCEID and WDACCOUNTID`,
          );
        }
        const account = await repo.findAccountByKey(trx, resource.id, nameKey(draft.loginAccount));
        s.loginAccountId = (
          await usableAccount(
            trx,
            who,
            account,
            `Account ${draft.loginAccount} of resource ${resource.name}`,
            'REMOTELOGINACCOUNT',
          )
        ).id;
      }
    }
    if (draft.rootAccount !== undefined) {
      if (draft.rootAccount === '') s.rootAccountId = null;
      else {
        if (!isLinux) refuse(`ROOTACCOUNT ${LINUX_ONLY}`);
        const account = await repo.findAccountByKey(trx, resource.id, nameKey(draft.rootAccount));
        s.rootAccountId = (
          await usableAccount(
            trx,
            who,
            account,
            `Account ${draft.rootAccount} of resource ${resource.name}`,
            'ROOTACCOUNT',
          )
        ).id;
      }
    }
    if (draft.resetAccount !== undefined) {
      if (draft.resetAccount === null) s.resetAccountId = null;
      else {
        const { resourceId, accountId } = draft.resetAccount;
        const account = await repo.findAccount(trx, accountId);
        s.resetAccountId = (
          await usableAccount(
            trx,
            who,
            account && account.resourceId === resourceId ? account : undefined,
            `Account with ID ${accountId} of resource with ID ${resourceId}`,
            'WDACCOUNTID',
          )
        ).id;
      }
    }
    if (draft.landingServer !== undefined) {
      if (draft.landingServer === '') s.landingResourceId = null;
      else {
        if (!isLinux) refuse(`LINUX_LANDINGSERVER ${LINUX_ONLY}`);
        const landing = await repo.findResourceByKey(trx, nameKey(draft.landingServer));
        if (!landing || !(await visible(trx, who, landing))) {
          refuse(`Landing server ${draft.landingServer} does not exist or is not accessible to you`);
        }
        s.landingResourceId = landing!.id;
      }
    }

    // Whatever the draft changed, every account the result names is checked again: a change of
    // port or landing server redirects where their passwords are sent.
    await checkNamedAccounts(trx, who, resource, s);

    const dependents = await repo.landingDependents(trx, resource.id);
    if (dependents.length > 0 && (!isLinux || s.loginAccountId === null || s.landingResourceId !== null)) {
      refuse(
        `${resource.name} is the landing server of ${listed(dependents)}: it must stay a Linux configuration with a login account (REMOTELOGINACCOUNT) and no landing server of its own`,
      );
    }
    if (s.elevation === 'su' && isLinux && s.rootAccountId === null) {
      refuse('ELEVATIONTYPE su needs ROOTACCOUNT: the account whose password su answers');
    }
    if (s.authentication === 'keyauth' && s.loginAccountId === null && s.resetAccountId === null) {
      refuse('AUTHENTICATION keyauth needs REMOTELOGINACCOUNT: the account the key logs in as');
    }
    return s;
  }

  async function checkNamedAccounts(trx: Executor, who: Configurer, resource: ResourceRef, s: Settings) {
    const named: [number | null, string][] = [
      [s.loginAccountId, 'REMOTELOGINACCOUNT'],
      [s.resetAccountId, 'WDACCOUNTID'],
      [s.rootAccountId, 'ROOTACCOUNT'],
    ];
    for (const [id, role] of named) {
      if (id === null) continue;
      await usableAccount(trx, who, await repo.findAccount(trx, id), `Account with ID ${id}`, role);
    }
    if (s.landingResourceId !== null) {
      if (s.landingResourceId === resource.id) refuse('A resource cannot be its own landing server');
      const landing = await repo.findResource(trx, s.landingResourceId);
      if (!landing || !(await visible(trx, who, landing))) {
        return refuse(
          `Landing server with ID ${s.landingResourceId} does not exist or is not accessible to you`,
        );
      }
      const config = await repo.findConfig(trx, landing.id);
      if (!config || config.kind !== 'linux' || config.login_account_id === null) {
        refuse(
          `Landing server ${landing.name} has no remote reset configuration naming its login account (REMOTELOGINACCOUNT); configure it first`,
        );
      }
      if (config!.landing_resource_id !== null) {
        refuse(`Landing server ${landing.name} itself goes through a landing server; one hop only`);
      }
      await usableAccount(
        trx,
        who,
        await repo.findAccount(trx, Number(config!.login_account_id)),
        `The login account of landing server ${landing.name}`,
        `Landing server ${landing.name}'s login account`,
      );
    }
  }

  function describe(
    s: Settings,
    names: { login?: string; reset?: string; root?: string; landing?: string },
    fingerprint: string | null,
  ): string {
    const parts = [
      s.kind === 'linux'
        ? `Linux over SSH, port ${s.port}`
        : `${RESOURCE_TYPE_OF_KIND[s.kind]}, port ${s.port}`,
    ];
    if (s.database) parts.push(`database ${s.database}`);
    if (names.login) parts.push(`login account ${names.login}`);
    if (names.reset) parts.push(`reset account ${names.reset}`);
    if (s.kind === 'linux') parts.push(`elevation ${s.elevation}`);
    if (names.root) parts.push(`root account ${names.root}`);
    if (names.landing) parts.push(`landing server ${names.landing}`);
    if (s.authentication === 'keyauth')
      parts.push(`key authentication${fingerprint ? ` (${fingerprint})` : ''}`);
    return parts.join(', ');
  }

  async function accountName(trx: Executor, id: number | null): Promise<string | undefined> {
    if (id === null) return undefined;
    return (await repo.findAccount(trx, id))?.name;
  }

  /** Saves the configuration of one (authorised) resource, seals the key, audits; in `trx`. */
  async function save(
    trx: Executor,
    who: Configurer,
    resource: ResourceRef,
    existing: ConfigRow | undefined,
    draft: RemoteResetDraft,
    mode: 'replace' | 'change',
  ): Promise<void> {
    const base = existing && mode === 'change' ? settingsOf(existing) : undefined;
    const s = await resolve(trx, who, resource, base, draft);
    if (s.kind !== 'linux' || s.authentication !== 'keyauth') {
      if (draft.privateKey !== undefined || draft.passphrase !== undefined) {
        refuse('PRIVATEKEY and PASSPHRASE apply only with AUTHENTICATION keyauth on Linux resources');
      }
    }
    if (!resource.dnsName?.trim()) {
      refuse(`Resource ${resource.name} has no DNS name / IP address (DNSNAME); the target host is unknown`);
    }
    const now = clock.now();
    await repo.saveConfig(trx, {
      resource_id: resource.id,
      kind: s.kind,
      remote_mode: 'ssh',
      port: s.port,
      user_prompt: s.userPrompt,
      root_prompt: s.rootPrompt,
      resource_identifier: s.resourceIdentifier,
      landing_resource_id: s.landingResourceId,
      login_account_id: s.loginAccountId,
      reset_account_id: s.resetAccountId,
      root_account_id: s.rootAccountId,
      authentication: s.authentication,
      elevation: s.elevation,
      remove_enter: s.removeEnter ? 1 : 0,
      database_name: s.database,
      private_key_sealed: existing?.private_key_sealed ?? null,
      passphrase_sealed: existing?.passphrase_sealed ?? null,
      key_fingerprint: existing?.key_fingerprint ?? null,
      configured_by: 'operator' in who ? null : who.caller.principal.userId,
      configured_at: now,
    });
    let fingerprint = existing?.key_fingerprint ?? null;
    if (s.authentication !== 'keyauth') {
      fingerprint = null;
      await repo.setSealedKey(trx, resource.id, { privateKey: null, passphrase: null, fingerprint: null });
    } else if (draft.privateKey !== undefined) {
      fingerprint = inspectPrivateKey(draft.privateKey, draft.passphrase).fingerprint;
      await repo.setSealedKey(trx, resource.id, {
        privateKey: keyring.seal(draft.privateKey.reveal(), remoteResetKeys.privateKey(resource.id)),
        passphrase: draft.passphrase
          ? keyring.seal(draft.passphrase.reveal(), remoteResetKeys.passphrase(resource.id))
          : null,
        fingerprint,
      });
    } else if (draft.passphrase !== undefined) {
      refuse('PASSPHRASE is given without PRIVATEKEY; give the key together with its passphrase');
    } else if (existing?.private_key_sealed == null) {
      refuse('AUTHENTICATION keyauth needs PRIVATEKEY: the login account’s private key');
    } else if (keyOwner(settingsOf(existing)) !== keyOwner(s)) {
      // The stored key is the key of the account that logged in with it, not of another.
      refuse('The login account changed: give PRIVATEKEY (and PASSPHRASE) of the new login account');
    }
    const landing =
      s.landingResourceId === null ? undefined : await repo.findResource(trx, s.landingResourceId);
    await audit.append(trx, actorOfConfigurer(who), {
      auditType: 'Resource',
      operation: AuditOperation.remoteResetConfigured,
      resourceId: resource.id,
      resourceName: resource.name,
      reason: describe(
        s,
        {
          login: await accountName(trx, s.loginAccountId),
          reset: await accountName(trx, s.resetAccountId),
          root: await accountName(trx, s.rootAccountId),
          landing: landing?.name,
        },
        fingerprint,
      ),
    });
  }

  async function view(trx: Executor, resource: ResourceRef, row: ConfigRow): Promise<RemoteResetView> {
    const s = settingsOf(row);
    const ref = async (id: number | null): Promise<AccountRef | undefined> => {
      if (id === null) return undefined;
      const a = await repo.findAccount(trx, id);
      return a && { id: a.id, resourceId: a.resourceId, name: a.name };
    };
    const reset = await ref(s.resetAccountId);
    const resetResource = reset && (await repo.findResource(trx, reset.resourceId));
    const landing =
      s.landingResourceId === null ? undefined : await repo.findResource(trx, s.landingResourceId);
    return {
      resourceId: resource.id,
      resourceName: resource.name,
      kind: s.kind,
      remoteMode: 'ssh',
      host: resource.dnsName?.trim() || resource.name,
      port: s.port,
      resourceIdentifier: s.resourceIdentifier,
      userPrompt: s.userPrompt,
      rootPrompt: s.rootPrompt,
      landingServer: landing && { id: landing.id, name: landing.name },
      loginAccount: await ref(s.loginAccountId),
      resetAccount: reset && { ...reset, resourceName: resetResource?.name ?? '' },
      rootAccount: await ref(s.rootAccountId),
      elevation: s.elevation,
      removeEnter: s.removeEnter,
      database: s.database ?? (s.kind === 'postgresql' ? 'postgres' : undefined),
      authentication: s.authentication,
      keyPresent: row.private_key_sealed !== null,
      passphrasePresent: row.passphrase_sealed !== null,
      keyFingerprint: row.key_fingerprint ?? undefined,
      configuredAt: Number(row.configured_at),
    };
  }

  function requireHostKeyAdministrator(who: Configurer): AuditActor {
    return authoriseAdministrator(who, 'SSH host keys');
  }

  /** The answer of one resource in endpoint 63; refusals become FAILED lines, faults propagate. */
  async function configureOne(
    who: Configurer,
    resourceId: number,
    draft: RemoteResetDraft,
  ): Promise<ConfigurationResult> {
    let name: string | undefined;
    try {
      await db.transaction().execute(async (trx) => {
        const resource = await authorizedResource(trx, who, resourceId, 'modify');
        name = resource.name;
        await save(trx, who, resource, await repo.findConfig(trx, resource.id), draft, 'replace');
      });
      return { resourceId, resourceName: name, ok: true };
    } catch (err) {
      if (
        err instanceof InvalidInputError ||
        err instanceof NotFoundError ||
        err instanceof NotPermittedError
      ) {
        return { resourceId, resourceName: name, ok: false, message: err.message };
      }
      throw err;
    }
  }

  return {
    /**
     * Endpoint 63: the same configuration for each resource, each answered on its own (a resource
     * the caller cannot see answers like one that does not exist). Replaces any earlier
     * configuration of the resource (a stored key is kept while AUTHENTICATION stays keyauth).
     */
    async configure(
      who: Configurer,
      resourceIds: readonly number[],
      draft: RemoteResetDraft,
    ): Promise<ConfigurationResult[]> {
      const results: ConfigurationResult[] = [];
      for (const id of resourceIds) {
        results.push(await configureOne(who, id, draft));
      }
      return results;
    },

    /** The configuration of a resource the caller can see (no secret), or NotFound. */
    async show(who: Configurer, resourceId: number): Promise<RemoteResetView> {
      return db.transaction().execute(async (trx) => {
        const resource = await authorizedResource(trx, who, resourceId, 'view');
        const row = await repo.findConfig(trx, resource.id);
        if (!row)
          throw new NotFoundError(`Resource ${resource.name} has no remote password reset configuration`);
        return view(trx, resource, row);
      });
    },

    /** The native PUT: changes only the fields given; the resource must be configured already. */
    async change(who: Configurer, resourceId: number, draft: RemoteResetDraft): Promise<RemoteResetView> {
      return db.transaction().execute(async (trx) => {
        const resource = await authorizedResource(trx, who, resourceId, 'modify');
        const row = await repo.findConfig(trx, resource.id);
        if (!row)
          throw new NotFoundError(`Resource ${resource.name} has no remote password reset configuration`);
        await save(trx, who, resource, row, draft, 'change');
        return view(trx, resource, (await repo.findConfig(trx, resource.id))!);
      });
    },

    /** Removes the configuration (its sealed key with it); answers the resource's name. */
    async remove(who: Configurer, resourceId: number): Promise<string> {
      return db.transaction().execute(async (trx) => {
        const resource = await authorizedResource(trx, who, resourceId, 'modify');
        const dependents = await repo.landingDependents(trx, resource.id);
        if (dependents.length > 0) {
          throw new ConflictError(
            `${resource.name} is the landing server of ${listed(dependents)}; change their configuration first`,
          );
        }
        if (!(await repo.deleteConfig(trx, resource.id))) {
          throw new NotFoundError(`Resource ${resource.name} has no remote password reset configuration`);
        }
        await audit.append(trx, actorOfConfigurer(who), {
          auditType: 'Resource',
          operation: AuditOperation.remoteResetConfigurationRemoved,
          resourceId: resource.id,
          resourceName: resource.name,
        });
        return resource.name;
      });
    },

    /** A resource id by name, for the CLI and names in paths; invisible answers like missing. */
    async resourceIdByName(who: Configurer, name: string): Promise<number> {
      const resource = await repo.findResourceByKey(db, nameKey(name));
      if (!resource || !(await visible(db, who, resource))) {
        throw new NotFoundError(`Resource ${name} does not exist or is not accessible to you`);
      }
      return resource.id;
    },

    /** An account by resource and account name (the CLI's RESOURCE/ACCOUNT); invisible answers like missing. */
    async accountByName(
      who: Configurer,
      resourceName: string,
      accountName: string,
    ): Promise<{ resourceId: number; accountId: number }> {
      const missing = () =>
        new NotFoundError(
          `Account ${resourceName}/${accountName} does not exist or is not accessible to you`,
        );
      const resource = await repo.findResourceByKey(db, nameKey(resourceName));
      if (!resource) throw missing();
      const account = await repo.findAccountByKey(db, resource.id, nameKey(accountName));
      if (!account || (await accountPermission(db, who, account)) === 'none') throw missing();
      return { resourceId: resource.id, accountId: account.id };
    },

    // --- for the rotation service (no authorisation: it acts on what an authorised caller configured)

    /** The stored configuration of a resource, the login key opened; undefined when none. */
    async configurationOf(
      executor: Executor,
      resourceId: number,
    ): Promise<RemoteResetConfiguration | undefined> {
      const row = await repo.findConfig(executor, resourceId);
      if (!row) return undefined;
      const resource = await repo.findResource(executor, resourceId);
      if (!resource) return undefined;
      const s = settingsOf(row);
      const ref = async (id: number | null): Promise<AccountRef | undefined> => {
        if (id === null) return undefined;
        const a = await repo.findAccount(executor, id);
        return a && { id: a.id, resourceId: a.resourceId, name: a.name };
      };
      const keyauth = s.authentication === 'keyauth';
      const open = (envelope: Buffer | null, context: ReturnType<typeof remoteResetKeys.privateKey>) =>
        envelope === null
          ? undefined
          : new Secret(remoteResetKeys.openForConnection(keyring, envelope, context).toString('utf8'));
      return {
        resourceId,
        resourceName: resource.name,
        kind: s.kind,
        host: resource.dnsName?.trim() || resource.name,
        port: s.port,
        resourceIdentifier: s.resourceIdentifier,
        prompts: { user: s.userPrompt, root: s.rootPrompt },
        landingResourceId: s.landingResourceId ?? undefined,
        loginAccount: await ref(s.loginAccountId),
        resetAccount: await ref(s.resetAccountId),
        rootAccount: await ref(s.rootAccountId),
        elevation: s.elevation,
        removeEnter: s.removeEnter,
        database: s.database ?? (s.kind === 'postgresql' ? 'postgres' : undefined),
        authentication: s.authentication,
        privateKey: keyauth
          ? open(row.private_key_sealed, remoteResetKeys.privateKey(resourceId))
          : undefined,
        passphrase: keyauth ? open(row.passphrase_sealed, remoteResetKeys.passphrase(resourceId)) : undefined,
      };
    },

    /** The pinned host keys, read now (a snapshot). */
    async hostKeyPins(executor: Executor): Promise<HostKeyPins> {
      const pins = new Map(
        (await repo.pinnedKeys(executor)).map((k) => [
          `${k.host}|${k.port}`,
          { algorithm: k.algorithm, key: k.key },
        ]),
      );
      return { pinned: (host, port) => pins.get(`${hostKey(host)}|${port}`) };
    },

    /** Pins keys of host:port that have no pin yet (trust on first use), each audited; answers those pinned. */
    async pinOnFirstUse(observed: readonly ObservedHostKey[], actor: AuditActor): Promise<ObservedHostKey[]> {
      const pinned: ObservedHostKey[] = [];
      for (const key of distinctObserved(observed)) {
        await db.transaction().execute(async (trx) => {
          if (!(await repo.pinIfAbsent(trx, key, clock.now(), 'first-use', actor.username))) return;
          pinned.push(key);
          await audit.append(trx, actor, {
            auditType: 'Resource',
            operation: AuditOperation.sshHostKeyPinned,
            reason: `${key.host}:${key.port} ${key.algorithm} ${key.fingerprint} (trust on first use)`,
          });
        });
      }
      return pinned;
    },

    /**
     * A host offered a key other than its pin and the connection was refused: the key is kept
     * as offered (an administrator may accept it) and the refusal audited.
     */
    async recordRefusedKey(observed: readonly ObservedHostKey[], actor: AuditActor): Promise<void> {
      for (const key of distinctObserved(observed)) {
        await db.transaction().execute(async (trx) => {
          const pin = await repo.pinnedKey(trx, key.host, key.port);
          if (pin && pin.algorithm === key.algorithm && pin.key === key.key) return;
          await repo.recordOffered(trx, key, clock.now());
          await audit.append(trx, actor, {
            auditType: 'Resource',
            operation: AuditOperation.sshHostKeyRefused,
            reason: `${key.host}:${key.port} offered ${key.algorithm} ${key.fingerprint}${
              pin ? `; pinned ${pin.algorithm} ${pin.fingerprint}` : ''
            }; an administrator must accept the new key`,
          });
        });
      }
    },

    // --- host keys for administrators

    async listHostKeys(who: Configurer): Promise<{ pinned: PinnedHostKey[]; offered: OfferedHostKey[] }> {
      requireHostKeyAdministrator(who);
      return db.transaction().execute(async (trx) => ({
        pinned: await repo.pinnedKeys(trx),
        offered: await repo.offeredKeys(trx),
      }));
    },

    /** An offered key of host:port becomes its pin; audited with the key it replaces. */
    async acceptHostKey(
      who: Configurer,
      host: string,
      port: number,
      fingerprint: string,
    ): Promise<PinnedHostKey> {
      const actor = requireHostKeyAdministrator(who);
      const h = hostKey(host);
      const wanted = normalizeFingerprint(fingerprint);
      return db.transaction().execute(async (trx) => {
        const offered = (await repo.offeredKeys(trx)).find(
          (k) => k.host === h && k.port === port && k.fingerprint === wanted,
        );
        if (!offered) {
          throw new NotFoundError(`${h}:${port} has not offered a key with fingerprint ${wanted}`);
        }
        const previous = await repo.pinnedKey(trx, h, port);
        await repo.deletePin(trx, h, port);
        await repo.pinIfAbsent(trx, offered, clock.now(), 'accepted', actor.username);
        await repo.deleteOffered(trx, h, port, wanted);
        await audit.append(trx, actor, {
          auditType: 'Resource',
          operation: AuditOperation.sshHostKeyAccepted,
          reason: `${h}:${port} ${offered.algorithm} ${wanted}${previous ? ` replaces ${previous.fingerprint}` : ''}`,
        });
        return (await repo.pinnedKey(trx, h, port))!;
      });
    },

    /** Removes the pin of host:port: the next connection pins on first use again. */
    async removeHostKeyPin(who: Configurer, host: string, port: number): Promise<void> {
      const actor = requireHostKeyAdministrator(who);
      const h = hostKey(host);
      await db.transaction().execute(async (trx) => {
        const previous = await repo.pinnedKey(trx, h, port);
        if (!previous || !(await repo.deletePin(trx, h, port))) {
          throw new NotFoundError(`No host key is pinned for ${h}:${port}`);
        }
        await audit.append(trx, actor, {
          auditType: 'Resource',
          operation: AuditOperation.sshHostKeyPinRemoved,
          reason: `${h}:${port} ${previous.algorithm} ${previous.fingerprint}; the next connection pins on first use`,
        });
      });
    },
  };
}
