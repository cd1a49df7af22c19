import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { createHttpServer } from './http/server.js';
import type { Services } from './services.js';
import { registerAuditRoutes } from './modules/audit/index.js';
import { registerSharingRoutes } from './modules/sharing/index.js';
import { registerUserGroupRoutes } from './modules/user-groups/index.js';
import { registerIdentityRoutes } from './modules/identity/index.js';
import { registerVaultRoutes } from './modules/vault/index.js';
import { registerWorkflowRoutes } from './modules/workflow/index.js';
import { registerPolicyRoutes } from './modules/policies/index.js';
import { registerSystemRoutes } from './modules/system/index.js';
import { registerResourceGroupRoutes } from './modules/resource-groups/index.js';
import { registerApplicationRoutes } from './modules/applications/index.js';

export interface AppDeps {
  readonly config: Config;
  readonly services: Services;
  /** PEM certificate and key; undefined only in tests that exercise plain HTTP. */
  readonly tls: { readonly cert: string; readonly key: string } | undefined;
}

/** The Fastify instance with every endpoint registered; it does not listen. */
export function buildApp({ config, services, tls }: AppDeps): FastifyInstance {
  const { app, router } = createHttpServer({
    tls,
    maxBodyBytes: config.maxBodyBytes,
    maxFileBytes: config.maxFileBytes,
    requestTimeoutMs: config.requestTimeoutMs,
    keepAliveTimeoutMs: config.keepAliveTimeoutMs,
    connectionTimeoutMs: config.connectionTimeoutMs,
    logLevel: config.logLevel,
    authenticator: services.identity,
    certificates: services.applications,
  });
  registerVaultRoutes(router, { vault: services.vault, time: services.time });
  registerAuditRoutes(router, { audit: services.audit, time: services.time });
  registerUserGroupRoutes(router, { userGroups: services.userGroups });
  registerSharingRoutes(router, { sharing: services.sharing });
  registerWorkflowRoutes(router, { workflow: services.workflow, time: services.time });
  registerIdentityRoutes(router, { identity: services.identity });
  registerPolicyRoutes(router, { policies: services.policies });
  registerSystemRoutes(router, {
    agentKeys: services.agentKeys,
    cluster: services.cluster,
    time: services.time,
  });
  registerResourceGroupRoutes(router, { resourceGroups: services.resourceGroups, time: services.time });
  registerApplicationRoutes(router, {
    applications: services.applications,
    serverCertificatePem: tls?.cert,
  });
  return app;
}
