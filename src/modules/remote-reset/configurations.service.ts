import type { Executor } from '../../platform/db/database.js';
import { ConflictError, InvalidInputError, NotFoundError, NotPermittedError } from '../../platform/errors.js';
import { allows } from '../access/index.js';
import { AuditOperation } from '../audit/index.js';
import { nameKey, remoteResetKeys } from '../vault/index.js';
import { draftResolution, listed, refuse } from './configuration-rules.js';
import { inspectPrivateKey } from './host-keys.js';
import type { Configurer, RemoteResetContext } from './remote-reset.context.js';
import {
  remoteResetRepository as repo,
  type ConfigRow,
  type ResourceRef,
} from './remote-reset.repository.js';
import type {
  AccountRef,
  ConfigurationResult,
  RemoteResetDraft,
  RemoteResetView,
} from './remote-reset.types.js';
import { describe, keyOwner, settingsOf } from './settings.js';

/**
 * The configuration edits and reads of administrators (endpoint 63, native show/change/remove,
 * the CLI's lookups by name). Configuring needs modify access to the resource, and the draft is
 * validated by {@link draftResolution}; the login key is sealed to the configuration's row and
 * never answered.
 */
export function configurationOperations(ctx: RemoteResetContext) {
  const {
    db,
    keyring,
    audit,
    clock,
    actorOfConfigurer,
    visible,
    resourcePermission,
    accountPermission,
    authorizedResource,
  } = ctx;
  const { resolve } = draftResolution(ctx);

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
    const host = resource.dnsName?.trim();
    if (!host) {
      return refuse(
        `Resource ${resource.name} has no DNS name / IP address (DNSNAME); the target host is unknown`,
      );
    }
    // Binding the configuration to a host decides where the server sends passwords (ADR 030).
    // It needs what editing DNSNAME needs (full access to the resource), and `resolve` above has
    // checked full access to every account the configuration names: so a DNSNAME changed by
    // someone without those accounts sends them nowhere until a holder confirms it.
    const bindsHost = existing?.confirmed_host !== host;
    if (bindsHost && !allows(await resourcePermission(trx, who, resource), 'full')) {
      refuse(
        existing
          ? `Resource ${resource.name}'s DNS name changed from ${existing.confirmed_host ?? '(none)'} to ${host} ` +
              `since remote reset was configured; confirming the new host needs full access to the resource`
          : `Configuring remote reset of resource ${resource.name} binds it to host ${host}: ` +
              `that needs full access to (or ownership of) the resource`,
      );
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
      confirmed_host: host,
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
          host,
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
      host: row.confirmed_host ?? '',
      unconfirmedDnsName:
        (resource.dnsName?.trim() ?? '') !== row.confirmed_host
          ? resource.dnsName?.trim() || '(none)'
          : undefined,
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
  };
}
