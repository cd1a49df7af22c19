import { X509Certificate, type KeyObject } from 'node:crypto';
import type { Clock } from '../../platform/clock.js';
import type { Database, Executor } from '../../platform/db/database.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import {
  ConflictError,
  InvalidInputError,
  NotFoundError,
  NotPermittedError,
  OperationNotAvailableError,
} from '../../platform/errors.js';
import type { Caller } from '../../platform/principal.js';
import { allows, type AccessPolicy } from '../access/index.js';
import { actorOf, AuditOperation, type AuditActor, type AuditService } from '../audit/index.js';
import {
  certificateMaterial,
  eventOnCertificate,
  nameKey,
  type CertificateReleaseKind,
  type CertificateToRelease,
} from '../vault/index.js';
import { addInputFromKeystore, keystoreFile, type KeystoreExport } from './certificate-keystores.js';
import { certificatesDerOf, parseDer, type ParsedCertificate } from './certificate-parsing.js';
import { checkPrivateKey } from './certificate-private-key.js';
import {
  certificatesRepository as repo,
  type CertificateRow,
  type CertificateScope,
} from './certificates.repository.js';
import {
  LIMITS,
  type AddCertificateInput,
  type AddKeystoreInput,
  type CertificateFilters,
  type CertificateLocation,
  type CertificateRef,
  type CertificateSelector,
  type CertificateSource,
  type CertificateView,
} from './certificates.types.js';
import { KeystorePasswordError } from './crypto/password-error.js';

export interface CertificatesServiceDeps {
  readonly database: Database;
  readonly keyring: Keyring;
  readonly audit: AuditService;
  readonly clock: Clock;
  /** Who may see and do what to a certificate: owner, super administrators, shares (ADR 040). */
  readonly access: AccessPolicy;
  /** The release gate's door for certificate key material (`releaseCertificate`, ADR 018, 036). */
  readonly release: (
    caller: Caller,
    kind: CertificateReleaseKind,
    certificate: CertificateToRelease,
  ) => Promise<Buffer>;
  /** The same door for the local operator of the CLI (`releaseCertificateToOperator`, ADR 038). */
  readonly releaseToOperator: (
    operator: AuditActor,
    kind: CertificateReleaseKind,
    certificate: CertificateToRelease,
  ) => Promise<Buffer>;
}

/**
 * Who acts on the repository: an API caller, or the local operator of the CLI (`bulwark certs`),
 * trusted like `rotate-master-key` and audited under their operating-system name.
 */
export type CertificateActor = Caller | { readonly operator: AuditActor };

const isOperator = (who: CertificateActor): who is { readonly operator: AuditActor } => 'operator' in who;
const auditActorOf = (who: CertificateActor): AuditActor => (isOperator(who) ? who.operator : actorOf(who));

/** Where a chain was found (helper F's discovery): host, port and the SNI name sent. */
export interface FoundAt {
  readonly host: string;
  readonly port: number;
  readonly servername: string;
}

const DAY_MS = 86_400_000;
/** Issuers an exported keystore carries at most: real chains have 1–3. */
const MAX_KEYSTORE_ISSUERS = 9;

export type CertificatesService = ReturnType<typeof createCertificatesService>;

/**
 * The certificate repository (issue 14, ADR 036): certificates added (38), found by discovery or
 * issued, each stored once by SHA-256 with the fields parsed once; listed (33, 34), described
 * (35), fetched (32), deleted (39); the private key's passphrase released through the vault's
 * release gate (37). Whoever adds a certificate owns it; super administrators see every one;
 * others see their own and those shared to them (ADR 040). A certificate the caller may not see
 * answers exactly like a missing one. Applications are refused every operation.
 */
export function createCertificatesService(deps: CertificatesServiceDeps) {
  const { database, keyring, audit, clock, access, release } = deps;
  const db = database.db;

  function refuseApplications(who: CertificateActor, what: string): void {
    if (isOperator(who)) return;
    const application = who.principal.application;
    if (application) {
      throw new NotPermittedError(`The application ${application.name} is not allowed to ${what}`);
    }
  }

  // Owned, shared, or in a shared certificate group (ADR 040): the access policy decides.
  const scopeOf = (who: CertificateActor): CertificateScope =>
    isOperator(who) ? { kind: 'all' } : access.certificateScope(who.principal);

  async function ownerOf(
    executor: Executor,
    who: CertificateActor,
    ownerName: string | undefined,
  ): Promise<{ id: number; username: string }> {
    if (!isOperator(who)) return { id: who.principal.userId, username: who.principal.username };
    if (ownerName === undefined) throw new InvalidInputError('Name the user who will own the certificate');
    const user = await repo.findUser(executor, nameKey(ownerName));
    if (!user) throw new NotFoundError(`User ${ownerName} does not exist`);
    return { id: Number(user.id), username: user.username };
  }

  /** The one certificate a selector (or an id) names among those the actor may see. */
  async function selectOne(
    executor: Executor,
    who: CertificateActor,
    selector: CertificateRef,
  ): Promise<CertificateRow> {
    if ('id' in selector) {
      const row = await repo.byId(executor, scopeOf(who), selector.id);
      if (!row) throw new NotFoundError(`Certificate with ID ${selector.id} does not exist`);
      return row;
    }
    const rows = await repo.byName(executor, scopeOf(who), nameKey(selector.commonName));
    const wanted = selector.serial === undefined ? undefined : normalSerial(selector.serial);
    const matching = wanted === undefined ? rows : rows.filter((r) => normalSerial(r.serial) === wanted);
    const named = `${selector.commonName}${selector.serial ? ` with serial number ${selector.serial}` : ''}`;
    if (matching.length === 0) throw new NotFoundError(`Certificate ${named} does not exist`);
    if (matching.length > 1) {
      throw new InvalidInputError(
        `${matching.length} certificates are named ${selector.commonName}: give serial_number to choose one`,
      );
    }
    return matching[0]!;
  }

  /** Links a new row to its issuer's row, and rows it issued to it, when signatures verify. */
  async function linkChain(executor: Executor, id: number, parsed: ParsedCertificate): Promise<void> {
    const self = new X509Certificate(parsed.der);
    if (!parsed.selfSigned) {
      for (const candidate of await repo.bySubject(executor, parsed.issuer)) {
        if (Number(candidate.id) !== id && verifies(self, new X509Certificate(candidate.der).publicKey)) {
          await repo.setIssuer(executor, id, Number(candidate.id));
          break;
        }
      }
    }
    for (const child of await repo.unlinkedIssuedBy(executor, parsed.subject)) {
      if (Number(child.id) === id || child.self_signed) continue;
      if (verifies(new X509Certificate(child.der), self.publicKey)) {
        await repo.setIssuer(executor, Number(child.id), id);
      }
    }
  }

  /** Inserts one parsed certificate (known to be new) and links it into its chain. */
  async function insert(
    executor: Executor,
    parsed: ParsedCertificate,
    owner: { id: number; username: string },
    source: CertificateSource,
  ): Promise<number> {
    const id = await repo.insert(executor, {
      common_name: parsed.commonName,
      common_name_key: nameKey(parsed.commonName),
      subject: parsed.subject,
      issuer: parsed.issuer,
      issuer_common_name: parsed.issuerCommonName,
      serial: parsed.serial,
      sans: JSON.stringify(parsed.sans),
      sha256: parsed.sha256,
      sha1: parsed.sha1,
      key_algorithm: parsed.keyAlgorithm,
      key_bits: parsed.keyBits,
      curve: parsed.curve,
      signature_algorithm: parsed.signatureAlgorithm,
      not_before: parsed.notBefore.getTime(),
      not_after: parsed.notAfter.getTime(),
      self_signed: parsed.selfSigned ? 1 : 0,
      is_ca: parsed.isCa ? 1 : 0,
      der: parsed.der,
      issuer_id: null,
      private_key_sealed: null,
      passphrase_sealed: null,
      source,
      owner_id: owner.id,
      added_by: owner.username,
      added_at: clock.now(),
    });
    await linkChain(executor, id, parsed);
    return id;
  }

  async function viewById(executor: Executor, id: number): Promise<CertificateView> {
    const row = await executor
      .selectFrom('certificates')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    return viewOf(row);
  }

  /**
   * Stores each certificate of a chain once (by SHA-256), `source` saying how it came; records
   * where it was found when `at` is given. Answers the new certificates and the ones known.
   */
  async function storeChain(
    executor: Executor,
    who: CertificateActor,
    chainDer: readonly Buffer[],
    source: CertificateSource,
    at: FoundAt | undefined,
    ownerName?: string,
  ): Promise<{ added: CertificateView[]; known: CertificateView[] }> {
    const parsed = chainDer.map((der) => parseDer(der));
    const owner = await ownerOf(executor, who, ownerName);
    const addedIds: number[] = [];
    const known: CertificateView[] = [];
    for (const cert of parsed) {
      const existing = await repo.bySha256(executor, cert.sha256);
      const id = existing ? Number(existing.id) : await insert(executor, cert, owner, source);
      if (at) await repo.recordLocation(executor, id, at, clock.now());
      if (existing) {
        known.push(viewOf(existing));
        continue;
      }
      addedIds.push(id);
      await audit.append(
        executor,
        auditActorOf(who),
        eventOnCertificate(
          source === 'discovered'
            ? AuditOperation.certificateDiscovered
            : source === 'issued'
              ? AuditOperation.certificateIssued
              : AuditOperation.certificateAdded,
          cert,
          at ? `found at ${at.host}:${at.port}${at.servername ? ` (SNI ${at.servername})` : ''}` : source,
        ),
      );
    }
    // Read back after the whole chain is in: a later certificate may be an earlier one's issuer.
    const added: CertificateView[] = [];
    for (const id of addedIds) added.push(await viewById(executor, id));
    return { added, known };
  }

  return {
    /**
     * Endpoint 38 (and `bulwark certs add`): a certificate file (PEM, possibly a chain, or DER);
     * the first certificate is the one added, with its private key when given (it must match
     * the certificate; an encrypted one needs its passphrase). The rest of a chain is stored too,
     * once each. A certificate already in the repository is refused.
     */
    async add(
      who: CertificateActor,
      given: AddCertificateInput | AddKeystoreInput,
      ownerName?: string,
    ): Promise<{ certificate: CertificateView; chain: CertificateView[] }> {
      refuseApplications(who, 'add certificates');
      // A keystore is opened (its password tried, its key decrypted) only for a caller who may add.
      const input = 'keystore' in given ? addInputFromKeystore(given.keystore, given.password) : given;
      const files = certificatesDerOf(input.certificate);
      if (files.length > LIMITS.chain) {
        throw new InvalidInputError(
          `The file holds ${files.length} certificates: at most ${LIMITS.chain} (a certificate and its chain) are added at once`,
        );
      }
      const parsed = files.map((der) => parseDer(der));
      const first = parsed[0]!;
      if (input.passphrase !== undefined && input.privateKey === undefined) {
        throw new InvalidInputError('A passphrase was given without a private key');
      }
      if (input.privateKey !== undefined) checkPrivateKey(first, input.privateKey, input.passphrase);
      return db.transaction().execute(async (trx) => {
        if (await repo.bySha256(trx, first.sha256)) {
          throw new ConflictError(
            `Certificate ${first.commonName || first.subject} (serial ${first.serial}) is already in the repository`,
          );
        }
        const stored = await storeChain(
          trx,
          who,
          parsed.map((p) => p.der),
          'added',
          undefined,
          ownerName,
        );
        const certificate = stored.added[0]!;
        if (input.privateKey !== undefined) {
          const id = certificate.id;
          await repo.setSealed(
            trx,
            id,
            keyring.seal(Buffer.from(input.privateKey, 'utf8'), certificateMaterial.privateKey(id)),
            input.passphrase ? keyring.seal(input.passphrase, certificateMaterial.passphrase(id)) : null,
          );
        }
        return { certificate: await viewById(trx, certificate.id), chain: stored.added.slice(1) };
      });
    },

    /**
     * For discovery (helper F, ADR 037): stores each certificate of a served chain once (by
     * SHA-256) as `discovered`, owned by `who`, and records where it was found. Runs in the
     * caller's executor (a transaction of theirs, or the database). Answers what was new.
     */
    storeFound(
      executor: Executor,
      who: CertificateActor,
      chainDer: readonly Buffer[],
      at: FoundAt,
      ownerName?: string,
    ): Promise<{ added: CertificateView[]; known: CertificateView[] }> {
      refuseApplications(who, 'discover certificates');
      return storeChain(executor, who, chainDer, 'discovered', at, ownerName);
    },

    /**
     * For the internal CA (ADR 039): stores a certificate it just issued as `issued`, owned by
     * `who`, in the caller's transaction, audited (Certificate Issued). `seal` gives the sealed
     * private key (and passphrase) for the new row's id when the key was made here.
     */
    async storeIssued(
      executor: Executor,
      who: CertificateActor,
      der: Buffer,
      note: string,
      seal?: (certificateId: number) => { privateKey: Buffer; passphrase: Buffer | null },
      ownerName?: string,
    ): Promise<CertificateView> {
      refuseApplications(who, 'issue certificates');
      const parsed = parseDer(der);
      const owner = await ownerOf(executor, who, ownerName);
      const id = await insert(executor, parsed, owner, 'issued');
      if (seal) {
        const sealed = seal(id);
        await repo.setSealed(executor, id, sealed.privateKey, sealed.passphrase);
      }
      await audit.append(
        executor,
        auditActorOf(who),
        eventOnCertificate(AuditOperation.certificateIssued, parsed, note),
      );
      return viewById(executor, id);
    },

    /** Endpoint 33 (and `bulwark certs list`): the certificates the actor may see, filtered. */
    async list(who: CertificateActor, filters: CertificateFilters = {}): Promise<CertificateView[]> {
      refuseApplications(who, 'list certificates');
      const before =
        filters.expiringWithinDays === undefined
          ? undefined
          : clock.now() + filters.expiringWithinDays * DAY_MS;
      const wanted = filters.signatureAlgorithm?.toLowerCase().replace(/[^a-z0-9]/g, '');
      return (await repo.list(db, scopeOf(who), before))
        .map(viewOf)
        .filter((c) => filters.keyLength === undefined || c.keyBits === filters.keyLength)
        .filter(
          (c) =>
            wanted === undefined ||
            c.signatureAlgorithm
              .toLowerCase()
              .replace(/[^a-z0-9]/g, '')
              .includes(wanted),
        );
    },

    /**
     * The console's list (ADR 042): one page of the certificates the actor may see, by common
     * name, searched on the server; `expiringWithinDays` as endpoint 33's filter.
     */
    async page(
      who: CertificateActor,
      query: { search?: string; expiringWithinDays?: number; offset: number; limit: number },
    ): Promise<{ items: CertificateView[]; total: number }> {
      refuseApplications(who, 'list certificates');
      const { rows, total } = await repo.page(db, scopeOf(who), {
        ...(query.search === undefined ? {} : { search: query.search }),
        ...(query.expiringWithinDays === undefined
          ? {}
          : { notAfterBefore: clock.now() + query.expiringWithinDays * DAY_MS }),
        offset: query.offset,
        limit: query.limit,
      });
      return { items: rows.map(viewOf), total };
    },

    /** Where discovery found each of the given certificates, by certificate id. */
    async locations(ids: readonly number[]): Promise<Map<number, CertificateLocation[]>> {
      const out = new Map<number, CertificateLocation[]>();
      for (const row of await repo.locations(db, ids)) {
        const id = Number(row.certificate_id);
        const list = out.get(id) ?? [];
        list.push({
          host: row.host,
          port: Number(row.port),
          servername: row.servername,
          firstSeen: Number(row.first_seen),
          lastSeen: Number(row.last_seen),
        });
        out.set(id, list);
      }
      return out;
    },

    /** Endpoint 35: every visible certificate with this common name (and serial, when given). */
    async details(who: CertificateActor, selector: CertificateRef): Promise<CertificateView[]> {
      refuseApplications(who, 'read certificate details');
      let matching: CertificateRow[];
      if ('id' in selector) {
        matching = [await selectOne(db, who, selector)];
      } else {
        const rows = await repo.byName(db, scopeOf(who), nameKey(selector.commonName));
        const wanted = selector.serial === undefined ? undefined : normalSerial(selector.serial);
        matching = rows.filter((r) => wanted === undefined || normalSerial(r.serial) === wanted);
      }
      if (matching.length === 0) {
        throw new NotFoundError(
          `Certificate ${'id' in selector ? selector.id : selector.commonName} does not exist`,
        );
      }
      // The issuer's id only when the caller may see the issuer (ADR 040: else it is as missing).
      const issuerIds = matching.flatMap((r) => (r.issuer_id === null ? [] : [Number(r.issuer_id)]));
      const seen = await repo.visibleAmong(db, scopeOf(who), issuerIds);
      return matching
        .map(viewOf)
        .map((v) => (v.issuerId === null || seen.has(v.issuerId) ? v : { ...v, issuerId: null }));
    },

    /** Endpoint 32: the certificate file (public material: no release gate). */
    async file(
      who: CertificateActor,
      selector: CertificateRef,
    ): Promise<{ view: CertificateView; der: Buffer }> {
      refuseApplications(who, 'fetch certificates');
      const row = await selectOne(db, who, selector);
      return { view: viewOf(row), der: Buffer.from(row.der) };
    },

    /**
     * Endpoint 36: the certificate with its private key and linked issuers as a PKCS#12 or JKS
     * keystore protected by `password`, or by the key's stored passphrase when none is given
     * (ADR 038). The key (and its passphrase when stored) leave the vault through the release
     * gate, which decides who may have them (as for endpoint 37) and audits each release.
     */
    async keystore(
      who: CertificateActor,
      selector: CertificateRef,
      options: { format: KeystoreExport['format']; password?: string },
    ): Promise<{ view: CertificateView } & ReturnType<typeof keystoreFile>> {
      refuseApplications(who, 'export certificate keystores');
      const row = await selectOne(db, who, selector);
      const name = row.common_name || row.subject;
      if (row.private_key_sealed === null) {
        throw new OperationNotAvailableError(
          `Certificate ${name} has no private key stored: a keystore needs one (getCertificate gives the certificate alone)`,
        );
      }
      if (!options.password && row.passphrase_sealed === null) {
        throw new KeystorePasswordError(
          `Certificate ${name} has no stored passphrase to protect the keystore with: give PASSWORD`,
        );
      }
      // Only issuers the caller may see (ADR 040): an export must not show one they could not fetch.
      const issuers = await repo.issuers(
        db,
        scopeOf(who),
        { id: Number(row.id), issuerId: row.issuer_id === null ? null : Number(row.issuer_id) },
        MAX_KEYSTORE_ISSUERS,
      );
      const chainDer = [Buffer.from(row.der), ...issuers.map((i) => i.der)];
      // The operator of the CLI through the gate's operator door, callers through theirs.
      const open = (kind: CertificateReleaseKind) =>
        isOperator(who)
          ? deps.releaseToOperator(who.operator, kind, toRelease(row))
          : release(who, kind, toRelease(row));
      const passphrase = row.passphrase_sealed === null ? undefined : await open('certificatePassphrase');
      const key = await open('certificatePrivateKey');
      try {
        const keyPassphrase = passphrase?.toString('utf8');
        const file = keystoreFile({
          format: options.format,
          privateKeyPem: key.toString('utf8'),
          ...(keyPassphrase ? { keyPassphrase } : {}),
          chainDer,
          password: options.password || (keyPassphrase ?? ''),
          alias: row.common_name || `certificate-${row.id}`,
        });
        return { view: viewOf(row), ...file };
      } finally {
        key.fill(0);
        passphrase?.fill(0);
      }
    },

    /** Endpoint 37: the private key's passphrase, through the release gate (audited before). */
    async passphrase(
      caller: Caller,
      selector: CertificateSelector,
    ): Promise<{ view: CertificateView; passphrase: string }> {
      refuseApplications(caller, 'retrieve certificate passphrases');
      const row = await selectOne(db, caller, selector);
      const opened = await release(caller, 'certificatePassphrase', toRelease(row));
      try {
        return { view: viewOf(row), passphrase: opened.toString('utf8') };
      } finally {
        opened.fill(0);
      }
    },

    /** Endpoint 39 (and `bulwark certs delete`): full access (owner, super administrator, full share). */
    async remove(who: CertificateActor, selector: CertificateRef): Promise<CertificateView> {
      refuseApplications(who, 'delete certificates');
      return db.transaction().execute(async (trx) => {
        const row = await selectOne(trx, who, selector);
        if (!isOperator(who)) {
          const at = { id: Number(row.id), ownerId: Number(row.owner_id) };
          if (!allows(await access.certificatePermission(trx, who.principal, at), 'full')) {
            throw new NotPermittedError(
              `You are not allowed to delete certificate ${row.common_name}: it needs full access`,
            );
          }
        }
        await repo.remove(trx, Number(row.id));
        const view = viewOf(row);
        await audit.append(
          trx,
          auditActorOf(who),
          eventOnCertificate(AuditOperation.certificateDeleted, view, view.sha256),
        );
        return view;
      });
    },
  };
}

function toRelease(row: CertificateRow): CertificateToRelease {
  return {
    id: Number(row.id),
    commonName: row.common_name,
    serial: row.serial,
    ownerId: Number(row.owner_id),
    privateKeySealed: row.private_key_sealed,
    passphraseSealed: row.passphrase_sealed,
  };
}

/** Serials compare as hex without separators, case or leading zeros. */
export function normalSerial(serial: string): string {
  return serial
    .replace(/[\s:]/g, '')
    .toUpperCase()
    .replace(/^0+(?=.)/, '');
}

function verifies(cert: X509Certificate, key: KeyObject): boolean {
  try {
    return cert.verify(key);
  } catch {
    return false;
  }
}

export function viewOf(row: CertificateRow): CertificateView {
  return {
    id: Number(row.id),
    commonName: row.common_name,
    subject: row.subject,
    issuer: row.issuer,
    issuerCommonName: row.issuer_common_name,
    serial: row.serial,
    sans: JSON.parse(row.sans) as CertificateView['sans'],
    sha256: row.sha256,
    sha1: row.sha1,
    keyAlgorithm: row.key_algorithm,
    keyBits: Number(row.key_bits),
    curve: row.curve,
    signatureAlgorithm: row.signature_algorithm,
    notBefore: Number(row.not_before),
    notAfter: Number(row.not_after),
    selfSigned: Boolean(Number(row.self_signed)),
    isCa: Boolean(Number(row.is_ca)),
    issuerId: row.issuer_id === null ? null : Number(row.issuer_id),
    hasPrivateKey: row.private_key_sealed !== null,
    hasPassphrase: row.passphrase_sealed !== null,
    source: row.source,
    ownerId: Number(row.owner_id),
    addedBy: row.added_by,
    addedAt: Number(row.added_at),
  };
}
