import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from './config.js';
import type { Clock } from './platform/clock.js';
import { openDatabase, type Database } from './platform/db/database.js';
import { migrateToLatest } from './platform/db/migrator.js';
import { ensureDataKeys, loadKeyring, type Keyring } from './platform/crypto/keyring.js';
import {
  generateMasterKey,
  MasterKeySet,
  readMasterKeyFile,
  writeMasterKeyFile,
} from './platform/crypto/master-key.js';
import { writeFileDurably } from './platform/fs.js';
import { createSelfSignedCertificate } from './platform/tls.js';
import type { CallOrigin } from './platform/principal.js';
import { createServices, type Services } from './services.js';
import type { BootstrapCredentials } from './modules/identity/index.js';

/**
 * A Bulwark instance on disk: the data directory (master key, TLS certificate, marker file
 * and, by default, the SQLite database) plus the database it names.
 */
export interface OpenInstance {
  readonly config: Config;
  readonly database: Database;
  readonly keyring: Keyring;
  readonly services: Services;
  readonly tls: { cert: string; key: string };
  close(): Promise<void>;
}

export class InstanceError extends Error {}

const MARKER = 'bulwark.json';

export function isInitialised(config: Config): Promise<boolean> {
  return stat(path.join(config.dataDir, MARKER)).then(
    () => true,
    () => false,
  );
}

/**
 * `bulwark init`: creates the data directory and everything in it, the schema, the data keys
 * and the `admin` user. Refuses a directory that is not empty and a database that already
 * holds an instance. The master key is written before anything it wraps reaches the database.
 */
export async function initInstance(
  config: Config,
  clock: Clock,
  origin: CallOrigin,
): Promise<BootstrapCredentials> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const entries = await readdir(config.dataDir);
  if (entries.length > 0) {
    throw new InstanceError(
      (await isInitialised(config))
        ? `${config.dataDir} already holds a Bulwark instance; refusing to initialise it twice`
        : `${config.dataDir} is not empty (if an earlier init stopped part-way, remove the directory and run init again); initialise into a new or empty directory`,
    );
  }
  const now = new Date(clock.now());
  const masterKeys = await openOrCreateMasterKeys(config.masterKeyFile, now);
  const certificate = await createSelfSignedCertificate(now);
  await mkdir(path.dirname(config.tlsCertFile), { recursive: true, mode: 0o700 });
  await mkdir(path.dirname(config.tlsKeyFile), { recursive: true, mode: 0o700 });
  await writeFileDurably(config.tlsKeyFile, certificate.keyPem, 0o600);
  await writeFileDurably(config.tlsCertFile, certificate.certPem, 0o644);

  const instance = await connect(config, clock, masterKeys, {}, async (database) => {
    const existing = await database.db
      .selectFrom('instance')
      .select('value')
      .where('key', '=', 'initialised_at')
      .executeTakeFirst();
    if (existing) {
      throw new InstanceError(
        `the database already holds a Bulwark instance (initialised ${existing.value}); refusing to initialise it twice`,
      );
    }
    await ensureDataKeys(database.db, masterKeys, clock.now());
  });
  try {
    const credentials = await instance.services.identity.bootstrapAdmin(origin);
    await instance.database.db
      .insertInto('instance')
      .values({ key: 'initialised_at', value: now.toISOString() })
      .execute();
    await writeFileDurably(
      path.join(config.dataDir, MARKER),
      JSON.stringify(
        {
          format: 'bulwark-instance',
          version: 1,
          createdAt: now.toISOString(),
          database: instance.database.dialect,
        },
        null,
        2,
      ) + '\n',
      0o600,
    );
    return credentials;
  } finally {
    await instance.close();
  }
}

async function openOrCreateMasterKeys(file: string, now: Date): Promise<MasterKeySet> {
  // A master key supplied outside the data directory (BULWARK_MASTER_KEY_FILE) is used as is.
  if (
    await stat(file).then(
      () => true,
      () => false,
    )
  )
    return readMasterKeyFile(file);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = generateMasterKey(now);
  const set = new MasterKeySet([key], key.id);
  await writeMasterKeyFile(file, set, now);
  return set;
}

/**
 * What a caller may set beyond the configuration. Production passes nothing; tests inject a
 * host-name resolver without DNS or a stricter throttle.
 */
export type ServiceOverrides = Partial<
  Pick<
    ServiceDeps,
    | 'authThrottle'
    | 'hostLookup'
    | 'workflow'
    | 'ticketing'
    | 'cluster'
    | 'jobs'
    | 'rotation'
    | 'connectors'
    | 'consoleSessions'
    | 'backups'
  >
>;

type ServiceDeps = Parameters<typeof createServices>[0];

/** The service settings a configuration names. */
function serviceSettings(config: Config): Omit<ServiceDeps, 'database' | 'keyring' | 'clock'> {
  return {
    timeZone: config.timeZone,
    ticketing: config.ticketing,
    authThrottle: {
      failureLimit: config.authFailureLimit,
      lockoutMs: config.authLockoutSeconds * 1000,
      delayStepMs: config.authFailureDelayMs,
    },
    workflow: { checkoutMinutes: config.checkoutMinutes, resetOnCheckin: config.resetOnCheckin },
    consoleSessions: {
      idleMs: config.sessionIdleMinutes * 60_000,
      maxMs: config.sessionMaxHours * 3_600_000,
      clipboardClearSeconds: config.clipboardClearSeconds,
    },
    cluster: { heartbeatMs: config.heartbeatSeconds * 1000, leaseMs: config.leaseSeconds * 1000 },
    jobs: { leaseMs: config.jobLeaseSeconds * 1000 },
    rotation: {
      timeoutMs: config.remoteTimeoutSeconds * 1000,
      graceMs: config.reconcileGraceSeconds * 1000,
      reconcileMs: config.reconcileSeconds * 1000,
      testHooks: config.testHooks,
    },
    certificateDiscovery: { maxTargets: config.certDiscoveryMaxHosts },
    certificateExpiry: {
      thresholdsDays: config.certExpiryDays,
      intervalMs: config.certExpiryCheckSeconds * 1000,
    },
    ...(config.backupDir === undefined
      ? {}
      : {
          backups: {
            dir: config.backupDir,
            intervalMs: config.backupIntervalMinutes * 60_000,
            keep: config.backupKeep,
            store: config,
            masterKeys: () => readMasterKeyFile(config.masterKeyFile),
          },
        }),
  };
}

/**
 * Opens an initialised instance: reads the keys, migrates the schema, wires the services. The
 * CLI commands, the server and the tests (test/helpers/in-process.ts) all open instances here.
 */
export async function openInstance(
  config: Config,
  clock: Clock,
  overrides: ServiceOverrides = {},
): Promise<OpenInstance> {
  if (!(await isInitialised(config))) {
    throw new InstanceError(
      `${config.dataDir} is not an initialised Bulwark data directory; run \`bulwark init --data-dir ${config.dataDir}\` first`,
    );
  }
  return connect(config, clock, await readMasterKeyFile(config.masterKeyFile), overrides);
}

/**
 * The one path from files to services, for `init` and for every open: database, schema
 * migration, (on init, `prepare`: the data keys), keyring, TLS files, services.
 */
async function connect(
  config: Config,
  clock: Clock,
  masterKeys: MasterKeySet,
  overrides: ServiceOverrides,
  prepare?: (database: Database) => Promise<void>,
): Promise<OpenInstance> {
  const database = openDatabase(config);
  try {
    await migrateToLatest(database);
    if (prepare) await prepare(database);
    const keyring = await loadKeyring(database.db, masterKeys, () => readMasterKeyFile(config.masterKeyFile));
    const tls = {
      cert: await readFile(config.tlsCertFile, 'utf8'),
      key: await readFile(config.tlsKeyFile, 'utf8'),
    };
    const services = createServices({
      database,
      keyring,
      clock,
      ...serviceSettings(config),
      ...overrides,
    });
    return {
      config,
      database,
      keyring,
      services,
      tls,
      async close() {
        // Running jobs finish (or are released for another node) while the database is open.
        await services.jobs.stop();
        // A serving node leaves the cluster first: marked stopped, scheduler lease released.
        await services.cluster.stop();
        await services.audit.close();
        await database.close();
      },
    };
  } catch (err) {
    await database.close();
    throw err;
  }
}
