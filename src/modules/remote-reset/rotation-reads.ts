import type { Executor } from '../../platform/db/database.js';
import { Secret } from '../../platform/crypto/secret.js';
import { remoteResetKeys } from '../vault/index.js';
import type { RemoteResetContext } from './remote-reset.context.js';
import { remoteResetRepository as repo } from './remote-reset.repository.js';
import type { AccountRef, RemoteResetConfiguration } from './remote-reset.types.js';
import { settingsOf } from './settings.js';

/**
 * The configuration as the rotation service reads it. No authorisation here: the rotation acts
 * on what an authorised caller configured. The login key and its passphrase are opened only for
 * keyauth, into {@link Secret}s that never print.
 */
export function rotationReads({ keyring }: RemoteResetContext) {
  return {
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
        host: row.confirmed_host ?? '',
        dnsNameNow: resource.dnsName?.trim() ?? '',
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
  };
}
