import { createHash, X509Certificate } from 'node:crypto';
import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import { isUniqueViolation } from '../../platform/db/errors.js';
import {
  AuthenticationError,
  ConflictError,
  InvalidInputError,
  NotFoundError,
  NotPermittedError,
} from '../../platform/errors.js';
import { a2aClientLabel, type Caller, type CallOrigin, type Principal } from '../../platform/principal.js';
import {
  allows,
  authoriseAdministrator,
  createAccessPolicy,
  roleCovers,
  type Administrator,
  type Permission,
} from '../access/index.js';
import { actorOf, AuditOperation, type AuditService } from '../audit/index.js';
import type { AuthThrottle, HostResolver, UserDirectory } from '../identity/index.js';
import { toolkitArchive } from './applications.toolkit.js';
import { applicationsRepository as repo } from './applications.repository.js';
import {
  A2A_OPERATIONS,
  applicationNameKey,
  RESOURCE_TYPES,
  type A2AOperation,
  type Application,
  type ApplicationDraft,
  type ApplicationHeader,
  type ApplicationRef,
  type TrustedCertificate,
} from './applications.types.js';

export interface ApplicationsServiceDeps {
  readonly database: Database;
  readonly audit: AuditService;
  readonly clock: Clock;
  readonly hosts: HostResolver;
  /** The one shared with API tokens: an address's wrong tokens and certificates add up. */
  readonly throttle: AuthThrottle;
  readonly users: UserDirectory;
}

export type ApplicationsService = ReturnType<typeof createApplicationsService>;

const MAX_NAME = 255;
const MSG_UNTRUSTED = 'The client certificate is not trusted for any application. Authentication failed.';

/** SHA-256 of a DER certificate, lower-case hex. */
export function certificateFingerprint(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

/**
 * A certificate's SHA-256 fingerprint as typed by a person: 64 hex digits, in either case, bare
 * or in colon-separated pairs as `openssl x509 -fingerprint -sha256` prints them. Returns the
 * stored form (lower-case hex, no colons); throws InvalidInputError for anything else.
 */
export function readFingerprint(text: string): string {
  const trimmed = text.trim();
  if (!/^[0-9a-f]{64}$/i.test(trimmed) && !/^(?:[0-9a-f]{2}:){31}[0-9a-f]{2}$/i.test(trimmed)) {
    throw new InvalidInputError(
      `"${trimmed.slice(0, 100)}" is not a certificate fingerprint: give its SHA-256 as 64 hex digits`,
    );
  }
  return trimmed.replaceAll(':', '').toLowerCase();
}

/** Reads the first certificate of a PEM text; throws InvalidInputError when there is none. */
export function readCertificate(pem: string, importedAt: number): TrustedCertificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    throw new InvalidInputError('the file does not hold a readable X.509 certificate (PEM)');
  }
  return {
    fingerprint: certificateFingerprint(cert.raw),
    subject: cert.subject.split('\n').join(', '),
    serial: cert.serialNumber,
    notBefore: new Date(cert.validFrom).getTime(),
    notAfter: new Date(cert.validTo).getTime(),
    importedAt,
  };
}

/**
 * Registered applications and their trusted client certificates (issue 6, ADR 014). Managed by
 * administrators over the native REST endpoints and by the CLI operator (the operating-system
 * user); used by the HTTPS layer to turn a presented client certificate into a principal.
 */
export function createApplicationsService({
  database,
  audit,
  clock,
  hosts,
  throttle,
  users,
}: ApplicationsServiceDeps) {
  const db = database.db;
  const authorise = (editor: Administrator) => authoriseAdministrator(editor, 'applications');

  async function requireApplication(ref: ApplicationRef): Promise<ApplicationHeader> {
    const found = await repo.findHeader(db, 'id' in ref ? ref : { nameKey: applicationNameKey(ref.name) });
    if (!found) {
      throw new NotFoundError(
        'id' in ref
          ? `Application with ID ${ref.id} does not exist`
          : `there is no application "${ref.name}"`,
      );
    }
    return found;
  }

  /** One application with its certificates (e.g. to write its toolkit, which holds no secret). */
  async function find(editor: Administrator, ref: ApplicationRef): Promise<Application> {
    authorise(editor);
    const header = await requireApplication(ref);
    const [app] = await repo.list(db, header.id);
    if (!app) throw new NotFoundError(`Application with ID ${header.id} does not exist`);
    return app;
  }

  /**
   * An application acts with its inherited user's powers, and whoever holds one of its keys
   * holds those powers. So an administrator without access scope "All passwords" may neither
   * make an application that inherits a super administrator nor touch one (a certificate they
   * import would be theirs to use), as they may not act on a super administrator (ADR 007).
   */
  function requireMayActOn(
    editor: Administrator,
    inheritUser: { readonly name: string; readonly isSuperAdmin: boolean },
    verb: string,
  ): void {
    if ('caller' in editor && inheritUser.isSuperAdmin && !editor.caller.principal.isSuperAdmin) {
      throw new NotPermittedError(
        `Only a super administrator may ${verb} an application that inherits the super administrator ${inheritUser.name}`,
      );
    }
  }

  const access = createAccessPolicy();

  /**
   * An administrator without access scope "All passwords" registers an application only for a
   * user who holds nothing the administrator does not (issue 11; ADR 019): the inherited user's
   * role may do nothing the administrator's role may not, and every resource and account the
   * inherited user reaches, the administrator reaches at the same level or higher. A super
   * administrator holds everything; the local operator of the CLI is trusted (it holds the key).
   */
  /** `mine` covers `theirs`: the same level or higher, and a release wherever theirs releases (NoHelpDeskRetrieval). */
  const holds = (
    mine: { permission: Permission; mayRetrieve: boolean },
    theirs: { permission: Permission; mayRetrieve: boolean },
  ) => allows(mine.permission, theirs.permission) && (mine.mayRetrieve || !theirs.mayRetrieve);

  async function requireHoldsInherited(
    editor: Administrator,
    user: { readonly id: number; readonly username: string; readonly isSuperAdmin: boolean },
  ): Promise<void> {
    if (!('caller' in editor)) return;
    const registrar = editor.caller.principal;
    if (registrar.isSuperAdmin || registrar.userId === user.id) return;
    const refuse = (why: string) =>
      new NotPermittedError(
        `You may not register an application that inherits ${user.username}: ${why}; only a super administrator may`,
      );
    const role = (await repo.roleOfUser(db, user.id)) ?? '';
    if (!roleCovers(registrar.role, role)) throw refuse(`the role ${role} may do what yours may not`);
    const inherited: Principal = {
      userId: user.id,
      username: user.username,
      role,
      isSuperAdmin: user.isSuperAdmin,
      isApiUser: true,
    };
    const scope = access.resourceScope(inherited);
    if (scope.kind === 'all') return; // a super administrator: refused by requireMayActOn already
    const resources = await db
      .selectFrom('resources')
      .select(['id', 'owner_id'])
      .where('id', 'in', scope.resourceIds(db))
      .execute();
    for (const row of resources) {
      const resource = { id: Number(row.id), ownerId: Number(row.owner_id) };
      const theirs = await access.resourceRelease(db, inherited, resource);
      if (theirs.permission !== 'none') {
        if (!holds(await access.resourceRelease(db, registrar, resource), theirs))
          throw refuse('it reaches passwords you do not hold');
        continue;
      }
      const accounts = await db
        .selectFrom('accounts')
        .select(['id', 'owner_id'])
        .where('resource_id', '=', resource.id)
        .execute();
      for (const a of accounts) {
        const account = { id: Number(a.id), ownerId: Number(a.owner_id), resource };
        const held = await access.accountRelease(db, inherited, account);
        if (held.permission !== 'none' && !holds(await access.accountRelease(db, registrar, account), held))
          throw refuse('it reaches passwords you do not hold');
      }
    }
  }

  return {
    async register(editor: Administrator, draft: ApplicationDraft): Promise<Application> {
      const operator = authorise(editor);
      const name = draft.name.trim();
      if (name === '' || name.length > MAX_NAME) {
        throw new InvalidInputError(`the application name must be 1 to ${MAX_NAME} characters`);
      }
      const host = draft.host.trim();
      if (host === '' || /\s/.test(host))
        throw new InvalidInputError('the host must be a DNS name or an IP address');
      const resourceType = RESOURCE_TYPES.find(
        (t) => t.toLowerCase() === draft.resourceType.trim().toLowerCase(),
      );
      if (!resourceType) {
        throw new InvalidInputError(
          `unknown resource type "${draft.resourceType}"; use ${RESOURCE_TYPES.join(' or ')}`,
        );
      }
      const operations: A2AOperation[] = [];
      for (const raw of draft.operations) {
        const op = raw.trim().toUpperCase();
        if (!(A2A_OPERATIONS as readonly string[]).includes(op)) {
          throw new InvalidInputError(`unknown operation "${raw}"; use ${A2A_OPERATIONS.join(', ')}`);
        }
        if (!operations.includes(op as A2AOperation)) operations.push(op as A2AOperation);
      }
      if (operations.length === 0) throw new InvalidInputError('name at least one operation');
      const user = await users.findByName(db, draft.inheritUser);
      if (!user) throw new NotFoundError(`there is no user "${draft.inheritUser}"`);
      requireMayActOn(editor, { name: user.username, isSuperAdmin: user.isSuperAdmin }, 'register');
      await requireHoldsInherited(editor, user);
      let id: number;
      try {
        id = await db.transaction().execute(async (trx) => {
          const inserted = await repo.insertApplication(trx, {
            name,
            nameKey: applicationNameKey(name),
            host,
            resourceType,
            operations,
            userId: user.id,
            createdAt: clock.now(),
          });
          await audit.append(trx, operator, {
            auditType: 'User',
            operation: AuditOperation.applicationRegistered,
            targetUser: user.username,
            reason: `Application ${name} (host ${host}, ${resourceType}, ${operations.join(',')}) inherits ${user.username}`,
          });
          return inserted;
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError(`an application named ${name} already exists`);
        throw err;
      }
      const [saved] = await repo.list(db, id);
      return saved!;
    },

    async importCertificate(
      editor: Administrator,
      ref: ApplicationRef,
      pem: string,
    ): Promise<TrustedCertificate & { readonly application: ApplicationHeader }> {
      const operator = authorise(editor);
      const app = await requireApplication(ref);
      requireMayActOn(editor, app.inheritUser, 'trust a certificate for');
      const now = clock.now();
      const cert = readCertificate(pem, now);
      if (cert.notAfter <= now) {
        throw new InvalidInputError(`the certificate expired on ${new Date(cert.notAfter).toISOString()}`);
      }
      try {
        await db.transaction().execute(async (trx) => {
          await repo.insertCertificate(trx, app.id, cert);
          await audit.append(trx, operator, {
            auditType: 'User',
            operation: AuditOperation.applicationCertificateImported,
            reason: `Certificate ${cert.fingerprint} (${cert.subject}, serial ${cert.serial}) trusted for application ${app.name}`,
          });
        });
      } catch (err) {
        if (isUniqueViolation(err)) {
          throw new ConflictError(
            'this certificate is already imported (a certificate identifies one application)',
          );
        }
        throw err;
      }
      return { ...cert, application: app };
    },

    /**
     * Stops trusting one certificate of an application; requests presenting it are refused from
     * the next one on (certificates are looked up per request). The application and its other
     * certificates are untouched.
     */
    async revokeCertificate(
      editor: Administrator,
      ref: ApplicationRef,
      fingerprintText: string,
    ): Promise<TrustedCertificate & { readonly application: ApplicationHeader }> {
      const operator = authorise(editor);
      const fingerprint = readFingerprint(fingerprintText);
      const app = await requireApplication(ref);
      requireMayActOn(editor, app.inheritUser, 'revoke a certificate of');
      const cert = await db.transaction().execute(async (trx) => {
        const found = await repo.findCertificate(trx, app.id, fingerprint);
        if (!found) throw new NotFoundError(`application ${app.name} has no certificate ${fingerprint}`);
        await repo.deleteCertificate(trx, app.id, fingerprint);
        await audit.append(trx, operator, {
          auditType: 'User',
          operation: AuditOperation.applicationCertificateRevoked,
          reason: `Certificate ${fingerprint} (${found.subject}, serial ${found.serial}) of application ${app.name} revoked`,
        });
        return found;
      });
      return { ...cert, application: app };
    },

    async list(editor: Administrator): Promise<Application[]> {
      authorise(editor);
      return repo.list(db);
    },

    /**
     * The application's PMP_API toolkit as a zip (ADR 015). It holds no secret (no key, no
     * token), so administrators may fetch it for any application.
     */
    async toolkitArchive(
      editor: Administrator,
      ref: ApplicationRef,
      serverUrl: string,
      serverCertificatePem: string | undefined,
    ) {
      const application = await find(editor, ref);
      return toolkitArchive({ application, serverUrl, serverCertificatePem, now: new Date(clock.now()) });
    },

    find,

    /** Removes the application and every certificate trusted for it; they stop working at once. */
    async remove(editor: Administrator, ref: ApplicationRef): Promise<string> {
      const operator = authorise(editor);
      const app = await requireApplication(ref);
      requireMayActOn(editor, app.inheritUser, 'remove');
      await db.transaction().execute(async (trx) => {
        await repo.deleteApplication(trx, app.id);
        await audit.append(trx, operator, {
          auditType: 'User',
          operation: AuditOperation.applicationRemoved,
          reason: `Application ${app.name} removed with its certificates`,
        });
      });
      return app.name;
    },

    async auditRefusedOperation(caller: Caller, refusal: string): Promise<void> {
      try {
        await db.transaction().execute((trx) =>
          audit.append(trx, actorOf(caller), {
            auditType: 'User',
            operation: AuditOperation.applicationOperationRefused,
            reason: refusal,
          }),
        );
      } catch {
        // Refused regardless.
      }
    },

    /**
     * The principal of a request presenting client certificate `der` (no AUTHTOKEN): the user
     * the application inherits, marked as the application. Refusals are audited. A certificate
     * that is unknown, outside its dates or used from another host counts as a failed
     * authentication, like a wrong token: the address's answers are slowed, and the certificate
     * is locked out from the address after repeated failures (ADR 021).
     */
    async authenticateCertificate(der: Buffer, origin: CallOrigin): Promise<Principal> {
      const fingerprint = certificateFingerprint(der);
      // Only this certificate is refused while locked out from this address (ADR 021).
      throttle.refuseIfLockedOut(origin.clientIp, `cert:${fingerprint}`);
      const refuse = (
        auditOrigin: CallOrigin,
        user: { id: number; name: string } | undefined,
        reason: string,
        message: string,
      ) =>
        throttle.refuse(origin.clientIp, `cert:${fingerprint}`, { reason, message }, (why) =>
          audit.recordAuthenticationFailure(auditOrigin, user, why),
        );
      const owner = await repo.findCertificateOwner(db, fingerprint);
      if (!owner) {
        return refuse(
          origin,
          undefined,
          `client certificate ${fingerprint} is not trusted for any application`,
          MSG_UNTRUSTED,
        );
      }
      const appOrigin = { clientIp: origin.clientIp, client: a2aClientLabel(owner.applicationName) };
      const user = { id: owner.userId, name: owner.username };
      const now = clock.now();
      if (now < owner.notBefore || now >= owner.notAfter) {
        return refuse(
          appOrigin,
          user,
          `client certificate ${fingerprint} is outside its validity period`,
          `The client certificate of application ${owner.applicationName} has expired or is not yet valid. Authentication failed.`,
        );
      }
      if (!(await hosts.matches(owner.host, origin.clientIp))) {
        return refuse(
          appOrigin,
          user,
          `application ${owner.applicationName} called from a host it is not registered for`,
          `The application ${owner.applicationName} is not allowed to access from this host. Authentication failed.`,
        );
      }
      if (owner.locked) {
        await audit.recordAuthenticationFailure(appOrigin, user, 'user account locked');
        throw new AuthenticationError(
          'User account is locked. Contact your administrator. Authentication failed.',
        );
      }
      return {
        userId: owner.userId,
        username: owner.username,
        role: owner.role,
        isSuperAdmin: owner.isSuperAdmin,
        isApiUser: owner.isApiUser,
        application: { name: owner.applicationName, operations: owner.operations },
      };
    },
  };
}
