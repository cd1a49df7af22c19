import type { Executor } from '../../platform/db/database.js';
import { precompiled } from '../../platform/db/precompiled.js';
import {
  parseOperations,
  type Application,
  type ApplicationHeader,
  type ApplicationResourceType,
  type CertificateOwner,
  type TrustedCertificate,
} from './applications.types.js';

export interface NewApplication {
  readonly name: string;
  readonly nameKey: string;
  readonly host: string;
  readonly resourceType: ApplicationResourceType;
  readonly operations: readonly string[];
  readonly userId: number;
  readonly createdAt: number;
}

const certificateOwnerQuery = precompiled<[fingerprint: string], CertificateOwnerRow>(
  (db, fingerprint) =>
    db
      .selectFrom('application_certificates')
      .innerJoin('applications', 'applications.id', 'application_certificates.application_id')
      .innerJoin('users', 'users.id', 'applications.user_id')
      .select([
        'applications.name',
        'applications.host',
        'applications.operations',
        'application_certificates.not_before',
        'application_certificates.not_after',
        'users.id as user_id',
        'users.username',
        'users.role',
        'users.is_super_admin',
        'users.is_api_user',
        'users.locked',
      ])
      .where('application_certificates.fingerprint', '=', fingerprint),
  1,
);

interface CertificateOwnerRow {
  name: string;
  host: string;
  operations: string;
  not_before: number | string;
  not_after: number | string;
  user_id: number | string;
  username: string;
  role: string;
  is_super_admin: number;
  is_api_user: number;
  locked: number;
}

function trustedCertificate(row: {
  fingerprint: string;
  subject: string;
  serial: string;
  not_before: number | string;
  not_after: number | string;
  imported_at: number | string;
}): TrustedCertificate {
  return {
    fingerprint: row.fingerprint,
    subject: row.subject,
    serial: row.serial,
    notBefore: Number(row.not_before),
    notAfter: Number(row.not_after),
    importedAt: Number(row.imported_at),
  };
}

export const applicationsRepository = {
  async insertApplication(trx: Executor, app: NewApplication): Promise<number> {
    const row = await trx
      .insertInto('applications')
      .values({
        name: app.name,
        name_key: app.nameKey,
        host: app.host,
        resource_type: app.resourceType,
        operations: app.operations.join(','),
        user_id: app.userId,
        created_at: app.createdAt,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(row.id);
  },

  /** The application named `nameKey`, or with `id`, and whether its inherited user is a super administrator. */
  async findHeader(
    db: Executor,
    ref: { readonly id: number } | { readonly nameKey: string },
  ): Promise<ApplicationHeader | undefined> {
    const row = await db
      .selectFrom('applications')
      .innerJoin('users', 'users.id', 'applications.user_id')
      .select(['applications.id', 'applications.name', 'users.username', 'users.is_super_admin'])
      .where((eb) =>
        'id' in ref ? eb('applications.id', '=', ref.id) : eb('applications.name_key', '=', ref.nameKey),
      )
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      id: Number(row.id),
      name: row.name,
      inheritUser: { name: row.username, isSuperAdmin: row.is_super_admin === 1 },
    };
  },

  async deleteApplication(trx: Executor, id: number): Promise<void> {
    await trx.deleteFrom('application_certificates').where('application_id', '=', id).execute();
    await trx.deleteFrom('applications').where('id', '=', id).execute();
  },

  async insertCertificate(trx: Executor, applicationId: number, cert: TrustedCertificate): Promise<void> {
    await trx
      .insertInto('application_certificates')
      .values({
        application_id: applicationId,
        fingerprint: cert.fingerprint,
        subject: cert.subject,
        serial: cert.serial,
        not_before: cert.notBefore,
        not_after: cert.notAfter,
        imported_at: cert.importedAt,
      })
      .execute();
  },

  async findCertificate(
    db: Executor,
    applicationId: number,
    fingerprint: string,
  ): Promise<TrustedCertificate | undefined> {
    const row = await db
      .selectFrom('application_certificates')
      .selectAll()
      .where('application_id', '=', applicationId)
      .where('fingerprint', '=', fingerprint)
      .executeTakeFirst();
    return row && trustedCertificate(row);
  },

  async deleteCertificate(trx: Executor, applicationId: number, fingerprint: string): Promise<void> {
    await trx
      .deleteFrom('application_certificates')
      .where('application_id', '=', applicationId)
      .where('fingerprint', '=', fingerprint)
      .execute();
  },

  /** Every application, by name; or only the one with `id`. */
  async list(db: Executor, id?: number): Promise<Application[]> {
    let apps = db
      .selectFrom('applications')
      .innerJoin('users', 'users.id', 'applications.user_id')
      .select([
        'applications.id',
        'applications.name',
        'applications.host',
        'applications.resource_type',
        'applications.operations',
        'applications.user_id',
        'applications.created_at',
        'users.username',
      ])
      .orderBy('applications.name_key');
    let certs = db.selectFrom('application_certificates').selectAll().orderBy('id');
    if (id !== undefined) {
      apps = apps.where('applications.id', '=', id);
      certs = certs.where('application_id', '=', id);
    }
    const appRows = await apps.execute();
    const certRows = await certs.execute();
    return appRows.map((a) => ({
      id: Number(a.id),
      name: a.name,
      host: a.host,
      resourceType: a.resource_type as ApplicationResourceType,
      operations: parseOperations(a.operations),
      userId: Number(a.user_id),
      username: a.username,
      createdAt: Number(a.created_at),
      certificates: certRows.filter((c) => Number(c.application_id) === Number(a.id)).map(trustedCertificate),
    }));
  },

  /** The role of a user (for the registration ceiling); undefined if there is no such user. */
  async roleOfUser(db: Executor, userId: number): Promise<string | undefined> {
    const row = await db.selectFrom('users').select('role').where('id', '=', userId).executeTakeFirst();
    return row?.role;
  },

  /** On the hot path of every application request: compiled once (ADR 014). */
  async findCertificateOwner(db: Executor, fingerprint: string): Promise<CertificateOwner | undefined> {
    const [row] = await certificateOwnerQuery(db, fingerprint);
    if (!row) return undefined;
    return {
      applicationName: row.name,
      host: row.host,
      operations: parseOperations(row.operations),
      notBefore: Number(row.not_before),
      notAfter: Number(row.not_after),
      userId: Number(row.user_id),
      username: row.username,
      role: row.role,
      isSuperAdmin: row.is_super_admin === 1,
      isApiUser: row.is_api_user === 1,
      locked: row.locked === 1,
    };
  },
};
