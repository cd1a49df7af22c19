import type { Clock } from '../../platform/clock.js';
import type { Database, Executor } from '../../platform/db/database.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { ConflictError, InvalidInputError, NotFoundError, NotPermittedError } from '../../platform/errors.js';
import { AuditOperation, type AuditActor, type AuditService } from '../audit/index.js';
import {
  certificateMaterial,
  certificateRequestMaterial,
  eventOnCertificate,
  nameKey,
} from '../vault/index.js';
import {
  certificateRequestsRepository as repo,
  type CertificateRequestRow,
  type RequestScope,
} from './certificate-requests.repository.js';
import {
  MINUTE_MS,
  REQUEST_LIMITS,
  validityMs,
  type CertificateRequestInput,
  type CertificateRequestView,
} from './certificate-requests.types.js';
import { certificatesRepository } from './certificates.repository.js';
import type { CertificateActor, CertificatesService } from './certificates.service.js';
import type { CertificateView } from './certificates.types.js';
import { createCsr, parseCsr, type SubjectFields } from './crypto/csr.js';
import { auditActorOfCertificateActor as auditActorOf, type InternalCa } from './internal-ca.js';

export type CertificateRequestsService = ReturnType<typeof createCertificateRequestsService>;

const isOperator = (who: CertificateActor): who is { readonly operator: AuditActor } => 'operator' in who;

function subjectOf(input: CertificateRequestInput): SubjectFields {
  const optional = {
    organization: input.organization,
    organizationalUnit: input.organizationalUnit,
    locality: input.locality,
    state: input.state,
    country: input.country,
  };
  return {
    commonName: input.commonName,
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined && v !== '')),
  };
}

/**
 * CSRs and certificates issued by the internal CA (issue 14, endpoints 42–45, ADR 039). A CSR's
 * key is made here and sealed to the request's row; signing it (44) puts the certificate into
 * the repository (source `issued`, owned by the signer) with the key moved, sealed, to the
 * certificate's row, so getCertificatePassphrase and the keystore export find it. Whoever may
 * add certificates may do this (every user; applications are refused); requests are listed
 * to their owner, and to super administrators all of them.
 */
export function createCertificateRequestsService(deps: {
  readonly database: Database;
  readonly keyring: Keyring;
  readonly audit: AuditService;
  readonly clock: Clock;
  readonly certificates: CertificatesService;
  readonly internalCa: InternalCa;
}) {
  const { database, keyring, audit, clock, certificates, internalCa } = deps;
  const db = database.db;

  function refuseApplications(who: CertificateActor, what: string): void {
    if (isOperator(who)) return;
    const application = who.principal.application;
    if (application) {
      throw new NotPermittedError(`The application ${application.name} is not allowed to ${what}`);
    }
  }

  const scopeOf = (who: CertificateActor): RequestScope =>
    isOperator(who) || who.principal.isSuperAdmin
      ? { kind: 'all' }
      : { kind: 'owner', userId: who.principal.userId };

  async function ownerOf(executor: Executor, who: CertificateActor, ownerName: string | undefined) {
    if (!isOperator(who)) return { id: who.principal.userId, username: who.principal.username };
    if (ownerName === undefined) throw new InvalidInputError('Name the user who will own it (--owner)');
    const user = await certificatesRepository.findUser(executor, nameKey(ownerName));
    if (!user) throw new NotFoundError(`User ${ownerName} does not exist`);
    return { id: Number(user.id), username: user.username };
  }

  function checkValidity(input: CertificateRequestInput): number {
    const ms = validityMs(input.validity, input.validityType);
    if (input.validity < 1 || ms < MINUTE_MS || ms > validityMs(REQUEST_LIMITS.maxDays, 'days')) {
      throw new InvalidInputError(
        `VALIDITY ${input.validity} ${input.validityType} is out of range: from one minute to ${REQUEST_LIMITS.maxDays} days`,
      );
    }
    return ms;
  }

  return {
    /** Endpoint 42: a key pair made here and a CSR signed with it; the key sealed. */
    async create(
      who: CertificateActor,
      input: CertificateRequestInput,
      ownerName?: string,
    ): Promise<CertificateRequestView> {
      refuseApplications(who, 'create certificate signing requests');
      checkValidity(input);
      const made = await createCsr({
        subject: subjectOf(input),
        dnsNames: input.dnsNames,
        ipAddresses: input.ipAddresses,
        keyAlgorithm: input.keyAlgorithm,
        signatureHash: input.signatureHash,
        passphrase: input.password,
      });
      const parsed = await parseCsr(made.csrPem);
      return db.transaction().execute(async (trx) => {
        const owner = await ownerOf(trx, who, ownerName);
        const id = await repo.insert(trx, {
          common_name: input.commonName,
          common_name_key: nameKey(input.commonName),
          subject: parsed.subjectText,
          sans: JSON.stringify({
            dns: parsed.subjectAltNames.dnsNames,
            ip: parsed.subjectAltNames.ipAddresses,
          }),
          key_algorithm: parsed.key.type,
          key_bits: parsed.key.bits,
          signature_algorithm: parsed.signatureAlgorithm,
          validity: input.validity,
          validity_type: input.validityType,
          keystore_type: input.keystoreType,
          csr_pem: made.csrPem,
          private_key_sealed: null,
          password_sealed: null,
          owner_id: owner.id,
          created_by: owner.username,
          created_at: clock.now(),
          certificate_id: null,
          signed_at: null,
        });
        await repo.setSealed(
          trx,
          id,
          keyring.seal(made.privateKeyPem, certificateRequestMaterial.privateKey(id)),
          input.password ? keyring.seal(input.password, certificateRequestMaterial.password(id)) : null,
        );
        await audit.append(
          trx,
          auditActorOf(who),
          eventOnCertificate(
            AuditOperation.certificateRequestCreated,
            { commonName: input.commonName, serial: `CSR ${id}` },
            `${parsed.key.type} ${parsed.key.bits}, ${parsed.signatureAlgorithm}`,
          ),
        );
        const row = await repo.byId(trx, { kind: 'all' }, id);
        return viewOf(row!);
      });
    },

    /** Endpoint 43: the requests the actor may see, optionally those with this common name. */
    async list(who: CertificateActor, commonName?: string): Promise<CertificateRequestView[]> {
      refuseApplications(who, 'list certificate signing requests');
      const key = commonName === undefined ? undefined : nameKey(commonName);
      return (await repo.list(db, scopeOf(who), key)).map(viewOf);
    },

    /** The console's list: one page of the requests the actor may see, newest first. */
    async page(
      who: CertificateActor,
      query: { unsigned: boolean; offset: number; limit: number },
    ): Promise<{ items: CertificateRequestView[]; total: number }> {
      refuseApplications(who, 'list certificate signing requests');
      const { rows, total } = await repo.page(db, scopeOf(who), query);
      return { items: rows.map(viewOf), total };
    },

    /**
     * Endpoint 44: signs a stored request with the internal CA for the validity it asked for.
     * The certificate lands in the repository (source issued, owned by the signer) with the
     * request's key and password moved to it. A request is signed once.
     */
    async sign(
      who: CertificateActor,
      requestId: number,
      caName?: string,
      ownerName?: string,
    ): Promise<{ request: CertificateRequestView; certificate: CertificateView }> {
      refuseApplications(who, 'sign certificate signing requests');
      const row = await repo.byId(db, scopeOf(who), requestId);
      if (!row) throw new NotFoundError(`CSR ${requestId} does not exist`);
      if (caName !== undefined) {
        // Checked without creating the CA: a refused request changes nothing.
        const name = (await internalCa.commonName()) ?? 'Bulwark Internal CA, not yet created';
        if (caName.toLowerCase() !== name.toLowerCase()) {
          throw new InvalidInputError(
            `Only the internal CA (${name}) signs here; caName "${caName.slice(0, 80)}" is not it (leave caName out)`,
          );
        }
      }
      if (row.signed_at !== null) throw alreadySigned(row);
      const sealedKey = row.private_key_sealed;
      if (sealedKey === null) throw new ConflictError(`CSR ${requestId} has no private key stored`);
      const issued = await internalCa.sign(who, row.csr_pem, {
        validityMs: validityMs(Number(row.validity), row.validity_type),
      });
      return db.transaction().execute(async (trx) => {
        const certificate = await certificates.storeIssued(
          trx,
          who,
          issued.der,
          `signed from CSR ${requestId} by the internal CA`,
          (certificateId) =>
            certificateRequestMaterial.resealForCertificate(
              keyring,
              {
                privateKey: Buffer.from(sealedKey),
                password: row.password_sealed && Buffer.from(row.password_sealed),
              },
              requestId,
              certificateId,
            ),
          ownerName,
        );
        // Two signings at once: the second finds the request signed and rolls back its certificate.
        if (!(await repo.markSigned(trx, requestId, certificate.id, clock.now()))) throw alreadySigned(row);
        await audit.append(
          trx,
          auditActorOf(who),
          eventOnCertificate(
            AuditOperation.certificateRequestSigned,
            { commonName: row.common_name, serial: `CSR ${requestId}` },
            `certificate serial ${certificate.serial}`,
          ),
        );
        const signed = await repo.byId(trx, { kind: 'all' }, requestId);
        return { request: viewOf(signed!), certificate };
      });
    },

    /** Endpoint 45: a key and a certificate for it, issued directly by the internal CA. */
    async issue(
      who: CertificateActor,
      input: CertificateRequestInput,
      ownerName?: string,
    ): Promise<CertificateView> {
      refuseApplications(who, 'create certificates');
      const span = checkValidity(input);
      if (isOperator(who)) await ownerOf(db, who, ownerName);
      const issued = await internalCa.issue(who, {
        subject: subjectOf(input),
        dnsNames: input.dnsNames,
        ipAddresses: input.ipAddresses,
        keyAlgorithm: input.keyAlgorithm,
        signatureHash: input.signatureHash,
        passphrase: input.password,
        validityMs: span,
      });
      const password = input.password;
      return db.transaction().execute((trx) =>
        certificates.storeIssued(
          trx,
          who,
          issued.der,
          'issued directly by the internal CA',
          (id) => ({
            privateKey: keyring.seal(issued.privateKeyPem, certificateMaterial.privateKey(id)),
            passphrase: password ? keyring.seal(password, certificateMaterial.passphrase(id)) : null,
          }),
          ownerName,
        ),
      );
    },
  };
}

function alreadySigned(row: CertificateRequestRow): ConflictError {
  return new ConflictError(
    `CSR ${row.id} (${row.common_name}) was already signed${row.certificate_id === null ? '' : ` (certificate ${row.certificate_id})`}`,
  );
}

function viewOf(row: CertificateRequestRow): CertificateRequestView {
  return {
    id: Number(row.id),
    commonName: row.common_name,
    subject: row.subject,
    sans: JSON.parse(row.sans) as CertificateRequestView['sans'],
    keyAlgorithm: row.key_algorithm,
    keyBits: Number(row.key_bits),
    signatureAlgorithm: row.signature_algorithm,
    validity: Number(row.validity),
    validityType: row.validity_type,
    keystoreType: row.keystore_type,
    hasPassword: row.password_sealed !== null,
    csrPem: row.csr_pem,
    ownerId: Number(row.owner_id),
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
    certificateId: row.certificate_id === null ? null : Number(row.certificate_id),
    signedAt: row.signed_at === null ? null : Number(row.signed_at),
  };
}
