import { randomBytes } from 'node:crypto';
import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import { actorOf, AuditOperation, type AuditActor, type AuditService } from '../audit/index.js';
import { eventOnCertificate, internalCaKey } from '../vault/index.js';
import { parseCertificate, parseDer } from './certificate-parsing.js';
import {
  certificateRequestsRepository as repo,
  type InternalCaRow,
} from './certificate-requests.repository.js';
import type { InternalCaView } from './certificate-requests.types.js';
import type { CertificateActor } from './certificates.service.js';
import {
  createCa,
  issueCertificate,
  signCsr,
  type IssueOptions,
  type IssuedCertificate,
  type SignOptions,
} from './crypto/ca.js';

/** Ten years: leaves may not outlive it (signCsr refuses), so it is long. */
const CA_VALIDITY_DAYS = 3650;

export const auditActorOfCertificateActor = (who: CertificateActor): AuditActor =>
  'operator' in who ? who.operator : actorOf(who);

function pemOf(der: Buffer): string {
  const base64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${base64}\n-----END CERTIFICATE-----\n`;
}

export type InternalCa = ReturnType<typeof createInternalCa>;

/**
 * The installation's internal certificate authority (ADR 039): created on first use, one per
 * installation. Nodes that create it at the same time each make a key, but only one row can be
 * inserted (its id is fixed); the others read the winner's, so every node signs with the same
 * key. The key is sealed at once and opened only inside `internalCaKey.useForSigning`.
 */
export function createInternalCa(deps: {
  readonly database: Database;
  readonly keyring: Keyring;
  readonly audit: AuditService;
  readonly clock: Clock;
}) {
  const { database, keyring, audit, clock } = deps;
  const db = database.db;

  async function ensure(who: CertificateActor): Promise<InternalCaRow> {
    const existing = await repo.internalCa(db);
    if (existing) return existing;
    // A short random suffix tells installations' CAs apart in clients' trust stores.
    const commonName = `Bulwark Internal CA ${randomBytes(4).toString('hex')}`;
    const made = await createCa({
      subject: { commonName, organization: 'Bulwark' },
      validityDays: CA_VALIDITY_DAYS,
      now: new Date(clock.now()),
    });
    const parsed = parseCertificate(made.certificatePem);
    const actor = auditActorOfCertificateActor(who);
    await db.transaction().execute(async (trx) => {
      const inserted = await repo.insertCaOnce(trx, {
        id: 1,
        common_name: commonName,
        certificate_der: parsed.der,
        private_key_sealed: keyring.seal(made.privateKeyPem, internalCaKey.privateKey()),
        created_by: actor.username,
        created_at: clock.now(),
      });
      if (inserted) {
        await audit.append(
          trx,
          actor,
          eventOnCertificate(AuditOperation.internalCaCreated, parsed, `SHA-256 ${parsed.sha256}`),
        );
      }
    });
    return (await repo.internalCa(db))!;
  }

  async function withKey<T>(
    who: CertificateActor,
    use: (ca: { certificatePem: string; privateKeyPem: string }) => Promise<T>,
  ): Promise<T> {
    const row = await ensure(who);
    const certificatePem = pemOf(Buffer.from(row.certificate_der));
    return internalCaKey.useForSigning(keyring, Buffer.from(row.private_key_sealed), (privateKeyPem) =>
      use({ certificatePem, privateKeyPem }),
    );
  }

  return {
    /** The CA's common name, undefined while there is no CA (does not create it). */
    async commonName(): Promise<string | undefined> {
      return (await repo.internalCa(db))?.common_name;
    },

    /** The CA's certificate (public), creating the CA when there is none yet. */
    async certificate(who: CertificateActor): Promise<InternalCaView> {
      const row = await ensure(who);
      const der = Buffer.from(row.certificate_der);
      const parsed = parseDer(der);
      return {
        commonName: row.common_name,
        certificatePem: pemOf(der),
        sha256: parsed.sha256,
        notAfter: parsed.notAfter.getTime(),
        createdBy: row.created_by,
        createdAt: Number(row.created_at),
      };
    },

    /** Signs a CSR (its signature checked first) into a TLS server/client certificate. */
    sign(who: CertificateActor, csrPem: string, options: SignOptions): Promise<IssuedCertificate> {
      return withKey(who, (ca) => signCsr(ca, csrPem, { now: new Date(clock.now()), ...options }));
    },

    /** Makes a key and a certificate for it, signed by the CA. */
    issue(
      who: CertificateActor,
      options: IssueOptions,
    ): Promise<IssuedCertificate & { readonly privateKeyPem: string }> {
      return withKey(who, (ca) => issueCertificate(ca, { now: new Date(clock.now()), ...options }));
    },
  };
}
