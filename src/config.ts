import path from 'node:path';
import { trustedProxies } from './http/client-address.js';
import { parseJsonPath, type TicketingSettings } from './modules/ticketing/index.js';

/**
 * The one place that reads the environment. Everything else receives a frozen Config.
 * CLI flags override environment variables, which override defaults.
 */
export interface Config {
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  /** postgres://… when set; otherwise the embedded SQLite file in the data directory. */
  readonly databaseUrl: string | undefined;
  readonly sqliteFile: string;
  readonly masterKeyFile: string;
  readonly tlsCertFile: string;
  readonly tlsKeyFile: string;
  /** Largest request body accepted, multipart overhead included. */
  readonly maxBodyBytes: number;
  /** Largest single uploaded file (File Store / License Store / Key Store). */
  readonly maxFileBytes: number;
  readonly logLevel: string;
  /** BULWARK_METRICS_PUBLIC: GET /metrics without a token. */
  readonly metricsPublic: boolean;
  /** BULWARK_DB_OUTAGE_WAIT_SECONDS: how long a request waits for PostgreSQL to come back. */
  readonly databaseOutageWaitSeconds: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly connectionTimeoutMs: number;
  /** Time zone used to render PMP-style timestamps ("Sep 10, 2013 3:33 PM"). */
  readonly timeZone: string;
  /** Failures of one API token or client certificate from one address before it is locked out there (ADR 021). */
  readonly authFailureLimit: number;
  /** How long such a lockout lasts, in seconds; also how long failures are remembered. */
  readonly authLockoutSeconds: number;
  /** Delay added per failure from an address beyond half the limit, in milliseconds (capped at 2 s). */
  readonly authFailureDelayMs: number;
  /** Proxies (addresses, CIDR ranges) whose X-Forwarded-For names the client (BULWARK_TRUSTED_PROXIES; ADR 021). */
  readonly trustedProxies: readonly string[];
  /** How long a password checkout (access control) lasts before automatic check-in, in minutes. */
  readonly checkoutMinutes: number;
  /** Console sessions end after this long without a request (ADR 042). */
  readonly sessionIdleMinutes: number;
  /** Console sessions end this long after sign-in, however active. */
  readonly sessionMaxHours: number;
  /** The console clears a copied password from the clipboard after this long. */
  readonly clipboardClearSeconds: number;
  /** Whether checking a password in changes it to a fresh policy-conforming one. */
  readonly resetOnCheckin: boolean;
  /** How ticket ids given with a retrieval are validated (BULWARK_TICKET_*; ADR 010). */
  readonly ticketing: TicketingSettings;
  /** Cluster on PostgreSQL (ADR 013): how often each node writes its heartbeat, in seconds. */
  readonly heartbeatSeconds: number;
  /** How long the scheduler lease lasts unless its holder renews it, in seconds (> heartbeat). */
  readonly leaseSeconds: number;
  /**
   * How long a node's claim on a background job lasts unless renewed (ADR 024): how soon another
   * node takes over the jobs of a node that died (BULWARK_JOB_LEASE_SECONDS).
   */
  readonly jobLeaseSeconds: number;
  /** Remote password reset (ADR 028): each call to a target ends within this many seconds. */
  readonly remoteTimeoutSeconds: number;
  /** How often pending rotations are reconciled, in seconds (also once at start). */
  readonly reconcileSeconds: number;
  /** A pending rotation is reconciled only once it was last touched this many seconds ago. */
  readonly reconcileGraceSeconds: number;
  /**
   * Test hooks (BULWARK_TEST_HOOKS, comma-separated), honoured only when NODE_ENV is `test`:
   * `crash-after-remote-change` kills the server right after a target took a new password.
   */
  readonly testHooks: readonly string[];
  /** Most host:port targets one certificate range discovery may probe (ADR 037). */
  readonly certDiscoveryMaxHosts: number;
  /** Certificate expiry thresholds in days, widest first (BULWARK_CERT_EXPIRY_DAYS, ADR 041). */
  readonly certExpiryDays: readonly number[];
  /** Seconds between two runs of the certificate expiry check (BULWARK_CERT_EXPIRY_CHECK_SECONDS). */
  readonly certExpiryCheckSeconds: number;
  /**
   * Scheduled backups (ADR 050): the directory they are written to (BULWARK_BACKUP_DIR), or
   * undefined when none are scheduled; the pause between two (BULWARK_BACKUP_INTERVAL_MINUTES);
   * how many of the newest are kept (BULWARK_BACKUP_KEEP).
   */
  readonly backupDir: string | undefined;
  readonly backupIntervalMinutes: number;
  readonly backupKeep: number;
}

export interface ConfigOverrides {
  dataDir?: string | undefined;
  host?: string | undefined;
  port?: number | string | undefined;
  databaseUrl?: string | undefined;
}

export class ConfigError extends Error {}

const MiB = 1024 * 1024;

function intFrom(name: string, raw: string | number | undefined, fallback: number, min: number, max: number) {
  if (raw === undefined || raw === '') return fallback;
  const value = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${String(raw)}"`);
  }
  return value;
}

function numberFrom(name: string, raw: string | undefined, fallback: number, min: number, max: number) {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a number between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function booleanFrom(name: string, raw: string | undefined, fallback: boolean) {
  if (raw === undefined || raw === '') return fallback;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

export function loadConfig(env: NodeJS.ProcessEnv, overrides: ConfigOverrides = {}): Config {
  const dataDir = path.resolve(overrides.dataDir ?? env.BULWARK_DATA_DIR ?? './data');
  const databaseUrl = overrides.databaseUrl ?? (env.BULWARK_DATABASE_URL || undefined);
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//i.test(databaseUrl)) {
    throw new ConfigError('BULWARK_DATABASE_URL must be a postgres:// or postgresql:// URL');
  }
  const maxFileBytes = intFrom(
    'BULWARK_MAX_FILE_BYTES',
    env.BULWARK_MAX_FILE_BYTES,
    10 * MiB,
    1024,
    1024 * MiB,
  );
  // Room for INPUT_DATA and multipart framing on top of the largest file.
  const maxBodyBytes = intFrom(
    'BULWARK_MAX_BODY_BYTES',
    env.BULWARK_MAX_BODY_BYTES,
    maxFileBytes + MiB,
    1024,
    2048 * MiB,
  );
  return Object.freeze({
    dataDir,
    host: overrides.host ?? env.BULWARK_HOST ?? '0.0.0.0',
    port: intFrom('port', overrides.port ?? env.BULWARK_PORT, 7272, 0, 65535),
    databaseUrl,
    sqliteFile: path.join(dataDir, 'bulwark.db'),
    masterKeyFile: path.resolve(env.BULWARK_MASTER_KEY_FILE ?? path.join(dataDir, 'master.key')),
    tlsCertFile: path.resolve(env.BULWARK_TLS_CERT_FILE ?? path.join(dataDir, 'tls', 'cert.pem')),
    tlsKeyFile: path.resolve(env.BULWARK_TLS_KEY_FILE ?? path.join(dataDir, 'tls', 'key.pem')),
    maxBodyBytes,
    maxFileBytes,
    logLevel: env.BULWARK_LOG_LEVEL ?? 'info',
    metricsPublic: booleanFrom('BULWARK_METRICS_PUBLIC', env.BULWARK_METRICS_PUBLIC, false),
    databaseOutageWaitSeconds: intFrom(
      'BULWARK_DB_OUTAGE_WAIT_SECONDS',
      env.BULWARK_DB_OUTAGE_WAIT_SECONDS,
      10,
      0,
      300,
    ),
    requestTimeoutMs: intFrom(
      'BULWARK_REQUEST_TIMEOUT_MS',
      env.BULWARK_REQUEST_TIMEOUT_MS,
      120_000,
      1000,
      3_600_000,
    ),
    keepAliveTimeoutMs: intFrom(
      'BULWARK_KEEPALIVE_TIMEOUT_MS',
      env.BULWARK_KEEPALIVE_TIMEOUT_MS,
      65_000,
      1000,
      600_000,
    ),
    connectionTimeoutMs: intFrom(
      'BULWARK_CONNECTION_TIMEOUT_MS',
      env.BULWARK_CONNECTION_TIMEOUT_MS,
      300_000,
      1000,
      3_600_000,
    ),
    timeZone: env.BULWARK_TIMEZONE ?? env.TZ ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    authFailureLimit: intFrom('BULWARK_AUTH_FAILURE_LIMIT', env.BULWARK_AUTH_FAILURE_LIMIT, 20, 1, 1_000_000),
    authLockoutSeconds: intFrom(
      'BULWARK_AUTH_LOCKOUT_SECONDS',
      env.BULWARK_AUTH_LOCKOUT_SECONDS,
      300,
      1,
      86_400,
    ),
    authFailureDelayMs: intFrom(
      'BULWARK_AUTH_FAILURE_DELAY_MS',
      env.BULWARK_AUTH_FAILURE_DELAY_MS,
      200,
      0,
      2000,
    ),
    trustedProxies: trustedProxiesFrom(env.BULWARK_TRUSTED_PROXIES),
    sessionIdleMinutes: intFrom(
      'BULWARK_SESSION_IDLE_MINUTES',
      env.BULWARK_SESSION_IDLE_MINUTES,
      30,
      1,
      1440,
    ),
    sessionMaxHours: intFrom('BULWARK_SESSION_MAX_HOURS', env.BULWARK_SESSION_MAX_HOURS, 12, 1, 168),
    clipboardClearSeconds: intFrom(
      'BULWARK_CLIPBOARD_CLEAR_SECONDS',
      env.BULWARK_CLIPBOARD_CLEAR_SECONDS,
      30,
      5,
      3600,
    ),
    checkoutMinutes: numberFrom('BULWARK_CHECKOUT_MINUTES', env.BULWARK_CHECKOUT_MINUTES, 60, 0.01, 525_600),
    resetOnCheckin: booleanFrom('BULWARK_RESET_ON_CHECKIN', env.BULWARK_RESET_ON_CHECKIN, false),
    ticketing: ticketingFrom(env),
    ...clusterFrom(env),
    jobLeaseSeconds: numberFrom('BULWARK_JOB_LEASE_SECONDS', env.BULWARK_JOB_LEASE_SECONDS, 30, 3, 3600),
    ...rotationFrom(env),
    certDiscoveryMaxHosts: intFrom(
      'BULWARK_CERT_DISCOVERY_MAX_HOSTS',
      env.BULWARK_CERT_DISCOVERY_MAX_HOSTS,
      1024,
      1,
      65_536,
    ),
    certExpiryDays: expiryDaysFrom(env.BULWARK_CERT_EXPIRY_DAYS),
    certExpiryCheckSeconds: intFrom(
      'BULWARK_CERT_EXPIRY_CHECK_SECONDS',
      env.BULWARK_CERT_EXPIRY_CHECK_SECONDS,
      3600,
      1,
      604_800,
    ),
    ...backupsFrom(env),
  });
}

/**
 * BULWARK_BACKUP_DIR (absolute: a relative path would depend on the directory the server was
 * started from), BULWARK_BACKUP_INTERVAL_MINUTES (at least 5: a backup reads every table) and
 * BULWARK_BACKUP_KEEP (at least 1: retention never removes the backup just written).
 */
export function backupsFrom(env: NodeJS.ProcessEnv): {
  backupDir: string | undefined;
  backupIntervalMinutes: number;
  backupKeep: number;
} {
  const raw = env.BULWARK_BACKUP_DIR?.trim() ?? '';
  if (raw !== '' && !path.isAbsolute(raw)) {
    throw new ConfigError(`BULWARK_BACKUP_DIR must be an absolute path, got "${raw}"`);
  }
  return {
    backupDir: raw === '' ? undefined : path.resolve(raw),
    backupIntervalMinutes: intFrom(
      'BULWARK_BACKUP_INTERVAL_MINUTES',
      env.BULWARK_BACKUP_INTERVAL_MINUTES,
      1440,
      5,
      31 * 1440, // 31 days
    ),
    backupKeep: intFrom('BULWARK_BACKUP_KEEP', env.BULWARK_BACKUP_KEEP, 14, 1, 10_000),
  };
}

/** `30,15,7` (or one number): distinct whole days from 1 to 3650, widest first; at most 10. */
export function expiryDaysFrom(raw: string | undefined): readonly number[] {
  if (raw === undefined || raw.trim() === '') return [30, 15, 7];
  const parts = raw.split(',').map((p) => p.trim());
  const days = parts.map(Number);
  if (parts.length > 10 || parts.some((p) => !/^\d{1,4}$/.test(p)) || days.some((d) => d < 1 || d > 3650)) {
    throw new ConfigError(
      `BULWARK_CERT_EXPIRY_DAYS must be whole numbers of days from 1 to 3650, comma-separated (at most 10), got "${raw}"`,
    );
  }
  return [...new Set(days)].sort((a, b) => b - a);
}

/** Remote password reset: timeouts, reconciliation, and the test hooks (only under NODE_ENV=test). */
export function rotationFrom(env: NodeJS.ProcessEnv) {
  const remoteTimeoutSeconds = numberFrom(
    'BULWARK_REMOTE_TIMEOUT_SECONDS',
    env.BULWARK_REMOTE_TIMEOUT_SECONDS,
    30,
    0.5,
    600,
  );
  const reconcileSeconds = numberFrom(
    'BULWARK_RECONCILE_SECONDS',
    env.BULWARK_RECONCILE_SECONDS,
    300,
    0.5,
    86_400,
  );
  const reconcileGraceSeconds = numberFrom(
    'BULWARK_RECONCILE_GRACE_SECONDS',
    env.BULWARK_RECONCILE_GRACE_SECONDS,
    remoteTimeoutSeconds * 3 + 10,
    0,
    86_400,
  );
  const hooks = (env.BULWARK_TEST_HOOKS ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  const unknown = hooks.filter((h) => !TEST_HOOKS.includes(h));
  if (unknown.length > 0) {
    throw new ConfigError(
      `BULWARK_TEST_HOOKS: unknown hook ${unknown.join(', ')} (known: ${TEST_HOOKS.join(', ')})`,
    );
  }
  // A test hook is honoured only in a test run: a production server ignores it whatever is set.
  const testHooks = env.NODE_ENV === 'test' ? hooks : [];
  return {
    remoteTimeoutSeconds,
    reconcileSeconds,
    reconcileGraceSeconds,
    testHooks: Object.freeze(testHooks),
  };
}

/** The hooks BULWARK_TEST_HOOKS may name. */
export const TEST_HOOKS: readonly string[] = ['crash-after-remote-change'];

/** BULWARK_TRUSTED_PROXIES: comma-separated addresses and CIDR ranges; none by default. */
export function trustedProxiesFrom(raw: string | undefined): readonly string[] {
  const entries = (raw ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  try {
    trustedProxies(entries);
  } catch (err) {
    throw new ConfigError(`BULWARK_TRUSTED_PROXIES: ${(err as Error).message}`);
  }
  return Object.freeze(entries);
}

/** BULWARK_HEARTBEAT_SECONDS (default 5) and BULWARK_LEASE_SECONDS (default three heartbeats). */
export function clusterFrom(env: NodeJS.ProcessEnv): { heartbeatSeconds: number; leaseSeconds: number } {
  const heartbeatSeconds = numberFrom(
    'BULWARK_HEARTBEAT_SECONDS',
    env.BULWARK_HEARTBEAT_SECONDS,
    5,
    0.1,
    3600,
  );
  const leaseSeconds = numberFrom(
    'BULWARK_LEASE_SECONDS',
    env.BULWARK_LEASE_SECONDS,
    heartbeatSeconds * 3,
    0.2,
    86_400,
  );
  // The holder renews the lease once per heartbeat: it must outlast at least two of them.
  if (leaseSeconds < heartbeatSeconds * 2) {
    throw new ConfigError(
      `BULWARK_LEASE_SECONDS (${leaseSeconds}) must be at least twice BULWARK_HEARTBEAT_SECONDS (${heartbeatSeconds})`,
    );
  }
  return { heartbeatSeconds, leaseSeconds };
}

function jsonPathFrom(name: string, raw: string | undefined, fallback: string | undefined) {
  const value = raw === undefined || raw.trim() === '' ? fallback : raw.trim();
  if (value === undefined) return undefined;
  try {
    parseJsonPath(value);
  } catch (err) {
    throw new ConfigError(`${name}: ${(err as Error).message}`);
  }
  return value;
}

/** BULWARK_TICKET_SYSTEM none | any | http, and for http where and how to ask. */
export function ticketingFrom(env: NodeJS.ProcessEnv): TicketingSettings {
  const kind = (env.BULWARK_TICKET_SYSTEM || 'none').trim().toLowerCase();
  if (kind !== 'none' && kind !== 'any' && kind !== 'http') {
    throw new ConfigError(`BULWARK_TICKET_SYSTEM must be none, any or http, got "${kind}"`);
  }
  if (kind !== 'http') return Object.freeze({ kind, http: undefined });
  const urlTemplate = env.BULWARK_TICKET_URL?.trim() ?? '';
  if (!/^https?:\/\//i.test(urlTemplate) || !/\{ticketid\}/i.test(urlTemplate)) {
    throw new ConfigError(
      'BULWARK_TICKET_URL must be an http:// or https:// URL holding {ticketId} (and optionally {user}) when BULWARK_TICKET_SYSTEM is http',
    );
  }
  const method = (env.BULWARK_TICKET_METHOD || 'GET').trim().toUpperCase();
  if (method !== 'GET' && method !== 'POST') {
    throw new ConfigError(`BULWARK_TICKET_METHOD must be GET or POST, got "${method}"`);
  }
  const openValues = (env.BULWARK_TICKET_OPEN_VALUES || 'open')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (openValues.length === 0)
    throw new ConfigError('BULWARK_TICKET_OPEN_VALUES must name at least one status');
  return Object.freeze({
    kind,
    http: Object.freeze({
      urlTemplate,
      method,
      timeoutMs: intFrom('BULWARK_TICKET_TIMEOUT_MS', env.BULWARK_TICKET_TIMEOUT_MS, 5000, 100, 60_000),
      statusPath: jsonPathFrom('BULWARK_TICKET_STATUS_PATH', env.BULWARK_TICKET_STATUS_PATH, '$.status')!,
      openValues: Object.freeze(openValues),
      assigneePath: jsonPathFrom('BULWARK_TICKET_ASSIGNEE_PATH', env.BULWARK_TICKET_ASSIGNEE_PATH, undefined),
      authorization: env.BULWARK_TICKET_AUTHORIZATION || undefined,
    }),
  });
}

/** One environment variable of the configuration, as docs/configuration.md shows it. */
export interface ConfigVariable {
  readonly name: string;
  /** The CLI flag that overrides it, if any. */
  readonly flag?: string;
  /** The default, in words (Markdown). */
  readonly default: string;
  readonly meaning: string;
}

/**
 * Every variable loadConfig reads, with its default and meaning. docs/configuration.md is
 * generated from this list (`npm run docs`); test/docs/generated-docs.test.ts runs loadConfig and
 * fails when it reads a variable that is not listed here, or one listed is never read.
 */
export const CONFIG_VARIABLES: readonly ConfigVariable[] = [
  { name: 'BULWARK_DATA_DIR', flag: '--data-dir', default: '`./data`', meaning: 'data directory' },
  {
    name: 'BULWARK_PORT',
    flag: '--port',
    default: '`7272`',
    meaning: 'HTTPS port (PAM360 uses 8282)',
  },
  { name: 'BULWARK_HOST', flag: '--host', default: '`0.0.0.0`', meaning: 'listen address' },
  {
    name: 'BULWARK_DATABASE_URL',
    default: 'unset: SQLite in the data directory',
    meaning: '`postgres://user:pass@host:5432/db` to use PostgreSQL',
  },
  {
    name: 'BULWARK_MASTER_KEY_FILE',
    default: '`DIR/master.key`',
    meaning:
      'where the master key lives. **In production keep it apart from the database and its backups** (another volume, a secrets mount): the database alone decrypts nothing',
  },
  {
    name: 'BULWARK_TLS_CERT_FILE',
    default: '`DIR/tls/cert.pem`',
    meaning: 'server certificate (replace the self-signed one with your own)',
  },
  { name: 'BULWARK_TLS_KEY_FILE', default: '`DIR/tls/key.pem`', meaning: 'its private key' },
  {
    name: 'BULWARK_MAX_FILE_BYTES',
    default: '`10485760` (10 MiB)',
    meaning: 'largest uploaded file (File Store, License Store, Key Store)',
  },
  {
    name: 'BULWARK_MAX_BODY_BYTES',
    default: 'file limit + 1 MiB',
    meaning: 'largest request body; larger bodies get a `Failed` answer and the connection is closed',
  },
  {
    name: 'BULWARK_REQUEST_TIMEOUT_MS',
    default: '`120000`',
    meaning: 'time allowed to receive a whole request',
  },
  {
    name: 'BULWARK_KEEPALIVE_TIMEOUT_MS',
    default: '`65000`',
    meaning: 'idle keep-alive connections close after this',
  },
  { name: 'BULWARK_CONNECTION_TIMEOUT_MS', default: '`300000`', meaning: 'socket inactivity timeout' },
  {
    name: 'BULWARK_LOG_LEVEL',
    default: '`info`',
    meaning: 'pino level; `debug` adds an access log line per request (path only, never the query)',
  },
  {
    name: 'BULWARK_DB_OUTAGE_WAIT_SECONDS',
    default: '`10`',
    meaning:
      'PostgreSQL: how long a request waits for an unreachable database (a restart, a failover) before it is answered 503; reads are run again, changes only when the connection could not be made (ADR 048); `0`: answer at once',
  },
  {
    name: 'BULWARK_METRICS_PUBLIC',
    default: '`false`',
    meaning:
      "`true`: `GET /metrics` answers without a token (keep it off a public interface); otherwise it needs an administrator's `AUTHTOKEN`",
  },
  {
    name: 'BULWARK_TIMEZONE',
    default: '`TZ`, else the system zone',
    meaning:
      'time zone of PMP-style timestamps (`Sep 10, 2013 3:33 PM`, `2019-01-03 14:51:06.666`) and of the audit `DURATION` days',
  },
  {
    name: 'BULWARK_SESSION_IDLE_MINUTES',
    default: '`30`',
    meaning: 'a console session ends after this many minutes without a request (ADR 042)',
  },
  {
    name: 'BULWARK_SESSION_MAX_HOURS',
    default: '`12`',
    meaning: 'a console session ends this many hours after sign-in, however active',
  },
  {
    name: 'BULWARK_CLIPBOARD_CLEAR_SECONDS',
    default: '`30`',
    meaning: 'the console clears a copied password from the clipboard after this many seconds',
  },
  {
    name: 'BULWARK_AUTH_FAILURE_LIMIT',
    default: '`20`',
    meaning:
      'failures of one API token or client certificate from one address before it is locked out there (ADR 021)',
  },
  {
    name: 'BULWARK_AUTH_LOCKOUT_SECONDS',
    default: '`300`',
    meaning: 'how long such a lockout lasts; also how long failures are remembered',
  },
  {
    name: 'BULWARK_AUTH_FAILURE_DELAY_MS',
    default: '`200`',
    meaning:
      'after half the limit, each further failure from an address is answered this much × n later (at most 2 s)',
  },
  {
    name: 'BULWARK_TRUSTED_PROXIES',
    default: 'none',
    meaning:
      'comma-separated addresses and CIDR ranges of proxies whose `X-Forwarded-For` names the client (ADR 021); otherwise the TCP peer is the client',
  },
  {
    name: 'BULWARK_CHECKOUT_MINUTES',
    default: '`60`',
    meaning:
      'how long a password checkout (access control) lasts before it is checked in automatically; decimals allowed',
  },
  {
    name: 'BULWARK_RESET_ON_CHECKIN',
    default: '`false`',
    meaning:
      "`true`: checking a password in (by hand or at expiry) changes it to a fresh one that satisfies the account's policy",
  },
  {
    name: 'BULWARK_TICKET_SYSTEM',
    default: '`none`',
    meaning:
      'how ticket ids of retrievals are validated (ADR 010): `none` (recorded, never checked), `any` (any non-empty id), `http` (ask the ticketing system below)',
  },
  {
    name: 'BULWARK_TICKET_URL',
    default: 'unset (required for `http`)',
    meaning:
      'URL template of the ticketing system, `http://` or `https://`, with `{ticketId}` and optionally `{user}` (the requesting user name), both URL-encoded: `https://itsm.example.com/api/tickets/{ticketId}?requester={user}`',
  },
  { name: 'BULWARK_TICKET_METHOD', default: '`GET`', meaning: '`GET` or `POST` (no body)' },
  {
    name: 'BULWARK_TICKET_TIMEOUT_MS',
    default: '`5000`',
    meaning: 'hard limit on the whole exchange; no answer in time refuses the retrieval (100–60000)',
  },
  {
    name: 'BULWARK_TICKET_STATUS_PATH',
    default: '`$.status`',
    meaning: 'JSON path of the ticket status in the answer (`$.a.b`, `$.items[0].state`, `$["odd key"]`)',
  },
  {
    name: 'BULWARK_TICKET_OPEN_VALUES',
    default: '`open`',
    meaning: 'comma-separated statuses (any letter case) that mean the ticket may be used',
  },
  {
    name: 'BULWARK_TICKET_ASSIGNEE_PATH',
    default: 'unset: anyone',
    meaning:
      'JSON path of the user name, or list of user names, allowed to use the ticket; compared with the requester ignoring case',
  },
  {
    name: 'BULWARK_TICKET_AUTHORIZATION',
    default: 'unset',
    meaning: 'value of the `Authorization` header sent to the ticketing system (never logged)',
  },
  {
    name: 'BULWARK_HEARTBEAT_SECONDS',
    default: '`5`',
    meaning:
      'PostgreSQL: how often each node writes its heartbeat and renews or tries to take the scheduler lease; decimals allowed. Three missed heartbeats: `down`',
  },
  {
    name: 'BULWARK_LEASE_SECONDS',
    default: 'three heartbeats',
    meaning:
      'how long the scheduler lease (the primary) lasts unless its holder renews it; at least two heartbeats (ADR 013)',
  },
  {
    name: 'BULWARK_JOB_LEASE_SECONDS',
    default: '`30`',
    meaning:
      "how long a node's claim on a background job (a discovery, a rotation, a periodic check) lasts unless the node renews it, which it does every third of it while the job runs; a job whose node died is taken over by another node this long after its last renewal at most. Shorter takes over sooner; keep it well above a database restart (a node that cannot renew in time stops its job) and the nodes' clock skew. 3 to 3600; decimals allowed (ADR 024)",
  },
  {
    name: 'BULWARK_REMOTE_TIMEOUT_SECONDS',
    default: '`30`',
    meaning:
      'remote password reset (ADR 028): each change or verification on a target ends within this many seconds, else it fails with reason `timeout`; decimals allowed',
  },
  {
    name: 'BULWARK_RECONCILE_SECONDS',
    default: '`300`',
    meaning:
      'how often pending password rotations (a change whose outcome was not confirmed) are reconciled: the new password, then the current one, is tried on the target; also once at start',
  },
  {
    name: 'BULWARK_RECONCILE_GRACE_SECONDS',
    default: 'three timeouts + 10',
    meaning:
      'a pending rotation is reconciled only once it was last touched this long ago, so one still in flight (on this node or another) is never settled under it',
  },
  {
    name: 'BULWARK_CERT_DISCOVERY_MAX_HOSTS',
    default: '`1024`',
    meaning:
      'most host:port targets (addresses × ports) one SSL certificate range discovery may probe; a larger range is refused before anything is probed (ADR 037)',
  },
  {
    name: 'BULWARK_CERT_EXPIRY_DAYS',
    default: '`30,15,7`',
    meaning:
      'thresholds in days (comma-separated, or one number) of the certificate expiry job: each certificate expiring within one is recorded and audited (`Certificate Expiry Alert`) once per threshold, across nodes (ADR 041)',
  },
  {
    name: 'BULWARK_CERT_EXPIRY_CHECK_SECONDS',
    default: '`3600`',
    meaning: 'seconds between two runs of the certificate expiry check (a periodic job, one per cluster)',
  },
  {
    name: 'BULWARK_BACKUP_DIR',
    default: 'unset: no scheduled backups',
    meaning:
      'an absolute path: an existing directory (mode 0700, owned by the service user) that scheduled backups are written to, one file `bulwark-YYYYMMDDTHHMMSSZ.bwbackup` (UTC) per run, each verified after writing; a periodic job run by one node of a cluster at a time (ADR 050, [operations.md](operations.md#scheduled-backups))',
  },
  {
    name: 'BULWARK_BACKUP_INTERVAL_MINUTES',
    default: '`1440` (a day)',
    meaning:
      'minutes from the end of one scheduled backup to the start of the next (from 5 minutes to 31 days)',
  },
  {
    name: 'BULWARK_BACKUP_KEEP',
    default: '`14`',
    meaning:
      'how many scheduled backups are kept: after a new one is written and verified, the oldest beyond this many are deleted (never the new one; files of other names are left alone)',
  },
  {
    name: 'BULWARK_TEST_HOOKS',
    default: 'unset',
    meaning:
      '**tests only**, ignored unless `NODE_ENV` is `test`: `crash-after-remote-change` makes the server kill itself (SIGKILL) right after a target took a new password, before the vault commits it (the crash-injection test of ADR 028)',
  },
  {
    name: 'NODE_ENV',
    default: 'unset',
    meaning: '`test` lets `BULWARK_TEST_HOOKS` take effect; nothing else reads it',
  },
];
