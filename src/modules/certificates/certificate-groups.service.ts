import type { Clock } from '../../platform/clock.js';
import type { Database, Executor } from '../../platform/db/database.js';
import { isUniqueViolation } from '../../platform/db/errors.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../../platform/errors.js';
import type { Caller } from '../../platform/principal.js';
import { broadest, type AccessPolicy } from '../access/index.js';
import { actorOf, AuditOperation, type AuditService } from '../audit/index.js';
import { nameKey } from '../vault/index.js';
import {
  certificateGroupsRepository as repo,
  type CertificateGroupRow,
} from './certificate-groups.repository.js';
import type {
  CertificateGroupInput,
  CertificateGroupListing,
  CertificateGroupView,
} from './certificate-groups.types.js';
import type { CertificateActor } from './certificates.service.js';
import {
  eventOnCertificateGroup,
  managedGroup,
  managedGroupRef,
  refuseApplications,
} from './certificate-shares.service.js';

export interface CertificateGroupsDeps {
  readonly database: Database;
  readonly audit: AuditService;
  readonly access: AccessPolicy;
  readonly clock: Clock;
}

/** What editCertificateGroup (75) changes: the group by its name or id, the fields given. */
export interface CertificateGroupEdit extends Partial<CertificateGroupInput> {
  readonly group: string | { readonly id: number };
  /** Certificates to add to (or remove from) the members, the others kept (the console's). */
  readonly addCertificateIds?: readonly number[];
  readonly removeCertificateIds?: readonly number[];
}

export type CertificateGroups = ReturnType<typeof createCertificateGroups>;

/**
 * Certificate groups (endpoints 73-75, ADR 040): a named set of certificates of the repository,
 * shared as a whole (certificate-shares.service.ts). Anyone but an application may create one,
 * with certificates they can see; its owner (the creator) or a super administrator edits and
 * deletes it. A group gives nothing by itself: a share of it confers on each member at most what
 * the sharer and whoever added the member hold on it. Every change is audited.
 */
export function createCertificateGroups({ database, audit, access, clock }: CertificateGroupsDeps) {
  const db = database.db;

  /**
   * The ids of ssl_details, each a certificate the caller can see; unknown or invisible ids are
   * refused naming them (the same words, so invisible certificates stay unknown).
   */
  async function checkMembers(executor: Executor, caller: Caller, ids: readonly number[]): Promise<number[]> {
    const unique = [...new Set(ids)];
    const rows = await repo.certificatesById(executor, unique);
    const byId = new Map(rows.map((r) => [Number(r.id), r]));
    const missing: number[] = [];
    for (const id of unique) {
      const row = byId.get(id);
      const permission = row
        ? await access.certificatePermission(executor, caller.principal, {
            id,
            ownerId: Number(row.owner_id),
          })
        : 'none';
      if (permission === 'none') missing.push(id);
    }
    if (missing.length > 0) {
      throw new NotFoundError(
        `${missing.length === 1 ? 'Certificate with ID' : 'Certificates with IDs'} ${missing.join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist`,
      );
    }
    return unique.sort((a, b) => a - b);
  }

  async function viewOf(executor: Executor, row: CertificateGroupRow): Promise<CertificateGroupView> {
    return {
      id: Number(row.id),
      name: row.name,
      description: row.description,
      mail: row.mail,
      ownerId: Number(row.owner_id),
      createdBy: row.created_by,
      createdAt: Number(row.created_at),
      modifiedAt: Number(row.modified_at),
      certificateIds: await repo.memberIds(executor, Number(row.id)),
    };
  }

  const taken = (name: string) => new ConflictError(`A certificate group named ${name} already exists`);

  return {
    /**
     * The groups the actor owns or that are shared to them (directly or through a user group);
     * super administrators and the local operator: every group. Members are listed when the
     * actor can see them (a group share reaches no certificate beyond its bounds, ADR 040).
     */
    async list(who: CertificateActor): Promise<CertificateGroupListing[]> {
      refuseApplications(who, 'list certificate groups');
      const caller = 'operator' in who ? undefined : who;
      const all = caller === undefined || caller.principal.isSuperAdmin;
      const userId = caller?.principal.userId;
      const rows = await repo.listed(db, all ? undefined : userId);
      const ids = rows.map((r) => Number(r.id));
      const shares = all || userId === undefined ? [] : await repo.sharesReaching(db, ids, userId);
      const members = await repo.membersOf(db, ids);
      const scope =
        caller === undefined ? { kind: 'all' as const } : access.certificateScope(caller.principal);
      const visible =
        scope.kind === 'all'
          ? undefined
          : new Set((await scope.certificateIds(db).execute()).map((r) => Number(r.id)));
      return rows.map((row) => {
        const id = Number(row.id);
        const mine = Number(row.owner_id) === userId;
        const permission = broadest(
          ...shares.filter((s) => Number(s.certificate_group_id) === id).map((s) => s.permission),
        );
        return {
          id,
          name: row.name,
          description: row.description,
          mail: row.mail,
          owner: row.owner_name,
          access: all ? 'all' : mine ? 'owner' : permission === 'none' ? 'view' : permission,
          createdAt: Number(row.created_at),
          modifiedAt: Number(row.modified_at),
          members: members
            .filter((m) => Number(m.group_id) === id && (!visible || visible.has(Number(m.id))))
            .map((m) => ({
              id: Number(m.id),
              commonName: m.common_name,
              serial: m.serial,
              notAfter: Number(m.not_after),
            })),
        };
      });
    },

    /** Endpoint 73. */
    async create(caller: Caller, input: CertificateGroupInput): Promise<CertificateGroupView> {
      refuseApplications(caller, 'create certificate groups');
      try {
        return await db.transaction().execute(async (trx) => {
          if (await repo.byNameKey(trx, nameKey(input.name))) throw taken(input.name);
          const members = await checkMembers(trx, caller, input.certificateIds ?? []);
          const now = clock.now();
          const id = await repo.insert(trx, {
            name: input.name,
            name_key: nameKey(input.name),
            description: input.description ?? null,
            mail: input.mail ?? null,
            owner_id: caller.principal.userId,
            created_by: caller.principal.username,
            created_at: now,
            modified_at: now,
          });
          await repo.addMembers(trx, id, members, caller.principal.userId, now);
          await audit.append(
            trx,
            actorOf(caller),
            eventOnCertificateGroup(
              AuditOperation.certificateGroupCreated,
              input.name,
              `certificates: ${members.length === 0 ? 'none' : members.join(', ')}`,
            ),
          );
          const row = await repo.byNameKey(trx, nameKey(input.name));
          return viewOf(trx, row!);
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw taken(input.name);
        throw err;
      }
    },

    /**
     * Endpoint 75: renames (`newName`) and changes what is given; `certificateIds` replaces the
     * member set (members kept keep who added them).
     */
    async edit(caller: Caller, edit: CertificateGroupEdit): Promise<CertificateGroupView> {
      refuseApplications(caller, 'edit certificate groups');
      try {
        return await db.transaction().execute(async (trx) => {
          const row = await managedGroupRef(trx, caller, edit.group, 'edit it');
          const id = Number(row.id);
          const changes: string[] = [];
          const now = clock.now();
          const rename = edit.name !== undefined && edit.name !== row.name ? edit.name : undefined;
          if (rename !== undefined) {
            const other = await repo.byNameKey(trx, nameKey(rename));
            if (other && Number(other.id) !== id) throw taken(rename);
            changes.push(`renamed from ${row.name}`);
          }
          if (edit.description !== undefined) changes.push('description');
          if (edit.mail !== undefined) changes.push('mail');
          if (edit.certificateIds !== undefined || edit.addCertificateIds || edit.removeCertificateIds) {
            const present = await repo.memberIds(trx, id);
            // Adding or removing some keeps the members the caller cannot see (a super
            // administrator may have added them); only the certificates added must be visible.
            const wanted =
              edit.certificateIds !== undefined
                ? await checkMembers(trx, caller, edit.certificateIds)
                : [
                    ...new Set([
                      ...present,
                      ...(await checkMembers(trx, caller, edit.addCertificateIds ?? [])),
                    ]),
                  ]
                    .filter((m) => !(edit.removeCertificateIds ?? []).includes(m))
                    .sort((a, b) => a - b);
            const added = wanted.filter((m) => !present.includes(m));
            const removed = present.filter((m) => !wanted.includes(m));
            await repo.removeMembers(trx, id, removed);
            await repo.addMembers(trx, id, added, caller.principal.userId, now);
            if (added.length > 0) changes.push(`certificates added: ${added.join(', ')}`);
            if (removed.length > 0) changes.push(`certificates removed: ${removed.join(', ')}`);
          }
          if (changes.length === 0)
            throw new InvalidInputError(
              'Nothing to change: give a new name, description, mail or ssl_details',
            );
          await repo.update(trx, id, {
            ...(rename !== undefined ? { name: rename, name_key: nameKey(rename) } : {}),
            ...(edit.description !== undefined ? { description: edit.description } : {}),
            ...(edit.mail !== undefined ? { mail: edit.mail } : {}),
            modified_at: now,
          });
          const name = rename ?? row.name;
          await audit.append(
            trx,
            actorOf(caller),
            eventOnCertificateGroup(AuditOperation.certificateGroupModified, name, changes.join('; ')),
          );
          return viewOf(trx, (await repo.byNameKey(trx, nameKey(name)))!);
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw taken(edit.name ?? 'that name');
        throw err;
      }
    },

    /** Endpoint 74: the group, its members list and its shares (the certificates stay). */
    async remove(caller: Caller, group: string | { readonly id: number }): Promise<CertificateGroupView> {
      refuseApplications(caller, 'delete certificate groups');
      return db.transaction().execute(async (trx) => {
        const row = await managedGroupRef(trx, caller, group, 'delete it');
        const view = await viewOf(trx, row);
        await repo.remove(trx, view.id);
        await audit.append(
          trx,
          actorOf(caller),
          eventOnCertificateGroup(
            AuditOperation.certificateGroupDeleted,
            row.name,
            `certificates: ${view.certificateIds.length === 0 ? 'none' : view.certificateIds.join(', ')}`,
          ),
        );
        return view;
      });
    },

    /** A group by name for whoever may manage it (tests, CLI). */
    async get(caller: Caller, name: string): Promise<CertificateGroupView> {
      refuseApplications(caller, 'read certificate groups');
      return viewOf(db, await managedGroup(db, caller, name, 'read it'));
    },
  };
}
