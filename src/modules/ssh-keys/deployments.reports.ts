import { NotPermittedError } from '../../platform/errors.js';
import { allows, type ResourceScope, type SshKeyScope } from '../access/index.js';
import { AuditOperation } from '../audit/index.js';
import { RemoteChangeFailure, type ListKeysResult } from '../rotation/index.js';
import { credentialsText, fileOf, type DeploymentsContext } from './deployments.context.js';
import { deploymentsRepository as repo } from './deployments.repository.js';
import { KeyOnHostError, type AccountKey, type DeploymentView } from './deployments.types.js';
import type { KeyHostCall } from './key-hosts.js';
import {
  auditActorOf,
  isOperator,
  refuseApplications,
  visibleKey,
  type SshKeyActor,
} from './ssh-keys.service.js';

/**
 * What is deployed where, from the vault's records (30, 31), and with `reconcile` (our extension
 * of 30) checked against the account's authorized_keys on the host. Only keys the caller can see,
 * on resources the caller can see.
 */
export function createDeploymentReports(ctx: DeploymentsContext) {
  const { db, access, audit, hosts } = ctx;
  const keyScope = (who: SshKeyActor): SshKeyScope =>
    isOperator(who) ? { kind: 'all' } : access.sshKeyScope(who.principal);
  const resourceScope = (who: SshKeyActor): ResourceScope =>
    isOperator(who) ? { kind: 'all' } : access.resourceScope(who.principal);

  /** Which recorded keys the listing holds; throws when the listing cannot tell. */
  function compare(
    listing: KeyHostCall<ListKeysResult>,
    resourceName: string,
    userName: string,
    recorded: readonly { name: string; fingerprint: string }[],
  ): { keys: AccountKey[]; note: string } {
    const account = listing.result.accounts.find((a) => a.user === userName);
    const cannot = (why: string) =>
      new KeyOnHostError(`Reconciliation failed: ${fileOf(userName)} on resource ${resourceName} ${why}`);
    if (account && (account.file === 'unreadable' || account.file === 'symlink')) {
      throw cannot(account.file === 'symlink' ? 'is a symlink (not followed)' : 'cannot be read');
    }
    const present = new Set(account?.keys.map((k) => k.fingerprint) ?? []);
    const keys = recorded.map((k) => ({
      keyName: k.name,
      fingerprint: k.fingerprint,
      onHost: present.has(k.fingerprint),
    }));
    if (account?.truncated && keys.some((k) => !k.onHost)) {
      throw cannot('is larger than what is read of it (64 KiB): a key not seen may be further down');
    }
    const note = !account
      ? '; the account does not exist on the host'
      : account.file === 'missing'
        ? `; ${fileOf(userName)} does not exist`
        : '';
    return { keys, note };
  }

  return {
    /**
     * Endpoint 30: the keys recorded for `userName` on the resource. With `reconcile`, the
     * account's authorized_keys is read on the host (which needs full access to the resource, as
     * every login the server makes with its configuration) and each key is said present or gone;
     * the reconciliation is audited. Records are not changed: dissociating a gone key forgets it.
     */
    async keysOfAccount(
      who: SshKeyActor,
      input: { resourceName: string; userName: string; reconcile: boolean },
    ): Promise<{ resourceName: string; userName: string; keys: AccountKey[] }> {
      refuseApplications(who, 'read SSH key deployments');
      const { resource, permission } = await ctx.visibleResource(db, who, input.resourceName);
      const userName = input.userName.trim();
      const recorded = await repo.keysOfAccount(db, resource.id, userName, keyScope(who));
      const answer = { resourceName: resource.name, userName };
      if (!input.reconcile) {
        return { ...answer, keys: recorded.map((k) => ({ keyName: k.name, fingerprint: k.fingerprint })) };
      }
      if (!allows(permission, 'full')) {
        throw new NotPermittedError(
          `Reconciling with the host logs in to resource ${resource.name} with its remote reset configuration: it needs full access to the resource`,
        );
      }
      const actor = auditActorOf(who);
      let listing: KeyHostCall<ListKeysResult>;
      try {
        listing = await hosts.listKeys(actor, resource, [userName]);
      } catch (err) {
        if (!(err instanceof RemoteChangeFailure)) throw err;
        throw new KeyOnHostError(`Reconciliation failed: ${ctx.hostWhy(err).message}`);
      }
      const { keys, note } = compare(listing, resource.name, userName, recorded);
      const names = (onHost: boolean) =>
        keys
          .filter((k) => k.onHost === onHost)
          .map((k) => k.keyName)
          .join(', ') || 'none';
      const text =
        `${fileOf(userName)} on ${listing.where} read: ${keys.length} recorded key(s); ` +
        `present: ${names(true)}; gone from the host: ${names(false)}${note}${credentialsText(listing.used)}`;
      await db
        .transaction()
        .execute((trx) =>
          audit.append(
            trx,
            actor,
            ctx.onResource(AuditOperation.sshKeysReconciled, resource, userName, text),
          ),
        );
      return { ...answer, keys };
    },

    /** Endpoint 31 (and `bulwark sshkeys deployments`): every recorded deployment the caller can see. */
    async list(who: SshKeyActor, keyName?: string): Promise<DeploymentView[]> {
      refuseApplications(who, 'read SSH key deployments');
      const keyId =
        keyName === undefined ? undefined : Number((await visibleKey(access, db, who, keyName)).row.id);
      return repo.list(db, keyScope(who), resourceScope(who), keyId);
    },
  };
}
