import { sql, type RawBuilder } from 'kysely';
import type { Executor } from '../../platform/db/database.js';
import type { SharePermission } from '../../platform/db/schema.js';
import { permissionOfLevel } from './grant-chain.js';

/**
 * Grants on certificates of the repository (ADR 040), read live at each request:
 * - a share of the certificate to the user or to one of the user's groups (`certificate_shares`);
 * - a share of a certificate group holding it (`certificate_group_shares`), which confers at most
 *   what BOTH its sharer (`granted_by`) and whoever put the certificate in the group (`added_by`)
 *   hold on the certificate at that moment, counting only their independent grants (super
 *   administrator, owner, certificate shares). A holder who reaches the certificate only through
 *   group shares of their own confers nothing: chains of group shares fail closed, so a group can
 *   never widen what anyone holds, and a sharer losing access takes it from every recipient.
 *
 * Levels are integers in SQL: view 1, modify 2, full 3.
 */

const level = (column: RawBuilder<unknown>) =>
  sql`(case ${column} when 'full' then 3 when 'modify' then 2 else 1 end)`;
const least = (a: RawBuilder<unknown>, b: RawBuilder<unknown>) =>
  sql`(case when ${a} < ${b} then ${a} else ${b} end)`;

/** The user groups `user` (an SQL expression) is in. */
const groupsOf = (user: RawBuilder<unknown>) =>
  sql`(select ugm.group_id from user_group_members ugm where ugm.user_id = ${user})`;

/** The level `holder` holds on certificate `c` without group shares: 3, a share's, or 0. */
const independent = (holder: RawBuilder<unknown>) => sql`(case
    when exists (select 1 from users hu where hu.id = ${holder} and hu.is_super_admin = 1) then 3
    when c.owner_id = ${holder} then 3
    else coalesce((select max(${level(sql`cs.permission`)}) from certificate_shares cs
      where cs.certificate_id = c.id
        and (cs.user_id = ${holder} or cs.group_id in ${groupsOf(holder)})), 0)
    end)`;

/**
 * (certificate_id, lvl) of the certificates `userId` reaches through certificate-group shares,
 * each bounded by its sharer and by who added it; only `certificateId` when given. Rows may
 * repeat a certificate (several groups): the broadest wins. Rows with lvl 0 confer nothing.
 */
function groupGrants(userId: number, certificateId?: number) {
  const only = certificateId === undefined ? sql`` : sql`and cgm.certificate_id = ${certificateId}`;
  const bounded = least(
    least(level(sql`gs.permission`), independent(sql`gs.granted_by`)),
    independent(sql`cgm.added_by`),
  );
  return sql<{
    certificate_id: number;
    lvl: number;
  }>`(select cgm.certificate_id as certificate_id, ${bounded} as lvl
    from certificate_group_shares gs
    join certificate_group_members cgm on cgm.group_id = gs.certificate_group_id
    join certificates c on c.id = cgm.certificate_id
    where (gs.user_id = ${userId} or gs.group_id in ${groupsOf(sql`${userId}`)}) ${only})`;
}

export const certificateGrants = {
  /** Every grant reaching the user on one certificate, direct or through groups (not owner/admin). */
  async on(db: Executor, userId: number, certificateId: number): Promise<SharePermission[]> {
    const rows = await db
      .selectFrom(
        sql<{ lvl: number }>`(
          select ${level(sql`s.permission`)} as lvl from certificate_shares s
            where s.certificate_id = ${certificateId}
              and (s.user_id = ${userId} or s.group_id in ${groupsOf(sql`${userId}`)})
          union all
          select g.lvl from ${groupGrants(userId, certificateId)} g)`.as('grants'),
      )
      .select('grants.lvl')
      .execute();
    return rows.filter((r) => Number(r.lvl) > 0).map((r) => permissionOfLevel(r.lvl));
  },

  /**
   * The user's certificate shares on one certificate (to them or a user group of theirs), without
   * group shares: what they may share onward (ADR 040), so that a grant a certificate-group share
   * bounds live cannot be turned into a direct share that outlives the group share's sharer.
   */
  async direct(db: Executor, userId: number, certificateId: number): Promise<SharePermission[]> {
    const rows = await db
      .selectFrom('certificate_shares')
      .select('permission')
      .where('certificate_id', '=', certificateId)
      .where((eb) =>
        eb.or([
          eb('user_id', '=', userId),
          eb(
            'group_id',
            'in',
            db.selectFrom('user_group_members').select('group_id').where('user_id', '=', userId),
          ),
        ]),
      )
      .execute();
    return rows.map((r) => r.permission);
  },

  /** The ids of the certificates the user owns or reaches through a grant: a subquery for listings. */
  visibleIds(db: Executor, userId: number) {
    return db
      .selectFrom('certificates')
      .select('certificates.id')
      .where((eb) =>
        eb.or([
          eb('certificates.owner_id', '=', userId),
          eb(
            'certificates.id',
            'in',
            db
              .selectFrom('certificate_shares')
              .select('certificate_shares.certificate_id')
              .where((s) =>
                s.or([
                  s('certificate_shares.user_id', '=', userId),
                  s(
                    'certificate_shares.group_id',
                    'in',
                    db.selectFrom('user_group_members').select('group_id').where('user_id', '=', userId),
                  ),
                ]),
              ),
          ),
          eb(
            'certificates.id',
            'in',
            db.selectFrom(groupGrants(userId).as('gg')).select('gg.certificate_id').where('gg.lvl', '>', 0),
          ),
        ]),
      );
  },
};
