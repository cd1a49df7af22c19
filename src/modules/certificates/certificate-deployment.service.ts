import { createPrivateKey } from 'node:crypto';
import type { Clock } from '../../platform/clock.js';
import type { Database, Executor } from '../../platform/db/database.js';
import type { Secret } from '../../platform/crypto/secret.js';
import { InvalidInputError, NotFoundError, NotPermittedError } from '../../platform/errors.js';
import type { Caller } from '../../platform/principal.js';
import { allows, type AccessPolicy, type CertificateScope, type Permission } from '../access/index.js';
import { actorOf, AuditOperation, type AuditActor, type AuditService } from '../audit/index.js';
import {
  buildTarget,
  credentialAccountsOf,
  describeFailure,
  hostKeyBookkeeping,
  logWithoutMessage,
  RemoteChangeFailure,
  type RotationConfigurations,
  type SshTarget,
} from '../rotation/index.js';
import { visibleResourceNamed, type HostSecrets } from '../vault/index.js';
import type { CertificateFilesConnector, CertificateFile } from './certificate-deployment.connector.js';
import {
  deploymentTargetsRepository as repo,
  type DeployResource,
} from './certificate-deployment.repository.js';
import { certificatesRepository } from './certificates.repository.js';
import {
  DEPLOYMENT_LIMITS,
  type DeployOutcome,
  type DeployRequest,
  type DeployStatus,
  type DeploymentConfiguration,
  type DeploymentConfigurationInput,
  type SavedServer,
} from './certificate-deployment.types.js';
import { parseDer } from './certificate-parsing.js';
import { writePkcs12 } from './crypto/pkcs12.js';
import type { CertificateActor, CertificatesService } from './certificates.service.js';
import type { CertificateRef, CertificateView } from './certificates.types.js';
import { readServedChain, TlsProbeError } from './tls-probe.js';

/** Writes a PKCS#12 file of the chain and key, protected with `password` (the keystore writer). */
export type PfxWriter = (input: {
  readonly chain: readonly Buffer[];
  readonly privateKeyPem: string;
  readonly password: string;
  readonly alias: string;
}) => Buffer;

export interface CertificateDeploymentDeps {
  readonly database: Database;
  readonly audit: AuditService;
  readonly access: AccessPolicy;
  readonly clock: Clock;
  readonly certificates: CertificatesService;
  /** Remote reset configurations and pinned host keys (ADR 027). */
  readonly configurations: RotationConfigurations;
  readonly secrets: HostSecrets;
  readonly connector: CertificateFilesConnector;
  /** Each SSH operation ends within this many milliseconds (the rotation's timeout). */
  readonly timeoutMs: number;
  /** How long the served certificate is awaited after the reload; default DEPLOYMENT_LIMITS.verifyMs. */
  readonly verifyMs?: number;
  /** The PKCS#12 writer; by default the keystores' (ADR 038). */
  readonly pfx?: PfxWriter;
  readonly log?: (err: unknown, message: string) => void;
}

export type CertificateDeployment = ReturnType<typeof createCertificateDeployment>;

/** A failure of one server, answered in its deployStatus (never thrown to the caller). */
class ServerFailure extends Error {}

const pem = (der: Buffer) =>
  `-----BEGIN CERTIFICATE-----\n${der
    .toString('base64')
    .replace(/.{64}/g, '$&\n')
    .replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;

/** Most intermediates written above a deployed certificate (the chain a server sends). */
const MAX_DEPLOYED_INTERMEDIATES = 8;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Deployment of a certificate to servers (endpoint 64, ADR 041): the chain, the private key and
 * optionally a PFX written over SSH to the saved paths of a Linux resource (its remote reset
 * configuration, pinned host keys and elevation, as SSH keys reach hosts: ADR 033), an optional
 * reload command run, then the certificate the server serves read back (tls-probe) and compared.
 * The private key goes from the vault to the host only (host secrets, never a release to a
 * person). Who may: whoever holds full access to the certificate (owner, super administrator,
 * full share: ADR 040), with full access to each resource; applications never. Each server is
 * audited on its resource with where it went.
 */
export function createCertificateDeployment(deps: CertificateDeploymentDeps) {
  const { database, audit, access, clock, certificates, configurations, secrets, connector } = deps;
  const db = database.db;
  const log = deps.log ?? logWithoutMessage;
  const verifyMs = deps.verifyMs ?? DEPLOYMENT_LIMITS.verifyMs;
  const pfx: PfxWriter =
    deps.pfx ??
    ((input) =>
      writePkcs12({
        privateKeyPem: input.privateKeyPem,
        chain: input.chain.map(pem),
        password: input.password,
        alias: input.alias,
      }));
  const { pinObserved, afterFailure } = hostKeyBookkeeping(configurations, log);

  async function grantOn(
    executor: Executor,
    caller: Caller,
    resource: DeployResource,
  ): Promise<{ visible: boolean; permission: Permission }> {
    const owner = { id: resource.id, ownerId: resource.ownerId };
    const permission = await access.resourcePermission(executor, caller.principal, owner);
    if (permission !== 'none') return { visible: true, permission };
    const reach = await access.reachableAccounts(executor, caller.principal, owner);
    return { visible: reach === 'all' || reach.size > 0, permission };
  }

  /** The resource by its name, else by its DNS name, among those the caller can see. */
  async function visibleResource(
    caller: Caller,
    name: string,
  ): Promise<{ resource: DeployResource; permission: Permission }> {
    const { resource, grant } = await visibleResourceNamed(db, name, (r) => grantOn(db, caller, r));
    return { resource, permission: grant.permission };
  }

  const noFull = (resource: DeployResource) =>
    `You are not allowed to deploy certificates to resource ${resource.name}: it needs full access to the resource, whose remote reset configuration the server logs in with`;

  /**
   * The certificate the caller names, when they hold full access to it (ADR 040): its owner, a
   * super administrator, or a full share, direct or through a certificate group. Full, because
   * the private key goes to the server; the access policy decides, as for 36, 37 and 39.
   */
  async function deployableCertificate(
    caller: Caller,
    request: DeployRequest,
  ): Promise<{ view: CertificateView; der: Buffer }> {
    const application = caller.principal.application;
    if (application)
      throw new NotPermittedError(
        `The application ${application.name} is not allowed to deploy certificates`,
      );
    const { view, der } = await certificates.file(caller, request.selector);
    const permission = await access.certificatePermission(db, caller.principal, {
      id: view.id,
      ownerId: view.ownerId,
    });
    if (!allows(permission, 'full'))
      throw new NotPermittedError(
        `You are not allowed to deploy certificate ${view.commonName}: it needs full access to the certificate (its private key goes to the server), you hold ${permission} access`,
      );
    return { view, der };
  }

  function merged(
    saved: DeploymentConfiguration | undefined,
    given: DeploymentConfigurationInput,
    resource: DeployResource,
  ): DeploymentConfiguration {
    const pick = <K extends keyof DeploymentConfiguration>(k: K): DeploymentConfiguration[K] | undefined =>
      given[k] !== undefined ? given[k] : saved?.[k];
    const certificatePath = pick('certificatePath');
    if (certificatePath === undefined)
      throw new InvalidInputError(
        `Resource ${resource.name} is not a saved server of this certificate: give certificatePath (and keyPath, pfxPath, reloadCommand, verifyPort as needed)`,
      );
    const verifyHost = pick('verifyHost') ?? resource.dnsName ?? undefined;
    if (!verifyHost)
      throw new InvalidInputError(`Resource ${resource.name} has no DNS name: give verifyHost`);
    const configuration: DeploymentConfiguration = {
      certificatePath,
      keyPath: pick('keyPath'),
      pfxPath: pick('pfxPath'),
      owner: pick('owner'),
      reloadCommand: pick('reloadCommand'),
      verifyHost,
      verifyPort: pick('verifyPort') ?? 443,
      verifyServername: pick('verifyServername'),
    };
    const paths = [configuration.certificatePath, configuration.keyPath, configuration.pfxPath].filter(
      (p): p is string => p !== undefined,
    );
    if (new Set(paths).size !== paths.length)
      throw new InvalidInputError('certificatePath, keyPath and pfxPath must be different files');
    return configuration;
  }

  /** The SSH target of the resource's configuration: its login account, elevated to root when configured. */
  async function targetFor(
    resource: DeployResource,
  ): Promise<{ target: SshTarget; where: string; used: string[] }> {
    const refused = (message: string) => new ServerFailure(message);
    const config = await configurations.configurationOf(db, resource.id);
    if (!config)
      throw refused(
        `resource ${resource.name} has no remote reset configuration: configure it (endpoint 63) so the server can log in to the host`,
      );
    if (config.kind !== 'linux')
      throw refused(
        `resource ${resource.name} is configured as a ${config.kind} target; certificates are deployed to Linux hosts over SSH`,
      );
    if ((config.loginAccount ?? config.resetAccount) === undefined)
      throw refused(
        `the remote reset configuration of resource ${resource.name} names no login account (REMOTELOGINACCOUNT) to write the files with`,
      );
    const landing =
      config.landingResourceId === undefined
        ? undefined
        : await configurations.configurationOf(db, config.landingResourceId);
    const passwords = await secrets.openAccountPasswords(
      db,
      credentialAccountsOf(config, landing).map((a) => a.id),
    );
    const pins = await configurations.hostKeyPins(db);
    // '' matches no login name: buildTarget elevates the login account to root when configured.
    const { target, used } = buildTarget(config, landing, { name: '', password: undefined }, passwords, pins);
    if (target.kind !== 'ssh') throw refused(`resource ${resource.name} is not reached over SSH`);
    const via = landing ? ` through landing server ${landing.resourceName}` : '';
    return { target, where: `${config.host}:${config.port}${via}`, used };
  }

  /** The files for one server: the chain always, the key and a PFX when configured. */
  async function filesFor(
    view: CertificateView,
    der: Buffer,
    c: DeploymentConfiguration,
    scope: CertificateScope,
  ): Promise<{ files: CertificateFile[]; formats: string[] }> {
    // The intermediates above it, up to the first self-signed root (servers do not send roots),
    // and only those the deploying user may see (ADR 040), as for a keystore export.
    const issuers = await certificatesRepository.issuers(db, scope, view, MAX_DEPLOYED_INTERMEDIATES);
    const roots = issuers.findIndex((i) => i.selfSigned);
    const intermediates = (roots === -1 ? issuers : issuers.slice(0, roots)).map((i) => i.der);
    const chain = [der, ...intermediates];
    const files: CertificateFile[] = [
      { path: c.certificatePath, content: Buffer.from(chain.map(pem).join('')), mode: 0o644, secret: false },
    ];
    const formats = ['CER'];
    if (c.keyPath === undefined && c.pfxPath === undefined) return { files, formats };
    const stored = await secrets.openCertificateKey(db, view.id);
    if (!stored) throw new ServerFailure(`certificate ${view.commonName} has no private key in the vault`);
    const keyPem = plainKey(stored.privateKey, stored.passphrase);
    if (c.keyPath !== undefined) {
      files.push({ path: c.keyPath, content: Buffer.from(keyPem), mode: 0o600, secret: true });
      formats.push('KEY');
    }
    if (c.pfxPath !== undefined) {
      if (!stored.passphrase)
        throw new ServerFailure(
          `the PFX is protected with the private key's passphrase, and certificate ${view.commonName} has none`,
        );
      const content = pfx({
        chain,
        privateKeyPem: keyPem,
        password: stored.passphrase.reveal(),
        alias: view.commonName || `certificate-${view.id}`,
      });
      files.push({ path: c.pfxPath, content, mode: 0o600, secret: true });
      formats.push('PFX');
    }
    return { files, formats };
  }

  /** Reads what host:port serves until it is this certificate or the time is up. */
  async function verifyServed(view: CertificateView, c: DeploymentConfiguration): Promise<void> {
    const until = Date.now() + verifyMs;
    let last: string;
    for (;;) {
      try {
        const served = await readServedChain({
          host: c.verifyHost,
          port: c.verifyPort,
          servername: c.verifyServername,
          timeoutMs: Math.max(1000, Math.min(5000, until - Date.now())),
        });
        const leaf = served.chain[0];
        if (leaf) {
          const parsed = parseDer(leaf);
          if (parsed.sha256 === view.sha256) return;
          last = `${c.verifyHost}:${c.verifyPort} serves another certificate (${parsed.commonName || parsed.subject}, serial ${parsed.serial}, SHA-256 ${parsed.sha256})`;
        } else last = `${c.verifyHost}:${c.verifyPort} served no certificate`;
      } catch (err) {
        if (!(err instanceof TlsProbeError)) throw err;
        last = err.message;
      }
      if (Date.now() + 250 >= until) break;
      await sleep(250);
    }
    throw new ServerFailure(
      `the files were written, but after ${Math.round(verifyMs / 1000)} s ${last.replace(/^./, (ch) => ch.toLowerCase())}`,
    );
  }

  async function record(
    actor: AuditActor,
    view: CertificateView,
    resource: DeployResource,
    c: DeploymentConfiguration,
    status: DeployStatus,
    auditText: string,
  ): Promise<void> {
    await db.transaction().execute(async (trx) => {
      // The certificate or resource may be gone meanwhile: the audit still says what happened.
      const both = await trx
        .selectFrom('certificates')
        .select('id')
        .where('id', '=', view.id)
        .executeTakeFirst();
      if (both) {
        await repo.save(trx, view.id, resource.id, c, {
          status: status.status,
          message: status.message,
          at: clock.now(),
          by: actor.username,
        });
      }
      await audit.append(trx, actor, {
        auditType: 'Resource',
        operation:
          status.status === 'Success'
            ? AuditOperation.certificateDeployed
            : AuditOperation.certificateDeploymentFailed,
        resourceId: resource.id,
        resourceName: resource.name,
        accountId: null,
        accountName: null,
        reason: auditText,
        ticketId: null,
      });
    });
  }

  async function deployOne(
    actor: AuditActor,
    view: CertificateView,
    der: Buffer,
    resource: DeployResource,
    c: DeploymentConfiguration,
    scope: CertificateScope,
  ): Promise<DeployStatus> {
    const named = `Certificate ${view.commonName} (serial ${view.serial})`;
    let where = resource.name;
    let written = false;
    try {
      const { files, formats } = await filesFor(view, der, c, scope);
      const reached = await targetFor(resource);
      where = reached.where;
      try {
        const result = await connector.write({
          target: reached.target,
          files,
          owner: c.owner,
          reloadCommand: c.reloadCommand,
          timeoutMs: deps.timeoutMs,
        });
        await pinObserved(result.observedHostKeys, actor);
      } catch (err) {
        await afterFailure(err, actor);
        throw err;
      }
      written = true;
      await verifyServed(view, c);
      const list =
        formats.length > 1 ? `${formats.slice(0, -1).join(', ')} and ${formats.at(-1)!}` : formats[0]!;
      const status: DeployStatus = {
        server: resource.name,
        status: 'Success',
        message: `Certificate ${view.commonName} of format ${list} deployed in ${resource.name} successfully; ${c.verifyHost}:${c.verifyPort} serves it`,
      };
      const placed = files.map((f) => `${f.path} (${f.mode.toString(8).padStart(4, '0')})`).join(', ');
      const used = reached.used.length > 0 ? `; credentials used: ${reached.used.join(', ')}` : '';
      await record(
        actor,
        view,
        resource,
        c,
        status,
        `${named} deployed to ${where}: ${placed}${c.owner ? ` owned by ${c.owner}` : ''}` +
          `${c.reloadCommand ? '; reload command ran' : ''}; verified: ${c.verifyHost}:${c.verifyPort} serves SHA-256 ${view.sha256}${used}`,
      );
      return status;
    } catch (err) {
      let why: string;
      if (err instanceof ServerFailure) why = err.message;
      else if (err instanceof RemoteChangeFailure) why = describeFailure(err).message;
      else {
        log(err, 'certificate deployment failed unexpectedly');
        why = 'the deployment failed unexpectedly (see the server log)';
      }
      const status: DeployStatus = {
        server: resource.name,
        status: 'Failed',
        message: `Certificate ${view.commonName} was not deployed in ${resource.name}: ${why}`,
      };
      try {
        await record(
          actor,
          view,
          resource,
          c,
          status,
          `${named} deployment to ${where} failed${written ? ' after the files were written' : ''}: ${why}`,
        );
      } catch (auditErr) {
        log(auditErr, 'recording a failed certificate deployment failed');
      }
      return status;
    }
  }

  return {
    /**
     * The saved servers of a certificate (native listing, ADR 041): to whoever may see the
     * certificate, among the resources they can see (as deploying to the saved servers skips
     * the others); the reload command's text only to those holding full access to the
     * certificate (who may deploy, and so change it). The local operator sees all.
     */
    async savedServers(
      who: CertificateActor,
      selector: CertificateRef,
    ): Promise<{ commonName: string; servers: SavedServer[] }> {
      const { view } = await certificates.file(who, selector);
      const operator = 'operator' in who;
      const mayDeploy =
        operator ||
        allows(
          await access.certificatePermission(db, who.principal, { id: view.id, ownerId: view.ownerId }),
          'full',
        );
      const servers: SavedServer[] = [];
      for (const t of await repo.targets(db, view.id)) {
        if (!operator && !(await grantOn(db, who, t.resource)).visible) continue;
        const c = t.configuration;
        servers.push({
          resourceId: t.resource.id,
          server: t.resource.name,
          certificatePath: c.certificatePath,
          keyPath: c.keyPath,
          pfxPath: c.pfxPath,
          owner: c.owner,
          reloadCommand: mayDeploy ? c.reloadCommand : undefined,
          hasReloadCommand: c.reloadCommand !== undefined,
          verifyHost: c.verifyHost,
          verifyPort: c.verifyPort,
          verifyServername: c.verifyServername,
          lastStatus: t.lastStatus,
          lastMessage: t.lastMessage,
          lastDeployedAt: t.lastDeployedAt,
          lastDeployedBy: t.lastDeployedBy,
        });
      }
      return { commonName: view.commonName, servers };
    },

    /** Endpoint 64: to the named server (saving its configuration), or to every saved server. */
    async deploy(caller: Caller, request: DeployRequest): Promise<DeployOutcome> {
      const { view, der } = await deployableCertificate(caller, request);
      const actor = actorOf(caller);
      const scope = access.certificateScope(caller.principal);
      const given = Object.values(request.configuration).some((v) => v !== undefined);
      const plan: {
        resource: DeployResource;
        configuration: DeploymentConfiguration | undefined;
        denied?: string;
      }[] = [];
      if (request.serverName !== undefined) {
        const { resource, permission } = await visibleResource(caller, request.serverName);
        if (!allows(permission, 'full')) throw new NotPermittedError(noFull(resource));
        const saved = (await repo.targets(db, view.id, resource.id))[0];
        plan.push({ resource, configuration: merged(saved?.configuration, request.configuration, resource) });
      } else {
        if (given)
          throw new InvalidInputError(
            'Give serverName with certificatePath and the other paths: they are saved for that server',
          );
        const saved = await repo.targets(db, view.id);
        for (const s of saved) {
          const grant = await grantOn(db, caller, s.resource);
          if (!grant.visible) continue;
          plan.push({
            resource: s.resource,
            configuration: s.configuration,
            ...(allows(grant.permission, 'full') ? {} : { denied: noFull(s.resource) }),
          });
        }
        if (plan.length === 0)
          throw new NotFoundError(
            `Certificate ${view.commonName} has no saved servers: deploy it once with serverName and certificatePath`,
          );
      }
      const statuses: DeployStatus[] = [];
      for (const step of plan) {
        if (step.denied)
          statuses.push({ server: step.resource.name, status: 'Failed', message: step.denied });
        else statuses.push(await deployOne(actor, view, der, step.resource, step.configuration!, scope));
      }
      return { commonName: view.commonName, statuses };
    },
  };
}

/** The stored key as unencrypted PKCS#8 PEM: servers read it without a passphrase prompt. */
function plainKey(privateKey: Secret, passphrase: Secret | undefined): string {
  try {
    const key = createPrivateKey({
      key: privateKey.reveal(),
      format: 'pem',
      ...(passphrase ? { passphrase: passphrase.reveal() } : {}),
    });
    return key.export({ type: 'pkcs8', format: 'pem' }).toString();
  } catch {
    throw new ServerFailure('the stored private key could not be read with its stored passphrase');
  }
}
