import type { Insertable, Selectable } from 'kysely';
import type { DialectName, Executor } from '../../platform/db/database.js';
import type {
  Schema,
  SshKeyRotationHostsTable,
  SshKeyRotationSchedulesTable,
  SshKeyRotationsTable,
} from '../../platform/db/schema.js';
import type { Principal } from '../../platform/principal.js';
import type { HostState, RotationPhase } from './key-rotation.types.js';

export type RotationRow = Selectable<SshKeyRotationsTable>;
export type RotationHostRow = Selectable<SshKeyRotationHostsTable>;
export type KeyScheduleRow = Selectable<SshKeyRotationSchedulesTable>;

/** Where a key is deployed, with what authorising on each resource needs. */
export interface DeployedOn {
  readonly resourceId: number;
  readonly resourceName: string;
  readonly resourceOwnerId: number;
  readonly userName: string;
}

const num = (v: unknown): number => Number(v);

/** Rows of key rotations, their hosts and schedules; no decisions. */
export const keyRotationRepository = {
  async deployments(db: Executor, keyId: number): Promise<DeployedOn[]> {
    const rows = await db
      .selectFrom('ssh_key_associations')
      .innerJoin('resources', 'resources.id', 'ssh_key_associations.resource_id')
      .select([
        'resources.id as resourceId',
        'resources.name as resourceName',
        'resources.owner_id as resourceOwnerId',
        'ssh_key_associations.user_name as userName',
      ])
      .where('ssh_key_associations.key_id', '=', keyId)
      .orderBy('resources.name_key')
      .orderBy('ssh_key_associations.user_name')
      .execute();
    return rows.map((r) => ({
      resourceId: num(r.resourceId),
      resourceName: r.resourceName,
      resourceOwnerId: num(r.resourceOwnerId),
      userName: r.userName,
    }));
  },

  /** The key's row, locked until the transaction ends on PostgreSQL (SQLite serialises writers). */
  async lockKey(db: Executor, dialect: DialectName, keyId: number) {
    let query = db.selectFrom('ssh_keys').selectAll().where('id', '=', keyId);
    if (dialect === 'postgres') query = query.forUpdate();
    return query.executeTakeFirst();
  },

  async keyById(db: Executor, keyId: number) {
    return db.selectFrom('ssh_keys').selectAll().where('id', '=', keyId).executeTakeFirst();
  },

  async pendingOf(db: Executor, keyId: number): Promise<RotationRow | undefined> {
    return db
      .selectFrom('ssh_key_rotations')
      .selectAll()
      .where('key_id', '=', keyId)
      .where('status', '=', 'pending')
      .executeTakeFirst();
  },

  async insert(db: Executor, row: Insertable<Schema['ssh_key_rotations']>): Promise<number> {
    const inserted = await db
      .insertInto('ssh_key_rotations')
      .values(row)
      .returning('id')
      .executeTakeFirstOrThrow();
    return num(inserted.id);
  },

  async setNewSealed(db: Executor, rotationId: number, sealed: Buffer): Promise<void> {
    await db
      .updateTable('ssh_key_rotations')
      .set({ new_private_key_sealed: sealed })
      .where('id', '=', rotationId)
      .execute();
  },

  async insertHosts(
    db: Executor,
    rotationId: number,
    hosts: readonly DeployedOn[],
    now: number,
  ): Promise<void> {
    if (hosts.length === 0) return;
    await db
      .insertInto('ssh_key_rotation_hosts')
      .values(
        hosts.map((h) => ({
          rotation_id: rotationId,
          resource_id: h.resourceId,
          resource_name: h.resourceName,
          user_name: h.userName,
          state: 'todo' as const,
          message: null,
          updated_at: now,
        })),
      )
      .execute();
  },

  async rotation(db: Executor, rotationId: number): Promise<RotationRow | undefined> {
    return db.selectFrom('ssh_key_rotations').selectAll().where('id', '=', rotationId).executeTakeFirst();
  },

  async hosts(db: Executor, rotationId: number): Promise<RotationHostRow[]> {
    return db
      .selectFrom('ssh_key_rotation_hosts')
      .selectAll()
      .where('rotation_id', '=', rotationId)
      .orderBy('id')
      .execute();
  },

  async rotationsOfKey(db: Executor, keyId: number, limit: number): Promise<RotationRow[]> {
    return db
      .selectFrom('ssh_key_rotations')
      .selectAll()
      .where('key_id', '=', keyId)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
  },

  /** A host's progress; also marks the rotation as touched now (reconciliation's grace counts from it). */
  async setHost(
    db: Executor,
    host: { id: number; rotationId: number },
    state: HostState,
    message: string | null,
    now: number,
  ): Promise<void> {
    await db
      .updateTable('ssh_key_rotation_hosts')
      .set({ state, message, updated_at: now })
      .where('id', '=', host.id)
      .execute();
    await db
      .updateTable('ssh_key_rotations')
      .set({ updated_at: now })
      .where('id', '=', host.rotationId)
      .execute();
  },

  /** Moves a pending rotation from one phase to another; false when it was not there any more. */
  async setPhase(
    db: Executor,
    rotationId: number,
    from: RotationPhase,
    to: RotationPhase,
    message: string,
    now: number,
  ): Promise<boolean> {
    const result = await db
      .updateTable('ssh_key_rotations')
      .set({ phase: to, message, updated_at: now })
      .where('id', '=', rotationId)
      .where('status', '=', 'pending')
      .where('phase', '=', from)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  /** Notes an unsettled run on a pending rotation (its message, when given), counting the attempt. */
  async note(db: Executor, rotationId: number, message: string | undefined, now: number): Promise<void> {
    await db
      .updateTable('ssh_key_rotations')
      .set((eb) => ({
        ...(message === undefined ? {} : { message }),
        updated_at: now,
        attempts: eb('attempts', '+', 1),
      }))
      .where('id', '=', rotationId)
      .where('status', '=', 'pending')
      .execute();
  },

  /** Settles a pending rotation in `phase`, wiping what it held sealed; false when settled already. */
  async settle(
    db: Executor,
    rotationId: number,
    phase: RotationPhase,
    status: 'completed' | 'failed',
    message: string,
    now: number,
  ): Promise<boolean> {
    const result = await db
      .updateTable('ssh_key_rotations')
      .set({
        status,
        message,
        new_private_key_sealed: null,
        old_private_key_sealed: null,
        settled_at: now,
        updated_at: now,
      })
      .where('id', '=', rotationId)
      .where('status', '=', 'pending')
      .where('phase', '=', phase)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  /** The switch, on the rotation's side: phase 2, the new key wiped (now the key's), the old kept. */
  async markSwitched(
    db: Executor,
    rotationId: number,
    oldSealed: Buffer,
    message: string,
    now: number,
  ): Promise<boolean> {
    const result = await db
      .updateTable('ssh_key_rotations')
      .set({
        phase: 'removing-old',
        new_private_key_sealed: null,
        old_private_key_sealed: oldSealed,
        message,
        switched_at: now,
        updated_at: now,
      })
      .where('id', '=', rotationId)
      .where('status', '=', 'pending')
      .where('phase', '=', 'adding')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  /** The switch, on the key's side: conditional on the key still being the rotated one. */
  async switchKey(
    db: Executor,
    keyId: number,
    oldFingerprint: string,
    next: { publicKey: string; fingerprint: string; privateKeySealed: Buffer },
  ): Promise<boolean> {
    const result = await db
      .updateTable('ssh_keys')
      .set({
        public_key: next.publicKey,
        fingerprint: next.fingerprint,
        private_key_sealed: next.privateKeySealed,
      })
      .where('id', '=', keyId)
      .where('fingerprint', '=', oldFingerprint)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  /** The newest rotations of every key (the operator's list), pending ones only when asked. */
  async recent(db: Executor, options: { pendingOnly: boolean; limit: number }): Promise<RotationRow[]> {
    let query = db.selectFrom('ssh_key_rotations').selectAll();
    if (options.pendingOnly) query = query.where('status', '=', 'pending');
    return query.orderBy('id', 'desc').limit(options.limit).execute();
  },

  /** Pending rotations last touched before `before` (reconciliation). */
  async pendingBefore(db: Executor, before: number): Promise<RotationRow[]> {
    return db
      .selectFrom('ssh_key_rotations')
      .selectAll()
      .where('status', '=', 'pending')
      .where('updated_at', '<=', before)
      .orderBy('id')
      .execute();
  },

  async resource(db: Executor, resourceId: number): Promise<{ id: number; name: string } | undefined> {
    const row = await db
      .selectFrom('resources')
      .select(['id', 'name'])
      .where('id', '=', resourceId)
      .executeTakeFirst();
    return row && { id: num(row.id), name: row.name };
  },

  /**
   * Another key of the store with this public key (the same key imported twice) deployed on the
   * same account: its line is the same line, so removing the old key's line would take it too.
   */
  async sameKeyDeployedElsewhere(
    db: Executor,
    keyId: number,
    fingerprint: string,
    resourceId: number,
    userName: string,
  ): Promise<string | undefined> {
    const row = await db
      .selectFrom('ssh_key_associations')
      .innerJoin('ssh_keys', 'ssh_keys.id', 'ssh_key_associations.key_id')
      .select('ssh_keys.name as name')
      .where('ssh_keys.fingerprint', '=', fingerprint)
      .where('ssh_keys.id', '<>', keyId)
      .where('ssh_key_associations.resource_id', '=', resourceId)
      .where('ssh_key_associations.user_name', '=', userName)
      .executeTakeFirst();
    return row?.name;
  },

  /** A schedule's creator as a principal; undefined when gone or locked (nothing runs for them). */
  async creator(db: Executor, userId: number): Promise<Principal | undefined> {
    const u = await db
      .selectFrom('users')
      .select(['id', 'username', 'role', 'is_super_admin', 'is_api_user', 'locked'])
      .where('id', '=', userId)
      .executeTakeFirst();
    if (!u || num(u.locked) === 1) return undefined;
    return {
      userId: num(u.id),
      username: u.username,
      role: u.role,
      isSuperAdmin: num(u.is_super_admin) === 1,
      isApiUser: num(u.is_api_user) === 1,
    };
  },

  // --- schedules -------------------------------------------------------------------------------

  async scheduleOf(db: Executor, keyId: number): Promise<KeyScheduleRow | undefined> {
    return db
      .selectFrom('ssh_key_rotation_schedules')
      .selectAll()
      .where('key_id', '=', keyId)
      .executeTakeFirst();
  },

  async putSchedule(db: Executor, row: Insertable<Schema['ssh_key_rotation_schedules']>): Promise<void> {
    await db.deleteFrom('ssh_key_rotation_schedules').where('key_id', '=', row.key_id).execute();
    await db.insertInto('ssh_key_rotation_schedules').values(row).execute();
  },

  async removeSchedule(db: Executor, keyId: number): Promise<boolean> {
    const result = await db
      .deleteFrom('ssh_key_rotation_schedules')
      .where('key_id', '=', keyId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  },

  async dueSchedules(db: Executor, now: number, limit: number): Promise<KeyScheduleRow[]> {
    return db
      .selectFrom('ssh_key_rotation_schedules')
      .selectAll()
      .where('next_run_at', '<=', now)
      .orderBy('next_run_at')
      .limit(limit)
      .execute();
  },

  /**
   * Claims a due run: conditional on the planned time, so a sweep on another node (or an edit)
   * that got there first wins and this one does nothing.
   */
  async claimRun(
    db: Executor,
    scheduleId: number,
    planned: number,
    run: { at: number; next: number; summary: string },
  ): Promise<boolean> {
    const result = await db
      .updateTable('ssh_key_rotation_schedules')
      .set({ last_run_at: run.at, next_run_at: run.next, last_summary: run.summary })
      .where('id', '=', scheduleId)
      .where('next_run_at', '=', planned)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  },

  async setSummary(db: Executor, scheduleId: number, summary: string): Promise<void> {
    await db
      .updateTable('ssh_key_rotation_schedules')
      .set({ last_summary: summary })
      .where('id', '=', scheduleId)
      .execute();
  },
};
