import type { Clock } from '../../platform/clock.js';
import type { Executor } from '../../platform/db/database.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { Secret } from '../../platform/crypto/secret.js';
import { TOTP_DEFAULTS, totp, type TotpAlgorithm } from '../../platform/crypto/totp.js';
import { NotFoundError, NotPermittedError, OperationNotAvailableError } from '../../platform/errors.js';
import type { Caller } from '../../platform/principal.js';
import { allows, type AccessPolicy, type Permission } from '../access/index.js';
import { actorOf, AuditOperation, type AuditActor, type AuditService } from '../audit/index.js';
import type { TicketSystem } from '../ticketing/index.js';
import type { CheckoutGate } from '../workflow/index.js';
import { eventOn, eventOnCertificate, eventOnSshKey } from './audit-events.js';
import type { VaultAuthorization } from './authorization.js';
import { certificateMaterial, sealedAt, sshKeyMaterial, unsealWith } from './sealing.js';
import { vaultRepository as repo, type SecretLocation } from './vault.repository.js';
import {
  JustificationRequiredError,
  type AccessJustification,
  LIMITS,
  type UploadedSecretFile,
} from './vault.types.js';

/**
 * Every kind of secret material the vault releases (ADR 018). A new kind (keys, keystores) is
 * added here, with its rule and its material below, and nowhere else: the matrix test iterates
 * over this list, so a kind without its rows fails it.
 */
export const RELEASE_KINDS = [
  'password',
  'passwordHistory',
  'accountDetails',
  'totp',
  'file',
  'additionalFields',
] as const;
export type ReleaseKind = (typeof RELEASE_KINDS)[number];

/** An earlier password of an account (null when it had none). */
export interface EarlierPassword {
  readonly replacedAt: number;
  readonly password: Secret | null;
}

/** What each kind releases. */
export interface ReleasedMaterial {
  /** GET PASSWORD. */
  readonly password: Secret;
  /** The native …/passwordhistory: earlier passwords, newest first. */
  readonly passwordHistory: EarlierPassword[];
  /** getResourceAccountDetails: the password, shown with the account details. */
  readonly accountDetails: Secret;
  /** Endpoint 91: the current TOTP code (never the TOTP secret). */
  readonly totp: Secret;
  /** downloadfile: the file stored on the account. */
  readonly file: UploadedSecretFile;
  /**
   * GET resource / GET account details: the values of the account's Password-type additional
   * fields, by field ID (the views mask them when the gate refuses).
   */
  readonly additionalFields: ReadonlyMap<number, Secret>;
}

/** What a kind asks of the caller beyond the common steps, and how it is recorded. */
export interface ReleaseRule {
  /** The grant the caller needs on the account. */
  readonly permission: Permission;
  /**
   * The A2A operation that allows an application this release; undefined: applications never
   * get it (ADR 014). The HTTP layer refuses the route first; the gate decides regardless.
   */
  readonly a2aOperation: 'RETRIEVE' | undefined;
  readonly auditOperation: string;
  /** How messages name what is released. */
  readonly what: string;
}

export const RELEASE_RULES = {
  password: {
    permission: 'view',
    a2aOperation: 'RETRIEVE',
    auditOperation: AuditOperation.passwordRetrieved,
    what: 'password',
  },
  accountDetails: {
    permission: 'view',
    a2aOperation: 'RETRIEVE',
    auditOperation: AuditOperation.passwordRetrieved,
    what: 'password',
  },
  passwordHistory: {
    permission: 'full',
    a2aOperation: undefined,
    auditOperation: AuditOperation.passwordHistoryRetrieved,
    what: 'password history',
  },
  totp: {
    permission: 'view',
    a2aOperation: undefined,
    auditOperation: AuditOperation.totpRetrieved,
    what: 'TOTP',
  },
  file: {
    permission: 'view',
    a2aOperation: undefined,
    auditOperation: AuditOperation.fileDownloaded,
    what: 'file',
  },
  additionalFields: {
    permission: 'view',
    a2aOperation: 'RETRIEVE',
    auditOperation: AuditOperation.customFieldRetrieved,
    what: 'Password-type additional fields',
  },
} as const satisfies Record<ReleaseKind, ReleaseRule>;

/**
 * Secret material kept outside accounts (ADR 031): the private key of a key of the SSH key store.
 * Its own list, decided on the key's grant (owner, administrators, key shares), because none of
 * the account controls (reason, ticket, checkout) apply to a key; the same steps otherwise:
 * visibility, permission, applications refused, audit durable before the unseal.
 */
export const KEY_RELEASE_KINDS = ['sshPrivateKey'] as const;
export type KeyReleaseKind = (typeof KEY_RELEASE_KINDS)[number];

export const KEY_RELEASE_RULES = {
  sshPrivateKey: {
    permission: 'view',
    a2aOperation: undefined,
    auditOperation: AuditOperation.sshKeyExported,
    what: 'private key',
  },
} as const satisfies Record<KeyReleaseKind, ReleaseRule>;

/**
 * Secret material of the certificate repository (ADR 036): a certificate's private key and its
 * passphrase (getCertificatePassphrase, endpoint 37). Decided on the caller's grant on the
 * certificate (owner, super administrators, certificate and certificate-group shares; ADR 040):
 * the kind's permission; never to an application; audited (durable) before the unseal.
 */
export const CERTIFICATE_RELEASE_KINDS = ['certificatePrivateKey', 'certificatePassphrase'] as const;
export type CertificateReleaseKind = (typeof CERTIFICATE_RELEASE_KINDS)[number];

export const CERTIFICATE_RELEASE_RULES = {
  certificatePrivateKey: {
    permission: 'full',
    a2aOperation: undefined,
    auditOperation: AuditOperation.certificatePrivateKeyExported,
    what: 'private key',
  },
  certificatePassphrase: {
    permission: 'full',
    a2aOperation: undefined,
    auditOperation: AuditOperation.certificatePassphraseRetrieved,
    what: 'private key passphrase',
  },
} as const satisfies Record<CertificateReleaseKind, ReleaseRule>;

/** A certificate of the repository as its module read it: the gate decides on its owner and shares. */
export interface CertificateToRelease {
  readonly id: number;
  readonly commonName: string;
  readonly serial: string;
  readonly ownerId: number;
  readonly privateKeySealed: Buffer | null;
  readonly passphraseSealed: Buffer | null;
}

/** A key of the SSH key store as its module read it: the gate decides on its owner and shares. */
export interface SshKeyToRelease {
  readonly id: number;
  readonly name: string;
  readonly ownerId: number;
  readonly privateKeySealed: Buffer | null;
}

/** The account a release is asked for. */
export interface ReleaseTarget {
  readonly resourceId: number;
  readonly accountId: number;
}

export interface ReleaseGateDeps {
  readonly keyring: Keyring;
  readonly audit: AuditService;
  readonly access: AccessPolicy;
  readonly clock: Clock;
  readonly checkouts: CheckoutGate;
  readonly tickets: TicketSystem;
  readonly authorization: VaultAuthorization;
  readonly executor: Executor;
  /** Told of every release, once its audit record is durable (the release metrics). */
  readonly onRelease?: (kind: string) => void;
}

export type ReleaseGate = ReturnType<typeof createReleaseGate>;

/**
 * The one way secret material leaves the vault (ADR 018). Every release decides in this order,
 * whatever its kind: visibility (an account the caller may not see answers like a missing one),
 * permission (the kind's grant; an application also needs the kind's A2A operation),
 * NoHelpDeskRetrieval (ADR 012), reason and ticket (ADR 010), checkout under password access
 * control (ADR 011), then the material is read, the release audited (durable before anything
 * leaves), and only then unsealed. Refusals of a reason, a ticket or a checkout are audited.
 */
export function createReleaseGate(deps: ReleaseGateDeps) {
  const { keyring, audit, access, clock, checkouts, tickets, authorization, executor: db } = deps;
  const onRelease = deps.onRelease ?? (() => {});

  /**
   * Reads the sealed material of a kind (refusing when there is none) and answers how to open
   * it; `note` replaces the caller's reason in the audit record (the fields released).
   */
  const MATERIAL: {
    readonly [K in ReleaseKind]: (
      at: SecretLocation,
    ) => Promise<(() => ReleasedMaterial[K]) & { note?: string }>;
  } = {
    password: (at) => Promise.resolve(currentPassword(at)),
    accountDetails: (at) => Promise.resolve(currentPassword(at)),
    async passwordHistory(at) {
      const rows = await repo.listHistory(db, at.accountId);
      return () =>
        rows.map((row) => ({
          replacedAt: row.replaced_at,
          password:
            row.password_sealed === null
              ? null
              : new Secret(
                  unsealWith(
                    keyring,
                    row.password_sealed,
                    sealedAt.earlierPassword(row.id),
                    'earlier password',
                  ).toString('utf8'),
                ),
        }));
    },
    async totp(at) {
      const account = await repo.findAccount(db, at.resourceId, at.accountId);
      const sealed = account?.totp_secret_sealed ?? null;
      if (!account || sealed === null) {
        throw new OperationNotAvailableError(`No TOTP is configured for account ${at.accountName}`);
      }
      return () => {
        const key = unsealWith(
          keyring,
          sealed,
          sealedAt.totpSecret(at.accountId),
          `TOTP secret of account ${at.accountName}`,
        );
        try {
          return new Secret(
            totp(key, clock.now() / 1000, {
              algorithm: (account.totp_algorithm ?? TOTP_DEFAULTS.algorithm) as TotpAlgorithm,
              digits: account.totp_digits ?? TOTP_DEFAULTS.digits,
              period: account.totp_period ?? TOTP_DEFAULTS.period,
            }),
          );
        } finally {
          key.fill(0);
        }
      };
    },
    async file(at) {
      const file = await repo.findFile(db, at.accountId);
      if (!file) {
        throw new NotFoundError(
          `No file is stored for account ${at.accountName} of resource ${at.resourceName}`,
        );
      }
      return () => ({
        fileName: file.file_name,
        contentType: file.content_type,
        content: unsealWith(
          keyring,
          file.content_sealed,
          sealedAt.file(at.accountId),
          `file of account ${at.accountName}`,
        ),
      });
    },
    async additionalFields(at) {
      const fields = await passwordFields('account', at.accountId);
      if (!fields) {
        throw new OperationNotAvailableError(
          `Account ${at.accountName} has no Password-type additional field`,
        );
      }
      return fields;
    },
  };

  /** The Password-type additional fields of a resource or an account, or undefined when none. */
  async function passwordFields(
    kind: 'resource' | 'account',
    ownerId: number,
  ): Promise<((() => ReadonlyMap<number, Secret>) & { note: string }) | undefined> {
    const rows = (await repo.listCustomFields(db, kind, ownerId)).filter(
      (row) => row.field_type === 'Password' && row.value_sealed !== null,
    );
    if (rows.length === 0) return undefined;
    const open = () =>
      new Map(
        rows.map((row) => [
          row.id,
          new Secret(
            unsealWith(
              keyring,
              row.value_sealed as Buffer,
              sealedAt.customField(row.id),
              `additional field ${row.label}`,
            ).toString('utf8'),
          ),
        ]),
      );
    const note = `Fields: ${rows.map((row) => row.label).join(', ')}`.slice(0, LIMITS.reason);
    return Object.assign(open, { note });
  }

  function currentPassword(at: SecretLocation): () => Secret {
    const sealed = at.sealed;
    if (sealed === null) {
      throw new OperationNotAvailableError(`Account ${at.accountName} has no password stored`);
    }
    return () =>
      new Secret(
        unsealWith(
          keyring,
          sealed,
          sealedAt.accountPassword(at.accountId),
          `password of account ${at.accountName}`,
        ).toString('utf8'),
      );
  }

  const resourceOf = (at: SecretLocation) => ({ id: at.resourceId, name: at.resourceName });
  const accountOf = (at: SecretLocation) => ({ id: at.accountId, name: at.accountName });

  /** Runs a check of the account's controls; its refusal is audited, then passed on. */
  async function auditedRefusal(
    caller: Caller,
    at: SecretLocation,
    why: AccessJustification,
    check: () => Promise<void>,
  ): Promise<void> {
    try {
      await check();
    } catch (err) {
      await audit.recordAccess(
        actorOf(caller),
        eventOn(AuditOperation.retrievalRefused, resourceOf(at), accountOf(at), why),
      );
      throw err;
    }
  }

  return {
    async release<K extends ReleaseKind>(
      caller: Caller,
      kind: K,
      target: ReleaseTarget,
      why: AccessJustification,
    ): Promise<ReleasedMaterial[K]> {
      const rule: ReleaseRule = RELEASE_RULES[kind];
      const { resourceId, accountId } = target;

      // 1. Visibility: one lookup of the account with its resource and controls.
      const at = await repo.findSecretLocation(db, resourceId, accountId);
      if (at === undefined) {
        const resource = await repo.findResource(db, resourceId);
        const owner = resource && { id: resource.id, ownerId: resource.owner_id };
        throw await authorization.invisibleAccount(db, caller, owner, resourceId, accountId);
      }
      const resource = { id: at.resourceId, ownerId: at.resourceOwnerId };
      const { permission, mayRetrieve } = await access.accountRelease(db, caller.principal, {
        id: at.accountId,
        ownerId: at.accountOwnerId,
        resource,
      });
      if (permission === 'none') {
        throw await authorization.invisibleAccount(db, caller, resource, resourceId, accountId);
      }

      // 2. Permission: the kind's grant; an application also needs the kind's operation.
      if (!allows(permission, rule.permission)) {
        throw new NotPermittedError(
          `You are not allowed to retrieve the ${rule.what} of account ${at.accountName}: it needs ${rule.permission === 'full' ? 'full access' : `${rule.permission} access`}`,
        );
      }
      const application = caller.principal.application;
      if (
        application !== undefined &&
        (rule.a2aOperation === undefined || !application.operations.includes(rule.a2aOperation))
      ) {
        throw new NotPermittedError(
          `The application ${application.name} is not allowed to retrieve the ${rule.what} of account ${at.accountName}`,
        );
      }

      // 3. NoHelpDeskRetrieval: seen through such a group only, the account releases nothing.
      if (!mayRetrieve) {
        throw new NotPermittedError(
          `Retrieving the ${rule.what} of account ${at.accountName} is not allowed: it is shared to you only through a resource group that forbids help desk retrieval`,
        );
      }

      // 4. Reason and ticket (ADR 010).
      const controls = at.controls;
      await auditedRefusal(caller, at, why, async () => {
        if (controls.reasonRequired && !why.reason) {
          throw new JustificationRequiredError(
            'REASON',
            `A reason is required to retrieve the ${rule.what} of account ${at.accountName}: give REASON`,
          );
        }
        if (controls.ticketIdMandatory && !why.ticketId) {
          throw new JustificationRequiredError(
            'TICKETID',
            `A ticket ID is required to retrieve the ${rule.what} of account ${at.accountName}: give TICKETID`,
          );
        }
        if ((controls.ticketIdRequired || controls.ticketIdMandatory) && why.ticketId) {
          await tickets.validate(why.ticketId, caller.principal.username);
        }
      });

      // 5. Checkout under password access control (ADR 011).
      if (controls.accessControl) {
        await auditedRefusal(caller, at, why, () =>
          checkouts.mayRelease(db, caller, {
            id: at.accountId,
            name: at.accountName,
            ownerId: at.accountOwnerId,
            resourceOwnerId: at.resourceOwnerId,
            accessControl: true,
          }),
        );
      }

      // 6. The material, 7. the audit record (durable before release), 8. unseal.
      const open = await MATERIAL[kind](at);
      const recorded = open.note === undefined ? why : { reason: open.note, ticketId: why.ticketId };
      await audit.recordAccess(
        actorOf(caller),
        eventOn(rule.auditOperation, resourceOf(at), accountOf(at), recorded),
      );
      onRelease(kind);
      return open();
    },

    /**
     * The private key file of a key of the SSH key store (export, endpoint 29; ADR 031): a key
     * the caller may not see answers like a missing one; the kind's grant on the key; never to
     * an application; audited (durable) before it is unsealed.
     */
    async releaseSshKey(caller: Caller, kind: KeyReleaseKind, key: SshKeyToRelease): Promise<Buffer> {
      const rule: ReleaseRule = KEY_RELEASE_RULES[kind];
      const permission = await access.sshKeyPermission(db, caller.principal, key);
      if (permission === 'none') throw new NotFoundError(`SSH key ${key.name} does not exist`);
      if (!allows(permission, rule.permission)) {
        throw new NotPermittedError(
          `You are not allowed to export the ${rule.what} of SSH key ${key.name}: it needs ${rule.permission} access`,
        );
      }
      const application = caller.principal.application;
      if (application !== undefined && rule.a2aOperation === undefined) {
        throw new NotPermittedError(
          `The application ${application.name} is not allowed to export the ${rule.what} of SSH key ${key.name}`,
        );
      }
      const sealed = key.privateKeySealed;
      if (sealed === null) {
        throw new OperationNotAvailableError(`SSH key ${key.name} has no private key stored`);
      }
      await audit.recordAccess(actorOf(caller), eventOnSshKey(rule.auditOperation, key.name));
      onRelease(kind);
      return unsealWith(
        keyring,
        sealed,
        sshKeyMaterial.privateKey(key.id),
        `private key of SSH key ${key.name}`,
      );
    },

    /**
     * The same release to the local operator of the CLI (`bulwark sshkeys export`), who holds the
     * data directory and its master key and is trusted like `rotate-master-key`: no grant to
     * check, but audited (durable) under the operator's name before the key is unsealed.
     */
    async releaseSshKeyToOperator(
      operator: AuditActor,
      kind: KeyReleaseKind,
      key: SshKeyToRelease,
    ): Promise<Buffer> {
      const rule: ReleaseRule = KEY_RELEASE_RULES[kind];
      const sealed = key.privateKeySealed;
      if (sealed === null) {
        throw new OperationNotAvailableError(`SSH key ${key.name} has no private key stored`);
      }
      await audit.recordAccess(
        operator,
        eventOnSshKey(rule.auditOperation, key.name, 'local operator (CLI)'),
      );
      onRelease(kind);
      return unsealWith(
        keyring,
        sealed,
        sshKeyMaterial.privateKey(key.id),
        `private key of SSH key ${key.name}`,
      );
    },

    /**
     * A certificate's private key or passphrase to the local operator of the CLI (`bulwark certs
     * export`, ADR 038), trusted like `releaseSshKeyToOperator`: no grant to check, audited
     * (durable) under the operator's name before it is unsealed.
     */
    async releaseCertificateToOperator(
      operator: AuditActor,
      kind: CertificateReleaseKind,
      certificate: CertificateToRelease,
    ): Promise<Buffer> {
      const rule: ReleaseRule = CERTIFICATE_RELEASE_RULES[kind];
      const name = `${certificate.commonName} (serial ${certificate.serial})`;
      const sealed =
        kind === 'certificatePrivateKey' ? certificate.privateKeySealed : certificate.passphraseSealed;
      if (sealed === null) {
        throw new OperationNotAvailableError(`Certificate ${name} has no ${rule.what} stored`);
      }
      await audit.recordAccess(
        operator,
        eventOnCertificate(rule.auditOperation, certificate, 'local operator (CLI)'),
      );
      const context =
        kind === 'certificatePrivateKey'
          ? certificateMaterial.privateKey(certificate.id)
          : certificateMaterial.passphrase(certificate.id);
      onRelease(kind);
      return unsealWith(keyring, sealed, context, `${rule.what} of certificate ${name}`);
    },

    /**
     * The private key or its passphrase of a certificate of the repository (ADR 036): a
     * certificate the caller may not see answers like a missing one; the kind's grant on it
     * (ADR 040); never to an application; audited (durable) before it is unsealed.
     */
    async releaseCertificate(
      caller: Caller,
      kind: CertificateReleaseKind,
      certificate: CertificateToRelease,
    ): Promise<Buffer> {
      const rule: ReleaseRule = CERTIFICATE_RELEASE_RULES[kind];
      const name = `${certificate.commonName} (serial ${certificate.serial})`;
      const principal = caller.principal;
      const permission = await access.certificatePermission(db, principal, certificate);
      if (permission === 'none')
        throw new NotFoundError(`Certificate ${certificate.commonName} does not exist`);
      if (!allows(permission, rule.permission)) {
        throw new NotPermittedError(
          `You are not allowed to retrieve the ${rule.what} of certificate ${name}: it needs ${rule.permission} access`,
        );
      }
      const application = principal.application;
      if (application !== undefined && rule.a2aOperation === undefined) {
        throw new NotPermittedError(
          `The application ${application.name} is not allowed to retrieve the ${rule.what} of certificate ${name}`,
        );
      }
      const sealed =
        kind === 'certificatePrivateKey' ? certificate.privateKeySealed : certificate.passphraseSealed;
      if (sealed === null) {
        throw new OperationNotAvailableError(`Certificate ${name} has no ${rule.what} stored`);
      }
      await audit.recordAccess(actorOf(caller), eventOnCertificate(rule.auditOperation, certificate));
      const context =
        kind === 'certificatePrivateKey'
          ? certificateMaterial.privateKey(certificate.id)
          : certificateMaterial.passphrase(certificate.id);
      onRelease(kind);
      return unsealWith(keyring, sealed, context, `${rule.what} of certificate ${name}`);
    },

    /**
     * The resource-level equivalent of `additionalFields` (ADR 018): the Password-type
     * additional fields of a resource, released when the caller's own grant on the resource
     * (owner, super admin, resource share, resource group) allows viewing, releases passwords
     * (NoHelpDeskRetrieval) and, for an application, RETRIEVE. Resources carry no reason, ticket
     * or checkout controls. Undefined when the resource has no such field.
     */
    async releaseResourceFields(
      caller: Caller,
      resource: { id: number; name: string; ownerId: number },
    ): Promise<ReadonlyMap<number, Secret> | undefined> {
      const { permission, mayRetrieve } = await access.resourceRelease(db, caller.principal, resource);
      const application = caller.principal.application;
      if (!allows(permission, 'view') || !mayRetrieve) {
        throw new NotPermittedError(
          `Your access to resource ${resource.name} does not release its Password-type additional fields`,
        );
      }
      if (application !== undefined && !application.operations.includes('RETRIEVE')) {
        throw new NotPermittedError(
          `The application ${application.name} is not allowed to retrieve the Password-type additional fields of resource ${resource.name}`,
        );
      }
      const open = await passwordFields('resource', resource.id);
      if (!open) return undefined;
      await audit.recordAccess(
        actorOf(caller),
        eventOn(
          RELEASE_RULES.additionalFields.auditOperation,
          { id: resource.id, name: resource.name },
          undefined,
          {
            reason: open.note,
            ticketId: null,
          },
        ),
      );
      onRelease('resourceFields');
      return open();
    },
  };
}
