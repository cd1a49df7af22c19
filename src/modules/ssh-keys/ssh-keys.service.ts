import type { Clock } from '../../platform/clock.js';
import type { Database, Executor } from '../../platform/db/database.js';
import type { SharePermission } from '../../platform/db/schema.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { ConflictError, InvalidInputError, NotFoundError, NotPermittedError } from '../../platform/errors.js';
import type { Caller } from '../../platform/principal.js';
import { type AccessPolicy, type Permission } from '../access/index.js';
import { actorOf, AuditOperation, type AuditActor, type AuditService } from '../audit/index.js';
import { eventOnSshKey, nameKey, sshKeyMaterial, type SshKeyToRelease } from '../vault/index.js';
import { CREATE_LENGTHS, generateKeyPair, importPrivateKey, type SshKeyPair } from './key-material.js';
import { sshKeysRepository as repo, type SshKeyRow } from './ssh-keys.repository.js';
import type { CreateSshKeyInput, ImportSshKeyInput, SshKeyView } from './ssh-keys.types.js';

export interface SshKeysServiceDeps {
  readonly database: Database;
  readonly keyring: Keyring;
  readonly audit: AuditService;
  readonly access: AccessPolicy;
  readonly clock: Clock;
  /** The release gate's door for key material (the vault's `releaseSshKey`, ADR 018, 031). */
  readonly release: (caller: Caller, kind: 'sshPrivateKey', key: SshKeyToRelease) => Promise<Buffer>;
  /** The same door for the local operator of the CLI (`releaseSshKeyToOperator`). */
  readonly releaseToOperator: (
    operator: AuditActor,
    kind: 'sshPrivateKey',
    key: SshKeyToRelease,
  ) => Promise<Buffer>;
}

/**
 * Who acts on a key: an API caller, authorised on each key, or the local operator of the CLI
 * (`bulwark sshkeys`), who holds the data directory and its master key and is trusted like
 * `rotate-master-key`; the operator is audited under their operating-system name.
 */
export type SshKeyActor = Caller | { readonly operator: AuditActor };

export const isOperator = (who: SshKeyActor): who is { readonly operator: AuditActor } => 'operator' in who;
export const auditActorOf = (who: SshKeyActor): AuditActor => (isOperator(who) ? who.operator : actorOf(who));

/** Applications (A2A) are refused every key operation (ADR 031). */
export function refuseApplications(who: SshKeyActor, what: string): void {
  if (isOperator(who)) return;
  const application = who.principal.application;
  if (application)
    throw new NotPermittedError(`The application ${application.name} is not allowed to ${what}`);
}

/**
 * The key by name with the actor's grant (the operator holds full access to every key); a key
 * the caller may not see is a missing one.
 */
export async function visibleKey(
  access: AccessPolicy,
  executor: Executor,
  who: SshKeyActor,
  name: string,
): Promise<{ row: SshKeyRow; permission: Permission }> {
  const row = await repo.findByName(executor, nameKey(name));
  const permission = !row
    ? 'none'
    : isOperator(who)
      ? 'full'
      : await access.sshKeyPermission(executor, who.principal, { id: row.id, ownerId: row.owner_id });
  if (!row || permission === 'none') throw new NotFoundError(`SSH key ${name} does not exist`);
  return { row, permission };
}

export type SshKeysService = ReturnType<typeof createSshKeysService>;

/** Who a share names: a user or a user group, by name. */
export type ShareGrantee = { readonly userName: string } | { readonly groupName: string };

/**
 * The SSH key store (issue 13, ADR 031): keys created or imported, kept sealed, listed, exported
 * through the release gate and shared. Deleting (26) lives with the deployments
 * (deployments.service.ts), as it dissociates the key from its hosts first. The creator owns a
 * key; super administrators see every key; shares add view, modify or full access, decided by the
 * access policy. A key the caller may not see answers exactly like a missing one.
 */
export function createSshKeysService(deps: SshKeysServiceDeps) {
  const { database, keyring, audit, access, clock, release, releaseToOperator } = deps;
  const db = database.db;

  const visible = (executor: Executor, who: SshKeyActor, name: string) =>
    visibleKey(access, executor, who, name);

  /** Stores a pair: row, then its sealed material bound to the row, and the audit, in one transaction. */
  async function store(
    who: SshKeyActor,
    name: string,
    pair: SshKeyPair,
    passphrase: string | undefined,
    origin: 'created' | 'imported',
    ownerName: string | undefined,
  ): Promise<SshKeyView> {
    return db.transaction().execute(async (trx) => {
      if (await repo.findByName(trx, nameKey(name))) {
        throw new ConflictError(`An SSH key named ${name} already exists`);
      }
      const owner = await ownerOf(trx, who, ownerName);
      const now = clock.now();
      const id = await repo.insert(trx, {
        name: name.normalize('NFC').trim(),
        name_key: nameKey(name),
        key_type: pair.type,
        bits: pair.bits,
        fingerprint: pair.fingerprint,
        public_key: pair.publicKey,
        comment: pair.comment,
        private_key_sealed: null,
        passphrase_sealed: null,
        origin,
        owner_id: owner.id,
        created_by: owner.username,
        created_at: now,
      });
      await repo.setSealed(
        trx,
        id,
        keyring.seal(pair.privateKey, sshKeyMaterial.privateKey(id)),
        passphrase ? keyring.seal(passphrase, sshKeyMaterial.passphrase(id)) : null,
      );
      await audit.append(
        trx,
        auditActorOf(who),
        eventOnSshKey(
          origin === 'created' ? AuditOperation.sshKeyCreated : AuditOperation.sshKeyImported,
          name,
          `${pair.type} ${pair.bits} ${pair.fingerprint}`,
        ),
      );
      const row = await repo.findByName(trx, nameKey(name));
      return viewOf(row!);
    });
  }

  /**
   * Who owns a new key: the API caller; for the operator, the user named (`--owner`), who must
   * exist, as the key needs an owner to be shared and seen by anyone but super administrators.
   */
  async function ownerOf(
    executor: Executor,
    who: SshKeyActor,
    ownerName: string | undefined,
  ): Promise<{ id: number; username: string }> {
    if (!isOperator(who)) return { id: who.principal.userId, username: who.principal.username };
    if (ownerName === undefined) throw new InvalidInputError('Name the user who will own the key');
    const user = await repo.findUser(executor, nameKey(ownerName));
    if (!user) throw new NotFoundError(`User ${ownerName} does not exist`);
    return { id: Number(user.id), username: user.username };
  }

  return {
    /** Endpoint 25 (and `bulwark sshkeys create`, with the owner named). */
    async create(who: SshKeyActor, input: CreateSshKeyInput, ownerName?: string): Promise<SshKeyView> {
      refuseApplications(who, 'create SSH keys');
      const lengths = CREATE_LENGTHS[input.type];
      const bits = input.bits ?? (input.type === 'ssh-rsa' ? 2048 : lengths[0]!);
      if (!lengths.includes(bits)) {
        throw new InvalidInputError(
          input.type === 'ed25519'
            ? `An ed25519 key has no length to choose; got length ${bits}`
            : `A ${input.type} key can be ${lengths.join(', ')} bits long; got ${bits}`,
        );
      }
      const pair = generateKeyPair(input.type, bits, input.comment ?? '', input.passphrase);
      return store(who, input.name, pair, input.passphrase, 'created', ownerName);
    },

    /** Endpoint 51 (and `bulwark sshkeys import`). */
    async import(who: SshKeyActor, input: ImportSshKeyInput, ownerName?: string): Promise<SshKeyView> {
      refuseApplications(who, 'import SSH keys');
      const pair = importPrivateKey(input.keyText, input.passphrase, input.comment);
      return store(who, input.name, pair, input.passphrase, 'imported', ownerName);
    },

    /** Endpoint 27: every key the caller may see (the operator: every key). */
    async list(who: SshKeyActor): Promise<SshKeyView[]> {
      const scope = isOperator(who) ? ({ kind: 'all' } as const) : access.sshKeyScope(who.principal);
      return (await repo.list(db, scope)).map(viewOf);
    },

    /** Endpoint 28: one key, without key material. */
    async get(who: SshKeyActor, name: string): Promise<SshKeyView> {
      return viewOf((await visible(db, who, name)).row);
    },

    /**
     * One key by id (the console addresses keys by id), with the same check as by name: a key the
     * caller may not see answers exactly like a missing one.
     */
    async getById(who: SshKeyActor, id: number): Promise<SshKeyView> {
      const row = await repo.byId(db, id);
      const permission = !row
        ? 'none'
        : isOperator(who)
          ? 'full'
          : await access.sshKeyPermission(db, who.principal, { id: row.id, ownerId: row.owner_id });
      if (!row || permission === 'none') throw new NotFoundError(`SSH key with ID ${id} does not exist`);
      return viewOf(row);
    },

    /** Endpoint 29: the private key file, through the release gate (audited before it leaves). */
    async export(who: SshKeyActor, name: string): Promise<{ view: SshKeyView; privateKey: Buffer }> {
      const { row } = await visible(db, who, name);
      const key = {
        id: row.id,
        name: row.name,
        ownerId: row.owner_id,
        privateKeySealed: row.private_key_sealed,
      };
      const privateKey = isOperator(who)
        ? await releaseToOperator(who.operator, 'sshPrivateKey', key)
        : await release(who, 'sshPrivateKey', key);
      return { view: viewOf(row), privateKey };
    },

    /**
     * Shares a key to a user or a user group, or revokes the share (`permission` undefined).
     * Only the key's owner or a super administrator may share: both hold full access for as
     * long as they are, so no share gives more than its granter holds (ADR 031).
     */
    async share(
      caller: Caller,
      name: string,
      grantee: ShareGrantee,
      permission: SharePermission | undefined,
    ): Promise<{ key: string; grantee: string; shared: boolean }> {
      refuseApplications(caller, 'share SSH keys');
      return db.transaction().execute(async (trx) => {
        const { row } = await visible(trx, caller, name);
        if (!caller.principal.isSuperAdmin && caller.principal.userId !== row.owner_id) {
          throw new NotPermittedError(
            `Only the owner of SSH key ${row.name} or a super administrator may share it`,
          );
        }
        let target: { user_id: number | null; group_id: number | null };
        let label: string;
        if ('userName' in grantee) {
          const user = await repo.findUser(trx, nameKey(grantee.userName));
          if (!user) throw new NotFoundError(`User ${grantee.userName} does not exist`);
          if (user.id === row.owner_id)
            throw new InvalidInputError(`User ${user.username} owns SSH key ${row.name}`);
          target = { user_id: user.id, group_id: null };
          label = `user ${user.username}`;
        } else {
          const group = await repo.findGroup(trx, nameKey(grantee.groupName));
          if (!group) throw new NotFoundError(`User group ${grantee.groupName} does not exist`);
          target = { user_id: null, group_id: group.id };
          label = `user group ${group.name}`;
        }
        if (permission === undefined) {
          if (!(await repo.revoke(trx, row.id, target))) {
            throw new NotFoundError(`SSH key ${row.name} is not shared to ${label}`);
          }
          await audit.append(
            trx,
            actorOf(caller),
            eventOnSshKey(AuditOperation.sshKeyShareRevoked, row.name, label),
          );
          return { key: row.name, grantee: label, shared: false };
        }
        await repo.share(trx, row.id, target, permission, caller.principal.userId, clock.now());
        await audit.append(
          trx,
          actorOf(caller),
          eventOnSshKey(AuditOperation.sshKeyShared, row.name, `${label}: ${permission}`),
        );
        return { key: row.name, grantee: label, shared: true };
      });
    },
  };
}

export function viewOf(row: SshKeyRow): SshKeyView {
  return {
    id: Number(row.id),
    name: row.name,
    type: row.key_type,
    bits: Number(row.bits),
    fingerprint: row.fingerprint,
    publicKey: row.public_key,
    comment: row.comment,
    hasPassphrase: row.passphrase_sealed !== null,
    ownerId: Number(row.owner_id),
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
    origin: row.origin,
  };
}
