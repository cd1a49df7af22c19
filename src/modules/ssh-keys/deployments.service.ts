import { isForeignKeyViolation, isUniqueViolation } from '../../platform/db/errors.js';
import { ConflictError, DomainError, NotFoundError, NotPermittedError } from '../../platform/errors.js';
import { allows } from '../access/index.js';
import { AuditOperation, type AuditActor } from '../audit/index.js';
import { AuthorizedKeysFailure, RemoteChangeFailure, type AddKeyResult } from '../rotation/index.js';
import { eventOnSshKey } from '../vault/index.js';
import {
  createDeploymentsContext,
  credentialsText,
  fileOf,
  keyText,
  type SshKeyDeploymentsDeps,
} from './deployments.context.js';
import { createDeploymentReports } from './deployments.reports.js';
import {
  deploymentsRepository as repo,
  type DeploymentResource,
  type KeyDeployment,
} from './deployments.repository.js';
import { KeyOnHostError, type DeploymentTarget } from './deployments.types.js';
import type { KeyHostCall } from './key-hosts.js';
import { sshKeysRepository as keys, type SshKeyRow } from './ssh-keys.repository.js';
import {
  auditActorOf,
  refuseApplications,
  viewOf,
  visibleKey,
  type SshKeyActor,
} from './ssh-keys.service.js';
import type { SshKeyView } from './ssh-keys.types.js';

export type SshKeyDeployments = ReturnType<typeof createSshKeyDeployments>;

const label = (d: KeyDeployment) => `${d.userName}@${d.resource.name}`;

/**
 * Keys on hosts (issue 13, ADR 033): associate (52) puts a key's line into an account's
 * authorized_keys over the resource's remote reset configuration and records it only once a
 * login with the key opens; dissociate (53) takes exactly that key's lines off and forgets the
 * record; delete (26) dissociates first unless told not to. Nothing is left half-done on a host:
 * a line this vault added is taken off again when anything after it fails. The reports (30, 31)
 * are in deployments.reports.ts.
 */
export function createSshKeyDeployments(deps: SshKeyDeploymentsDeps) {
  const ctx = createDeploymentsContext(deps);
  const { db, database, audit, access, clock, hosts, withAccount, refuseBusy, onResource } = ctx;

  /** Takes the key's line off again after a failed association; says what became of it. */
  async function takeOff(
    actor: AuditActor,
    key: SshKeyRow,
    resource: DeploymentResource,
    userName: string,
  ): Promise<string> {
    try {
      const call = await hosts.removeKey(actor, resource, userName, key.public_key);
      return call.result.removed > 0
        ? `the line was removed again from ${fileOf(userName)}`
        : `${fileOf(userName)} does not hold the key`;
    } catch (err) {
      // hostWhy logs what is not a connector's failure (without its message).
      return `removing the line again failed (${ctx.hostWhy(err).message}): ${fileOf(userName)} on resource ${resource.name} may still hold the key`;
    }
  }

  /** Audits a failed association that wrote to the host; never fails the answer itself. */
  async function auditFailure(
    actor: AuditActor,
    resource: DeploymentResource,
    userName: string,
    text: string,
  ): Promise<void> {
    try {
      await db
        .transaction()
        .execute((trx) =>
          audit.append(
            trx,
            actor,
            onResource(AuditOperation.sshKeyAssociationFailed, resource, userName, text),
          ),
        );
    } catch (err) {
      ctx.log(err, 'auditing a failed SSH key association failed');
    }
  }

  /** The record and its audit in one transaction: `gone` when the key or resource was deleted meanwhile. */
  async function record(
    actor: AuditActor,
    key: SshKeyRow,
    resource: DeploymentResource,
    userName: string,
    text: string,
  ): Promise<'recorded' | 'gone' | 'concurrent'> {
    try {
      return await db.transaction().execute(async (trx) => {
        if (!(await repo.lockKey(trx, database.dialect, Number(key.id)))) return 'gone';
        if (await repo.exists(trx, Number(key.id), resource.id, userName)) return 'concurrent';
        await repo.insert(trx, {
          keyId: Number(key.id),
          resourceId: resource.id,
          userName,
          at: clock.now(),
          by: actor.username,
        });
        await audit.append(trx, actor, onResource(AuditOperation.sshKeyAssociated, resource, userName, text));
        return 'recorded';
      });
    } catch (err) {
      if (isForeignKeyViolation(err)) return 'gone';
      if (isUniqueViolation(err)) return 'concurrent';
      throw err;
    }
  }

  /** After the line is on the host: prove it by logging in with the key, then record. */
  async function verifyAndRecord(
    actor: AuditActor,
    key: SshKeyRow,
    resource: DeploymentResource,
    userName: string,
    added: KeyHostCall<AddKeyResult>,
  ): Promise<{ recorded: true } | { recorded: false; why: string; concurrent?: true }> {
    const secrets = await hosts.openKey(Number(key.id));
    if (!secrets)
      return { recorded: false, why: `SSH key ${key.name} was deleted while it was being associated` };
    let opens: boolean;
    try {
      opens = (await hosts.verifyKeyLogin(actor, resource, userName, secrets)).result.outcome === 'opens';
    } catch (err) {
      if (!(err instanceof RemoteChangeFailure)) throw err;
      return {
        recorded: false,
        why: `verifying the key by logging in as ${userName} failed: ${ctx.hostWhy(err).message}`,
      };
    }
    if (!opens) {
      return {
        recorded: false,
        why: `logging in to ${added.where} as ${userName} with the key was refused: the host's sshd does not accept it for this account`,
      };
    }
    const text =
      `${keyText(key)} ${added.result.outcome === 'added' ? 'added to' : 'found already in'} ${fileOf(userName)} ` +
      `on ${added.where}, verified by logging in as ${userName} with the key${credentialsText(added.used)}`;
    const outcome = await record(actor, key, resource, userName, text);
    if (outcome === 'recorded') return { recorded: true };
    if (outcome === 'concurrent') {
      return {
        recorded: false,
        concurrent: true,
        why: `SSH key ${key.name} was associated with ${userName} on resource ${resource.name} by another request meanwhile`,
      };
    }
    return {
      recorded: false,
      why: `SSH key ${key.name} or resource ${resource.name} was deleted while the key was being associated`,
    };
  }

  /**
   * Removes the key's lines from a recorded account and forgets the record (53, and 26 before
   * deleting). An account or home directory the host no longer has holds no key: the record goes.
   * A failure keeps the record and throws KeyOnHostError saying why.
   */
  async function takeOffRecorded(
    actor: AuditActor,
    key: SshKeyRow,
    resource: DeploymentResource,
    userName: string,
  ): Promise<{ removed: number }> {
    let text: string;
    let removed = 0;
    try {
      const call = await hosts.removeKey(actor, resource, userName, key.public_key);
      removed = call.result.removed;
      text =
        removed > 0
          ? `${keyText(key)}: ${removed} line(s) removed from ${fileOf(userName)} on ${call.where}${credentialsText(call.used)}`
          : `${keyText(key)} was not found in ${fileOf(userName)} on ${call.where} (nothing to remove); the record is removed${credentialsText(call.used)}`;
    } catch (err) {
      if (!(err instanceof RemoteChangeFailure)) throw err;
      if (
        err instanceof AuthorizedKeysFailure &&
        (err.problem === 'unknown-account' || err.problem === 'no-home')
      ) {
        text = `${keyText(key)} was not found on the host (${err.message}); the record is removed`;
      } else {
        const { message, mayHaveChanged } = ctx.hostWhy(err);
        throw new KeyOnHostError(
          `${message}; the key is still recorded as associated with ${userName} on resource ${resource.name}` +
            (mayHaveChanged
              ? ' (its line may be gone from the host already: dissociating again completes it)'
              : ''),
        );
      }
    }
    await db.transaction().execute(async (trx) => {
      if (await repo.remove(trx, Number(key.id), resource.id, userName)) {
        await audit.append(
          trx,
          actor,
          onResource(AuditOperation.sshKeyDissociated, resource, userName, text),
        );
      }
    });
    return { removed };
  }

  return {
    ...createDeploymentReports(ctx),

    /** Serialises writers of one account's authorized_keys (for the key rotation). */
    withAccount,

    /** Endpoint 52 (and `bulwark sshkeys associate`). */
    async associate(
      who: SshKeyActor,
      target: DeploymentTarget,
    ): Promise<{ keyName: string; resourceName: string; userName: string; outcome: 'added' | 'present' }> {
      const { key, resource } = await ctx.authorise(who, 'associate', target.keyName, target.resourceName);
      const userName = target.userName.trim();
      await refuseBusy(key);
      const actor = auditActorOf(who);
      const failed = (why: string) => new KeyOnHostError(`Key association failed: ${why}`);
      return withAccount(resource.id, userName, async () => {
        if (await repo.exists(db, Number(key.id), resource.id, userName)) {
          throw new ConflictError(
            `SSH key ${key.name} is already associated with ${userName} on resource ${resource.name}`,
          );
        }
        let added: KeyHostCall<AddKeyResult>;
        try {
          added = await hosts.addKey(actor, resource, userName, key.public_key);
        } catch (err) {
          if (!(err instanceof RemoteChangeFailure)) throw err;
          const { message, mayHaveChanged } = ctx.hostWhy(err);
          if (!mayHaveChanged) throw failed(`${message}; nothing was changed on the host`);
          // The key was sent and the answer never came: whether it was there before is unknown,
          // and the vault holds no record of it on this account, so the line is taken off.
          const undo = await takeOff(actor, key, resource, userName);
          await auditFailure(
            actor,
            resource,
            userName,
            `${keyText(key)}: adding it failed (${message}); ${undo}`,
          );
          throw failed(`${message}; ${undo}`);
        }
        const ours = added.result.outcome === 'added';
        let outcome: Awaited<ReturnType<typeof verifyAndRecord>>;
        try {
          outcome = await verifyAndRecord(actor, key, resource, userName, added);
        } catch (err) {
          // A fault of the server itself (database, a bug): the line it added still goes.
          if (ours) await takeOff(actor, key, resource, userName);
          throw err;
        }
        if (outcome.recorded) {
          return { keyName: key.name, resourceName: resource.name, userName, outcome: added.result.outcome };
        }
        // Recorded by a concurrent request: the line is its line now.
        if (outcome.concurrent) throw new ConflictError(outcome.why);
        const undo = ours
          ? await takeOff(actor, key, resource, userName)
          : `the line was in ${fileOf(userName)} before and is left as it was`;
        if (ours) await auditFailure(actor, resource, userName, `${keyText(key)}: ${outcome.why}; ${undo}`);
        throw failed(`${outcome.why}; ${undo}`);
      });
    },

    /** Endpoint 53 (and `bulwark sshkeys dissociate`). */
    async dissociate(who: SshKeyActor, target: DeploymentTarget): Promise<{ removed: number }> {
      const { key, resource } = await ctx.authorise(who, 'dissociate', target.keyName, target.resourceName);
      const userName = target.userName.trim();
      await refuseBusy(key);
      return withAccount(resource.id, userName, async () => {
        if (!(await repo.exists(db, Number(key.id), resource.id, userName))) {
          throw new NotFoundError(
            `SSH key ${key.name} is not associated with ${userName} on resource ${resource.name}: nothing was changed on the host`,
          );
        }
        try {
          return await takeOffRecorded(auditActorOf(who), key, resource, userName);
        } catch (err) {
          if (err instanceof KeyOnHostError)
            throw new KeyOnHostError(`Key dissociation failed: ${err.message}`);
          throw err;
        }
      });
    },

    /**
     * Endpoint 26 (and `bulwark sshkeys delete`): needs full access to the key. By default the
     * key is dissociated from every recorded host first (each as 53 does, which needs full
     * access to each resource); if any removal fails the key stays, and the answer names where
     * it still is. `withoutDissociation` deletes the key and its records, leaving hosts as they
     * are (audited, naming them).
     */
    async deleteKey(
      who: SshKeyActor,
      name: string,
      withoutDissociation: boolean,
    ): Promise<{ key: SshKeyView; dissociated: string[]; left: string[]; hiddenLeft: number }> {
      refuseApplications(who, 'delete SSH keys');
      const { row, permission } = await visibleKey(access, db, who, name);
      if (!allows(permission, 'full')) {
        throw new NotPermittedError(
          `You are not allowed to delete SSH key ${row.name}: it needs full access`,
        );
      }
      await refuseBusy(row);
      const actor = auditActorOf(who);
      const gone = () => new NotFoundError(`SSH key ${name} does not exist`);

      if (withoutDissociation) {
        const left = await db.transaction().execute(async (trx) => {
          if (!(await repo.lockKey(trx, database.dialect, Number(row.id)))) throw gone();
          const deployed = await repo.ofKey(trx, Number(row.id));
          await repo.removeAllOf(trx, Number(row.id));
          await keys.remove(trx, row.id);
          const where = deployed.map((d) => `${label(d)} (${d.resource.dnsName ?? 'no DNS name'})`);
          await audit.append(
            trx,
            actor,
            eventOnSshKey(
              AuditOperation.sshKeyDeleted,
              row.name,
              deployed.length > 0
                ? `${keyText(row)} deleted without dissociation; left in authorized_keys of ${where.join(', ')}`
                : undefined,
            ),
          );
          return deployed;
        });
        // The answer names the hosts the caller can see; the audit names them all.
        const shown: string[] = [];
        for (const d of left)
          if ((await ctx.resourceGrant(db, who, d.resource)).visible) shown.push(label(d));
        return { key: viewOf(row), dissociated: [], left: shown, hiddenLeft: left.length - shown.length };
      }

      const deployed = await repo.ofKey(db, Number(row.id));
      const unreachable: string[] = [];
      let hidden = 0;
      for (const d of deployed) {
        const grant = await ctx.resourceGrant(db, who, d.resource);
        if (!grant.visible) hidden += 1;
        else if (!allows(grant.permission, 'full')) unreachable.push(label(d));
      }
      if (unreachable.length > 0 || hidden > 0) {
        const named = [...unreachable, ...(hidden > 0 ? [`${hidden} on resources you cannot see`] : [])];
        throw new NotPermittedError(
          `SSH key ${row.name} was not deleted: dissociating it needs full access to each resource it is associated with, ` +
            `and you lack it for ${named.join(', ')}; nothing was changed. Delete it with withoutDisassociation to leave those hosts as they are`,
        );
      }
      const dissociated: string[] = [];
      const failures: string[] = [];
      for (const d of deployed) {
        try {
          await withAccount(d.resource.id, d.userName, () =>
            takeOffRecorded(actor, row, d.resource, d.userName),
          );
          dissociated.push(label(d));
        } catch (err) {
          if (!(err instanceof DomainError)) throw err;
          failures.push(`${label(d)} (${err.message})`);
        }
      }
      if (failures.length > 0) {
        throw new KeyOnHostError(
          `SSH key ${row.name} was not deleted: removing it failed on ${failures.join('; ')}, which still have it` +
            (dissociated.length > 0 ? `; it was removed from ${dissociated.join(', ')}` : ''),
        );
      }
      return db.transaction().execute(async (trx) => {
        if (!(await repo.lockKey(trx, database.dialect, Number(row.id)))) throw gone();
        const late = await repo.ofKey(trx, Number(row.id));
        if (late.length > 0) {
          throw new ConflictError(
            `SSH key ${row.name} was not deleted: it was associated with ${late.map(label).join(', ')} meanwhile`,
          );
        }
        await keys.remove(trx, row.id);
        await audit.append(
          trx,
          actor,
          eventOnSshKey(
            AuditOperation.sshKeyDeleted,
            row.name,
            dissociated.length > 0 ? `dissociated first from ${dissociated.join(', ')}` : undefined,
          ),
        );
        return { key: viewOf(row), dissociated, left: [], hiddenLeft: 0 };
      });
    },
  };
}
