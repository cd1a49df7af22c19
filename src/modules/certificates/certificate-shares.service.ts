import type { Clock } from '../../platform/clock.js';
import type { Database, Executor } from '../../platform/db/database.js';
import type { SharePermission } from '../../platform/db/schema.js';
import { ConflictError, InvalidInputError, NotFoundError, NotPermittedError } from '../../platform/errors.js';
import type { Caller } from '../../platform/principal.js';
import { allows, broadest, certificateGrants, type AccessPolicy, type Permission } from '../access/index.js';
import {
  actorOf,
  AuditOperation,
  type AuditActor,
  type AuditEvent,
  type AuditService,
} from '../audit/index.js';
import { eventOnCertificate, nameKey } from '../vault/index.js';
import {
  certificateGroupsRepository as groups,
  type CertificateGroupRow,
  type GranteeRow,
} from './certificate-groups.repository.js';
import type { ShareChange, ShareGrantee } from './certificate-groups.types.js';
import { certificatesRepository as certificates, type CertificateRow } from './certificates.repository.js';
import { normalSerial, type CertificateActor } from './certificates.service.js';
import type { CertificateRef } from './certificates.types.js';

export interface CertificateSharesDeps {
  readonly database: Database;
  readonly audit: AuditService;
  readonly access: AccessPolicy;
  readonly clock: Clock;
}

const isOperator = (who: CertificateActor): who is { readonly operator: AuditActor } => 'operator' in who;

/** Applications (A2A) are refused every certificate operation (ADR 036); the CLI operator is not one. */
export function refuseApplications(who: CertificateActor, what: string): void {
  if (isOperator(who)) return;
  const application = who.principal.application;
  if (application)
    throw new NotPermittedError(`The application ${application.name} is not allowed to ${what}`);
}

/** A resolved grantee: its row ids, its name for messages and audit, the user id when a user. */
interface Grantee extends GranteeRow {
  readonly label: string;
  readonly userName: string | null;
}

/** Resolves a grantee by id or name; NotFound saying which when there is none. */
export async function resolveGrantee(db: Executor, grantee: ShareGrantee): Promise<Grantee> {
  if (grantee.kind === 'user') {
    const user =
      'id' in grantee
        ? await groups.userById(db, grantee.id)
        : await groups.userByKey(db, nameKey(grantee.name));
    if (!user) {
      throw new NotFoundError(
        'id' in grantee ? `User with ID ${grantee.id} does not exist` : `User ${grantee.name} does not exist`,
      );
    }
    const id = Number(user.id);
    return { user_id: id, group_id: null, label: `user ${user.username}`, userName: user.username };
  }
  const group =
    'id' in grantee
      ? await groups.userGroupById(db, grantee.id)
      : await groups.userGroupByKey(db, nameKey(grantee.name));
  if (!group) {
    throw new NotFoundError(
      'id' in grantee
        ? `User group with ID ${grantee.id} does not exist`
        : `User group ${grantee.name} does not exist`,
    );
  }
  return { user_id: null, group_id: Number(group.id), label: `user group ${group.name}`, userName: null };
}

/** An audit record of a certificate group (type Resource, as certificates and SSH keys are). */
export function eventOnCertificateGroup(operation: string, name: string, note: string | null): AuditEvent {
  return {
    auditType: 'Resource',
    operation,
    resourceId: null,
    resourceName: `Certificate group ${name}`,
    accountId: null,
    accountName: null,
    reason: note,
    ticketId: null,
  };
}

/**
 * The group by name, for whoever may manage it (its owner or a super administrator). Anyone else
 * is told it does not exist, unless it is shared to them: then that they may not `what`.
 */
export async function managedGroup(
  db: Executor,
  caller: Caller,
  name: string,
  what: string,
): Promise<CertificateGroupRow> {
  const row = await groups.byNameKey(db, nameKey(name));
  if (!row) throw new NotFoundError(`Certificate group ${name} does not exist`);
  const { principal } = caller;
  if (principal.isSuperAdmin || Number(row.owner_id) === principal.userId) return row;
  const shared = await db
    .selectFrom('certificate_group_shares')
    .select('id')
    .where('certificate_group_id', '=', row.id)
    .where((eb) =>
      eb.or([
        eb('user_id', '=', principal.userId),
        eb(
          'group_id',
          'in',
          db.selectFrom('user_group_members').select('group_id').where('user_id', '=', principal.userId),
        ),
      ]),
    )
    .executeTakeFirst();
  if (!shared) throw new NotFoundError(`Certificate group ${name} does not exist`);
  throw new NotPermittedError(
    `Only the owner of certificate group ${row.name} or a super administrator may ${what}`,
  );
}

/**
 * managedGroup for a group named by its name or by its id (the console's and editCertificateGroup's
 * group_id). By id, a group the caller may not see is missing by that id: its name stays unknown.
 */
export async function managedGroupRef(
  db: Executor,
  caller: Caller,
  group: string | { readonly id: number },
  what: string,
): Promise<CertificateGroupRow> {
  if (typeof group === 'string') return managedGroup(db, caller, group, what);
  const missing = () => new NotFoundError(`Certificate group with ID ${group.id} does not exist`);
  const row = await groups.byId(db, group.id);
  if (!row) throw missing();
  try {
    return await managedGroup(db, caller, row.name, what);
  } catch (err) {
    if (err instanceof NotFoundError) throw missing();
    throw err;
  }
}

const auditActor = (who: CertificateActor): AuditActor => (isOperator(who) ? who.operator : actorOf(who));

/** One share of a certificate as `sharesOf` lists it. */
export interface CertificateShareView {
  readonly grantee: string;
  readonly kind: 'user' | 'group';
  readonly permission: SharePermission;
  readonly grantedAt: number;
}

export type CertificateShares = ReturnType<typeof createCertificateShares>;

/**
 * Sharing certificates and certificate groups to users and user groups, and revoking (endpoints
 * 65-72, ADR 040), with the rules of resource sharing (ADR 008, 019):
 * - a certificate is shared by whoever holds full access to it (owner, super administrator, a
 *   full share), at any level up to full: no share gives more than its granter holds, and a
 *   view or modify grantee may not share it onward at all;
 * - a certificate group is shared by its owner or a super administrator; what the share confers
 *   on each certificate is bounded live by what the sharer and whoever put it in the group hold
 *   on it (access/certificate-grants.ts), so members added later are covered and nothing widens;
 * - a grant replaces the grantee's previous one; revoke removes it, saying so when there is none.
 * Every change is audited in its transaction; applications are refused.
 */
export function createCertificateShares({ database, audit, access, clock }: CertificateSharesDeps) {
  const db = database.db;

  /** The one certificate the selector names among those the caller sees, with the caller's grant. */
  async function visibleCertificate(
    executor: Executor,
    who: CertificateActor,
    selector: CertificateRef,
  ): Promise<{ row: CertificateRow; permission: Permission }> {
    const scope = isOperator(who) ? { kind: 'all' as const } : access.certificateScope(who.principal);
    let row: CertificateRow | undefined;
    if ('id' in selector) {
      // The console names certificates by the id it listed; the PKI API by common name and serial.
      row = await certificates.byId(executor, scope, selector.id);
      if (!row) throw new NotFoundError(`Certificate with ID ${selector.id} does not exist`);
    } else {
      const rows = await certificates.byName(executor, scope, nameKey(selector.commonName));
      const wanted = selector.serial === undefined ? undefined : normalSerial(selector.serial);
      const matching = wanted === undefined ? rows : rows.filter((r) => normalSerial(r.serial) === wanted);
      const named = `${selector.commonName}${selector.serial ? ` with serial number ${selector.serial}` : ''}`;
      if (matching.length === 0) throw new NotFoundError(`Certificate ${named} does not exist`);
      if (matching.length > 1) {
        throw new InvalidInputError(
          `${matching.length} certificates are named ${selector.commonName}: give serial_number to choose one`,
        );
      }
      row = matching[0]!;
    }
    // The local operator holds the data directory and its master key: full access, as in `certs delete`.
    if (isOperator(who)) return { row, permission: 'full' };
    const permission = await access.certificatePermission(executor, who.principal, {
      id: Number(row.id),
      ownerId: Number(row.owner_id),
    });
    return { row, permission };
  }

  function refuseSelf(who: CertificateActor, grantee: Grantee): void {
    if (!isOperator(who) && grantee.user_id === who.principal.userId) {
      throw new InvalidInputError('You cannot share to yourself');
    }
  }

  return {
    /** Endpoints 65, 66 (grant) and 69, 70 (revoke): one certificate to a user or a user group. */
    async certificate(
      who: CertificateActor,
      selector: CertificateRef,
      target: ShareGrantee,
      change: ShareChange,
    ): Promise<{ certificate: string; grantee: string }> {
      refuseApplications(who, 'revoke' in change ? 'revoke certificate shares' : 'share certificates');
      return db.transaction().execute(async (trx) => {
        const { row, permission: held } = await visibleCertificate(trx, who, selector);
        const id = Number(row.id);
        // Only independent grants share onward (ADR 040): a direct share made on a grant that a
        // certificate-group share confers would outlive that share and its sharer's access.
        const permission =
          isOperator(who) || who.principal.isSuperAdmin || Number(row.owner_id) === who.principal.userId
            ? held
            : broadest(...(await certificateGrants.direct(trx, who.principal.userId, id)));
        const grantee = await resolveGrantee(trx, target);
        const view = { commonName: row.common_name, serial: row.serial };
        if (!allows(permission, 'full')) {
          throw new NotPermittedError(
            `You may not ${'revoke' in change ? 'revoke shares of' : 'share'} certificate ${row.common_name}: it needs full access, you hold ${permission === 'none' ? `${held} access only through a certificate group share` : `${permission} access`}`,
          );
        }
        if ('revoke' in change) {
          if (!(await groups.revoke(trx, 'certificate_shares', id, grantee))) {
            throw new NotFoundError(`Certificate ${row.common_name} is not shared to ${grantee.label}`);
          }
          await audit.append(
            trx,
            auditActor(who),
            eventOnCertificate(AuditOperation.certificateShareRevoked, view, `revoked from ${grantee.label}`),
          );
          return { certificate: row.common_name, grantee: grantee.label };
        }
        refuseSelf(who, grantee);
        if (grantee.user_id !== null && grantee.user_id === Number(row.owner_id)) {
          throw new ConflictError(
            `User ${grantee.userName} owns certificate ${row.common_name} and has full access to it already`,
          );
        }
        await groups.grant(
          trx,
          'certificate_shares',
          id,
          grantee,
          change.grant,
          isOperator(who) ? null : who.principal.userId,
          clock.now(),
        );
        await audit.append(
          trx,
          auditActor(who),
          eventOnCertificate(AuditOperation.certificateShared, view, `${grantee.label}: ${change.grant}`),
        );
        return { certificate: row.common_name, grantee: grantee.label };
      });
    },

    /** Who a certificate is shared to, directly (for `bulwark certs shares`; full access needed). */
    async sharesOf(who: CertificateActor, selector: CertificateRef): Promise<CertificateShareView[]> {
      refuseApplications(who, 'read certificate shares');
      const { row, permission } = await visibleCertificate(db, who, selector);
      if (!allows(permission, 'full')) {
        throw new NotPermittedError(
          `You may not read the shares of certificate ${row.common_name}: it needs full access`,
        );
      }
      const rows = await db
        .selectFrom('certificate_shares')
        .leftJoin('users', 'users.id', 'certificate_shares.user_id')
        .leftJoin('user_groups', 'user_groups.id', 'certificate_shares.group_id')
        .select([
          'users.username',
          'user_groups.name',
          'certificate_shares.permission',
          'certificate_shares.granted_at',
        ])
        .where('certificate_shares.certificate_id', '=', Number(row.id))
        .orderBy('certificate_shares.id')
        .execute();
      return rows.map((r) => ({
        grantee: r.username ?? r.name ?? '',
        kind: r.username === null ? 'group' : 'user',
        permission: r.permission,
        grantedAt: Number(r.granted_at),
      }));
    },

    /** Endpoints 67, 68 (grant) and 71, 72 (revoke): a certificate group to a user or a user group. */
    async group(
      caller: Caller,
      named: string | { readonly id: number },
      target: ShareGrantee,
      change: ShareChange,
    ): Promise<{ group: string; grantee: string }> {
      refuseApplications(
        caller,
        'revoke' in change ? 'revoke certificate group shares' : 'share certificate groups',
      );
      return db.transaction().execute(async (trx) => {
        const row = await managedGroupRef(
          trx,
          caller,
          named,
          'revoke' in change ? 'revoke its shares' : 'share it',
        );
        const grantee = await resolveGrantee(trx, target);
        const id = Number(row.id);
        if ('revoke' in change) {
          if (!(await groups.revoke(trx, 'certificate_group_shares', id, grantee))) {
            throw new NotFoundError(`Certificate group ${row.name} is not shared to ${grantee.label}`);
          }
          await audit.append(
            trx,
            actorOf(caller),
            eventOnCertificateGroup(
              AuditOperation.certificateGroupShareRevoked,
              row.name,
              `revoked from ${grantee.label}`,
            ),
          );
          return { group: row.name, grantee: grantee.label };
        }
        refuseSelf(caller, grantee);
        const level: SharePermission = change.grant;
        await groups.grant(
          trx,
          'certificate_group_shares',
          id,
          grantee,
          level,
          caller.principal.userId,
          clock.now(),
        );
        await audit.append(
          trx,
          actorOf(caller),
          eventOnCertificateGroup(
            AuditOperation.certificateGroupShared,
            row.name,
            `${grantee.label}: ${level}`,
          ),
        );
        return { group: row.name, grantee: grantee.label };
      });
    },
  };
}
