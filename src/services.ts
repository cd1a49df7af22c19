import type { Clock } from './platform/clock.js';
import type { Database } from './platform/db/database.js';
import type { Keyring } from './platform/crypto/keyring.js';
import { createTimeFormatter, type TimeFormatter } from './platform/time.js';
import { createAccessPolicy } from './modules/access/index.js';
import { createAuditService, type AuditService } from './modules/audit/index.js';
import {
  createAuthThrottle,
  createHostResolver,
  createIdentityService,
  createUserDirectory,
  type AuthThrottleSettings,
  type HostLookup,
  type IdentityService,
  createConsoleSessions,
  type ConsoleSessions,
  type SessionSettings,
} from './modules/identity/index.js';
import { createDashboardService, type DashboardService } from './modules/dashboard/index.js';
import { createApplicationsService, type ApplicationsService } from './modules/applications/index.js';
import { createPolicyService, type PolicyService } from './modules/policies/index.js';
import { createJobsService, type JobsService } from './modules/jobs/index.js';
import { createMetrics, type Metrics } from './platform/metrics.js';
import { createReadiness, registerStoreGauges, type Readiness } from './modules/monitoring/index.js';
import { createExportService, type ExportService } from './modules/export/index.js';
import { createImportService, type ImportService } from './modules/import/index.js';
import { createJobRunner, type JobRunner, type JobRunnerOptions } from './platform/jobs/index.js';
import { createRemoteResetService, type RemoteResetService } from './modules/remote-reset/index.js';
import {
  createKeyHosts,
  createKeyRotationSchedules,
  createKeyRotationService,
  createSshKeyDeployments,
  createSshKeyDiscovery,
  createSshKeysService,
  type KeyHosts,
  type KeyRotationSchedules,
  type KeyRotationService,
  type SshKeyDeployments,
  type SshKeyDiscovery,
  type SshKeysService,
} from './modules/ssh-keys/index.js';
import {
  createCertificateDiscovery,
  createCertificateDeployment,
  createCertificateFilesConnector,
  createCertificateExpiry,
  createCertificateGroups,
  createCertificateShares,
  createCertificateRequestsService,
  createCertificatesService,
  createInternalCa,
  createSslAgentInstallKeys,
  type CertificateGroups,
  type CertificateShares,
  type SslAgentInstallKeys,
  type CertificateDeployment,
  type CertificateExpiry,
  type CertificateDiscovery,
  type CertificateRequestsService,
  type CertificatesService,
  type InternalCa,
} from './modules/certificates/index.js';
import {
  createAuthorizedKeysConnector,
  createRotationService,
  defaultConnectors,
  queueRotation,
  registerRotationJobs,
  type ConnectorRegistry,
  type AuthorizedKeysConnector,
  type RotationServiceImpl,
} from './modules/rotation/index.js';
import {
  createRotationSchedulesService,
  DEFAULT_SCHEDULE_SETTINGS,
  type RotationSchedulesService,
} from './modules/rotation/schedules/index.js';
import { createSharingService, type SharingService } from './modules/sharing/index.js';
import { createTicketSystem, type TicketingSettings } from './modules/ticketing/index.js';
import { createUserGroupsService, type UserGroupsService } from './modules/user-groups/index.js';
import { createVaultService, type VaultService } from './modules/vault/index.js';
import {
  createAgentKeyService,
  createClusterNode,
  type AgentKeyService,
  type ClusterNode,
  type ClusterSettings,
} from './modules/system/index.js';
import {
  createBackupService,
  createScheduledBackups,
  type ScheduledBackups,
  type ScheduledBackupSettings,
} from './modules/backup/index.js';
import type { DatabaseTarget } from './platform/db/database.js';
import type { WriteWatch } from './platform/db/write-watch.js';
import type { MasterKeySet } from './platform/crypto/master-key.js';
import {
  createGroupMembership,
  createResourceGroupsService,
  type ResourceGroupsService,
} from './modules/resource-groups/index.js';
import {
  createCheckoutGate,
  createWorkflowService,
  type WorkflowService,
  type WorkflowSettings,
} from './modules/workflow/index.js';

/** Host names of API users are re-resolved at most this often. */
const HOST_CACHE_MS = 60_000;
const DEFAULT_SESSION_SETTINGS: SessionSettings = {
  idleMs: 30 * 60_000,
  maxMs: 12 * 3_600_000,
  clipboardClearSeconds: 30,
};

const DEFAULT_AUTH_THROTTLE: AuthThrottleSettings = {
  failureLimit: 20,
  lockoutMs: 300_000,
  delayStepMs: 200,
};

const DEFAULT_WORKFLOW: WorkflowSettings = { checkoutMinutes: 60, resetOnCheckin: false };
const DEFAULT_CLUSTER: ClusterSettings = { heartbeatMs: 5000, leaseMs: 15_000 };

/** Every service, wired once with explicit dependencies. The composition root; nothing else constructs services. */
export interface Services {
  /** The clock the services read (the console shows days left by it). */
  readonly clock: Clock;
  /** The process's Prometheus instruments, which the services record into (GET /metrics). */
  readonly metrics: Metrics;
  /** What GET /readyz checks: database, migrations, keys, not shutting down. */
  readonly readiness: Readiness;
  readonly time: TimeFormatter;
  readonly audit: AuditService;
  readonly identity: IdentityService;
  /** Console sign-in and sessions (ADR 042). */
  readonly consoleSessions: ConsoleSessions;
  readonly vault: VaultService;
  readonly userGroups: UserGroupsService;
  readonly sharing: SharingService;
  readonly workflow: WorkflowService;
  readonly policies: PolicyService;
  readonly agentKeys: AgentKeyService;
  /** This process as a cluster node: heartbeat, scheduler lease, HA status (started by `serve`). */
  readonly cluster: ClusterNode;
  readonly resourceGroups: ResourceGroupsService;
  /** Registered applications and their client certificates (ADR 014). */
  readonly applications: ApplicationsService;
  /** The database-backed job runner (ADR 024): modules register their kinds here; `serve` starts it. */
  readonly jobs: JobRunner;
  /** Jobs and their progress as callers may read them (API and CLI). */
  readonly jobQueries: JobsService;
  /** Imports of other vaults' files through the vault service (docs/import.md). */
  readonly imports: ImportService;
  /** A user's export of what they may retrieve, encrypted (ADR 051). */
  readonly exports: ExportService;
  /** Remote password reset configuration of resources and pinned SSH host keys (ADR 027). */
  readonly remoteReset: RemoteResetService;
  /** The one rotation service behind every change of a password on its target (ADR 028). */
  readonly rotation: RotationServiceImpl;
  /** Rotation and verification schedules, bulk rotation of a resource group (ADR 029). */
  readonly schedules: RotationSchedulesService;
  /** The SSH key store: keys sealed, exported through the release gate, shared (ADR 031). */
  readonly sshKeys: SshKeysService;
  /** SSH keys on hosts: authorized_keys over a resource's remote reset configuration (ADR 033). */
  readonly sshKeyHosts: KeyHosts;
  /** SSH key rotation on every host a key is deployed on, two-phase, reconciled (ADR 035). */
  readonly sshKeyRotation: KeyRotationService;
  /** When keys are rotated by themselves: every N days or on a cron expression (ADR 035). */
  readonly sshKeyRotationSchedules: KeyRotationSchedules;
  /** Keys on hosts: associate, dissociate, what is deployed where, delete (ADR 033). */
  readonly sshKeyDeployments: SshKeyDeployments;
  /** SSH key discovery: every account's authorized_keys on Linux resources, stored and listed (ADR 034). */
  readonly sshKeyDiscovery: SshKeyDiscovery;
  /** The certificate repository: parsed once, stored once, key material sealed (ADR 036). */
  readonly certificates: CertificatesService;
  /** The console's dashboard over the vault, certificates and audit (ADR 042). */
  readonly dashboard: DashboardService;
  /** SSL certificate discovery of a host or an IPv4 range, ranges as jobs (ADR 037). */
  readonly certificateDiscovery: CertificateDiscovery;
  /** The installation's internal CA, created on first use, its key sealed (ADR 039). */
  readonly internalCa: InternalCa;
  /** CSRs (42, 43), signing them (44) and issuing directly (45) with the internal CA (ADR 039). */
  readonly certificateRequests: CertificateRequestsService;
  /** Certificate groups (73-75, ADR 040). */
  readonly certificateGroups: CertificateGroups;
  /** Sharing certificates and certificate groups (65-72, ADR 040). */
  readonly certificateShares: CertificateShares;
  /** The SSL agent install key (76, ADR 040). */
  readonly sslAgentInstallKeys: SslAgentInstallKeys;
  /** Certificates onto servers over SSH, verified by what they serve (endpoint 64, ADR 041). */
  readonly certificateDeployment: CertificateDeployment;
  /** The certificate expiry job and what it recorded (ADR 041). */
  readonly certificateExpiry: CertificateExpiry;
  /** Scheduled backups with retention (ADR 050); undefined when BULWARK_BACKUP_DIR is unset. */
  readonly scheduledBackups: ScheduledBackups | undefined;
  /** PostgreSQL: which statements of a request may have committed (ADR 048); undefined on SQLite. */
  readonly writeWatch: WriteWatch | undefined;
}

/** Scheduled backups: the settings (config.ts) and what a backup reads (the store, the master key file). */
export interface ScheduledBackupOptions extends ScheduledBackupSettings {
  readonly store: DatabaseTarget;
  readonly masterKeys: () => Promise<MasterKeySet>;
}

/** Remote password reset: timeouts, reconciliation, test hooks (config.ts; ADR 028). */
export interface RotationSettings {
  readonly timeoutMs: number;
  readonly graceMs: number;
  readonly reconcileMs: number;
  /** Test hooks, already filtered by config.ts (honoured only under NODE_ENV=test). */
  readonly testHooks: readonly string[];
}

const DEFAULT_ROTATION: RotationSettings = {
  timeoutMs: 30_000,
  graceMs: 100_000,
  reconcileMs: 300_000,
  testHooks: [],
};

export function createServices(deps: {
  database: Database;
  keyring: Keyring;
  clock: Clock;
  timeZone: string;
  /** Throttling of wrong API tokens and client certificates per client address; defaults as in config.ts. */
  authThrottle?: AuthThrottleSettings;
  /** Host-name resolution for API users bound to a host; the system resolver by default (tests inject one). */
  hostLookup?: HostLookup;
  /** Password access control: checkout length, reset on check-in; defaults as in config.ts. */
  workflow?: WorkflowSettings;
  /** Console sessions: idle and absolute timeouts, clipboard clearing; defaults as in config.ts. */
  consoleSessions?: SessionSettings;
  /** How ticket ids are validated; none by default (config.ts reads BULWARK_TICKET_*). */
  ticketing?: TicketingSettings;
  /** Heartbeat and lease intervals on PostgreSQL; defaults as in config.ts. */
  cluster?: ClusterSettings;
  /** The job runner's node name, poll interval and lease; defaults in platform/jobs. */
  jobs?: Pick<JobRunnerOptions, 'nodeId' | 'pollMs' | 'leaseMs'>;
  /** Remote password reset; defaults as in config.ts. */
  rotation?: RotationSettings;
  /** The connectors by target kind; the real ones by default. */
  connectors?: ConnectorRegistry;
  /** The authorized_keys connector; the real one by default. */
  authorizedKeys?: AuthorizedKeysConnector;
  /** Certificate discovery: most targets of one range (BULWARK_CERT_DISCOVERY_MAX_HOSTS). */
  certificateDiscovery?: { maxTargets: number };
  /** Certificate expiry: thresholds (BULWARK_CERT_EXPIRY_DAYS) and the check's interval. */
  certificateExpiry?: { thresholdsDays: readonly number[]; intervalMs: number };
  /** The instruments to record into; a fresh registry by default. */
  metrics?: Metrics;
  /** Scheduled backups (BULWARK_BACKUP_*); none when absent. */
  backups?: ScheduledBackupOptions;
}): Services {
  const { database, keyring, clock } = deps;
  const metrics = deps.metrics ?? createMetrics();
  registerStoreGauges(metrics, database, clock);
  const time = createTimeFormatter(deps.timeZone);
  const audit = createAuditService({ database, keyring, clock, time, metrics });
  const policies = createPolicyService({ database, audit });
  const hosts = createHostResolver({ clock, ttlMs: HOST_CACHE_MS, lookup: deps.hostLookup });
  // One per process for tokens and client certificates alike: an address's failures add up.
  const throttle = createAuthThrottle(
    deps.authThrottle ?? DEFAULT_AUTH_THROTTLE,
    clock,
    undefined,
    (lockedOut) => {
      metrics.authFailures.inc();
      if (lockedOut) metrics.lockouts.inc();
    },
  );
  const identity = createIdentityService({
    database,
    keyring,
    audit,
    clock,
    time,
    policies,
    hosts,
    throttle,
  });
  const consoleSessions = createConsoleSessions({
    database,
    keyring,
    audit,
    clock,
    throttle,
    settings: deps.consoleSessions ?? DEFAULT_SESSION_SETTINGS,
    policies,
  });
  const users = createUserDirectory();
  const vault = createVaultService({
    database,
    keyring,
    audit,
    access: createAccessPolicy(),
    policies,
    users,
    clock,
    checkouts: createCheckoutGate({ clock }),
    tickets: createTicketSystem(deps.ticketing ?? { kind: 'none', http: undefined }),
    groups: createGroupMembership({ clock }),
    metrics,
  });
  const userGroups = createUserGroupsService({ database, audit, users, clock });
  const sharing = createSharingService({ database, audit, clock, users, userGroups, vault });
  const workflow = createWorkflowService({
    database,
    users,
    audit,
    clock,
    vault,
    settings: deps.workflow ?? DEFAULT_WORKFLOW,
    // Reset on check-in on the target: a job queued in the check-in's transaction (ADR 028).
    checkinRotation: {
      appliesTo: async (executor, account) =>
        (await remoteReset.configurationOf(executor, account.resource.id)) !== undefined,
      queue: async (executor, actor, account) => {
        await queueRotation(jobs, executor, { accountId: account.id, trigger: 'checkin', actor });
      },
    },
  });
  const agentKeys = createAgentKeyService({ database, audit, clock });
  const cluster = createClusterNode({
    database,
    clock,
    settings: deps.cluster ?? DEFAULT_CLUSTER,
  });
  const resourceGroups = createResourceGroupsService({
    database,
    audit,
    clock,
    users,
    userGroups,
    policies,
    vault,
  });
  const applications = createApplicationsService({ database, audit, clock, hosts, throttle, users });
  const jobs = createJobRunner({
    database,
    clock,
    ...deps.jobs,
    onSettled: (kind, outcome) => metrics.jobRuns.inc({ kind, outcome }),
  });
  workflow.registerJobs(jobs);
  const jobQueries = createJobsService({ runner: jobs, database, audit });
  const remoteReset = createRemoteResetService({
    database,
    keyring,
    audit,
    access: createAccessPolicy(),
    clock,
  });
  const rotationSettings = deps.rotation ?? DEFAULT_ROTATION;
  const rotation = createRotationService({
    database,
    clock,
    remoteChanges: vault.remoteChanges,
    records: vault.rotationRecords,
    configurations: remoteReset,
    connectors: deps.connectors ?? defaultConnectors(),
    settings: rotationSettings,
    ...(rotationSettings.testHooks.includes('crash-after-remote-change')
      ? { afterRemoteChange: () => process.kill(process.pid, 'SIGKILL') }
      : {}),
  });
  registerRotationJobs(jobs, rotation, rotationSettings.reconcileMs);
  const schedules = createRotationSchedulesService({
    database,
    audit,
    clock,
    timeZone: deps.timeZone,
    access: createAccessPolicy(),
    policies,
    groups: createGroupMembership({ clock }),
    manageableGroup: (caller, groupId, executor) => resourceGroups.managed(caller, groupId, executor),
    jobs,
    rotation,
    queueRotation: (executor, accountId, actor) =>
      queueRotation(jobs, executor, { accountId, trigger: 'schedule', actor }),
  });
  schedules.registerJobs();
  const sshKeyHosts = createKeyHosts({
    database,
    configurations: remoteReset,
    secrets: vault.hostSecrets,
    connector: deps.authorizedKeys ?? createAuthorizedKeysConnector(),
    timeoutMs: rotationSettings.timeoutMs,
  });
  const sshKeys = createSshKeysService({
    database,
    keyring,
    audit,
    access: createAccessPolicy(),
    clock,
    release: vault.releaseSshKey,
    releaseToOperator: vault.releaseSshKeyToOperator,
  });
  const sshKeyRotation = createKeyRotationService({
    database,
    keyring,
    audit,
    access: createAccessPolicy(),
    clock,
    hosts: sshKeyHosts,
    secrets: vault.hostSecrets,
    // Writers of one account's authorized_keys take turns with associate and dissociate.
    withAccount: (resourceId, userName, work) => sshKeyDeployments.withAccount(resourceId, userName, work),
    settings: { graceMs: rotationSettings.graceMs },
    ...(rotationSettings.testHooks.includes('crash-after-remote-change')
      ? { afterRemoteChange: () => process.kill(process.pid, 'SIGKILL') }
      : {}),
  });
  const sshKeyRotationSchedules = createKeyRotationSchedules({
    database,
    audit,
    clock,
    timeZone: deps.timeZone,
    jobs,
    rotation: sshKeyRotation,
    sweepMs: DEFAULT_SCHEDULE_SETTINGS.sweepMs,
    reconcileMs: rotationSettings.reconcileMs,
  });
  sshKeyRotationSchedules.registerJobs();
  const sshKeyDeployments = createSshKeyDeployments({
    database,
    audit,
    access: createAccessPolicy(),
    clock,
    hosts: sshKeyHosts,
    // No associate, dissociate or delete of a key while a rotation of it is pending (ADR 035).
    busy: (executor, keyId) => sshKeyRotation.busy(executor, keyId),
  });
  const sshKeyDiscovery = createSshKeyDiscovery({
    database,
    audit,
    access: createAccessPolicy(),
    clock,
    keyHosts: sshKeyHosts,
    jobs,
    groupIdByName: (caller, name) => resourceGroups.idByName(caller, name),
    settings: { concurrency: 8, timeoutMs: rotationSettings.timeoutMs },
  });
  sshKeyDiscovery.registerJobs();
  const certificates = createCertificatesService({
    database,
    keyring,
    audit,
    clock,
    access: createAccessPolicy(),
    release: vault.releaseCertificate,
    releaseToOperator: vault.releaseCertificateToOperator,
  });
  const certificateDiscovery = createCertificateDiscovery({
    database,
    audit,
    jobs,
    certificates,
    maxTargets: deps.certificateDiscovery?.maxTargets ?? 1024,
  });
  certificateDiscovery.registerJobs();
  const internalCa = createInternalCa({ database, keyring, audit, clock });
  const certificateRequests = createCertificateRequestsService({
    database,
    keyring,
    audit,
    clock,
    certificates,
    internalCa,
  });
  const certificateGroups = createCertificateGroups({ database, audit, access: createAccessPolicy(), clock });
  const certificateShares = createCertificateShares({ database, audit, access: createAccessPolicy(), clock });
  const sslAgentInstallKeys = createSslAgentInstallKeys({ database, audit, clock });
  const certificateDeployment = createCertificateDeployment({
    database,
    audit,
    access: createAccessPolicy(),
    clock,
    certificates,
    configurations: remoteReset,
    secrets: vault.hostSecrets,
    connector: createCertificateFilesConnector(),
    timeoutMs: rotationSettings.timeoutMs,
  });
  const certificateExpiry = createCertificateExpiry({
    database,
    audit,
    clock,
    jobs,
    certificates,
    thresholdsDays: deps.certificateExpiry?.thresholdsDays ?? [30, 15, 7],
    intervalMs: deps.certificateExpiry?.intervalMs ?? 3_600_000,
  });
  certificateExpiry.registerJobs();
  let scheduledBackups: ScheduledBackups | undefined;
  if (deps.backups) {
    const { store, masterKeys, ...settings } = deps.backups;
    scheduledBackups = createScheduledBackups({
      database,
      store,
      masterKeys,
      backups: createBackupService({ clock }),
      audit,
      clock,
      jobs,
      settings,
    });
    scheduledBackups.registerJobs();
  }
  const dashboard = createDashboardService({ vault, certificates, audit, clock });
  return {
    metrics,
    readiness: createReadiness({ database, keyring }),
    dashboard,
    certificates,
    certificateGroups,
    certificateShares,
    sslAgentInstallKeys,
    certificateDeployment,
    certificateExpiry,
    scheduledBackups,
    writeWatch: database.postgres?.writes,
    certificateDiscovery,
    internalCa,
    certificateRequests,
    sshKeyRotation,
    sshKeyRotationSchedules,
    sshKeys,
    sshKeyHosts,
    sshKeyDiscovery,
    sshKeyDeployments,
    rotation,
    schedules,
    applications,
    jobs,
    jobQueries,
    imports: createImportService({ vault }),
    exports: createExportService({ vault, audit, clock }),
    remoteReset,
    clock,
    time,
    audit,
    identity,
    consoleSessions,
    vault,
    userGroups,
    sharing,
    workflow,
    policies,
    agentKeys,
    cluster,
    resourceGroups,
  };
}
