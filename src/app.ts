import { registerMonitoringRoutes } from './modules/monitoring/index.js';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { createHttpServer, type PmpRouter } from './http/server.js';
import { trustedProxies } from './http/client-address.js';
import { loadConsoleAssets, type ConsoleAssets } from './http/console-assets.js';
import type { NativeRouter } from './http/native.js';
import type { Services } from './services.js';
import { registerAuditConsoleRoutes, registerAuditRoutes } from './modules/audit/index.js';
import { registerSharingConsoleRoutes, registerSharingRoutes } from './modules/sharing/index.js';
import { registerUserGroupConsoleRoutes, registerUserGroupRoutes } from './modules/user-groups/index.js';
import {
  registerIdentityRoutes,
  registerSessionRoutes,
  registerUserConsoleRoutes,
} from './modules/identity/index.js';
import {
  registerAccountConsoleRoutes,
  registerVaultConsoleRoutes,
  registerVaultRoutes,
} from './modules/vault/index.js';
import { registerWorkflowConsoleRoutes, registerWorkflowRoutes } from './modules/workflow/index.js';
import { registerPolicyConsoleRoutes, registerPolicyRoutes } from './modules/policies/index.js';
import { registerSystemRoutes } from './modules/system/index.js';
import {
  registerResourceGroupConsoleRoutes,
  registerResourceGroupRoutes,
} from './modules/resource-groups/index.js';
import { registerApplicationConsoleRoutes, registerApplicationRoutes } from './modules/applications/index.js';
import { registerJobConsoleRoutes, registerJobRoutes } from './modules/jobs/index.js';
import { registerExportConsoleRoutes, registerExportRoutes } from './modules/export/index.js';
import { registerImportConsoleRoutes, registerImportRoutes } from './modules/import/index.js';
import { registerDashboardConsoleRoutes } from './modules/dashboard/index.js';
import { registerRemoteResetRoutes } from './modules/remote-reset/index.js';
import { registerRotationConsoleRoutes, registerRotationRoutes } from './modules/rotation/index.js';
import { registerRotationScheduleRoutes } from './modules/rotation/schedules/index.js';
import {
  registerKeyRotationRoutes,
  registerSshKeyConsoleRoutes,
  registerSshKeyLifecycleConsoleRoutes,
  registerSshKeyDeploymentRoutes,
  registerSshKeyRoutes,
} from './modules/ssh-keys/index.js';
import {
  registerCertificateDeploymentRoutes,
  registerCertificateExpiryRoutes,
  registerCertificateDiscoveryRoutes,
  registerCertificateGroupRoutes,
  registerCertificateShareRoutes,
  registerCertificateRequestRoutes,
  registerCertificateRoutes,
  registerCertificateConsoleRoutes,
  registerCertificateDiscoveryConsoleRoutes,
  registerCertificateGroupConsoleRoutes,
  registerCertificateShareConsoleRoutes,
  registerCertificateDeploymentConsoleRoutes,
  registerCertificateRequestConsoleRoutes,
} from './modules/certificates/index.js';

export interface AppDeps {
  readonly config: Config;
  readonly services: Services;
  /** PEM certificate and key; undefined only in tests that exercise plain HTTP. */
  readonly tls: { readonly cert: string; readonly key: string } | undefined;
  /** The built web console; by default dist/console beside the server's code. */
  readonly consoleAssets?: ConsoleAssets;
}

/** The Fastify instance with every endpoint registered; it does not listen. */
export function buildApp({ config, services, tls, consoleAssets }: AppDeps): FastifyInstance {
  const assets = consoleAssets ?? loadConsoleAssets();
  const { app, router, native } = createHttpServer({
    tls,
    maxBodyBytes: config.maxBodyBytes,
    maxFileBytes: config.maxFileBytes,
    requestTimeoutMs: config.requestTimeoutMs,
    keepAliveTimeoutMs: config.keepAliveTimeoutMs,
    connectionTimeoutMs: config.connectionTimeoutMs,
    logLevel: config.logLevel,
    authenticator: services.identity,
    certificates: services.applications,
    trustedProxies: trustedProxies(config.trustedProxies),
    sessions: services.consoleSessions,
    notFound: (request, reply) => assets.serve(request, reply),
    metrics: services.metrics,
    // SQLite is a file beside the process: an error there is not an outage to wait out.
    databaseOutageWaitMs: config.databaseUrl === undefined ? 0 : config.databaseOutageWaitSeconds * 1000,
    ...(services.writeWatch ? { writes: services.writeWatch } : {}),
  });
  registerMonitoringRoutes(app, {
    metrics: services.metrics,
    readiness: services.readiness,
    authenticator: services.identity,
    metricsPublic: config.metricsPublic,
    trustedProxies: trustedProxies(config.trustedProxies),
  });
  registerRoutes(router, services, tls?.cert);
  registerConsoleRoutes(native!, services, tls?.cert);
  return app;
}

/**
 * The console's native JSON API (ADR 042), module by module, and its OpenAPI document, which is
 * written from these registrations.
 */
export function registerConsoleRoutes(
  router: NativeRouter,
  services: Services,
  serverCertificatePem?: string,
): void {
  registerSessionRoutes(router, { sessions: services.consoleSessions });
  registerVaultConsoleRoutes(router, { vault: services.vault, resourceGroups: services.resourceGroups });
  registerAccountConsoleRoutes(router, { vault: services.vault, remoteReset: services.rotation });
  registerRotationConsoleRoutes(router, { rotation: services.rotation });
  registerWorkflowConsoleRoutes(router, { workflow: services.workflow });
  registerSharingConsoleRoutes(router, { sharing: services.sharing });
  registerUserConsoleRoutes(router, { identity: services.identity });
  registerUserGroupConsoleRoutes(router, { userGroups: services.userGroups });
  registerAuditConsoleRoutes(router, { audit: services.audit });
  registerResourceGroupConsoleRoutes(router, { resourceGroups: services.resourceGroups });
  registerDashboardConsoleRoutes(router, { dashboard: services.dashboard });
  registerApplicationConsoleRoutes(router, { applications: services.applications, serverCertificatePem });
  registerSshKeyConsoleRoutes(router, { sshKeys: services.sshKeys, deployments: services.sshKeyDeployments });
  registerSshKeyLifecycleConsoleRoutes(router, {
    sshKeys: services.sshKeys,
    discovery: services.sshKeyDiscovery,
    keyRotation: services.sshKeyRotation,
    keyRotationSchedules: services.sshKeyRotationSchedules,
  });
  registerCertificateConsoleRoutes(router, {
    certificates: services.certificates,
    internalCa: services.internalCa,
    clock: services.clock,
  });
  registerCertificateRequestConsoleRoutes(router, {
    requests: services.certificateRequests,
    clock: services.clock,
  });
  registerCertificateDiscoveryConsoleRoutes(router, { discovery: services.certificateDiscovery });
  registerCertificateGroupConsoleRoutes(router, {
    groups: services.certificateGroups,
    shares: services.certificateShares,
  });
  registerCertificateShareConsoleRoutes(router, { shares: services.certificateShares });
  registerCertificateDeploymentConsoleRoutes(router, { deployment: services.certificateDeployment });
  registerJobConsoleRoutes(router, { jobs: services.jobQueries });
  registerImportConsoleRoutes(router, { imports: services.imports });
  registerExportConsoleRoutes(router, { exports: services.exports });
  registerPolicyConsoleRoutes(router, { policies: services.policies });
  router.add({
    method: 'GET',
    url: '/api/openapi.json',
    summary: 'This OpenAPI document',
    tag: 'meta',
    access: 'public',
    async handle() {
      return router.openApi();
    },
  });
}

/**
 * Every module's endpoints, module by module. The server registers them here, and so does the
 * endpoint reference (`npm run docs` writes docs/endpoints.md from what this registers).
 */
export function registerRoutes(
  router: PmpRouter,
  services: Services,
  serverCertificatePem: string | undefined,
  onModule: (module: string) => void = () => {},
): void {
  onModule('vault');
  registerVaultRoutes(router, { vault: services.vault, time: services.time, remoteReset: services.rotation });
  onModule('audit');
  registerAuditRoutes(router, { audit: services.audit, time: services.time });
  onModule('user-groups');
  registerUserGroupRoutes(router, { userGroups: services.userGroups });
  onModule('sharing');
  registerSharingRoutes(router, { sharing: services.sharing });
  onModule('workflow');
  registerWorkflowRoutes(router, { workflow: services.workflow, time: services.time });
  onModule('identity');
  registerIdentityRoutes(router, { identity: services.identity });
  onModule('policies');
  registerPolicyRoutes(router, { policies: services.policies });
  onModule('system');
  registerSystemRoutes(router, {
    agentKeys: services.agentKeys,
    cluster: services.cluster,
    time: services.time,
  });
  onModule('resource-groups');
  registerResourceGroupRoutes(router, { resourceGroups: services.resourceGroups, time: services.time });
  onModule('applications');
  registerApplicationRoutes(router, { applications: services.applications, serverCertificatePem });
  onModule('jobs');
  registerJobRoutes(router, { jobs: services.jobQueries, time: services.time });
  onModule('import');
  registerImportRoutes(router, { imports: services.imports });
  onModule('export');
  registerExportRoutes(router, { exports: services.exports });
  onModule('remote-reset');
  registerRemoteResetRoutes(router, { remoteReset: services.remoteReset, time: services.time });
  onModule('rotation-schedules');
  registerRotationScheduleRoutes(router, { schedules: services.schedules, time: services.time });
  onModule('rotations');
  registerRotationRoutes(router, { rotation: services.rotation, time: services.time });
  onModule('ssh-keys');
  registerSshKeyRoutes(router, {
    sshKeys: services.sshKeys,
    discovery: services.sshKeyDiscovery,
    time: services.time,
  });
  registerSshKeyDeploymentRoutes(router, { deployments: services.sshKeyDeployments, time: services.time });
  registerKeyRotationRoutes(router, {
    keyRotation: services.sshKeyRotation,
    keyRotationSchedules: services.sshKeyRotationSchedules,
    time: services.time,
  });
  onModule('certificates');
  registerCertificateRoutes(router, { certificates: services.certificates, time: services.time });
  registerCertificateDiscoveryRoutes(router, { discovery: services.certificateDiscovery });
  registerCertificateRequestRoutes(router, {
    requests: services.certificateRequests,
    internalCa: services.internalCa,
    time: services.time,
  });
  registerCertificateShareRoutes(router, { shares: services.certificateShares });
  registerCertificateGroupRoutes(router, {
    groups: services.certificateGroups,
    installKeys: services.sslAgentInstallKeys,
    time: services.time,
  });
  registerCertificateDeploymentRoutes(router, {
    deployment: services.certificateDeployment,
    time: services.time,
  });
  registerCertificateExpiryRoutes(router, { expiry: services.certificateExpiry, time: services.time });
}
